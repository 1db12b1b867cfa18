"""KrakenD's built-in endpoints: `/__health`, `/__echo/`, `/__debug/` (reference §7.1–7.2), and
trio-gateway's readiness endpoint, `/__ready`.

`/__health` is KrakenD's liveness answer: 200 for as long as the process serves HTTP, even while
it drains. KrakenD has no readiness endpoint (its docs: the health endpoint has no status but
200); `/__ready` adds one for load balancers and Kubernetes readiness probes: 200
`{"status":"ready"}` once the gateway serves, 503 `{"status":"starting"}` before and 503
`{"status":"draining"}` from the stop signal on (serving/server.py), while in-flight requests
finish.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any
from urllib.parse import parse_qs, urlencode

import orjson

from trio_gateway.edge.responses import ASGIReceive, ASGISend, read_body, send_response
from trio_gateway.encoding.render import JSON_CONTENT_TYPE, dumps_go
from trio_gateway.proxy.request import canonical_header

__all__ = ["READY_PATH", "Readiness", "debug", "echo", "health"]

LOGGER = logging.getLogger(__name__)


def _now() -> str:
    # Go's time.Now().String() shape: "2026-01-19 18:38:38.084402 +0000 UTC"
    now = datetime.datetime.now(datetime.UTC)
    return now.strftime("%Y-%m-%d %H:%M:%S.%f +0000 UTC")


async def health(scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
    """200 `{"agents":{},"now":…,"status":"ok"}`; no X-Krakend headers, as in KrakenD."""
    body = dumps_go({"agents": {}, "now": _now(), "status": "ok"})
    await send_response(send, 200, [(b"content-type", JSON_CONTENT_TYPE)], body)


READY_PATH = "/__ready"


class Readiness:
    """Whether the gateway wants new traffic: starting -> ready -> draining (never back)."""

    __slots__ = ("state",)

    def __init__(self) -> None:
        self.state = "starting"

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def set_ready(self) -> None:
        if self.state == "starting":
            self.state = "ready"

    def set_draining(self) -> None:
        self.state = "draining"

    async def serve(self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        body = b'{"status":"%s"}' % self.state.encode("ascii")
        headers = [(b"content-type", JSON_CONTENT_TYPE), (b"cache-control", b"no-store")]
        await send_response(send, 200 if self.ready else 503, headers, body)


# Credentials never reach a log, not even at DEBUG.
_SECRET_HEADERS = frozenset({b"authorization", b"cookie", b"proxy-authorization", b"x-api-key"})


def redacted(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(n, b"[redacted]" if n in _SECRET_HEADERS else v) for n, v in headers]


async def debug(scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
    """Log the request at DEBUG and answer `{"message":"pong"}`."""
    body, _ = await read_body(receive)
    LOGGER.debug(
        "debug endpoint: %s %s?%s headers=%r body=%r",
        scope["method"],
        scope["path"],
        scope["query_string"].decode("latin-1"),
        redacted(scope["headers"]),
        body,
    )
    await send_response(send, 200, [(b"content-type", JSON_CONTENT_TYPE)], b'{"message":"pong"}')


async def echo(scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
    """Describe the request back as JSON, with lura's field names."""
    body, _ = await read_body(receive)
    raw_query = scope["query_string"].decode("latin-1")
    query = parse_qs(raw_query, keep_blank_values=True)
    host = ""
    headers: dict[str, list[str]] = {}
    for name, value in scope["headers"]:
        text = value.decode("latin-1")
        if name == b"host":
            host = text
            continue
        headers.setdefault(canonical_header(name).decode("latin-1"), []).append(text)
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    uri = raw_path.decode("latin-1") + ("?" + raw_query if raw_query else "")
    document = {
        "req_uri": uri,
        "req_uri_details": {
            "fragment": "",
            "host": host,
            "path": scope["path"],
            "query": urlencode(sorted(query.items()), doseq=True),
            "user": "",
        },
        "req_method": scope["method"],
        "req_querystring": dict(sorted(query.items())),
        "req_body": body.decode("utf-8", "replace"),
        "req_headers": dict(sorted(headers.items())),
    }
    # lura writes the struct's fields in declaration order; only the nested maps are sorted.
    payload = orjson.dumps(document)
    await send_response(send, 200, [(b"content-type", JSON_CONTENT_TYPE)], payload)
