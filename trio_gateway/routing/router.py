"""Route matching with KrakenD's (gin's) answers for misses.

Rule 1: a `{param}` matches exactly one non-empty path segment of the *decoded* path, as gin does;
static segments win over params at the same position (`/user/me` before `/user/{id}`).

Rule 2: on a miss, in gin's order: a trailing-slash variant of the path for the same method is a
redirect (301 for GET, 307 otherwise); then a cleaned, case-insensitive match is a redirect to the
fixed path; then a path that exists for other methods is 405 with `Allow`; else 404.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import Generic, TypeVar

import attrs

from trio_gateway.config.placeholders import PLACEHOLDER

__all__ = ["Match", "MethodNotAllowed", "NotFound", "Redirect", "Router", "RouterOptions"]

H = TypeVar("H")

_PARAM = PLACEHOLDER


@attrs.frozen
class Match(Generic[H]):
    handler: H
    params: dict[str, str]


@attrs.frozen
class Redirect:
    location: str
    status: int


@attrs.frozen
class MethodNotAllowed:
    allow: tuple[str, ...]


@attrs.frozen
class NotFound:
    pass


NOT_FOUND = NotFound()


@attrs.frozen(kw_only=True)
class RouterOptions:
    redirect_trailing_slash: bool = True
    redirect_fixed_path: bool = True
    handle_method_not_allowed: bool = True
    remove_extra_slash: bool = False


@attrs.define(eq=False)
class _Node(Generic[H]):
    static: dict[str, _Node[H]] = attrs.field(factory=dict)
    # (param name, compiled segment regex or None for a whole-segment param, child)
    dynamic: list[tuple[str, re.Pattern[str] | None, _Node[H]]] = attrs.field(factory=list)
    handlers: dict[str, H] = attrs.field(factory=dict)


def _compile_segment(segment: str) -> tuple[str, re.Pattern[str] | None] | None:
    """`{id}` -> ("id", None); `file.{ext}` -> ("ext", regex); a literal segment -> None."""
    found = _PARAM.search(segment)
    if found is None:
        return None
    if found.group(0) == segment:
        return found.group(1), None
    prefix, suffix = segment[: found.start()], segment[found.end() :]
    # gin names the param after everything up to the next `/`, so anything after the placeholder
    # belongs to the value: `file.{ext}` matches `file.tar.gz` with ext = "tar.gz".
    del suffix
    return found.group(1), re.compile(re.escape(prefix) + r"(?P<v>.+)\Z")


class Router(Generic[H]):
    """Matches (method, decoded path) against the endpoints of a config."""

    def __init__(
        self, routes: Iterable[tuple[str, str, H]] = (), options: RouterOptions | None = None
    ) -> None:
        self._options = options or RouterOptions()
        self._root: _Node[H] = _Node()
        # Fully static routes skip the tree walk: path -> {method: handler}
        self._static: dict[str, dict[str, H]] = {}
        self._lower_static: dict[str, str] = {}
        self._methods: list[str] = []
        for method, path, handler in routes:
            self.add(method, path, handler)

    def add(self, method: str, path: str, handler: H) -> None:
        if method not in self._methods:
            self._methods.append(method)
        if _PARAM.search(path) is None:
            self._static.setdefault(path, {})[method] = handler
            self._lower_static.setdefault(path.lower(), path)
        node = self._root
        for segment in path.split("/")[1:]:
            compiled = _compile_segment(segment)
            if compiled is None:
                node = node.static.setdefault(segment, _Node())
                continue
            name, regex = compiled
            for existing_name, existing_regex, child in node.dynamic:
                same_shape = (existing_regex is None) == (regex is None) and (
                    regex is None
                    or (existing_regex is not None and regex.pattern == existing_regex.pattern)
                )
                if existing_name == name and same_shape:
                    node = child
                    break
            else:
                child = _Node()
                node.dynamic.append((name, regex, child))
                node = child
        node.handlers[method] = handler

    def _lookup(self, path: str, method: str | None) -> tuple[dict[str, H], dict[str, str]] | None:
        """Find the route for `path` that serves `method` (any method when None).

        gin keeps one tree per method, so `/users/me` may be static for GET and still match
        `/users/{id}` for POST: the walk only accepts a node that serves the method asked for.
        """
        static = self._static.get(path)
        if static is not None and (method is None or method in static):
            return static, {}
        params: dict[str, str] = {}
        found = self._walk(self._root, path.split("/")[1:], 0, params, method)
        if found is None:
            return None
        # The walk fills params on its way back up: reversed, they are in path order, as gin's
        # (paramChecker reports the first bad one).
        return found, dict(reversed(params.items()))

    def _walk(
        self,
        node: _Node[H],
        segments: list[str],
        index: int,
        params: dict[str, str],
        method: str | None,
    ) -> dict[str, H] | None:
        if index == len(segments):
            if node.handlers and (method is None or method in node.handlers):
                return node.handlers
            return None
        segment = segments[index]
        child = node.static.get(segment)
        if child is not None:
            found = self._walk(child, segments, index + 1, params, method)
            if found is not None:
                return found
        if not segment:
            return None
        for name, regex, dyn_child in node.dynamic:
            if regex is None:
                value = segment
            else:
                m = regex.match(segment)
                if m is None:
                    continue
                value = m.group("v")
            found = self._walk(dyn_child, segments, index + 1, params, method)
            if found is not None:
                params[name] = value
                return found
        return None

    def match(self, method: str, path: str) -> Match[H] | Redirect | MethodNotAllowed | NotFound:
        opts = self._options
        if opts.remove_extra_slash and "//" in path:
            path = re.sub("/{2,}", "/", path)
        found = self._lookup(path, method)
        if found is not None:
            handlers, params = found
            return Match(handlers[method], params)
        if path != "/":
            redirect = self._redirect(method, path)
            if redirect is not None:
                return redirect
        if opts.handle_method_not_allowed:
            # gin asks every other method's tree, so Allow is the union over all of them.
            allowed = tuple(m for m in self._methods if self._lookup(path, m) is not None)
            if allowed:
                return MethodNotAllowed(allowed)
        return NOT_FOUND

    def _redirect(self, method: str, path: str) -> Redirect | None:
        status = 301 if method == "GET" else 307
        if self._options.redirect_trailing_slash:
            other = path[:-1] if path.endswith("/") else path + "/"
            if self._lookup(other, method) is not None:
                return Redirect(other, status)
        if self._options.redirect_fixed_path:
            cleaned = posixpath.normpath(path) if path not in ("", "/") else "/"
            if cleaned.startswith("//"):
                cleaned = "/" + cleaned.lstrip("/")
            if path.endswith("/") and not cleaned.endswith("/"):
                cleaned += "/"
            candidates = [cleaned, self._lower_static.get(cleaned.lower(), "")]
            for candidate in candidates:
                if candidate and candidate != path and self._lookup(candidate, method) is not None:
                    return Redirect(candidate, status)
        return None
