"""The sequential proxy: backends called in order, earlier answers feeding later URLs (§5.2).

Rule 1 (lura `sequentialMerge`): before backend i > 0 is called, every `{respN_a.b}` placeholder
of its url_pattern (and every `proxy.sequential_propagated_params` entry) with N < i is looked up
in backend N's *final* data and stored, as a string, in the request params under lura's key
`RespN_a.b`. A value found once is reused for the rest of the request.

Rule 2: step 0 failing fails the endpoint (500); a later step failing stops the chain and the data
so far is answered as a partial 200. A step that answers incompletely is merged, then the chain
stops. Later backends overwrite earlier top-level keys. The chain shares 85 % of the endpoint
timeout.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import attrs
import trio

from trio_gateway.encoding.gostr import go_sprint
from trio_gateway.errors import BackendTimeout, GatewayError
from trio_gateway.proxy.merge import MERGE_TIMEOUT_SHARE, combine
from trio_gateway.types import ProxyFunction, Request, Response

__all__ = ["Replacement", "SequentialMerge", "format_param", "replacements_for"]

_URL_PATTERN_REF = re.compile(r"\{[Rr]esp(\d+)_([\w\-.]+)\}")
_PROPAGATED = re.compile(r"[Rr]esp(\d+)_?([\w\-.]+)?")


@attrs.frozen
class Replacement:
    """One value to carry from an earlier backend into the request params."""

    backend: int
    destination: str  # lura's param key: "Resp0_user.id", or "Resp0" for the whole body
    source: tuple[str, ...]  # the path in the earlier backend's data; () = whole raw body


def _replacement(index: str, path: str | None) -> Replacement:
    destination = "Resp" + index + ("_" + path if path else "")
    return Replacement(int(index), destination, tuple(path.split(".")) if path else ())


def replacements_for(
    url_patterns: Sequence[str], propagated: Sequence[str]
) -> tuple[tuple[Replacement, ...], ...]:
    """lura's `sequentialMergerConfig`: for each backend, the values it needs from earlier ones."""
    total = len(url_patterns)
    out: list[tuple[Replacement, ...]] = []
    for i, pattern in enumerate(url_patterns):
        found = [_replacement(m.group(1), m.group(2)) for m in _URL_PATTERN_REF.finditer(pattern)]
        if i > 0:
            for entry in propagated:
                for m in _PROPAGATED.finditer(entry):
                    if int(m.group(1)) < total:
                        found.append(_replacement(m.group(1), m.group(2)))
        out.append(tuple(r for r in found if r.backend < i))
    return tuple(out)


def format_param(value: Any) -> str:
    """How lura stringifies a value for a URL: arrays joined by commas, the rest as `%v`."""
    if isinstance(value, list):
        return ",".join(go_sprint(v) for v in value)
    return go_sprint(value)


def _lookup(part: Response, source: tuple[str, ...]) -> str | None:
    if not source:
        # The whole body exists only for `no-op` backends (lura's Response.Io).
        return part.body.decode("utf-8", "replace") if part.body is not None else None
    data: Any = part.data or {}
    # lura's quirk: a missing or non-object step stops the walk, and the last key is then looked
    # up in the last object reached.
    for key in source[:-1]:
        value = data.get(key)
        if not isinstance(value, dict):
            break
        data = value
    if source[-1] not in data:
        return None
    return format_param(data[source[-1]])


class SequentialMerge:
    """Call the backends one after the other."""

    __slots__ = ("_backends", "_replacements", "_timeout")

    def __init__(
        self,
        backends: Sequence[ProxyFunction],
        replacements: Sequence[Sequence[Replacement]],
        timeout: float,
    ) -> None:
        self._backends = tuple(backends)
        self._replacements = tuple(tuple(r) for r in replacements)
        self._timeout = timeout * MERGE_TIMEOUT_SHARE

    async def __call__(self, request: Request) -> Response:
        parts: list[Response] = []
        errors: list[GatewayError] = []
        params = dict(request.params)
        found: dict[str, str] = {}
        with trio.move_on_after(self._timeout) as scope:
            for i, backend in enumerate(self._backends):
                for replacement in self._replacements[i]:
                    cached = found.get(replacement.destination)
                    if cached is None and replacement.backend < len(parts):
                        cached = _lookup(parts[replacement.backend], replacement.source)
                    if cached is not None:
                        found[replacement.destination] = cached
                        params[replacement.destination] = cached
                step = attrs.evolve(request, params=dict(params)) if i else request
                try:
                    part = await backend(step)
                except GatewayError as exc:
                    if i == 0:
                        raise
                    errors.append(exc)
                    break
                parts.append(part)
                if not part.is_complete:
                    break
        if scope.cancelled_caught:
            if not parts:
                raise BackendTimeout("context deadline exceeded")
            errors.append(BackendTimeout("context deadline exceeded"))
        return combine(parts, len(self._backends), errors)
