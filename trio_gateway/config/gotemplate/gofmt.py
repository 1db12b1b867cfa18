"""Go's `fmt` (Sprint, Sprintln, Sprintf) and `strconv.Quote`/`Unquote` for the values a
template handles: JSON values (dict, list, str, int, float, bool, None).

Port of the parts of `src/fmt/print.go` and `format.go` that such values reach: the verbs
`%v %d %s %q %t %x %X %o %O %b %c %U %e %E %f %F %g %G`, the flags `+ - # 0 space`, width and
precision, and the bad-verb form `%!d(string=hi)`. Floats are float64: `%v` is the shortest
`%g`. Sprintf itself (argument indexes, `*`, `%#v`) is goprintf.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from ...encoding.gostr import float64_text
from .gotypes import GoList, GoMap, GoObject, Int64

__all__ = [
    "Spec",
    "fmt_value",
    "go_quote",
    "go_quote_rune",
    "go_sprint",
    "go_sprintln",
    "go_type_name",
    "go_unquote",
    "pad",
]

_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
}


def _escape_rune(char: str, quote: str) -> str:
    if char == quote:
        return "\\" + char
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if 0xD800 <= code <= 0xDFFF:
        return "\\ufffd"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def go_quote(text: str) -> str:
    """`strconv.Quote`."""
    return '"' + "".join(_escape_rune(c, '"') for c in text) + '"'


def go_quote_rune(code: int) -> str:
    """`strconv.QuoteRune`."""
    if code < 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        code = 0xFFFD
    return "'" + _escape_rune(chr(code), "'") + "'"


_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _unquote_body(body: str, quote: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == quote or char == "\n":
            raise ValueError("invalid syntax")
        if char != "\\":
            out.append(char)
            index += 1
            continue
        index += 1
        if index >= len(body):
            raise ValueError("invalid syntax")
        char = body[index]
        index += 1
        if char in _SIMPLE:
            out.append(_SIMPLE[char])
        elif char == quote:
            out.append(char)
        elif char in "xuU":
            size = {"x": 2, "u": 4, "U": 8}[char]
            digits = body[index : index + size]
            if len(digits) != size or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise ValueError("invalid syntax")
            code = int(digits, 16)
            index += size
            if char != "x" and (code > 0x10FFFF or 0xD800 <= code <= 0xDFFF):
                raise ValueError("invalid syntax")
            # \xHH is a byte: in a string beyond ASCII it is not whole UTF-8 (U+FFFD here);
            # in a character constant it is the rune of that value ('\xFF' is 255)
            out.append(chr(code) if char != "x" or code < 0x80 or quote == "'" else "\ufffd")
        elif "0" <= char <= "7":
            digits = body[index - 1 : index + 2]
            if len(digits) != 3 or any(d not in "01234567" for d in digits):
                raise ValueError("invalid syntax")
            code = int(digits, 8)
            if code > 255:
                raise ValueError("invalid syntax")
            index += 2
            out.append(chr(code) if code < 0x80 or quote == "'" else "\ufffd")
        else:
            raise ValueError("invalid syntax")
    return "".join(out)


def go_unquote(text: str) -> str:
    """`strconv.Unquote` for "..." and `...` (and '...' giving the one character).

    Raises:
        ValueError: "invalid syntax", as Go's ErrSyntax.
    """
    if len(text) < 2 or text[0] != text[-1] or text[0] not in "\"'`":
        raise ValueError("invalid syntax")
    body = text[1:-1]
    if text[0] == "`":
        if "`" in body:
            raise ValueError("invalid syntax")
        return body.replace("\r", "")
    result = _unquote_body(body, text[0])
    if text[0] == "'" and len(result) != 1:
        raise ValueError("invalid syntax")
    return result


def go_type_name(value: Any) -> str:
    """The Go type a JSON value decodes to (`interface{}` holding it)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Int64):
        return "int64"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, complex):
        return "complex128"
    if isinstance(value, str):
        return "string"
    if isinstance(value, GoList | GoMap | GoObject):
        return value.go_type
    if isinstance(value, list | tuple):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    return type(value).__name__


def _float_special(value: float, plus: bool) -> str | None:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return None


def _complex_text(value: complex) -> str:
    real, imag = float64_text(value.real), float64_text(value.imag)
    if not imag.startswith(("-", "+")):
        imag = "+" + imag
    return f"({real}{imag}i)"


