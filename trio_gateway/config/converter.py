"""THE cattrs converter: JSON-like data -> the attrs classes of `model.py`, strictly.

Rule 1: strict. KrakenD decodes with mapstructure's `WeaklyTypedInput` (`"port": "8080"`,
`"debug_endpoint": "false"`): `weak_typing.py` applies those conversions first, with a warning
each, and namespaces are first read as their components read them (`component_readers.py`). What
reaches the converter must have the JSON type of its field: booleans are `true` or `false`,
integers are integral JSON numbers in the int64 range (`3.0` is 3, as in Go where every JSON
number is a float64; not `true`), strings are strings, lists are arrays, and durations are Go
duration strings. So a namespace structured directly (the ones read with `json.Unmarshal` in
KrakenD) is held to Go's encoding/json, which has no weak typing either.

Rule 2: unknown keys are not structure errors: KrakenD ignores them, and so does the converter; the
unknown-key walker (`unknown_keys.py`) reports them as warnings.

Rule 3: with `detailed_validation`, cattrs raises one exception group holding every problem;
`structure_errors.structure_issues` flattens it, each issue with the JSON path of the bad value.
"""

from __future__ import annotations

import collections.abc
import typing
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, override

from trio_gateway.config.core_namespaces import CORE_ATTRIBUTES
from trio_gateway.config.durations import format_duration_ns, parse_duration
from trio_gateway.config.model import ExtraConfig, Seconds, ServiceConfig
from trio_gateway.config.namespaces import IMPLEMENTED, canonical_name, is_comment_key
from trio_gateway.namespace import reads_itself

__all__ = [
    "CONVERTER",
    "JSON_KEY",
    "ValueProblem",
    "describe_json",
    "duration_fields",
]

StructureFn = Callable[[Any, Any], Any]
# attrs field metadata: the JSON key of a field whose name cannot be it (`{"json_key": "global"}`).
JSON_KEY = "json_key"


class ValueProblem(ValueError):
    """A value of the wrong JSON type or an invalid value, raised by our strict hooks."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def describe_json(value: Any) -> str:
    """Describe a value by its JSON type, for messages: `string "8080"`, `number 1.0`, `null`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'string "{shown}"'
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def _structure_bool(value: Any, _: Any) -> bool:
    if isinstance(value, bool):
        return value
    hint = None
    if isinstance(value, str) and value.lower() in ("true", "false"):
        hint = f"write {value.lower()} without quotes"
    raise ValueProblem(f"expected a boolean, got {describe_json(value)}", hint)


_INT64 = range(-(1 << 63), 1 << 63)


def _structure_int(value: Any, _: Any) -> int:
    # Go holds every JSON number as a float64 (json.Marshal writes 3.0 as 3): an integral number
    # is an integer, whatever its spelling.
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise ValueProblem(f"expected an integer, got {describe_json(value)}")
        if int(value) not in _INT64:
            raise ValueProblem(
                f"{describe_json(value)} is out of range for a 64-bit integer",
                "KrakenD's int64 cannot hold it",
            )
        return int(value)
    hint = None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        hint = f"write {value.strip()} without quotes"
    raise ValueProblem(f"expected an integer, got {describe_json(value)}", hint)


