"""Go's `text/template` builtin functions (`funcs.go`): and or not eq ne lt le gt ge len
index slice print printf println html js urlquery call, with Go's error texts."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .gofmt import go_sprint, go_sprintln, go_type_name
from .goprintf import go_sprintf
from .values import MISSING, FuncError, basic_kind, is_true

__all__ = ["BUILTINS", "GoFunc", "value_type_name"]

# parameter kinds: "value" is Go's reflect.Value (sees the invalid value), "any" is
# interface{} (the invalid value arrives as nil), "string" must be a string.


@dataclass(frozen=True, slots=True)
class GoFunc:
    """A function a template calls: its fixed parameter kinds and the kind of a variadic tail."""

    fn: Callable[..., Any]
    params: tuple[str, ...]
    variadic: str | None = None


def value_type_name(value: Any) -> str:
    if value is MISSING:
        return "<invalid reflect.Value>"
    if value is None:
        return "interface {}"
    return go_type_name(value)


def _indirect(value: Any) -> Any:
    """indirectInterface: a nil interface{} is the invalid value."""
    return MISSING if value is None else value


_BAD_COMPARISON = "incompatible types for comparison"
_BAD_COMPARISON_TYPE = "invalid type for comparison"


def _eq(arg1: Any, *arg2: Any) -> bool:
    arg1 = _indirect(arg1)
    if not arg2:
        raise FuncError("missing argument for comparison")
    kind1 = basic_kind(arg1)
    for arg in arg2:
        arg = _indirect(arg)
        kind2 = basic_kind(arg)
        if kind1 != kind2:
            if arg1 is not MISSING and arg is not MISSING:
                raise FuncError(_BAD_COMPARISON)
            truth = False
        elif kind1 is not None:
            truth = arg1 == arg
        elif arg1 is MISSING or arg is MISSING:
            truth = arg1 is arg
        elif type(arg1) is not type(arg):
            raise FuncError(
                go_sprintf(
                    "non-comparable types %s: %v, %s: %v",
                    arg1,
                    value_type_name(arg1),
                    value_type_name(arg),
                    arg,
                )
            )
        else:
            raise FuncError(go_sprintf("non-comparable type %s: %v", arg, value_type_name(arg)))
        if truth:
            return True
    return False


def _ne(arg1: Any, arg2: Any) -> bool:
    return not _eq(arg1, arg2)


def _lt(arg1: Any, arg2: Any) -> bool:
    arg1, arg2 = _indirect(arg1), _indirect(arg2)
    kind1, kind2 = basic_kind(arg1), basic_kind(arg2)
    if kind1 is None or kind2 is None:
        raise FuncError(_BAD_COMPARISON_TYPE)
    if kind1 != kind2:
        raise FuncError(_BAD_COMPARISON)
    if kind1 in ("bool", "complex"):
        raise FuncError(_BAD_COMPARISON_TYPE)
    return bool(arg1 < arg2)


def _le(arg1: Any, arg2: Any) -> bool:
    return _lt(arg1, arg2) or _eq(arg1, arg2)


def _gt(arg1: Any, arg2: Any) -> bool:
    return not _le(arg1, arg2)


def _ge(arg1: Any, arg2: Any) -> bool:
    return not _lt(arg1, arg2)


def _not(arg: Any) -> bool:
    return not is_true(arg)


def _length(item: Any) -> int:
    if item is None:
        raise FuncError("len of nil pointer")
    if item is MISSING:
        raise FuncError("reflect: call of reflect.Value.Type on zero Value")
    if isinstance(item, str):
        return len(item.encode("utf-8", "surrogatepass"))
    if isinstance(item, list | tuple | dict):
        return len(item)
    raise FuncError(f"len of type {go_type_name(item)}")


def _index_arg(index: Any, cap: int) -> int:
    index = _indirect(index)
    if index is MISSING:
        raise FuncError("cannot index slice/array with nil")
    if isinstance(index, bool) or not isinstance(index, int):
        raise FuncError(f"cannot index slice/array with type {go_type_name(index)}")
    if index < 0 or index > cap:
        raise FuncError(f"index out of range: {index}")
    return index


def _index(item: Any, *indexes: Any) -> Any:
    item = _indirect(item)
    if item is MISSING:
        raise FuncError("index of untyped nil")
    for index in indexes:
        index = _indirect(index)
        if item is None:
            raise FuncError("index of nil pointer")
        if isinstance(item, str | list | tuple):
            sequence: Any = item.encode("utf-8", "surrogatepass") if isinstance(item, str) else item
            position = _index_arg(index, len(sequence))
            if position == len(sequence):
                raise FuncError(f"index out of range: {position}")
            item = sequence[position]
        elif isinstance(item, dict):
            if index is MISSING:
                raise FuncError("value is nil; should be of type string")
            if not isinstance(index, str):
                raise FuncError(f"value has type {go_type_name(index)}; should be string")
            item = item.get(index)
        else:
            raise FuncError(f"can't index item of type {go_type_name(item)}")
    return item


def _slice(item: Any, *indexes: Any) -> Any:
    item = _indirect(item)
    if item is MISSING:
        raise FuncError("slice of untyped nil")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str):
        if len(indexes) == 3:
            raise FuncError("cannot 3-index slice a string")
        sequence: Any = item.encode("utf-8", "surrogatepass")
    elif isinstance(item, list | tuple):
        sequence = item
    else:
        raise FuncError(f"can't slice item of type {go_type_name(item)}")
    bounds = [0, len(sequence), len(sequence)]
    for position, index in enumerate(indexes):
        bounds[position] = _index_arg(index, len(sequence))
    if bounds[0] > bounds[1]:
        raise FuncError(f"invalid slice index: {bounds[0]} > {bounds[1]}")
    if len(indexes) == 3 and bounds[1] > bounds[2]:
        raise FuncError(f"invalid slice index: {bounds[1]} > {bounds[2]}")
    part = sequence[bounds[0] : bounds[1]]
    if isinstance(item, str):
        return part.decode("utf-8", "replace")
    return list(part)


def _eval_args(args: tuple[Any, ...]) -> str:
    """funcs.go evalArgs: one string as it is, else Sprint with nil as `<no value>`."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return go_sprint(*("<no value>" if a is None else a for a in args))


