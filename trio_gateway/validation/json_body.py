"""A request body read as JSON the way Go's `json.Unmarshal(body, &doc)` reads it
(krakend-jsonschema `newProxy`), with Go's error texts.

Python's `json` does the parsing (fast, in C); Go's rules are applied around it: exactly one
JSON value with nothing but whitespace after it, no `NaN`/`Infinity`, a number too big for a
float64 is an error, and invalid UTF-8 inside strings becomes U+FFFD. When the body is not JSON,
the error text is Go's: the byte-level scanner below is a port of `encoding/json/scanner.go`
(its state machine and its messages: `invalid character 'x' looking for beginning of value`,
`unexpected end of JSON input`, ...), run only on that error path.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

__all__ = ["JSONBodyError", "go_syntax_error", "parse_json_body"]


class JSONBodyError(ValueError):
    """The body is not one JSON value; the message is Go's."""


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN, Infinity, -Infinity are not JSON (Go refuses them)


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JSONBodyError(f"json: cannot unmarshal number {text} into Go value of type float64")
    return value


def _int(text: str) -> int | float:
    value = int(text)
    # Go reads every number into a float64: one that does not fit is an error there.
    if abs(value) >= 2**1024:
        raise JSONBodyError(f"json: cannot unmarshal number {text} into Go value of type float64")
    return value


_DECODER = json.JSONDecoder(parse_float=_float, parse_int=_int, parse_constant=_no_constant)


def parse_json_body(raw: bytes) -> Any:
    """The JSON value of a non-empty body.

    Raises:
        JSONBodyError: not exactly one JSON value (Go's message), or nested deeper than Python
            can parse (Go's limit is 10 000 levels; Python's is lower: `exceeded max depth`).
    """
    try:
        return _DECODER.decode(raw.decode("utf-8", "replace"))
    except JSONBodyError:
        raise
    except RecursionError:
        raise JSONBodyError("exceeded max depth") from None
    except ValueError:
        pass
    raise JSONBodyError(go_syntax_error(raw) or "invalid JSON") from None


# ---- a port of Go's encoding/json scanner, for its error messages ----------------------------

_SPACE = frozenset(b" \t\r\n")
_DIGITS = frozenset(b"0123456789")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_OBJECT_KEY, _OBJECT_VALUE, _ARRAY_VALUE = 0, 1, 2


def _quote_char(c: int) -> str:
    """Go's `quoteChar`: the byte as a Go rune literal (`'x'`, `'\\x01'`, `'"'`)."""
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    char = chr(c)  # Go's string(byte) is the rune U+00XX
    if char.isprintable():
        return f"'{char}'"
    if c == 0x07:
        return "'\\a'"
    escapes = {0x08: "\\b", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x0B: "\\v"}
    if c in escapes:
        return f"'{escapes[c]}'"
    return f"'\\x{c:02x}'" if c < 0x80 else f"'\\u{c:04x}'"


class _SyntaxError(Exception):
    pass


State = Callable[[int], None]


