"""The access log, one line per request as gin's logger middleware writes it for KrakenD.

`router.disable_access_log` turns it off and `router.logger_skip_paths` skips exact paths. Lines go
to the `trio_gateway.access` logger at INFO; the serving process's logging set-up
(`telemetry/logging_setup.py`) sends them to stdout (or GELF) whatever the level, as gin does, and
an embedding program gets them only if it listens at INFO (nothing is built otherwise).

The line is gin's `defaultLogFormatter` without colours:
`[GIN] 2006/01/02 - 15:04:05 | 200 |     4.529µs |      172.17.0.1 | GET      "/path?query"`
(the path decoded, the query raw, the client IP as gin's `ClientIP()` resolves it: the service's
client-IP rules). The record also carries the request's fields (`ACCESS_FIELDS`: method, path,
endpoint pattern, status, duration, bytes sent, client IP, user agent, trace id) for the JSON
formats and GELF.

Never logged: header values other than the User-Agent (so no Authorization, Cookie, Set-Cookie),
and the value of any query parameter whose name looks like a credential (`token`, `access_token`,
`api_key`, `password`, `secret`, `signature`, `code`...), which becomes `REDACTED` (KrakenD logs
the query as it came: trio-gateway keeps credentials out of log stores on purpose).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from trio_gateway.config.durations import format_duration_ns
from trio_gateway.edge.responses import ASGIReceive, ASGISend
from trio_gateway.headers import first
from trio_gateway.routing.gourl import go_quote
from trio_gateway.types import ENDPOINT_KEY, TRACE_ID_KEY

if TYPE_CHECKING:
    from trio_gateway.routing.clientip import ClientIPResolver

__all__ = ["ACCESS_LOGGER", "ENDPOINT_KEY", "AccessLog", "redact_query"]

ACCESS_LOGGER = logging.getLogger("trio_gateway.access")
REDACTED = "REDACTED"
_SENSITIVE = re.compile(
    r"token|passw|pwd|secret|auth|api[-_]?key|apikey|^key$|signature|^sig$|session|jwt|"
    r"credential|^code$|cookie",
    re.IGNORECASE,
)
_MINUTE_NS = 60 * 1_000_000_000
# What Go's strconv.Quote leaves as it is: printable ASCII but `"` and `\`.
_PLAIN = re.compile(r"[ !#-\[\]-~]*")
_last_stamp: tuple[int, str] = (0, "")


def _stamp() -> str:
    """gin's `2006/01/02 - 15:04:05` in local time, made once a second."""
    global _last_stamp
    second = int(time.time())
    if _last_stamp[0] != second:
        _last_stamp = (second, time.strftime("%Y/%m/%d - %H:%M:%S", time.localtime(second)))
    return _last_stamp[1]


App = Callable[[dict[str, Any], ASGIReceive, ASGISend], Awaitable[None]]


def redact_query(query: str) -> str:
    """The raw query with the values of credential-like parameters replaced by `REDACTED`."""
    if not query:
        return query
    parts = query.split("&")
    for index, part in enumerate(parts):
        name, equals, _ = part.partition("=")
        if equals and _SENSITIVE.search(unquote(name.replace("+", " "))):
            parts[index] = f"{name}={REDACTED}"
    return "&".join(parts)


class AccessLog:
    """Wraps one request: records what was sent and logs the line when done."""

    __slots__ = ("_client_ip", "skip")

    def __init__(self, skip: Iterable[str], client_ip: ClientIPResolver | None = None) -> None:
        self.skip = frozenset(skip)
        self._client_ip = client_ip

    async def serve(
        self, app: App, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend
    ) -> None:
        started = time.perf_counter_ns()
        status = 0
        sent = 0

        async def recording_send(message: dict[str, Any]) -> None:
            nonlocal status, sent
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
            elif kind == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await app(scope, receive, recording_send)
        finally:
            # Nothing was sent: the client left first (nginx's 499, "client closed request").
            self._log(scope, status or 499, time.perf_counter_ns() - started, sent)

    def _log(self, scope: dict[str, Any], status: int, elapsed_ns: int, sent: int) -> None:
        client = scope.get("client")
        peer = client[0] if client else ""
        headers = scope["headers"]
        ip = self._client_ip.resolve(peer, headers) if self._client_ip is not None else peer
        query = redact_query(scope["query_string"].decode("latin-1"))
        path = scope["path"] + ("?" + query if query else "")
        agent = first(headers, b"user-agent")
        trace_id = scope.get(TRACE_ID_KEY)
        method = scope["method"]
        # gin: latencies over a minute are truncated to the second.
        latency = elapsed_ns - elapsed_ns % 1_000_000_000 if elapsed_ns > _MINUTE_NS else elapsed_ns
        now = _stamp()
        quoted = f'"{path}"' if _PLAIN.fullmatch(path) else go_quote(path.encode("utf-8"))
        line = (
            f"[GIN] {now} | {status:3d} | {format_duration_ns(latency):>13} | {ip:>15} |"
            f" {method:<7}  {quoted}"
        )
        ACCESS_LOGGER.info(
            "%s",
            line,
            extra={
                "method": method,
                "path": path,
                "endpoint": scope.get(ENDPOINT_KEY, ""),
                "status": status,
                "duration_ms": round(elapsed_ns / 1_000_000, 3),
                "bytes_sent": sent,
                "client_ip": ip,
                "user_agent": agent.decode("latin-1") if agent is not None else "",
                "trace_id": f"{trace_id:032x}" if trace_id is not None else None,
            },
        )
