"""How Go's reflect sees a JSON value inside a template: the invalid value, truth, kinds."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["MISSING", "NO_FINAL", "FuncError", "Missing", "basic_kind", "is_true", "unwrap"]


class Missing:
    """Go's invalid `reflect.Value`: a map key that is not there, the data of a template called
    without a pipeline. It prints as `<no value>`."""

    _instance: Missing | None = None

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = Missing()


class _NoFinal:
    """Go's `missingVal`: no value piped into this command."""

    def __repr__(self) -> str:
        return "NO_FINAL"


NO_FINAL: Final = _NoFinal()


class FuncError(Exception):
    """A template function's error: execution reports `error calling NAME: <message>`."""


def unwrap(value: Any) -> Any:
    """A pipeline's result: an `interface{}` holding nil becomes the invalid value ("lovely!"
    in exec.go's evalPipeline), so a JSON null prints as `<no value>`."""
    return MISSING if value is None else value


def is_true(value: Any) -> bool:
    """Go's isTrue: the zero value of its type is false; empty strings, lists and maps too."""
    if value is MISSING or value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | complex):
        return value != 0
    if isinstance(value, str | list | tuple | dict):
        return len(value) > 0
    return True


def basic_kind(value: Any) -> str | None:
    """exec.go's basicKind: bool, int, float, complex, string; None for the rest."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, complex):
        return "complex"
    if isinstance(value, str):
        return "string"
    return None
