"""Sprig's reflect.go (typeOf, typeIs, typeIsLike, kindOf, kindIs) and deepEqual
(reflect.DeepEqual), on the Go types our values stand for (gotypes)."""

from __future__ import annotations

from typing import Any

from ..funcs import GoFunc
from ..gofmt import go_type_name
from ..gotypes import GoObject
from .conv import deep_equal, f

__all__ = ["REFLECT", "kind_of"]


def _type_of(value: Any) -> str:
    return go_type_name(value)  # fmt's %T: "<nil>" for nil


def kind_of(value: Any) -> str:
    """reflect.Value.Kind().String(): "invalid" for nil."""
    if value is None:
        return "invalid"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list | tuple):
        return "slice"
    if isinstance(value, GoObject):
        return value.go_kind
    return go_type_name(value)  # bool, int, int64, float64, string: kind and type agree


REFLECT: dict[str, GoFunc] = {
    "typeOf": f(_type_of, "any"),
    "typeIs": f(lambda target, v: target == _type_of(v), "string", "any"),
    "typeIsLike": f(lambda target, v: _type_of(v) in (target, "*" + target), "string", "any"),
    "kindOf": f(kind_of, "any"),
    "kindIs": f(lambda target, v: target == kind_of(v), "string", "any"),
    "deepEqual": f(deep_equal, "any", "any"),
}
