"""`concurrent_calls`: the same backend call N times, the first complete answer wins (§4.5).

trio's happy-eyeballs pattern: every attempt is a task of one nursery; the winner stores its
answer and cancels the nursery, so the losers stop at once and their connections are closed.
Each attempt gets 75 % of the endpoint timeout, as lura's `NewConcurrentMiddleware`.
"""

from __future__ import annotations

import trio

from trio_gateway.errors import BackendTimeout, GatewayError
from trio_gateway.types import ProxyFunction, Request, Response

__all__ = ["ConcurrentProxy"]

CONCURRENT_TIMEOUT_SHARE = 0.75


class ConcurrentProxy:
    """Hedge one backend with `calls` identical requests."""

    __slots__ = ("_calls", "_next", "_timeout")

    def __init__(self, next_proxy: ProxyFunction, calls: int, timeout: float) -> None:
        self._next = next_proxy
        self._calls = calls
        self._timeout = timeout * CONCURRENT_TIMEOUT_SHARE

    async def __call__(self, request: Request) -> Response:
        winner: Response | None = None
        last_incomplete: Response | None = None
        last_error: GatewayError | None = None

        async def attempt() -> None:
            nonlocal winner, last_incomplete, last_error
            with trio.move_on_after(self._timeout) as scope:
                try:
                    response = await self._next(request)
                except GatewayError as exc:
                    last_error = exc
                    return
            if scope.cancelled_caught:
                last_error = BackendTimeout("context deadline exceeded")
                return
            if response.is_complete:
                if winner is not None:  # two finished before the cancellation took effect
                    response.close()
                    return
                winner = response
                nursery.cancel_scope.cancel()
            else:
                if last_incomplete is not None:
                    last_incomplete.close()
                last_incomplete = response

        async with trio.open_nursery() as nursery:
            for _ in range(self._calls):
                nursery.start_soon(attempt)
        if winner is not None:
            return winner
        if last_incomplete is not None:
            last_incomplete.error = last_incomplete.error or last_error
            return last_incomplete
        assert last_error is not None
        raise last_error
