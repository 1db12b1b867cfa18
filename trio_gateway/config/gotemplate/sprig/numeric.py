"""Sprig's math (numeric.go and functions.go): integer math on int64 (wrapping as Go's does),
float math through shopspring/decimal as Sprig's execDecimalOp does (`addf 0.1 0.2` is 0.3;
division rounds half away from zero at 16 decimals), floor/ceil/round, the conversions
(spf13/cast), until/untilStep/seq."""

from __future__ import annotations

import math
import random
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..funcs import GoFunc
from ..gofmt import go_sprint_one
from ..gotypes import GoList, Int64, int_list
from ..values import FuncError
from .conv import f, to_float64, to_int, to_int64, wrap64

__all__ = ["MAX_RANGE", "NUMERIC"]

# until/untilStep/seq build the whole list, as Go does; beyond this many items a configuration
# is a mistake, and we fail rather than exhaust memory (Go would try)
MAX_RANGE = 1 << 22
_INT64_MAX = (1 << 63) - 1
_SCALE = 10**16


def _decimal(value: Any) -> Fraction:
    """decimal.NewFromFloat: the shortest decimal that reads back as the float."""
    number = to_float64(value)
    if math.isnan(number) or math.isinf(number):
        raise FuncError(f"Cannot create a Decimal from {go_sprint_one(number)}")
    return Fraction(Decimal(repr(number)))


def _div_round(dividend: Fraction, divisor: Fraction) -> Fraction:
    """Decimal.Div: DivRound at DivisionPrecision (16) decimals, half away from zero."""
    if divisor == 0:
        raise FuncError("decimal division by 0")
    scaled = abs(dividend / divisor) * _SCALE
    whole = math.floor(scaled)
    if (scaled - whole) * 2 >= 1:
        whole += 1
    sign = -1 if (dividend < 0) != (divisor < 0) and dividend != 0 else 1
    return Fraction(sign * whole, _SCALE)


def _decimal_op(op: str) -> Any:
    def run(first: Any, *rest: Any) -> float:
        total = _decimal(first)
        for value in rest:
            other = _decimal(value)
            if op == "+":
                total += other
            elif op == "-":
                total -= other
            elif op == "*":
                total *= other
            else:
                total = _div_round(total, other)
        try:
            return float(total)  # Decimal.Float64: the nearest float64
        except OverflowError:
            return math.inf if total > 0 else -math.inf

    return run


def _go_max(a: float, b: float) -> float:
    """math.Max: NaN wins, +0 beats -0."""
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if a == b == 0:
        return a if math.copysign(1, a) > 0 else b
    return max(a, b)


