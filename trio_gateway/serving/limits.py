"""The limits a gateway's HTTP/1.1 connections are held to (`serving/http1.py` enforces them).

KrakenD hands `read_timeout`, `read_header_timeout`, `write_timeout` and `idle_timeout` to Go's
`http.Server` (lura `transport/http/server/server.go`, `NewServerWithLogger`), whose rules these
follow: the head must arrive within `read_header_timeout` of its first byte (0 = `read_timeout`),
the whole request, body included, within `read_timeout`, and the response must be written within
`write_timeout` of the end of the head. Go applies no limit when a value is 0; the gateway, safe by
default, still bounds what an unset value leaves open (docs/security.md):

- a head: 10 s (`DEFAULT_HEADER_TIMEOUT`); hypercorn's keep-alive timer, which runs from the end of
  the previous response (or the accept) until a head is parsed, usually ends it sooner;
- a body: 60 s without a byte (`DEFAULT_BODY_STALL_TIMEOUT`, nginx's `client_body_timeout`);
- header lines: 100 (`DEFAULT_MAX_HEADER_COUNT`, Envoy's `max_headers_count` and HAProxy's
  `tune.http.maxhdr`); Go has no count limit, only `max_header_bytes` (1 MiB), which lets one
  head cost ~85,000 parsed lines. `TRIO_GATEWAY_MAX_HEADER_COUNT` changes it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from trio_gateway.plan import GatewayPlan

__all__ = [
    "DEFAULT_BODY_STALL_TIMEOUT",
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_MAX_HEADER_COUNT",
    "MAX_HEADER_COUNT_ENV",
    "EdgeLimits",
]

DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_STALL_TIMEOUT = 60.0
DEFAULT_MAX_HEADER_COUNT = 100
MAX_HEADER_COUNT_ENV = "TRIO_GATEWAY_MAX_HEADER_COUNT"


def _max_header_count() -> int:
    raw = os.environ.get(MAX_HEADER_COUNT_ENV, "")
    if not raw:
        return DEFAULT_MAX_HEADER_COUNT
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{MAX_HEADER_COUNT_ENV}={raw!r}: not a whole number") from None
    if value < 1:
        raise ValueError(f"{MAX_HEADER_COUNT_ENV}={raw!r}: must be at least 1")
    return value


@attrs.frozen
class EdgeLimits:
    """Per server. Timeouts in seconds; None = not configured (the defaults above apply)."""

    use_h2c: bool = False
    max_header_count: int = DEFAULT_MAX_HEADER_COUNT
    read_timeout: float | None = None
    read_header_timeout: float | None = None
    write_timeout: float | None = None
    body_stall_timeout: float = DEFAULT_BODY_STALL_TIMEOUT

    @property
    def head_timeout(self) -> float:
        """Go's `readHeaderTimeout()`: ReadHeaderTimeout, else ReadTimeout; else our default."""
        return self.read_header_timeout or self.read_timeout or DEFAULT_HEADER_TIMEOUT

    @classmethod
    def from_plan(cls, plan: GatewayPlan) -> EdgeLimits:
        """The service's settings; `TRIO_GATEWAY_MAX_HEADER_COUNT` from the environment (a bad
        value is a ValueError naming it)."""
        return cls(
            use_h2c=plan.use_h2c,
            max_header_count=_max_header_count(),
            read_timeout=plan.read_timeout,
            read_header_timeout=plan.read_header_timeout,
            write_timeout=plan.write_timeout,
            body_stall_timeout=DEFAULT_BODY_STALL_TIMEOUT,
        )
