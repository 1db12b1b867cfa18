"""Go's `encoding/json` Marshal/MarshalIndent for template values (KrakenD's `marshal`,
Sprig's `toJson`/`toPrettyJson`): map keys sorted, `<>&` and U+2028/U+2029 escaped, float64
in Go's form (`1e+21`, `1e-7`, otherwise no exponent)."""

from __future__ import annotations

import json
from typing import Any

from trio_gateway.encoding.gonumber import go_json_float

from .gotypes import GoObject, is_nil
from .values import MISSING

__all__ = ["UnsupportedValue", "go_json"]


class UnsupportedValue(ValueError):
    """json: unsupported value (NaN, ±Inf, complex)."""


_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _string(text: str, escape_html: bool) -> str:
    out = json.dumps(text, ensure_ascii=False)
    for char, escaped in _ESCAPES.items():
        if escape_html or char in "\u2028\u2029":
            out = out.replace(char, escaped)
    return out


def _float(value: float) -> str:
    try:
        return go_json_float(value)
    except ValueError as exc:
        raise UnsupportedValue(str(exc)) from None


def go_json(
    value: Any, indent: str | None = None, escape_html: bool = True, _level: int = 0
) -> str:
    """The JSON text Go's json.Marshal (or MarshalIndent with prefix "" and `indent`) writes.

    Raises:
        UnsupportedValue: NaN, infinities and complex numbers have no JSON form.
    """
    if value is None or value is MISSING or is_nil(value):
        return "null"
    if isinstance(value, GoObject):
        return go_json(value.json_value(), indent, escape_html, _level)  # its MarshalJSON
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return _string(value, escape_html)
    if isinstance(value, list | tuple | dict):
        if not value:
            return "[]" if not isinstance(value, dict) else "{}"
        if isinstance(value, dict):
            parts = [
                _string(str(k), escape_html)
                + (": " if indent is not None else ":")
                + go_json(value[k], indent, escape_html, _level + 1)
                for k in sorted(value)
            ]
            opening, closing = "{", "}"
        else:
            parts = [go_json(v, indent, escape_html, _level + 1) for v in value]
            opening, closing = "[", "]"
        if indent is None:
            return opening + ",".join(parts) + closing
        inner = "\n" + indent * (_level + 1)
        return opening + inner + ("," + inner).join(parts) + "\n" + indent * _level + closing
    raise UnsupportedValue(f"json: unsupported type: {type(value).__name__}")
