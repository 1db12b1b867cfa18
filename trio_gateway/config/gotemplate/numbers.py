"""Go's `parse.newNumber`: what a number literal of a template is (int, float, complex)."""

from __future__ import annotations

from ..gostrconv import _underscore_ok, parse_int
from .gofmt import go_quote, go_unquote
from .nodes import NumberNode

__all__ = ["new_number"]

_UINT64_MAX = (1 << 64) - 1


def _parse_float(text: str) -> float:
    """`strconv.ParseFloat(text, 64)` for the forms the lexer lets through."""
    body = text.lstrip("+-")
    if not body or body.lower().startswith(("inf", "nan")):
        raise ValueError("invalid syntax")
    if "_" in text:
        if not _underscore_ok(text):
            raise ValueError("invalid syntax")
        text = text.replace("_", "")
        body = body.replace("_", "")
    if body[:2].lower() == "0x":
        if "p" not in body.lower():
            raise ValueError("invalid syntax")
        value = float.fromhex(text)
        if value in (float("inf"), float("-inf")):
            raise ValueError("value out of range")
        return value
    if body[:2].lower() in ("0o", "0b"):
        raise ValueError("invalid syntax")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("value out of range")
    return value


def _parse_uint(text: str) -> int:
    if text[:1] in ("+", "-"):
        raise ValueError("invalid syntax")
    sign_free = text
    try:
        return parse_int(sign_free)
    except ValueError as error:
        if "range" not in str(error):
            raise
    # beyond int64: parse again with Python's rules for the magnitude
    value = (
        int(sign_free.replace("_", ""), 0)
        if not (sign_free.startswith("0") and sign_free[1:2].isdigit())
        else int(sign_free.replace("_", ""), 8)
    )
    if value > _UINT64_MAX:
        raise ValueError("value out of range")
    return value


def _simplify(node: NumberNode) -> None:
    if node.complex128.imag == 0:
        node.is_float = True
        node.float64 = node.complex128.real
        if node.float64 == int(node.float64) and abs(node.float64) < 2**63:
            node.is_int = True
            node.int64 = int(node.float64)


def new_number(pos: int, text: str, char_constant: bool, complex_constant: bool) -> NumberNode:
    """The node of a number (or character) literal.

    Raises:
        ValueError: with Go's message ("illegal number syntax: ...", "integer overflow: ...").
    """
    node = NumberNode(pos, text)
    if char_constant:
        try:
            char = go_unquote(text)
        except ValueError:
            raise ValueError("invalid syntax") from None
        code = ord(char)
        node.is_int = node.is_uint = node.is_float = True
        node.int64, node.float64 = code, float(code)
        return node
    if complex_constant:
        split = max(text.rfind("+"), text.rfind("-"))
        try:
            real = _parse_float(text[:split]) if text[:split] else 0.0
            imag = _parse_float(text[split:-1])
        except (ValueError, OverflowError):
            raise ValueError("expected integer") from None
        node.is_complex = True
        node.complex128 = complex(real, imag)
        _simplify(node)
        return node
    if text.endswith("i"):
        try:
            imag = _parse_float(text[:-1])
        except (ValueError, OverflowError):
            pass
        else:
            node.is_complex = True
            node.complex128 = complex(0, imag)
            _simplify(node)
            return node
    try:
        node.int64 = parse_int(text)
        node.is_int = True
    except ValueError:
        pass
    try:
        _parse_uint(text)
        node.is_uint = True
    except ValueError:
        pass
    if node.is_int:
        node.is_float, node.float64 = True, float(node.int64)
    elif node.is_uint:
        node.is_float, node.float64 = True, float(_parse_uint(text))
    else:
        try:
            value = _parse_float(text)
        except (ValueError, OverflowError):
            pass
        else:
            if not any(c in text for c in ".eEpP"):
                raise ValueError(f"integer overflow: {go_quote(text)}")
            node.is_float, node.float64 = True, value
            if value == value and abs(value) != float("inf") and value == int(value):
                whole = int(value)
                if -(2**63) <= whole < 2**63:
                    node.is_int, node.int64 = True, whole
                if 0 <= whole <= _UINT64_MAX:
                    node.is_uint = True
    if not (node.is_int or node.is_uint or node.is_float):
        raise ValueError(f"illegal number syntax: {go_quote(text)}")
    return node
