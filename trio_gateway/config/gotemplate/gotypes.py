"""The Go types beyond JSON's that Sprig's functions return: `int64` (its integer math),
`[]string` (splitList, keys, regexFindAll...), `[]int` (until), `map[string]string` (split)
and nil slices (rest of an empty list, concat of nothing, no regex match).

They are subclasses of int, list and dict, so everything that reads a value keeps working;
only what sees the Go type tells them apart: `%T`, `%#v`, typeOf/kindOf, reflect.DeepEqual,
json.Marshal (a nil slice is `null`) and a function's typed parameter (an int64 is no `int`:
`repeat (add 1 1) "x"` fails in Go)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "GoList",
    "GoMap",
    "GoObject",
    "Int64",
    "int_list",
    "is_nil",
    "nil_list",
    "string_list",
    "string_map",
]


class Int64(int):
    """A Go int64 (Sprig's add, sub, mul, div, mod, max, min, int64...)."""

    __slots__ = ()


class GoList(list[Any]):
    """A slice of a named Go type (`[]string`), or a nil slice (prints `[]`, marshals `null`)."""

    __slots__ = ("go_type", "nil")

    def __init__(self, items: Iterable[Any] = (), go_type: str = "[]interface {}") -> None:
        super().__init__(items)
        self.go_type = go_type
        self.nil = False


class GoMap(dict[str, Any]):
    """A map of a named Go type (`map[string]string`)."""

    __slots__ = ("go_type",)

    def __init__(self, items: Any = (), go_type: str = "map[string]string") -> None:
        super().__init__(items)
        self.go_type = go_type


def string_list(items: Iterable[str]) -> GoList:
    return GoList(items, "[]string")


def int_list(items: Iterable[int]) -> GoList:
    return GoList(items, "[]int")


def string_map(items: Any) -> GoMap:
    return GoMap(items, "map[string]string")


def nil_list(go_type: str = "[]interface {}") -> GoList:
    out = GoList((), go_type)
    out.nil = True
    return out


def is_nil(value: Any) -> bool:
    """A nil slice (a plain list never is)."""
    return isinstance(value, GoList) and value.nil


class GoObject:
    """A Go value with methods (Sprig's `semver` gives a *semver.Version): its type name, the
    text its String method gives fmt (a fmt.Stringer), what encoding/json writes for it, and
    the methods a template may call on it (`{{(semver "1.2.3").Major}}`)."""

    go_type = "struct {}"
    go_kind = "ptr"  # reflect.Kind's name: Sprig hands out pointers

    def go_text(self) -> str:
        raise NotImplementedError

    def go_syntax(self) -> str:
        """`%#v`."""
        return self.go_text()

    def json_value(self) -> Any:
        return self.go_text()

    def go_methods(self) -> dict[str, Any]:
        """Name to funcs.GoFunc."""
        return {}