_HTML = {'"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;", "\x00": "\ufffd"}


def html_escape(text: str) -> str:
    """`template.HTMLEscapeString`."""
    return "".join(_HTML.get(c, c) for c in text)


_JS = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "<": "\\u003C",
    ">": "\\u003E",
    "&": "\\u0026",
    "=": "\\u003D",
}


def js_escape(text: str) -> str:
    """`template.JSEscapeString`: quotes, backslash, `<>&=` and control characters escaped."""
    out: list[str] = []
    for char in text:
        if char in _JS:
            out.append(_JS[char])
        elif char < " ":
            out.append(f"\\u00{ord(char):02X}")
        elif ord(char) >= 0x80 and not char.isprintable():
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def _html(*args: Any) -> str:
    return html_escape(_eval_args(args))


def _js(*args: Any) -> str:
    return js_escape(_eval_args(args))


def _urlquery(*args: Any) -> str:
    return urllib.parse.quote_plus(_eval_args(args), safe="-_.~")


def _call(name: str, fn: Any, *args: Any) -> Any:
    fn = _indirect(fn)
    if fn is MISSING:
        raise FuncError("call of nil")
    if not isinstance(fn, GoFunc):
        raise FuncError(f"non-function {name} of type {go_type_name(fn)}")
    return fn.fn(*args)


def _and(*args: Any) -> Any:  # short-circuited by the executor
    raise AssertionError("and is evaluated by the executor")


BUILTINS: dict[str, GoFunc] = {
    "and": GoFunc(_and, ("value",), "value"),
    "or": GoFunc(_and, ("value",), "value"),
    "not": GoFunc(_not, ("value",)),
    "call": GoFunc(_call, ("value",), "value"),
    "eq": GoFunc(_eq, ("value",), "value"),
    "ne": GoFunc(_ne, ("value", "value")),
    "lt": GoFunc(_lt, ("value", "value")),
    "le": GoFunc(_le, ("value", "value")),
    "gt": GoFunc(_gt, ("value", "value")),
    "ge": GoFunc(_ge, ("value", "value")),
    "len": GoFunc(_length, ("value",)),
    "index": GoFunc(_index, ("value",), "value"),
    "slice": GoFunc(_slice, ("value",), "value"),
    "print": GoFunc(go_sprint, (), "any"),
    "printf": GoFunc(go_sprintf, ("string",), "any"),
    "println": GoFunc(go_sprintln, (), "any"),
    "html": GoFunc(_html, (), "any"),
    "js": GoFunc(_js, (), "any"),
    "urlquery": GoFunc(_urlquery, (), "any"),
}
