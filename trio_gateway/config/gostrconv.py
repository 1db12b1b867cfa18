"""Go's `strconv` and `fmt` for configuration scalars, ported where KrakenD's readers use them.

mapstructure's weak typing parses strings with `strconv.ParseInt(s, 0, 64)` and
`strconv.ParseBool`, and prints numbers with `strconv.FormatFloat(f, 'f', -1, 64)`; some
components print any value with `fmt.Sprintf("%v", v)`. Python's `int(s, 0)`, `bool` and `str`
differ in the corners (`"017"` is octal 15 in Go, `"t"` is true, `1e21` prints without an
exponent), so these are ports of Go's rules (`src/strconv/atoi.go`, `atob.go`, `ftoa.go`,
`src/fmt/print.go`).
"""

from __future__ import annotations

from decimal import Decimal

from trio_gateway.encoding.gonumber import format_float_f

__all__ = ["format_float_f", "parse_bool", "parse_int", "sprint"]

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def parse_bool(text: str) -> bool:
    """`strconv.ParseBool`: 1 t T TRUE true True / 0 f F FALSE false False.

    Raises:
        ValueError: for anything else (`"yes"`, `" true"`).
    """
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"invalid syntax: {text!r}")


def _underscore_ok(text: str) -> bool:
    """Go's underscoreOK: `_` only between digits, or between a base prefix and a digit."""
    saw = "^"  # ^ start, 0 digit or prefix, _ underscore, ! anything else
    index = 0
    if text[:1] in ("+", "-"):
        text = text[1:]
    hexadecimal = False
    if len(text) >= 2 and text[0] == "0" and text[1].lower() in "box":
        index = 2
        saw = "0"
        hexadecimal = text[1].lower() == "x"
    for char in text[index:]:
        if "0" <= char <= "9" or (hexadecimal and "a" <= char.lower() <= "f"):
            saw = "0"
            continue
        if char == "_":
            if saw != "0":
                return False
            saw = "_"
            continue
        if saw == "_":
            return False
        saw = "!"
    return saw != "_"


def parse_int(text: str) -> int:
    """`strconv.ParseInt(text, 0, 64)`: the base from the prefix (`0x`, `0o`, `0b`, a leading `0`
    is octal), `_` separators allowed with Go's rules, the int64 range.

    Raises:
        ValueError: invalid syntax, or out of range.
    """
    if not text:
        raise ValueError("invalid syntax")
    digits = text
    negative = False
    if digits[0] in "+-":
        negative = digits[0] == "-"
        digits = digits[1:]
    base = 10
    if digits[:1] == "0":
        prefix = digits[1:2].lower()
        if len(digits) >= 3 and prefix in ("b", "o", "x"):
            base = {"b": 2, "o": 8, "x": 16}[prefix]
            digits = digits[2:]
        else:
            base = 8
            digits = digits[1:]
    if not digits and base != 8:
        raise ValueError("invalid syntax")
    value = 0
    underscores = False
    for char in digits:
        if char == "_":
            underscores = True
            continue
        if "0" <= char <= "9":
            digit = ord(char) - 48
        elif "a" <= char.lower() <= "z":
            digit = ord(char.lower()) - ord("a") + 10
        else:
            raise ValueError("invalid syntax")
        if digit >= base:
            raise ValueError("invalid syntax")
        value = value * base + digit
        if value > _INT64_MAX + 1:
            raise ValueError("value out of range")
    if underscores and not _underscore_ok(text):
        raise ValueError("invalid syntax")
    result = -value if negative else value
    if not _INT64_MIN <= result <= _INT64_MAX:
        raise ValueError("value out of range")
    return result


def _digits(value: float) -> tuple[str, int]:
    """The shortest decimal digits that round-trip `value` (as Go's and Python's repr choose
    them) and the decimal exponent of the first digit (`1234.5` -> ("12345", 3))."""
    _, digit_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple)) or "0"
    assert isinstance(exponent, int)
    return digits, len(digits) + exponent - 1


def sprint(value: object) -> str:
    """`fmt.Sprintf("%v", value)` for a JSON scalar: strings as they are, `true`/`false`,
    `<nil>`, integers in base 10, floats as `%g` with the shortest digits: an exponent below
    1e-4 and from 1e6 on (`ftoa.go`: "if precision was the shortest possible, use precision 6 for
    this decision"): `5` -> "5", `1e6` -> "1e+06", `0.00001` -> "1e-05"."""
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}[repr(value)]
        if value == 0:
            return "-0" if str(value).startswith("-") else "0"
        digits, exponent = _digits(value)
        sign = "-" if value < 0 else ""
        if exponent < -4 or exponent >= 6:
            mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
            return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
        return sign + format_float_f(abs(value))
    return str(value)
