"""What Sprig's functions share: strval/strslice (strings.go), empty (defaults.go),
spf13/cast's ToInt64/ToInt/ToFloat64 (numeric.go), reflect's Kind names in list errors and
reflect.DeepEqual (list.go's inList, `has`, `uniq`, `deepEqual`)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from ...gostrconv import _underscore_ok, parse_int
from ..funcs import GoFunc
from ..gofmt import go_sprint_one, go_type_name
from ..gotypes import Int64, is_nil
from ..values import MISSING, FuncError

__all__ = [
    "deep_equal",
    "empty",
    "f",
    "go_parse_float",
    "kind",
    "list_of",
    "strslice",
    "strval",
    "to_float64",
    "to_int",
    "to_int64",
    "wrap64",
]

_INT64 = 1 << 63


def f(fn: Callable[..., Any], *params: str, variadic: str | None = None) -> GoFunc:
    """A Sprig function with Go parameter kinds (see funcs.GoFunc)."""
    return GoFunc(fn, tuple(params), variadic)


def strval(value: Any) -> str:
    """Sprig's strval: a string as it is, anything else as `%v`."""
    return value if isinstance(value, str) else go_sprint_one(value)


def strslice(value: Any) -> list[str]:
    """Sprig's strslice: a list's non-nil items as strings; nil is []; one value is [it]."""
    if isinstance(value, list | tuple):
        return [strval(v) for v in value if v is not None]
    if value is None:
        return []
    return [strval(value)]


def empty(value: Any) -> bool:
    """Sprig's empty: nil and the zero value of its type are empty."""
    if value is None or value is MISSING:
        return True
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float | complex):
        return value == 0
    if isinstance(value, str | list | tuple | dict):
        return len(value) == 0
    return False


def wrap64(value: int) -> Int64:
    """int64 arithmetic wraps around."""
    return Int64((value + _INT64) % (1 << 64) - _INT64)


def _trim_zero_decimal(text: str) -> str:
    """cast's trimZeroDecimal: "12.000" is "12", "12." and "12.5" stay."""
    found_zero = False
    for index in range(len(text), 0, -1):
        char = text[index - 1]
        if char == ".":
            if found_zero:
                return text[: index - 1]
        elif char == "0":
            found_zero = True
        else:
            return text
    return text


def _float_to_int64(value: float) -> int:
    # Go's int64(f) for NaN, ±Inf and out of range is the "integer indefinite" on amd64
    if math.isnan(value) or math.isinf(value) or not -(2.0**63) <= value < 2.0**63:
        return -_INT64
    return int(value)


def to_int64(value: Any) -> int:
    """spf13/cast ToInt64 as Sprig uses it: floats truncate, strings parse (base prefixes,
    "12.00"), bools are 0/1, anything else is 0 (the error is dropped)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _float_to_int64(value)
    if isinstance(value, str):
        try:
            return parse_int(_trim_zero_decimal(value))
        except ValueError:
            return 0
    return 0


def to_int(value: Any) -> int:
    """cast.ToInt: ToInt64's rules (int is 64 bits)."""
    return to_int64(value)


_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_HEX = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+")
_SPECIAL = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf}


def go_parse_float(text: str) -> float:
    """`strconv.ParseFloat(text, 64)`: decimal and hexadecimal forms, `_` between digits as in
    Go literals, inf/infinity/nan in any case.

    Raises:
        ValueError: invalid syntax.
    """
    if "_" in text:
        if not _underscore_ok(text):
            raise ValueError("invalid syntax")
        text = text.replace("_", "")
    lowered = text.lower()
    if lowered in _SPECIAL or lowered in ("+infinity", "-infinity"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered in ("nan", "+nan", "-nan"):
        if lowered != "nan":
            raise ValueError("invalid syntax")
        return math.nan
    if _DECIMAL.fullmatch(text):
        return float(text)  # beyond float64 Go fails "value out of range"; Python gives inf
    if _HEX.fullmatch(text):
        return float.fromhex(text)
    raise ValueError("invalid syntax")


def to_float64(value: Any) -> float:
    """cast.ToFloat64: numbers convert, strings parse, bools are 0/1, the rest is 0."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return go_parse_float(value)
        except ValueError:
            return 0.0
    return 0.0


def kind(value: Any) -> str:
    """reflect.Kind's name, which Sprig's list errors print (`Cannot push on type map`);
    reflect.TypeOf(nil).Kind() is a nil dereference in Go."""
    if value is None or value is MISSING:
        raise FuncError("runtime error: invalid memory address or nil pointer dereference")
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list | tuple):
        return "slice"
    return go_type_name(value)


def list_of(value: Any, what: str) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    raise FuncError(f"Cannot {what} on type {kind(value)}")


def deep_equal(a: Any, b: Any) -> bool:
    """reflect.DeepEqual of two interface{} values: the same Go type (1 and 1.0 differ, a nil
    slice is no empty slice) and equal contents; NaN equals nothing."""
    if a is None or b is None:
        return a is None and b is None
    if go_type_name(a) != go_type_name(b):
        return False
    if isinstance(a, list | tuple):
        if is_nil(a) != is_nil(b):
            return False
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(deep_equal(a[k], b[k]) for k in a)
    return bool(a == b)
