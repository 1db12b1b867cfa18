"""Sprig's string functions (strings.go and the strings part of functions.go's genericMap).
Go strings are bytes: trunc, substr, abbrev and wrap count bytes of UTF-8, as Go does; case
mappings are Go's simple ones (gounicode)."""

from __future__ import annotations

from typing import Any

from ..funcs import GoFunc
from ..gofmt import go_quote
from ..gotypes import string_list, string_map
from ..gounicode import go_lower, go_title_case, go_trim_space, go_upper
from ..values import FuncError
from .conv import f, strslice, strval
from .goutils import (
    abbreviate_full,
    delete_white_space,
    go_string,
    initials,
    random_string,
    swap_case,
    uncapitalize,
    wrap_custom,
)
from .xstrings import shuffle, to_camel_case, to_kebab_case, to_snake_case

__all__ = ["STRINGS", "go_split"]


def go_split(text: str, separator: str, count: int = -1) -> list[str]:
    """strings.SplitN (strings.Split when count is -1): "" splits into runes."""
    if count == 0:
        return []
    if separator == "":
        runes = list(text)
        if 0 < count < len(runes):
            return [*runes[: count - 1], "".join(runes[count - 1 :])]
        return runes
    return text.split(separator, count - 1 if count > 0 else -1)


def _split(separator: str, text: str) -> Any:
    return string_map({f"_{i}": part for i, part in enumerate(go_split(text, separator))})


def _splitn(separator: str, count: int, text: str) -> Any:
    parts = go_split(text, separator, count)
    return string_map({f"_{i}": part for i, part in enumerate(parts)})


def _quote(*values: Any) -> str:
    return " ".join(go_quote(strval(v)) for v in values if v is not None)


def _squote(*values: Any) -> str:
    return " ".join("'" + strval(v) + "'" for v in values if v is not None)


def _repeat(count: int, text: str) -> str:
    if count < 0:
        raise FuncError("strings: negative Repeat count")
    return text * count


def _bounds(start: int | None, end: int | None, length: int) -> str:
    first = "" if start is None else str(start)
    if end is None:
        return f"runtime error: slice bounds out of range [{first}:{length}]"
    if start is None:
        return f"runtime error: slice bounds out of range [:{end}] with length {length}"
    return f"runtime error: slice bounds out of range [{first}:{end}]"


def _substr(start: int, end: int, text: str) -> str:
    # strings.go substring: s[:end] when start < 0, s[start:] when end < 0 or past the end;
    # Go's slice expressions panic out of bounds
    data = text.encode()
    if start < 0:
        if not 0 <= end <= len(data):
            raise FuncError(_bounds(None, end, len(data)))
        return go_string(data[:end])
    if end < 0 or end > len(data):
        if start > len(data):
            raise FuncError(_bounds(start, None, len(data)))
        return go_string(data[start:])
    if start > end:
        raise FuncError(_bounds(start, end, len(data)))
    return go_string(data[start:end])


def _trunc(count: int, text: str) -> str:
    data = text.encode()
    if count < 0 and len(data) + count > 0:
        return go_string(data[len(data) + count :])
    if count >= 0 and len(data) > count:
        return go_string(data[:count])
    return text


def _indent(spaces: int, text: str) -> str:
    pad = " " * spaces
    return pad + text.replace("\n", "\n" + pad)


def _abbrev(width: int, text: str) -> str:
    if width < 4:
        return text
    return abbreviate_full(text, 0, width) or ""


def _abbrevboth(left: int, right: int, text: str) -> str:
    if right < 4 or (left > 0 and right < 7):
        return text
    return abbreviate_full(text, left, right) or ""


def _cat(*values: Any) -> str:
    return " ".join(strval(v) for v in values if v is not None)


STRINGS: dict[str, GoFunc] = {
    "abbrev": f(_abbrev, "int", "string"),
    "abbrevboth": f(_abbrevboth, "int", "int", "string"),
    "trunc": f(_trunc, "int", "string"),
    "trim": f(go_trim_space, "string"),
    "upper": f(go_upper, "string"),
    "lower": f(go_lower, "string"),
    "title": f(go_title_case, "string"),
    "untitle": f(uncapitalize, "string"),
    "substr": f(_substr, "int", "int", "string"),
    "repeat": f(_repeat, "int", "string"),
    "trimall": f(lambda cut, s: s.strip(cut), "string", "string"),
    "trimAll": f(lambda cut, s: s.strip(cut), "string", "string"),
    "trimSuffix": f(lambda p, s: s.removesuffix(p), "string", "string"),
    "trimPrefix": f(lambda p, s: s.removeprefix(p), "string", "string"),
    "nospace": f(delete_white_space, "string"),
    "initials": f(initials, "string"),
    "randAlphaNum": f(lambda n: random_string(n, "alphanum"), "int"),
    "randAlpha": f(lambda n: random_string(n, "alpha"), "int"),
    "randAscii": f(lambda n: random_string(n, "ascii"), "int"),
    "randNumeric": f(lambda n: random_string(n, "numeric"), "int"),
    "swapcase": f(swap_case, "string"),
    "shuffle": f(shuffle, "string"),
    "snakecase": f(to_snake_case, "string"),
    "camelcase": f(to_camel_case, "string"),
    "kebabcase": f(to_kebab_case, "string"),
    "wrap": f(lambda n, s: wrap_custom(s, n, "", False), "int", "string"),
    "wrapWith": f(lambda n, sep, s: wrap_custom(s, n, sep, True), "int", "string", "string"),
    "contains": f(lambda sub, s: sub in s, "string", "string"),
    "hasPrefix": f(lambda p, s: s.startswith(p), "string", "string"),
    "hasSuffix": f(lambda p, s: s.endswith(p), "string", "string"),
    "quote": f(_quote, variadic="any"),
    "squote": f(_squote, variadic="any"),
    "cat": f(_cat, variadic="any"),
    "indent": f(_indent, "int", "string"),
    "nindent": f(lambda n, s: "\n" + _indent(n, s), "int", "string"),
    "replace": f(lambda old, new, s: s.replace(old, new), "string", "string", "string"),
    "plural": f(lambda one, many, n: one if n == 1 else many, "string", "string", "int"),
    "toString": f(strval, "any"),
    "split": f(_split, "string", "string"),
    "splitList": f(lambda sep, s: string_list(go_split(s, sep)), "string", "string"),
    "splitn": f(_splitn, "string", "int", "string"),
    "toStrings": f(lambda v: string_list(strslice(v)), "any"),
    "join": f(lambda sep, v: sep.join(strslice(v)), "string", "any"),
}
