"""Route collisions, found at check time the way gin's radix tree would find them at start-up.

KrakenD registers every endpoint in gin (v1.12), which panics on start (or under `krakend check -t`)
when two routes of the same method are identical (`handlers are already registered for path`) or
put two *different* parameter names at the same position (`':iduser' in new path ... conflicts with
existing wildcard ':userid'`). A static segment next to a parameter (`/user/me` + `/user/{id}`) is
fine since gin 1.8. We model each method's tree at segment granularity: a gin parameter starts at
`:` and runs to the next `/`, so two routes clash exactly when they share every earlier segment and,
in the same segment, the same static text before `:` but a different parameter name.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from trio_gateway.config.diagnostics import Diagnostic

__all__ = ["Route", "route_diagnostics"]


@attrs.frozen(kw_only=True)
class Route:
    """One route to register.

    Attributes:
        method: upper-case HTTP method.
        gin_path: the path as registered in gin (`/user/:id`), without any `?query` part.
        shown: the path as the user wrote it (`/user/{id}`), for messages.
        where: JSON path of the value that declared it (`$.endpoints[3].endpoint`).
    """

    method: str
    gin_path: str
    shown: str
    where: str


@attrs.define(eq=False)
class _Node:
    statics: dict[str, _Node] = attrs.field(factory=dict)
    # static prefix before `:` in the segment -> (parameter name, child, first route using it)
    params: dict[str, tuple[str, _Node, Route]] = attrs.field(factory=dict)
    owner: Route | None = None


def route_diagnostics(routes: Iterable[Route]) -> list[Diagnostic]:
    """Report duplicate and conflicting routes, in registration order (the second one is blamed)."""
    trees: dict[str, _Node] = {}
    out: list[Diagnostic] = []
    for route in routes:
        problem = _insert(trees.setdefault(route.method, _Node()), route)
        if problem is not None:
            out.append(problem)
    return out


def _insert(root: _Node, route: Route) -> Diagnostic | None:
    node = root
    for segment in route.gin_path.split("/"):
        prefix, colon, name = segment.partition(":")
        if not colon:
            node = node.statics.setdefault(segment, _Node())
            continue
        if ":" in name or "*" in name:
            return Diagnostic(
                "error",
                route.where,
                f"route {route.method} {route.shown} has two parameters in one path segment: "
                "gin allows only one wildcard per segment (KrakenD panics at start-up)",
                "split the parameters into separate segments",
            )
        existing = node.params.get(prefix)
        if existing is None:
            child = _Node()
            node.params[prefix] = (name, child, route)
            node = child
            continue
        existing_name, child, first = existing
        if existing_name != name:
            return Diagnostic(
                "error",
                route.where,
                f"route {route.method} {route.shown} conflicts with {first.method} {first.shown} "
                f"({first.where}): parameters {{{name}}} and {{{existing_name}}} sit at the same "
                "position, which gin rejects at start-up",
                f"use the same parameter name {{{existing_name}}} in both paths",
            )
        node = child
    if node.owner is not None:
        first = node.owner
        return Diagnostic(
            "error",
            route.where,
            f"duplicate route {route.method} {route.shown}: already defined by {first.where}",
            "each method + path pair may appear only once (KrakenD panics at start-up)",
        )
    node.owner = route
    return None
