"""Shadow backends: called with a copy of every request, their answers ignored (§5.4).

A shadow call must never slow the client down, so it runs in the gateway's background nursery
(opened by the ASGI lifespan and closed at shutdown), never in the request's. The number of shadow
calls in flight is bounded: past the bound, new ones are dropped and counted, because a slow
shadow backend must not turn into unbounded memory use in the gateway.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import trio

from trio_gateway.errors import GatewayError
from trio_gateway.types import ProxyFunction, Request, Response

__all__ = ["Background", "ShadowProxy"]

LOGGER = logging.getLogger(__name__)

MAX_SHADOW_IN_FLIGHT = 1024


class Background:
    """Where fire-and-forget work runs: a nursery that outlives requests, when there is one."""

    def __init__(self) -> None:
        self.nursery: trio.Nursery | None = None

    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> bool:
        """Start `fn(*args)` in the background; False when there is no background nursery."""
        if self.nursery is None:
            return False
        self.nursery.start_soon(fn, *args)
        return True


class ShadowProxy:
    """Call `shadows` beside the endpoint's real proxy and ignore what they answer."""

    __slots__ = ("_background", "_dropped", "_in_flight", "_next", "_shadows", "_timeout")

    def __init__(
        self,
        next_proxy: ProxyFunction,
        shadows: Sequence[tuple[ProxyFunction, float]],
        background: Background,
    ) -> None:
        self._next = next_proxy
        self._shadows = tuple(shadows)
        self._background = background
        self._in_flight = 0
        self._dropped = 0

    async def _call_shadow(self, proxy: ProxyFunction, seconds: float, request: Request) -> None:
        try:
            with trio.move_on_after(seconds):
                await proxy(request)
        except GatewayError as exc:
            LOGGER.debug("shadow backend failed: %s", exc)
        finally:
            self._in_flight -= 1

    def _start(self, request: Request) -> list[tuple[ProxyFunction, float]]:
        """Start the shadow calls in the background; return those that must run inline."""
        inline = []
        for proxy, timeout in self._shadows:
            if self._in_flight >= MAX_SHADOW_IN_FLIGHT:
                self._dropped += 1
                LOGGER.warning("shadow call dropped: %d already in flight", self._in_flight)
                continue
            self._in_flight += 1
            if not self._background.spawn(self._call_shadow, proxy, timeout, request):
                inline.append((proxy, timeout))
        return inline

    async def __call__(self, request: Request) -> Response:
        inline = self._start(request)
        if not inline:
            return await self._next(request)
        # No background nursery (an app driven without lifespan): run beside the real call.
        # The outcome is caught inside the nursery so a GatewayError leaves it unwrapped.
        outcome: Response | GatewayError
        async with trio.open_nursery() as nursery:
            for proxy, timeout in inline:
                nursery.start_soon(self._call_shadow, proxy, timeout, request)
            try:
                outcome = await self._next(request)
            except GatewayError as exc:
                outcome = exc
        if isinstance(outcome, GatewayError):
            raise outcome
        return outcome