class _Scanner:
    """Go's `scanner` (encoding/json/scanner.go), states as methods, errors as exceptions."""

    def __init__(self) -> None:
        self.stack: list[int] = []
        self.step: State = self.begin_value
        self.end_top = False

    def fail(self, c: int, context: str) -> None:
        raise _SyntaxError(f"invalid character {_quote_char(c)} {context}")

    def begin_value_or_empty(self, c: int) -> None:
        if c in _SPACE:
            return
        if c == 0x5D:  # ]
            self.end_value(c)
            return
        self.begin_value(c)

    def begin_value(self, c: int) -> None:
        if c in _SPACE:
            return
        if c == 0x7B:  # {
            self.stack.append(_OBJECT_KEY)
            self.step = self.begin_string_or_empty
        elif c == 0x5B:  # [
            self.stack.append(_ARRAY_VALUE)
            self.step = self.begin_value_or_empty
        elif c == 0x22:
            self.step = self.in_string
        elif c == 0x2D:  # -
            self.step = self.neg
        elif c == 0x30:
            self.step = self.zero
        elif c == 0x74:
            self.step = self._literal("true", 1)
        elif c == 0x66:
            self.step = self._literal("false", 1)
        elif c == 0x6E:
            self.step = self._literal("null", 1)
        elif 0x31 <= c <= 0x39:
            self.step = self.one
        else:
            self.fail(c, "looking for beginning of value")

    def begin_string_or_empty(self, c: int) -> None:
        if c in _SPACE:
            return
        if c == 0x7D:  # }
            self.stack[-1] = _OBJECT_VALUE
            self.end_value(c)
            return
        self.begin_string(c)

    def begin_string(self, c: int) -> None:
        if c in _SPACE:
            return
        if c == 0x22:
            self.step = self.in_string
            return
        self.fail(c, "looking for beginning of object key string")

    def end_value(self, c: int) -> None:
        if not self.stack:
            self.step = self.end_top_state
            self.end_top = True
            self.end_top_state(c)
            return
        if c in _SPACE:
            self.step = self.end_value
            return
        top = self.stack[-1]
        if top == _OBJECT_KEY:
            if c == 0x3A:  # :
                self.stack[-1] = _OBJECT_VALUE
                self.step = self.begin_value
                return
            self.fail(c, "after object key")
        elif top == _OBJECT_VALUE:
            if c == 0x2C:  # ,
                self.stack[-1] = _OBJECT_KEY
                self.step = self.begin_string
                return
            if c == 0x7D:
                self.pop()
                return
            self.fail(c, "after object key:value pair")
        else:
            if c == 0x2C:
                self.step = self.begin_value
                return
            if c == 0x5D:
                self.pop()
                return
            self.fail(c, "after array element")

    def pop(self) -> None:
        self.stack.pop()
        self.step = self.end_value
        if not self.stack:
            self.step = self.end_top_state
            self.end_top = True

    def end_top_state(self, c: int) -> None:
        if c not in _SPACE:
            self.fail(c, "after top-level value")

    def in_string(self, c: int) -> None:
        if c == 0x22:
            self.step = self.end_value
        elif c == 0x5C:
            self.step = self.in_string_escape
        elif c < 0x20:
            self.fail(c, "in string literal")

    def in_string_escape(self, c: int) -> None:
        if c in b'bfnrt\\/"':
            self.step = self.in_string
        elif c == 0x75:
            self.step = self._hex(4)
        else:
            self.fail(c, "in string escape code")

    def _hex(self, left: int) -> State:
        def state(c: int) -> None:
            if c not in _HEX:
                self.fail(c, "in \\u hexadecimal character escape")
            self.step = self.in_string if left == 1 else self._hex(left - 1)

        return state

    def neg(self, c: int) -> None:
        if c == 0x30:
            self.step = self.zero
        elif 0x31 <= c <= 0x39:
            self.step = self.one
        else:
            self.fail(c, "in numeric literal")

    def one(self, c: int) -> None:
        if c in _DIGITS:
            return
        self.zero(c)

    def zero(self, c: int) -> None:
        if c == 0x2E:
            self.step = self.dot
        elif c in b"eE":
            self.step = self.exponent
        else:
            self.end_value(c)

    def dot(self, c: int) -> None:
        if c in _DIGITS:
            self.step = self.dot_digits
            return
        self.fail(c, "after decimal point in numeric literal")

    def dot_digits(self, c: int) -> None:
        if c in _DIGITS:
            return
        if c in b"eE":
            self.step = self.exponent
            return
        self.end_value(c)

    def exponent(self, c: int) -> None:
        if c in b"+-":
            self.step = self.exponent_sign
            return
        self.exponent_sign(c)

    def exponent_sign(self, c: int) -> None:
        if c in _DIGITS:
            self.step = self.exponent_digits
            return
        self.fail(c, "in exponent of numeric literal")

    def exponent_digits(self, c: int) -> None:
        if c in _DIGITS:
            return
        self.end_value(c)

    def _literal(self, word: str, index: int) -> State:
        expected = ord(word[index])

        def state(c: int) -> None:
            if c != expected:
                self.fail(c, f"in literal {word} (expecting {_quote_char(expected)})")
            self.step = self.end_value if index + 1 == len(word) else self._literal(word, index + 1)

        return state


def go_syntax_error(raw: bytes) -> str | None:
    """Go's `checkValid` message for `raw`, or None when Go's scanner accepts it."""
    scanner = _Scanner()
    try:
        for c in raw:
            scanner.step(c)
        if not scanner.end_top:
            scanner.step(0x20)  # Go's eof(): a space ends a number at the top level
    except _SyntaxError as exc:
        return str(exc)
    if not scanner.end_top:
        return "unexpected end of JSON input"
    return None
