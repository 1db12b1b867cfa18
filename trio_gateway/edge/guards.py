"""The service-level guards, in KrakenD's order: CORS, then security headers, then bot detection.

KrakenD wraps its whole router in CORS (so preflights for any path are answered, before routing),
then registers `security/http` and the service bot detector with gin's `engine.Use` *after* the
health route: they cover every endpoint and the 404/405 answers, but not `/__health`
(krakend-components §1.3). Endpoint-level guards (bot detector, JWT, rate limit) live in
`edge/endpoint.py`.
"""

from __future__ import annotations

import logging
from typing import Any

from trio_gateway.config.model import BotDetectorConfig, CORSConfig, HTTPSecureConfig
from trio_gateway.edge.responses import ASGISend, send_response
from trio_gateway.security.botdetector import BotDetector
from trio_gateway.security.cors import CORS
from trio_gateway.security.headers import SecurityHeaders
from trio_gateway.types import Headers

__all__ = ["ServiceGuards", "user_agent"]

LOGGER = logging.getLogger(__name__)


def user_agent(headers: Headers) -> bytes | None:
    """The raw User-Agent (the bot detector decodes it as UTF-8 itself)."""
    for name, value in headers:
        if name == b"user-agent":
            return value
    return None


def _host(headers: Headers) -> str | None:
    for name, value in headers:
        if name == b"host":
            return value.decode("latin-1")
    return None


class ServiceGuards:
    """What runs before routing for every request, built once from the service config."""

    __slots__ = ("_bots", "_cors", "_secure")

    def __init__(
        self,
        cors: CORSConfig | None,
        secure: HTTPSecureConfig | None,
        bots: BotDetectorConfig | None,
    ) -> None:
        self._cors = CORS.from_config(cors) if cors is not None else None
        self._secure = SecurityHeaders.from_config(secure) if secure is not None else None
        self._bots = BotDetector.from_config(bots) if bots is not None else None

    @classmethod
    def from_configs(
        cls,
        cors: CORSConfig | None,
        secure: HTTPSecureConfig | None,
        bots: BotDetectorConfig | None,
    ) -> ServiceGuards | None:
        """None when no guard is configured: the request path then pays nothing."""
        if cors is None and secure is None and bots is None:
            return None
        return cls(cors, secure, bots)

    async def admit(
        self, scope: dict[str, Any], send: ASGISend, *, health: bool
    ) -> ASGISend | None:
        """Answer the request here (return None), or return the `send` to serve it with, which
        adds the CORS and security headers to whatever the gateway answers."""
        method: str = scope["method"]
        headers: Headers = scope["headers"]
        extra: Headers = []
        if self._cors is not None:
            preflight = self._cors.preflight(method, headers)
            if preflight is not None:
                await send_response(send, preflight.status, list(preflight.headers))
                return None
            extra += self._cors.response_headers(method, headers)
        if not health:
            scheme: str = scope.get("scheme", "http")
            if self._secure is not None:
                # Go redirects to the path as it was sent, not its decoded form.
                raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
                query = scope["query_string"]
                target = (raw_path + (b"?" + query if query else b"")).decode("latin-1")
                early = self._secure.check(scheme, _host(headers), target, headers, method=method)
                if early is not None:
                    await send_response(send, early.status, [*extra, *early.headers], early.body)
                    return None
                extra += self._secure.response_headers(scheme, headers)
            if self._bots is not None and self._bots.is_bot(user_agent(headers)):
                LOGGER.error("bot rejected")  # as KrakenD; the User-Agent is not logged
                await send_response(send, 403, extra)
                return None
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
