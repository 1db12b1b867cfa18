"""Whether two compiled plans (or parts) are the same, for a reload to keep what was built.

Compiled plans hold objects without `__eq__` (a compiled `url_pattern`, a header filter), so
`==` tells two compilations of one configuration apart. `same` compares structurally: attrs
classes by their fields, containers element by element, other objects by type and their
`__dict__` / `__slots__`; what it cannot see into (a function, a closure) is the same only when
it is the very object, so a doubt always answers "different" and the reload builds anew.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["same"]

_ATOMS = (str, bytes, int, float, complex, bool, type(None), frozenset, range)
_MAX_DEPTH = 40


def same(a: Any, b: Any, depth: int = 0) -> bool:
    """Structural equality, conservative: True only when nothing differs that could matter."""
    if a is b:
        return True
    if type(a) is not type(b) or depth > _MAX_DEPTH:
        return False
    if isinstance(a, _ATOMS):
        return bool(a == b)
    if attrs.has(type(a)):
        return all(
            same(getattr(a, f.name), getattr(b, f.name), depth + 1) for f in attrs.fields(type(a))
        )
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y, depth + 1) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(same(a[k], b[k], depth + 1) for k in a)
    if isinstance(a, (set,)):
        return bool(a == b)
    if callable(a) and not hasattr(a, "__dict__") and not hasattr(type(a), "__slots__"):
        return False  # a builtin function or method: only the same object is the same
    if getattr(type(a), "__eq__", None) is not getattr(object, "__eq__", None) and not hasattr(
        a, "__code__"
    ):
        try:
            return bool(a == b)  # a value type (a compiled regex, an enum, a decimal)
        except Exception:
            return False
    return _same_state(a, b, depth)


_MISSING = object()


def _same_state(a: Any, b: Any, depth: int) -> bool:
    if hasattr(a, "__code__"):  # functions, lambdas, closures: opaque
        return False
    slots: list[str] = []
    for cls in type(a).__mro__:
        declared = getattr(cls, "__slots__", ())
        slots.extend([declared] if isinstance(declared, str) else declared)
    if not slots and not hasattr(a, "__dict__"):
        return False
    for name in slots:
        if name in ("__dict__", "__weakref__"):
            continue
        if not same(getattr(a, name, _MISSING), getattr(b, name, _MISSING), depth + 1):
            return False
    if hasattr(a, "__dict__"):
        return same(vars(a), vars(b), depth + 1)
    return True
