"""The `/__stats` listener of `telemetry/metrics`: its own HTTP server on `listen_address`, as
krakend-metrics' gin/metrics.go `RunEndpoint` (a gin engine with one route, `GET /__stats`,
trailing-slash and fixed-path redirects, 405 for other methods), served by hypercorn's trio worker
in the gateway's background nursery and stopped with it.

A listener that cannot bind (the port is taken) is logged and the gateway serves on, as KrakenD
does (`l.Error(logPrefix, err.Error())` in RunEndpoint). Under `run --workers N` every worker
collects its own metrics and serves them on the configured port plus its index (0..N-1).
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING, Any

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from trio_gateway.telemetry.stats_registry import expvar_json
from trio_gateway.types import answer_lifespan

if TYPE_CHECKING:
    from trio_gateway.telemetry.stats import Metrics

__all__ = ["STATS_PATH", "StatsApp", "listen_address", "serve_stats"]

LOGGER = logging.getLogger(__name__)

STATS_PATH = "/__stats"
_JSON = b"application/json; charset=utf-8"
_TEXT = b"text/plain; charset=utf-8"  # gin's default 404/405 bodies


def listen_address(text: str) -> tuple[str, int]:
    """`host:port` as Go's net.Listen takes it (`:8090` = every interface), or ValueError."""
    host, colon, port = text.rpartition(":")
    if not colon:
        raise ValueError("missing port in address")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError("too many colons in address (write IPv6 hosts in brackets)")
    if not port.isdigit() or int(port) > 65535:
        raise ValueError(f"invalid port {port!r}")
    return host, int(port)


class StatsApp:
    """The ASGI app of the stats listener."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await answer_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == STATS_PATH:
            if method != "GET":
                # gin HandleMethodNotAllowed (NewEngine sets it): 405 with the route's methods
                await _send(send, 405, _TEXT, b"405 method not allowed", [(b"allow", b"GET")])
                return
            metrics = self._metrics
            # Hundreds of histograms to sort: in a thread, so that requests keep their turns.
            body = await trio.to_thread.run_sync(expvar_json, metrics.registry, metrics.published())
            await _send(send, 200, _JSON, body)
        elif path == STATS_PATH + "/":
            # gin RedirectTrailingSlash: 301 for GET, 307 for the other methods
            code = 301 if method == "GET" else 307
            await _send(send, code, None, b"", [(b"location", STATS_PATH.encode())])
        else:
            await _send(send, 404, _TEXT, b"404 page not found")


async def _send(
    send: Any,
    status: int,
    content_type: bytes | None,
    body: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-length", b"%d" % len(body))]
    if content_type is not None:
        headers.append((b"content-type", content_type))
    headers.extend(extra or ())
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Started:
    """hypercorn's task status: records where /__stats is served, then passes it on."""

    def __init__(self, task_status: trio.TaskStatus[list[str]], metrics: Metrics) -> None:
        self.task_status = task_status
        self.metrics = metrics

    def started(self, value: Any = None) -> None:
        self.metrics.stats_urls = list(value or ())
        if value:
            LOGGER.debug("[SERVICE: Stats] /__stats on %s", ", ".join(value))
        self.task_status.started(self.metrics.stats_urls)


async def serve_stats(
    metrics: Metrics, task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED
) -> None:
    """Serve `/__stats` until cancelled; started with the bound URLs (none if it failed)."""
    host, port = listen_address(metrics.config.listen_address)
    if port:
        port += metrics.worker_index
    host = host or "0.0.0.0"  # Go's ":8090": every interface
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        # Bound here, so that a taken port is one clear error (hypercorn's own bind would fail
        # inside its nursery, as an exception group).
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except BaseException:
            sock.close()
            raise
    except OSError as exc:
        LOGGER.error("[SERVICE: Stats] cannot listen on %s: %s", address, exc)
        task_status.started([])
        return
    config = HypercornConfig()
    config.bind = [f"fd://{sock.detach()}"]  # hypercorn owns (and closes) it from here
    config.accesslog = None
    config.errorlog = LOGGER
    config.include_server_header = False
    await hypercorn_serve(
        StatsApp(metrics),  # type: ignore[arg-type]
        config,
        mode="asgi",
        task_status=_Started(task_status, metrics),
    )
