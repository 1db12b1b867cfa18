"""Per-backend response manipulation, compiled once per backend (reference §3.3).

Order, exactly as lura's `entityFormatter.Format`: `target` -> `allow` (wins over `deny`) or `deny`
-> `mapping` (top-level keys) -> `group`. `is_collection` is not a step here: the decoder wraps the
array under `collection` before any of this runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["Formatter", "compile_formatter"]

Data = dict[str, Any] | None
Formatter = Callable[[Data], Data]

# A tree of dot paths: {"a": {"b": {}}} for ["a.b"]; an empty dict marks a leaf.
_Tree = dict[str, "_Tree"]


def _build_tree(paths: Sequence[str]) -> _Tree:
    """Build lura's allow/deny tree. A later, shorter path turns a node into a leaf, and a later,
    longer path under a leaf extends it again (so ["a.b", "a"] keeps all of `a` while ["a", "a.b"]
    keeps only `a.b`, as in lura)."""
    tree: _Tree = {}
    for path in paths:
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = {}
    return tree


def _allow(data: dict[str, Any], tree: _Tree) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, sub in tree.items():
        if key not in data:
            continue
        value = data[key]
        if not sub:
            kept[key] = value
        elif isinstance(value, dict):
            inner = _allow(value, sub)
            if inner:
                kept[key] = inner
    return kept


def _deny(data: dict[str, Any], tree: _Tree) -> dict[str, Any]:
    # In place: the decoder hands each response its own fresh objects.
    for key, sub in tree.items():
        if key not in data:
            continue
        if not sub:
            del data[key]
        elif isinstance(data[key], dict):
            _deny(data[key], sub)
    return data


def _target(data: Data, path: tuple[str, ...]) -> dict[str, Any]:
    current: Any = data
    for part in path:
        if not isinstance(current, dict) or part not in current:
            return {}
        current = current[part]
    return current if isinstance(current, dict) else {}


def compile_formatter(
    *,
    target: str = "",
    allow: Sequence[str] = (),
    deny: Sequence[str] = (),
    mapping: Mapping[str, str] | None = None,
    group: str = "",
    flatmap: Formatter | None = None,
) -> Formatter | None:
    """Return the backend's formatter, or None when the backend manipulates nothing.

    A backend `flatmap_filter` (compiled by `trio_gateway.proxy.flatmap`) replaces allow, deny and
    mapping: the order is then target -> flatmap -> group, as lura's flatmap formatter.
    """
    target_path = tuple(target.split(".")) if target else ()
    if flatmap is not None:
        allow, deny, mapping = (), (), None
    allow_tree = _build_tree(allow) if allow else None
    deny_tree = _build_tree(deny) if deny and not allow else None
    # lura truncates the new name at the first dot: {"a": "b.c"} renames to "b".
    renames = tuple((old, new.split(".")[0]) for old, new in (mapping or {}).items())
    if not (target_path or allow_tree or deny_tree or renames or group or flatmap):
        return None

    def format_data(data: Data) -> Data:
        if target_path:
            data = _target(data, target_path)
        if flatmap is not None:
            data = flatmap(data)
        elif data:
            if allow_tree is not None:
                data = _allow(data, allow_tree)
            elif deny_tree is not None:
                data = _deny(data, deny_tree)
        if data and renames:
            for old, new in renames:
                if old in data:
                    data[new] = data.pop(old)
        if group:
            data = {group: data}
        return data

    return format_data
