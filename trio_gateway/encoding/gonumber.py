"""Go's printing of float64 where JSON is written: `strconv.FormatFloat(v, 'f', -1, 64)` and
encoding/json's float encoder (shortest digits; an exponent below 1e-6 and from 1e21 on, with
`e-7` cleaned of its zero as encode.go does)."""

from __future__ import annotations

import math
from decimal import Decimal

__all__ = ["format_float_f", "go_json_float"]


def format_float_f(value: float) -> str:
    """`strconv.FormatFloat(value, 'f', -1, 64)`: no exponent, shortest digits (`1e21` ->
    `"1000000000000000000000"`, `1e-07` -> `"0.0000001"`, `3.0` -> `"3"`)."""
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    return format(Decimal(repr(value)).normalize(), "f")


def go_json_float(value: float) -> str:
    """What Go's json.Marshal writes for a float64 (`5`, `0.1`, `1e-7`, `1e+21`).

    Raises:
        ValueError: NaN and the infinities have no JSON form (`json: unsupported value`).
    """
    if math.isnan(value) or math.isinf(value):
        # Go's %v of the value: NaN, +Inf, -Inf.
        text = "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
        raise ValueError(f"json: unsupported value: {text}")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        sign, digit_tuple, exp = Decimal(repr(value)).normalize().as_tuple()
        assert isinstance(exp, int)
        digits = "".join(map(str, digit_tuple))
        exponent = len(digits) + exp - 1
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{'-' if sign else ''}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent)}"
    return format_float_f(value)
