"""A WebSocket handshake served as the plain GET it is to KrakenD.

KrakenD CE speaks WebSocket only through its `websocket` namespace, which the gateway refuses at
load (config/known.py: fail closed). Without it, Go's server and gin see `GET` with `Upgrade:
websocket` and `Connection: Upgrade` as an ordinary GET: the endpoint's backends are called and
the answer is the endpoint's, never a `101`. hypercorn instead hands such a request to the app as
a `websocket` scope; this module serves that scope as the `http` one it would otherwise have
been, through the ASGI "WebSocket Denial Response" extension (`websocket.http.response`): the
same status, headers and body a plain GET gets, and the handshake is never accepted. (The
Upgrade and Connection headers are hop-by-hop: they are never forwarded, see proxy/request.py.)

A server that does not offer the extension gets `websocket.close` before the handshake, which
ASGI servers answer `403`.
"""

from __future__ import annotations

from typing import Any, Final

from trio_gateway.edge.responses import ASGIReceive, ASGISend
from trio_gateway.types import CANCEL_ON_DISCONNECT

__all__ = ["HTTP_RESPONSE", "PlainGet", "refuse"]

HTTP_RESPONSE: Final = "websocket.http.response"
_SCHEMES = {"ws": "http", "wss": "https"}


class PlainGet:
    """The `http` scope, receive and send that serve one `websocket` scope as a plain GET."""

    __slots__ = ("_connected", "_receive", "_send", "scope")

    def __init__(self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        extensions = dict(scope.get("extensions") or {})
        extensions.pop(HTTP_RESPONSE, None)
        # hypercorn's tuned app task (serving/hypercorn.py) is cancelled on `http.disconnect`
        # only: the handler must watch for the client itself, through `receive` below.
        extensions.pop(CANCEL_ON_DISCONNECT, None)
        http = {key: value for key, value in scope.items() if key != "subprotocols"}
        http.update(
            type="http",
            method="GET",
            scheme=_SCHEMES.get(scope.get("scheme", "ws"), "http"),
            extensions=extensions,
        )
        self.scope = http
        self._receive = receive
        self._send = send
        self._connected = False

    @staticmethod
    def offered(scope: dict[str, Any]) -> bool:
        return HTTP_RESPONSE in (scope.get("extensions") or {})

    async def receive(self) -> dict[str, Any]:
        """First the (empty) body of the GET, then `http.disconnect` when the client leaves."""
        if not self._connected:
            self._connected = True
            message = await self._receive()  # `websocket.connect`, always first
            if message["type"] != "websocket.disconnect":
                # A server reads no body before the handshake is accepted (hypercorn answers
                # 400 to one), so the GET has none.
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.disconnect"}
        while True:
            message = await self._receive()
            if message["type"] == "websocket.disconnect":
                return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            await self._send(
                {
                    "type": "websocket.http.response.start",
                    "status": message["status"],
                    "headers": message.get("headers", []),
                }
            )
        elif kind == "http.response.body":
            await self._send(
                {
                    "type": "websocket.http.response.body",
                    "body": message.get("body", b""),
                    "more_body": message.get("more_body", False),
                }
            )


async def refuse(send: ASGISend) -> None:
    """Close before the handshake: the server answers 403 (ASGI spec, `websocket.close`)."""
    await send({"type": "websocket.close", "code": 1000})