def _structure_float(value: Any, _: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValueProblem(f"expected a number, got {describe_json(value)}")


def _structure_str(value: Any, _: Any) -> str:
    if isinstance(value, str):
        return value
    hint = f'write "{value!r}" in quotes' if isinstance(value, int | float) else None
    raise ValueProblem(f"expected a string, got {describe_json(value)}", hint)


def _structure_seconds(value: Any, _: Any) -> Seconds:
    if isinstance(value, str):
        try:
            return Seconds(parse_duration(value))
        except ValueError as exc:
            raise ValueProblem(
                str(exc), 'use a Go duration such as "2s", "1500ms" or "1m30s"'
            ) from None
    if isinstance(value, int) and not isinstance(value, bool):
        hint = (
            f"KrakenD would read a bare number as nanoseconds ({format_duration_ns(value)}); "
            f'write a string such as "{value}s"'
        )
        raise ValueProblem(f"expected a Go duration string, got {describe_json(value)}", hint)
    raise ValueProblem(f"expected a Go duration string, got {describe_json(value)}")


def _require_mapping(value: Any) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise ValueProblem(f"expected an object, got {describe_json(value)}")
    return value


def _is_homogeneous_tuple(type_: Any) -> bool:
    args = typing.get_args(type_)
    return typing.get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_factory(type_: Any, converter: cattrs.Converter) -> StructureFn:
    item_type = typing.get_args(type_)[0]
    structure_item = converter.get_structure_hook(item_type)

    def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            hint = f'write ["{value}"]' if isinstance(value, str) else None
            raise ValueProblem(f"expected an array, got {describe_json(value)}", hint)
        result: list[Any] = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                result.append(structure_item(item, item_type))
            except (BaseValidationError, ValueProblem, KeyError) as exc:
                exc.add_note(IterableValidationNote(f"@ index {index}", index, item_type))
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {type_!r}", errors, type_)
        return tuple(result)

    return structure_tuple


def _is_mapping(type_: Any) -> bool:
    return typing.get_origin(type_) in (collections.abc.Mapping, dict)


def _mapping_factory(type_: Any, converter: cattrs.Converter) -> StructureFn:
    value_type = typing.get_args(type_)[1]
    if value_type is Any:

        def structure_any_mapping(value: Any, _: Any) -> dict[str, Any]:
            return dict(_require_mapping(value))

        return structure_any_mapping
    structure_value = converter.get_structure_hook(value_type)

    def structure_mapping(value: Any, _: Any) -> dict[str, Any]:
        result: dict[str, Any] = {}
        errors: list[Exception] = []
        for key, item in _require_mapping(value).items():
            try:
                result[key] = structure_value(item, value_type)
            except (BaseValidationError, ValueProblem) as exc:
                exc.add_note(IterableValidationNote(f"@ key {key!r}", key, value_type))
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {type_!r}", errors, type_)
        return result

    return structure_mapping


def _attrs_factory(cls: Any, converter: cattrs.Converter) -> StructureFn:
    if cls is ServiceConfig:
        generated = make_dict_structure_fn(
            cls,
            converter,
            _cattrs_forbid_extra_keys=False,
            _cattrs_detailed_validation=True,
            schema=override(rename="$schema"),
        )
    else:
        # A field whose JSON key is a Python keyword (`global`) names it in its metadata.
        renamed = {
            f.name: override(rename=f.metadata[JSON_KEY])
            for f in attrs.fields(cls)
            if JSON_KEY in f.metadata
        }
        generated = make_dict_structure_fn(
            cls,
            converter,
            _cattrs_forbid_extra_keys=False,
            _cattrs_detailed_validation=True,
            **renamed,  # type: ignore[arg-type]
        )

    def structure_attrs(value: Any, type_: Any) -> Any:
        return generated(_require_mapping(value), type_)

    return structure_attrs


def _structure_extra_config(value: Any, _: Any) -> ExtraConfig:
    """Structure the implemented namespaces, keep every namespace in `raw` (canonical names)."""
    data = _require_mapping(value)
    raw: dict[str, Any] = {}
    core: dict[str, Any] = {}
    typed: dict[str, Any] = {}
    errors: list[Exception] = []
    for key, item in data.items():
        if not isinstance(key, str) or is_comment_key(key):
            continue
        name = canonical_name(key)
        if name != key and name in data:
            continue  # both spellings present: the v3 name wins, as after lura's Normalize
        raw[name] = item
        cls = IMPLEMENTED.get(name)
        if cls is None:
            continue
        try:
            structured = CONVERTER.structure(item, cls)
        except (BaseValidationError, ValueProblem) as exc:
            exc.add_note(AttributeValidationNote(f"@ namespace {key}", key, cls))
            errors.append(exc)
            continue
        if name in CORE_ATTRIBUTES:
            core[CORE_ATTRIBUTES[name]] = structured
        else:
            typed[name] = structured
    if errors:
        raise ClassValidationError("While structuring ExtraConfig", errors, ExtraConfig)
    return ExtraConfig(**core, namespaces=typed, raw=raw)


def _from_json_factory(type_: Any, converter: cattrs.Converter) -> StructureFn:
    def structure_self(value: Any, _: Any) -> Any:
        try:
            return type_.from_json(value)
        except (TypeError, ValueError) as exc:
            raise ValueProblem(str(exc)) from None

    return structure_self


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(Seconds, _structure_seconds)
    converter.register_structure_hook(ExtraConfig, _structure_extra_config)
    converter.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_factory)
    converter.register_structure_hook_factory(_is_mapping, _mapping_factory)
    converter.register_structure_hook_factory(attrs.has, _attrs_factory)
    converter.register_structure_hook_factory(reads_itself, _from_json_factory)
    return converter


CONVERTER: cattrs.Converter = _make_converter()


_DURATION_FIELDS: dict[type, tuple[str, ...]] = {}


def duration_fields(cls: type) -> tuple[str, ...]:
    """Names of the `Seconds` fields of a model class (for validation and `check -d`)."""
    fields = _DURATION_FIELDS.get(cls)
    if fields is None:
        hints = typing.get_type_hints(cls)
        fields = tuple(
            name
            for name, hint in hints.items()
            if hint is Seconds or Seconds in typing.get_args(hint)
        )
        _DURATION_FIELDS[cls] = fields
    return fields
