"""The access log, one line per request as gin writes it for KrakenD.

`router.disable_access_log` turns it off and `router.logger_skip_paths` skips exact paths. Lines go
to the `trio_gateway.access` logger at INFO, so they appear when logging is configured at INFO
(as `trio-gateway run` does) and cost nothing when it is not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from trio_gateway.edge.responses import ASGIReceive, ASGISend

__all__ = ["ACCESS_LOGGER", "AccessLog"]

ACCESS_LOGGER = logging.getLogger("trio_gateway.access")

App = Callable[[dict[str, Any], ASGIReceive, ASGISend], Awaitable[None]]


class AccessLog:
    """Wraps one request: records the status sent and logs the line when done."""

    __slots__ = ("skip",)

    def __init__(self, skip: Iterable[str]) -> None:
        self.skip = frozenset(skip)

    async def serve(
        self, app: App, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend
    ) -> None:
        started = time.perf_counter()
        status = 0

        async def recording_send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, recording_send)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            client = scope.get("client")
            query = scope["query_string"].decode("latin-1")
            target = scope["path"] + ("?" + query if query else "")
            ACCESS_LOGGER.info(
                "| %3d | %10.3fms | %15s | %-7s %r",
                # Nothing was sent: the client left first (nginx's 499, "client closed request").
                status or 499,
                elapsed,
                client[0] if client else "",
                scope["method"],
                target,
            )