def go_sprint_one(value: Any) -> str:
    """`%v` of one value."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "<nil>"
    if isinstance(value, float):
        # strconv keeps the sign of a negative zero (`-0`), which float64_text drops
        return "-0" if value == 0 and math.copysign(1.0, value) < 0 else float64_text(value)
    if isinstance(value, complex):
        return _complex_text(value)
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_sprint_one(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_sprint_one(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, GoObject):
        return value.go_text()  # a fmt.Stringer
    return str(value)


def go_sprint(*args: Any) -> str:
    """`fmt.Sprint`: spaces between operands when neither is a string."""
    out: list[str] = []
    for index, arg in enumerate(args):
        if index > 0 and not isinstance(arg, str) and not isinstance(args[index - 1], str):
            out.append(" ")
        out.append(go_sprint_one(arg))
    return "".join(out)


def go_sprintln(*args: Any) -> str:
    """`fmt.Sprintln`: always spaces, and a newline."""
    return " ".join(go_sprint_one(a) for a in args) + "\n"


class Spec:
    __slots__ = ("minus", "plus", "precision", "sharp", "space", "verb", "width", "zero")

    def __init__(self) -> None:
        self.minus = self.plus = self.sharp = self.space = self.zero = False
        self.width: int | None = None
        self.precision: int | None = None
        self.verb = ""


def pad(text: str, spec: Spec, numeric: bool = False) -> str:
    if spec.width is None or len(text) >= spec.width:
        return text
    fill = spec.width - len(text)
    if spec.minus:
        return text + " " * fill
    if spec.zero and numeric:
        sign = text[0] if text[:1] in ("+", "-", " ") else ""
        return sign + "0" * fill + text[len(sign) :]
    if spec.zero and not numeric:
        return "0" * fill + text
    return " " * fill + text


def _bad_verb(spec: Spec, value: Any) -> str:
    if value is None:
        return f"%!{spec.verb}(<nil>)"
    # fmt's badVerb: the value is printed with %v under the same flags, width and precision
    as_v = Spec()
    for flag in Spec.__slots__:
        setattr(as_v, flag, getattr(spec, flag))
    as_v.verb = "v"
    return f"%!{spec.verb}({go_type_name(value)}={fmt_value(value, as_v)})"


def _sign(text: str, negative: bool, spec: Spec) -> str:
    if negative:
        return "-" + text
    if spec.plus:
        return "+" + text
    if spec.space:
        return " " + text
    return text


def _fmt_int(value: int, spec: Spec) -> str:
    verb = spec.verb
    if verb == "c":
        return pad(chr(value) if 0 <= value <= 0x10FFFF else "\ufffd", spec)
    if verb == "q":
        return pad(go_quote_rune(value), spec)
    if verb == "U":
        text = f"U+{value:04X}" if value >= 0 else f"U+{value & 0xFFFFFFFFFFFFFFFF:04X}"
        if spec.sharp and 0 <= value <= 0x10FFFF and chr(value).isprintable():
            text += f" '{chr(value)}'"
        return pad(text, spec)
    if verb in "eEfFgG":
        return _bad_verb(spec, value)
    magnitude = abs(value)
    if verb in ("d", "v"):
        digits = str(magnitude)
    elif verb == "b":
        digits = format(magnitude, "b")
    elif verb in ("o", "O"):
        digits = format(magnitude, "o")
    elif verb == "x":
        digits = format(magnitude, "x")
    elif verb == "X":
        digits = format(magnitude, "X")
    else:
        return _bad_verb(spec, value)
    if spec.precision is not None:
        digits = digits.rjust(spec.precision, "0")
        if spec.precision == 0 and value == 0:
            digits = ""
    if verb == "O":
        digits = "0o" + digits
    elif spec.sharp:
        if verb == "o" and not digits.startswith("0"):
            digits = "0" + digits
        elif verb == "x":
            digits = "0x" + digits
        elif verb == "X":
            digits = "0X" + digits
        elif verb == "b":
            digits = "0b" + digits
    text = _sign(digits, value < 0, spec)
    return pad(text, spec, numeric=spec.precision is None)


def _fmt_float(value: float, spec: Spec) -> str:
    verb = spec.verb
    special = _float_special(value, spec.plus)
    if special is not None:
        if special == "NaN":
            text = "+NaN" if spec.plus else (" NaN" if spec.space else "NaN")
        elif special == "+Inf":
            text = "+Inf" if spec.plus else (" Inf" if spec.space else "+Inf")
        else:
            text = special
        saved, spec.zero = spec.zero, False
        try:
            return pad(text, spec)
        finally:
            spec.zero = saved
    negative = math.copysign(1.0, value) < 0
    magnitude = abs(value)
    if verb == "v" or (verb in "gG" and spec.precision is None):
        digits = float64_text(magnitude)
        if verb == "G":
            digits = digits.upper()
        if spec.sharp and "." not in digits:
            digits += "."
    elif verb in "fF":
        digits = format(magnitude, f".{6 if spec.precision is None else spec.precision}f")
    elif verb in "eE":
        digits = format(magnitude, f".{6 if spec.precision is None else spec.precision}{verb}")
    elif verb in "gG":
        digits = format(
            magnitude, f"{'#' if spec.sharp else ''}.{spec.precision or 1}{verb.lower()}"
        )
        if verb == "G":
            digits = digits.upper()
    elif (
        verb in "xX"
        and spec.precision is None
        and (magnitude == 0 or magnitude >= sys.float_info.min)
    ):
        # strconv's 'x' format, shortest: `0x1.8p+00` (Python's hex pads the mantissa and
        # writes one exponent digit); subnormals and an explicit precision are not modelled
        mantissa, _, exponent = magnitude.hex().removeprefix("0x").partition("p")
        mantissa = mantissa.rstrip("0").removesuffix(".")
        sign, power = exponent[0], exponent[1:]
        digits = f"0x{mantissa}p{sign}{int(power):02d}"
        if verb == "X":
            digits = digits.upper()
    else:
        return _bad_verb(spec, value)
    return pad(_sign(digits, negative, spec), spec, numeric=True)


def _fmt_str(value: str, spec: Spec) -> str:
    verb = spec.verb
    if spec.precision is not None and verb in ("s", "v", "q"):
        value = value[: spec.precision]
    if verb in ("s", "v"):
        return pad(value, spec)
    if verb == "q":
        if spec.sharp and "`" not in value and all(c == "\t" or c.isprintable() for c in value):
            return pad("`" + value + "`", spec)  # %#q: a raw string when it can be one
        return pad(go_quote(value), spec)
    if verb in ("x", "X"):
        data = value.encode("utf-8", "surrogatepass")
        if spec.precision is not None:
            data = data[: spec.precision]
        parts = [format(b, "02x" if verb == "x" else "02X") for b in data]
        prefix = ("0x" if verb == "x" else "0X") if spec.sharp else ""
        if spec.space:
            text = " ".join(prefix + p for p in parts)
        else:
            text = prefix + "".join(parts) if parts else ""
        return pad(text, spec)
    return _bad_verb(spec, value)


def fmt_value(value: Any, spec: Spec, depth: int = 0) -> str:
    verb = spec.verb
    if isinstance(value, bool):
        if verb in ("t", "v"):
            return pad("true" if value else "false", spec)
        return _bad_verb(spec, value)
    if isinstance(value, int):
        return _fmt_int(value, spec)
    if isinstance(value, float):
        return _fmt_float(value, spec)
    if isinstance(value, complex):
        if verb in "vgGeEfF":
            return pad(_complex_text(value), spec)
        return _bad_verb(spec, value)
    if isinstance(value, str):
        return _fmt_str(value, spec)
    if isinstance(value, GoObject) and verb in "vsxXq":
        return _fmt_str(value.go_text(), spec)  # handleMethods: a Stringer
    if value is None:
        # fmt's printValue: a nil interface{} inside a slice or map is "<nil>" for any verb
        if verb == "v" or depth > 0:
            return pad("<nil>", spec)
        return _bad_verb(spec, value)
    if isinstance(value, list | tuple):
        return "[" + " ".join(fmt_value(v, spec, depth + 1) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (
            f"{fmt_value(k, spec, depth + 1)}:{fmt_value(value[k], spec, depth + 1)}"
            for k in sorted(value)
        )
        return "map[" + " ".join(pairs) + "]"
    return pad(str(value), spec)
