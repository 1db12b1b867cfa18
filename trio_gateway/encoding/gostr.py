"""Go's `fmt.Sprintf("%v", x)`, for the places where KrakenD writes a decoded value as text
(sequential `{respN_…}` params, propagated JWT claims, XML text).

Numbers are where the callers differ, so the float writer is a parameter:
- `json_number_text`: KrakenD decodes backend JSON numbers as `json.Number`, printed as their
  literal; the JSON text of our float is the closest we have (`1.5`, `1e16`).
- `float64_text`: values decoded into Go's `interface{}` are `float64`, whose `%v` is `%g` with
  the shortest digits (`1e+06`, `1.5e-05`) — krakend-jose's claims are such values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson

__all__ = ["float64_text", "go_sprint", "json_number_text"]


def _special(value: float) -> str | None:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return None


def json_number_text(value: float) -> str:
    """A float as the JSON literal it most likely came from."""
    return _special(value) or orjson.dumps(value).decode()


def float64_text(value: float) -> str:
    """Go's `%v` for a float64: `%g` with the shortest digits, exponent form when the decimal
    exponent is below -4 or at least 6 (`1e+06`, `1.5e-05`)."""
    special = _special(value)
    if special is not None:
        return special
    if value == 0:
        return "0"
    sign, digit_tuple, exp = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exp, int)
    digits = "".join(map(str, digit_tuple))
    exponent = len(digits) + exp - 1
    prefix = "-" if sign else ""
    if exponent < -4 or exponent >= 6:
        tail = "." + digits[1:] if len(digits) > 1 else ""
        return f"{prefix}{digits[0]}{tail}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    return prefix + format(Decimal(repr(abs(value))).normalize(), "f")


def go_sprint(value: Any, float_text: Callable[[float], str] = json_number_text) -> str:
    """`%v` for the values a JSON document holds: maps with sorted keys, `<nil>` for null."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return float_text(value)
    if value is None:
        return "<nil>"
    if isinstance(value, list):
        return "[" + " ".join(go_sprint(v, float_text) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{k}:{go_sprint(value[k], float_text)}" for k in sorted(value))
        return "map[" + " ".join(pairs) + "]"
    return str(value)
