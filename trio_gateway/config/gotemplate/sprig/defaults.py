"""Sprig's defaults.go: default, empty, coalesce, all, any, ternary, the JSON functions, and
functions.go's fail."""

from __future__ import annotations

import json
from typing import Any

from ..funcs import GoFunc
from ..gojson import UnsupportedValue, go_json
from ..values import FuncError
from .conv import empty, f

__all__ = ["DEFAULTS"]


def _default(default: Any, *given: Any) -> Any:
    if not given or empty(given[0]):
        return default
    return given[0]


def _coalesce(*values: Any) -> Any:
    for value in values:
        if not empty(value):
            return value
    return None


def _reject(name: str) -> Any:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def _must_from_json(text: str) -> Any:
    """json.Unmarshal into interface{}: numbers are float64."""
    if not text.strip():
        raise FuncError("unexpected end of JSON input")
    try:
        return json.loads(text, parse_int=float, parse_constant=_reject)
    except RecursionError:
        raise FuncError("exceeded max depth") from None
    except ValueError as error:
        raise FuncError(f"invalid JSON: {error}") from None


def _from_json(text: str) -> Any:
    try:
        return _must_from_json(text)
    except FuncError:
        return None  # the error is dropped and the output stays nil


def _json(indent: str | None = None, escape_html: bool = True, must: bool = False) -> Any:
    def encode(value: Any) -> str:
        try:
            return go_json(value, indent=indent, escape_html=escape_html)
        except UnsupportedValue as error:
            if must:
                raise FuncError(str(error)) from None
            return ""  # json.Marshal's error is dropped: nothing is written

    return encode


def _fail(message: str) -> str:
    raise FuncError(message)


DEFAULTS: dict[str, GoFunc] = {
    "default": f(_default, "any", variadic="any"),
    "empty": f(empty, "any"),
    "coalesce": f(_coalesce, variadic="any"),
    "all": f(lambda *v: all(not empty(x) for x in v), variadic="any"),
    "any": f(lambda *v: any(not empty(x) for x in v), variadic="any"),
    "fromJson": f(_from_json, "string"),
    "mustFromJson": f(_must_from_json, "string"),
    "toJson": f(_json(), "any"),
    "mustToJson": f(_json(must=True), "any"),
    "toPrettyJson": f(_json(indent="  "), "any"),
    "mustToPrettyJson": f(_json(indent="  ", must=True), "any"),
    # toRawJson panics on an error (defaults.go), so it fails as mustToRawJson does
    "toRawJson": f(_json(escape_html=False, must=True), "any"),
    "mustToRawJson": f(_json(escape_html=False, must=True), "any"),
    "ternary": f(lambda yes, no, condition: yes if condition else no, "any", "any", "bool"),
    "fail": f(_fail, "string"),
}
