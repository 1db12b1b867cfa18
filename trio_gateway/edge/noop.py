"""`output_encoding: "no-op"` endpoints: the backend's answer streamed through untouched (§4.6).

Status, headers (repeated `Set-Cookie` included) and body pass through as the backend sends them,
with no status check and no decoding; the body is streamed chunk by chunk, so a large download
costs no memory. `X-Krakend-Completed` is always `false` and there is never a Cache-Control, as in
KrakenD. The endpoint timeout covers the whole transfer: past it the connection is cut.
"""

from __future__ import annotations

import logging

import trio

from trio_gateway.edge.endpoint import EndpointHandler
from trio_gateway.edge.responses import ASGISend
from trio_gateway.encoding.render import Renderer
from trio_gateway.errors import BackendUnavailable, GatewayError
from trio_gateway.transport import TransportError
from trio_gateway.types import Headers, Request, Response

__all__ = ["NoOpHandler"]

LOGGER = logging.getLogger(__name__)

# RFC 9110 §7.6.1: meaningful for one connection only; hypercorn frames the body itself. And
# `Date`, which hypercorn always adds: Go sends one Date, so the backend's is not copied.
_NOT_COPIED = frozenset(
    {
        b"date",
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)


class NoOpHandler(EndpointHandler):
    """Serves a `no-op` endpoint (exactly one backend: `check` enforces it). Its proxy stack is
    any endpoint's (stack.py): guards, backend layers and client wrappers all apply; only the
    leaf differs, answering with `Response.stream` (lura's `Io`) instead of decoded data."""

    __slots__ = ()

    async def _serve(self, request: Request, send: ASGISend, render: Renderer) -> None:
        started = False
        error: GatewayError | None = None
        response: Response | None = None
        with trio.move_on_after(self._plan.timeout) as deadline:
            try:
                response = await self._proxy(request)
                answer = response.stream
                if answer is None:  # a layer answered without the backend (none does today)
                    raise BackendUnavailable("no stream to relay")
                headers: Headers = [
                    (b"x-krakend", self._options.version_header),
                    (b"x-krakend-completed", b"false"),
                ]
                headers.extend(h for h in answer.headers if h[0].lower() not in _NOT_COPIED)
                await send(
                    {"type": "http.response.start", "status": answer.status, "headers": headers}
                )
                started = True
                async for chunk in answer:
                    if answer.at_end():  # the usual case: the whole body in one message
                        await send({"type": "http.response.body", "body": chunk})
                        return
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
                return
            except TransportError as exc:
                error = BackendUnavailable(str(exc))
            except GatewayError as exc:
                error = exc
            finally:
                if response is not None:
                    response.close()
        if started:
            # Too late for a status: ending without the last message makes hypercorn close the
            # connection, so the client sees a truncated body, not a complete one.
            reason = "timeout" if deadline.cancelled_caught else error
            LOGGER.info("%s: no-op transfer cut: %s", self._plan.name, reason)
            return
        if deadline.cancelled_caught:
            error = BackendUnavailable("context deadline exceeded")
        await self._respond(send, None, error, render)
