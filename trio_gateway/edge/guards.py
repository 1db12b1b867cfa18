"""Running the service guards: what `stack.SERVICE_GUARDS` builds, turned into HTTP.

Each guard may answer the request itself (a CORS preflight, a security/http redirect, a bot's
403) or add headers to whatever the gateway answers; a guard that does not cover the health
endpoint is skipped there (KrakenD registers `/__health` before gin's middlewares, inside CORS).
The headers added so far go on a guard's own answer too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trio_gateway.edge.responses import ASGISend, send_response
from trio_gateway.namespace import ServiceGuard
from trio_gateway.types import Headers

__all__ = ["ServiceGuards"]


class ServiceGuards:
    """What runs before routing for every request, built once from the service config."""

    __slots__ = ("_guards",)

    def __init__(self, guards: Sequence[ServiceGuard]) -> None:
        self._guards = tuple(guards)

    @classmethod
    def of(cls, guards: Sequence[ServiceGuard]) -> ServiceGuards | None:
        """None when no guard is configured: the request path then pays nothing."""
        return cls(guards) if guards else None

    async def admit(
        self, scope: dict[str, Any], send: ASGISend, *, health: bool
    ) -> ASGISend | None:
        """Answer the request here (return None), or return the `send` to serve it with, which
        adds the guards' headers to whatever the gateway answers."""
        extra: Headers = []
        for guard in self._guards:
            if health and not guard.covers_health:
                continue
            rejection = guard.admit(scope)
            if rejection is not None:
                headers = [*extra, *rejection.headers]
                await send_response(send, rejection.status, headers, rejection.body)
                return None
            extra += guard.response_headers(scope)
        if not extra:
            return send

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                # KrakenD sets these before its handler runs, so a header the handler writes
                # (a no-op backend's own `Vary`, say) replaces ours rather than doubling it.
                own = {name.lower() for name, _ in message["headers"]}
                added = [h for h in extra if h[0] not in own]
                message = {**message, "headers": [*message["headers"], *added]}
            await send(message)

        return send_with_headers
