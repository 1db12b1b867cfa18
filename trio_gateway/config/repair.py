"""Keep checking after structure errors: neutralise the bad values, then run semantic validation.

A config with a type error *and* a semantic error should report both in one run. cattrs stops at
nothing (detailed validation collects every type error), but semantic validation needs a structured
`ServiceConfig`. So we copy the raw data, remove each bad value (the field falls back to its
default) or replace it with a neutral value, structure the copy, validate it, and drop the semantic
diagnostics found *under* a repaired path, since they describe our stand-in, not the user's file.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Mapping, MutableMapping, MutableSequence
from typing import Any

from trio_gateway.config.diagnostics import Diagnostic, PathSegment, format_path, is_under
from trio_gateway.config.namespaces import canonical_name
from trio_gateway.config.structure_errors import StructureIssue

__all__ = ["drop_suppressed", "repair"]

_unique = itertools.count()


def _missing_endpoint() -> str:
    # A path no user writes, unique so that stand-ins never collide in the route checks.
    return f"/\x00missing-endpoint-{next(_unique)}"


def repair(
    data: Any, issues: Iterable[StructureIssue]
) -> tuple[dict[str, Any], tuple[str, ...]] | None:
    """Return (a repaired deep copy of `data`, JSON paths whose diagnostics must be dropped).

    Returns None when the data cannot be repaired (the root is not an object).
    """
    if not isinstance(data, Mapping):
        return None
    fixed: dict[str, Any] = copy.deepcopy(dict(data))
    suppressed: list[str] = []
    for issue in issues:
        if not issue.path:
            return None
        parent = _walk(fixed, issue.path[:-1])
        if parent is None:
            continue  # already replaced as part of an enclosing repair
        scope = _fix(parent, issue)
        suppressed.append(_canonical_path(scope))
    return fixed, tuple(suppressed)


def drop_suppressed(
    diagnostics: Iterable[Diagnostic], suppressed: Iterable[str]
) -> list[Diagnostic]:
    """Return the diagnostics not located under any of the `suppressed` JSON paths."""
    scopes = tuple(suppressed)
    return [d for d in diagnostics if not any(is_under(d.path, s) for s in scopes)]


def _walk(root: Any, path: Iterable[PathSegment]) -> Any:
    node = root
    for segment in path:
        if isinstance(node, MutableSequence) and isinstance(segment, int):
            if segment >= len(node):
                return None
        elif not (isinstance(node, MutableMapping) and segment in node):
            return None
        node = node[segment]
    return node


def _fix(parent: Any, issue: StructureIssue) -> tuple[PathSegment, ...]:
    """Repair one value in place; return the path whose diagnostics become meaningless."""
    *head, last = issue.path
    if issue.missing and isinstance(parent, MutableMapping) and isinstance(last, str):
        if last == "version":
            parent[last] = 3
            return issue.path
        # `endpoint` of an endpoint, `type` of a flatmap operation: the whole object is unusable.
        parent[last] = _missing_endpoint() if last == "endpoint" else "del"
        return tuple(head)
    if isinstance(parent, MutableMapping) and isinstance(last, str):
        parent.pop(last, None)
    elif isinstance(parent, MutableSequence) and isinstance(last, int):
        container = head[-1] if head else None
        parent[last] = _neutral_item(container)
    return issue.path


def _neutral_item(container: PathSegment | None) -> Any:
    """A valid stand-in for a bad list element, chosen by the list's key."""
    if container == "endpoints":
        return {"endpoint": _missing_endpoint()}
    if container in ("backend", "async_agent"):
        return {}
    if container == "flatmap_filter":
        return {"type": "del"}
    return ""


def _canonical_path(path: tuple[PathSegment, ...]) -> str:
    # Semantic diagnostics name namespaces canonically (`proxy`, not its legacy alias).
    segments = list(path)
    for index in range(1, len(segments)):
        if segments[index - 1] == "extra_config" and isinstance(segments[index], str):
            segments[index] = canonical_name(str(segments[index]))
    return format_path(segments)
