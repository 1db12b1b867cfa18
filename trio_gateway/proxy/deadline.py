"""Running an endpoint's proxy under its timeout: written once for the edge and the library.

KrakenD gives the whole endpoint one deadline (lura's `router/gin` endpoint handler runs the proxy
in `context.WithTimeout(endpoint timeout)`): past it, every backend call still running is
cancelled, and the request fails with `context deadline exceeded` unless the merge already
returned what it had.
"""

from __future__ import annotations

import trio

from trio_gateway.errors import BackendTimeout, GatewayError
from trio_gateway.types import ProxyFunction, Request, Response

__all__ = ["call_within"]


async def call_within(
    proxy: ProxyFunction, request: Request, seconds: float
) -> tuple[Response, None] | tuple[None, GatewayError]:
    """The proxy's response, or the `GatewayError` it failed with (a `BackendTimeout` when the
    deadline passed first). Exactly one of the pair is not None."""
    with trio.move_on_after(seconds):
        try:
            return await proxy(request), None
        except GatewayError as exc:
            return None, exc
    return None, BackendTimeout("context deadline exceeded")
