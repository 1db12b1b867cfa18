"""Sprig's list functions (list.go). Each takes any slice (also []string and []int) and
returns a new []interface{}; a non-list is Sprig's error (`Cannot push on type map`), which
the plain function panics with and the must* one returns: the template fails either way with
the same text. rest/initial of an empty list and concat of nothing are nil slices."""

from __future__ import annotations

from typing import Any

from ..funcs import GoFunc
from ..gotypes import GoList, nil_list, string_list
from ..values import FuncError
from .conv import deep_equal, empty, f, kind, list_of, strslice, strval, to_int

__all__ = ["LISTS"]


def _first(value: Any) -> Any:
    items = list_of(value, "find first")
    return items[0] if items else None


def _last(value: Any) -> Any:
    items = list_of(value, "find last")
    return items[-1] if items else None


def _rest(value: Any) -> Any:
    items = list_of(value, "find rest")
    return items[1:] if items else nil_list()


def _initial(value: Any) -> Any:
    items = list_of(value, "find initial")
    return items[:-1] if items else nil_list()


def _slice(value: Any, *indices: Any) -> Any:
    # list.go mustSlice: Sprig's `slice` replaces text/template's builtin in TxtFuncMap, so a
    # string fails and an empty list gives nil; bounds past the list fail as reflect's panic
    # does (Go checks against the capacity, which JSON decoding leaves unspecified). The
    # slice keeps its type (reflect.Value.Slice): a []string stays one.
    if not isinstance(value, list | tuple):
        raise FuncError(f"list should be type of slice or array but {kind(value)}")
    if not value:
        return None
    start = to_int(indices[0]) if indices else 0
    end = to_int(indices[1]) if len(indices) > 1 else len(value)
    if not 0 <= start <= end <= len(value):
        raise FuncError(f"reflect.Value.Slice: slice index out of bounds [{start}:{end}]")
    part = list(value[start:end])
    return GoList(part, value.go_type) if isinstance(value, GoList) else part


def _append(value: Any, item: Any) -> list[Any]:
    return [*list_of(value, "push"), item]


def _prepend(value: Any, item: Any) -> list[Any]:
    return [item, *list_of(value, "prepend")]


def _has(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    return any(deep_equal(needle, item) for item in list_of(haystack, "find has"))


def _uniq(value: Any) -> list[Any]:
    out: list[Any] = []
    for item in list_of(value, "find uniq"):
        if not any(deep_equal(item, seen) for seen in out):
            out.append(item)
    return out


def _without(value: Any, *omit: Any) -> list[Any]:
    return [i for i in list_of(value, "find without") if not any(deep_equal(i, o) for o in omit)]


def _compact(value: Any) -> list[Any]:
    return [i for i in list_of(value, "compact") if not empty(i)]


def _reverse(value: Any) -> list[Any]:
    return list(reversed(list_of(value, "find reverse")))


def _sort_alpha(value: Any) -> GoList:
    # sort.Strings orders by bytes, which for UTF-8 is the order of code points
    if isinstance(value, list | tuple):
        return string_list(sorted(strslice(value)))
    return string_list([strval(value)])


def _concat(*lists: Any) -> Any:
    out: list[Any] = []
    for value in lists:
        if not isinstance(value, list | tuple):
            raise FuncError(f"Cannot concat type {kind(value)} as list")
        out.extend(value)
    return out if out else nil_list()


def _chunk(size: int, value: Any) -> GoList:
    items = list_of(value, "chunk")
    if size <= 0:
        # cs := int(math.Floor(float64(l-1)/float64(size)) + 1) is negative or undefined:
        # make panics
        raise FuncError("runtime error: makeslice: len out of range")
    return GoList((items[i : i + size] for i in range(0, len(items), size)), "[][]interface {}")


LISTS: dict[str, GoFunc] = {
    "tuple": f(lambda *v: list(v), variadic="any"),
    "list": f(lambda *v: list(v), variadic="any"),
    "sortAlpha": f(_sort_alpha, "any"),
    "compact": f(_compact, "any"),
    "mustCompact": f(_compact, "any"),
    "append": f(_append, "any", "any"),
    "push": f(_append, "any", "any"),
    "mustAppend": f(_append, "any", "any"),
    "mustPush": f(_append, "any", "any"),
    "prepend": f(_prepend, "any", "any"),
    "mustPrepend": f(_prepend, "any", "any"),
    "first": f(_first, "any"),
    "mustFirst": f(_first, "any"),
    "rest": f(_rest, "any"),
    "mustRest": f(_rest, "any"),
    "last": f(_last, "any"),
    "mustLast": f(_last, "any"),
    "initial": f(_initial, "any"),
    "mustInitial": f(_initial, "any"),
    "reverse": f(_reverse, "any"),
    "mustReverse": f(_reverse, "any"),
    "uniq": f(_uniq, "any"),
    "mustUniq": f(_uniq, "any"),
    "without": f(_without, "any", variadic="any"),
    "mustWithout": f(_without, "any", variadic="any"),
    "has": f(_has, "any", "any"),
    "mustHas": f(_has, "any", "any"),
    "slice": f(_slice, "any", variadic="any"),
    "mustSlice": f(_slice, "any", variadic="any"),
    "concat": f(_concat, variadic="any"),
    "chunk": f(_chunk, "int", "any"),
    "mustChunk": f(_chunk, "int", "any"),
}