def _go_min(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if a == b == 0:
        return a if math.copysign(1, a) < 0 else b
    return min(a, b)


def _maxf(first: Any, *rest: Any) -> float:
    out = to_float64(first)
    for value in rest:
        out = _go_max(out, to_float64(value))
    return out


def _minf(first: Any, *rest: Any) -> float:
    out = to_float64(first)
    for value in rest:
        out = _go_min(out, to_float64(value))
    return out


def _div(a: Any, b: Any) -> Int64:
    divisor, dividend = to_int64(b), to_int64(a)
    if divisor == 0:
        raise FuncError("runtime error: integer divide by zero")
    quotient = abs(dividend) // abs(divisor)  # Go truncates toward zero
    return wrap64(quotient if (dividend >= 0) == (divisor > 0) else -quotient)


def _mod(a: Any, b: Any) -> Int64:
    divisor, dividend = to_int64(b), to_int64(a)
    if divisor == 0:
        raise FuncError("runtime error: integer divide by zero")
    remainder = abs(dividend) % abs(divisor)
    return wrap64(remainder if dividend >= 0 else -remainder)


def go_floor(number: float) -> float:
    """math.Floor: ±0, ±Inf and NaN are themselves."""
    if number == 0 or math.isinf(number) or math.isnan(number):
        return number
    return float(math.floor(number))


def go_ceil(number: float) -> float:
    """math.Ceil is -Floor(-x): Ceil(-0.5) is -0."""
    return -go_floor(-number)


def _round(value: Any, places: int, *round_on: float) -> float:
    # numeric.go round: Modf's fraction decides between Ceil and Floor
    threshold = round_on[0] if round_on else 0.5
    number = to_float64(value)
    power = math.pow(10, float(places))
    digit = power * number
    fraction = math.modf(digit)[0] if math.isfinite(digit) else 0.0
    return (go_ceil(digit) if fraction >= threshold else go_floor(digit)) / power


def _atoi(text: str) -> int:
    # strconv.Atoi: base 10, a sign; out of range it returns the clamped value with an
    # error, which Sprig drops
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        return 0
    return max(-_INT64_MAX - 1, min(_INT64_MAX, int(text)))


def _to_decimal(value: Any) -> Int64:
    # strconv.ParseInt(fmt.Sprint(v), 8, 64): octal digits only, 0 on any error
    text = go_sprint_one(value)
    if not re.fullmatch(r"[+-]?[0-7]+", text):
        return Int64(0)
    number = int(text, 8)
    return Int64(number) if -_INT64_MAX - 1 <= number <= _INT64_MAX else Int64(0)


def until_step(start: int, stop: int, step: int) -> GoList:
    if (stop < start and step >= 0) or (stop >= start and step <= 0):
        return int_list([])
    count = len(range(start, stop, step))
    if count > MAX_RANGE:
        raise FuncError(f"a range of {count} items is more than {MAX_RANGE}")
    return int_list(range(start, stop, step))


def _until(count: int) -> GoList:
    return until_step(0, count, 1 if count >= 0 else -1)


def _seq(*params: int) -> str:
    if len(params) == 1:
        start, end = 1, params[0]
        step = -1 if end < start else 1
        items = until_step(start, end + step, step)
    elif len(params) == 2:
        start, end = params
        step = -1 if end < start else 1
        items = until_step(start, end + step, step)
    elif len(params) == 3:
        start, step, end = params
        increment = 1
        if end < start:
            increment = -1
            if step > 0:
                return ""
        items = until_step(start, end + increment, step)
    else:
        return ""
    return " ".join(str(i) for i in items)


def _rand_int(low: int, high: int) -> int:
    if high - low <= 0:
        raise FuncError("invalid argument to Intn")
    return random.randrange(low, high)  # math/rand, not for secrets


def _max(first: Any, *rest: Any) -> Int64:
    return Int64(max([to_int64(first), *(to_int64(v) for v in rest)]))


def _min(first: Any, *rest: Any) -> Int64:
    return Int64(min([to_int64(first), *(to_int64(v) for v in rest)]))


def _mul(first: Any, *rest: Any) -> Int64:
    out = to_int64(first)
    for value in rest:
        out = wrap64(out * to_int64(value))
    return wrap64(out)


NUMERIC: dict[str, GoFunc] = {
    "atoi": f(_atoi, "string"),
    "int64": f(lambda v: Int64(to_int64(v)), "any"),
    "int": f(to_int, "any"),
    "float64": f(to_float64, "any"),
    "seq": f(_seq, variadic="int"),
    "toDecimal": f(_to_decimal, "any"),
    "until": f(_until, "int"),
    "untilStep": f(until_step, "int", "int", "int"),
    "add1": f(lambda v: wrap64(to_int64(v) + 1), "any"),
    "add": f(lambda *v: wrap64(sum(to_int64(x) for x in v)), variadic="any"),
    "sub": f(lambda a, b: wrap64(to_int64(a) - to_int64(b)), "any", "any"),
    "div": f(_div, "any", "any"),
    "mod": f(_mod, "any", "any"),
    "mul": f(_mul, "any", variadic="any"),
    "randInt": f(_rand_int, "int", "int"),
    "add1f": f(lambda v: _decimal_op("+")(v, 1), "any"),
    "addf": f(lambda *v: _decimal_op("+")(0.0, *v), variadic="any"),
    "subf": f(_decimal_op("-"), "any", variadic="any"),
    "divf": f(_decimal_op("/"), "any", variadic="any"),
    "mulf": f(_decimal_op("*"), "any", variadic="any"),
    "biggest": f(_max, "any", variadic="any"),
    "max": f(_max, "any", variadic="any"),
    "min": f(_min, "any", variadic="any"),
    "maxf": f(_maxf, "any", variadic="any"),
    "minf": f(_minf, "any", variadic="any"),
    "ceil": f(lambda v: go_ceil(to_float64(v)), "any"),
    "floor": f(lambda v: go_floor(to_float64(v)), "any"),
    "round": f(_round, "any", "int", variadic="float"),
}
