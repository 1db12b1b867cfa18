"""The values that flow through the proxy stack, and the shape of a proxy.

A proxy is one async callable `Request -> Response` (lura's `Proxy`, httpx's transport); layers wrap
proxies; a merger turns several backend proxies into one. Failures that are part of normal operation
are `GatewayError`s; a partial success is not an exception but a `Response(is_complete=False)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import attrs

from trio_gateway.errors import GatewayError

__all__ = [
    "CANCEL_ON_DISCONNECT",
    "ENDPOINT_KEY",
    "TRACE_ID_KEY",
    "BodyStream",
    "Headers",
    "ProxyFunction",
    "Request",
    "Response",
    "answer_lifespan",
]

# The ASGI scope extension the tuned hypercorn sets when it cancels the app's task on a client
# disconnect (serving/hypercorn.py): an app that sees it needs no disconnect watcher of its own.
CANCEL_ON_DISCONNECT = "trio_gateway.cancel_on_disconnect"

# The matched route's pattern (`/users/{id}`), set in the scope by the router (edge/app.py) for
# the access log and the telemetry layers.
ENDPOINT_KEY = "trio_gateway.endpoint"
# The id (an int) of the trace a request is recorded in, set in the scope by the tracing layer
# when the request is sampled (telemetry/otel_layers.py), for the access log.
TRACE_ID_KEY = "trio_gateway.trace_id"

# Header lists as the ASGI server and the h11 client take them: raw (name, value) byte pairs, order
# and duplicates kept (Set-Cookie).
Headers = list[tuple[bytes, bytes]]


class BodyStream(Protocol):
    """A backend answer whose body is read as it arrives (a `no-op` endpoint's)."""

    status: int
    headers: Headers

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    def at_end(self) -> bool:
        """The body has been read to its end (checked without I/O)."""
        ...

    def close(self) -> None:
        """Release the connection (back to the pool if the body was read, else closed)."""
        ...


@attrs.define(slots=True, kw_only=True)
class Request:
    """What the gateway sends on to the backends of one endpoint.

    Built once per client request at the edge: headers and query are already filtered by the
    endpoint's `input_headers` / `input_query_strings`, and the gateway headers (X-Forwarded-For,
    X-Forwarded-Host, User-Agent) are in `headers`. The body is read once, so every backend of a
    multi-backend endpoint gets its own copy of the same bytes.
    """

    method: str
    path: str
    params: dict[str, str]
    # (name, value) pairs of the forwarded query, in the client's order.
    query: list[tuple[str, str]]
    headers: Headers
    body: bytes = b""
    # Set by `modifier/lua-backend`'s `request:url(v)` / `request:method(v)` (krakend-lua acts on
    # lura's request after the balancer built its URL): the backend call's absolute URL and
    # method instead of the ones its config gives.
    backend_url: str | None = None
    backend_method: str | None = None


@attrs.define(slots=True, kw_only=True)
class Response:
    """What a proxy produces: decoded data plus what KrakenD calls metadata.

    lura's proxies return a `(response, error)` pair, and a partial merge returns both; `error`
    carries that second half (a `MergeError` for a partial merge), so layers such as the static
    proxy can tell "succeeded" from "answered despite errors".
    """

    data: dict[str, Any] | None
    is_complete: bool = True
    status: int = 200
    headers: Headers | None = None
    error: GatewayError | None = None
    # The raw body of a `no-op` backend (lura's `Io`), for sequential `{resp0}` params.
    body: bytes | None = None
    # A `no-op` endpoint's answer, still streaming: whoever takes the Response owns it and must
    # `close()` it (the edge does once relayed; a layer that drops a Response closes it).
    stream: BodyStream | None = None

    def close(self) -> None:
        """Release the stream of a dropped response (nothing to do without one)."""
        if self.stream is not None:
            self.stream.close()


ProxyFunction = Callable[[Request], Awaitable[Response]]


async def answer_lifespan(
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """Complete the ASGI `lifespan` scope of an app with nothing to start or stop (the stats and
    revocation listeners, the demo backends): both steps acknowledged, back at shutdown."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
