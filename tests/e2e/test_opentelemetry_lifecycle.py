"""Providers made at startup, flushed and shut down at shutdown, never global (issue 14)."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest
import trio
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from tests.e2e.otlp_receiver import start_collector
from tests.e2e.processes import free_port
from trio_gateway.config import load_config_data
from trio_gateway.edge.app import GatewayApp
from trio_gateway.plan import compile_plan


def _app(backend_url: str, otel: dict[str, Any]) -> GatewayApp:
    loaded = load_config_data(
        {
            "version": 3,
            "host": [backend_url],
            "extra_config": {"telemetry/opentelemetry": otel},
            "endpoints": [{"endpoint": "/u", "backend": [{"url_pattern": "/json/user"}]}],
        }
    )
    return GatewayApp(compile_plan(loaded.config, port=0))


class Lifespan:
    """Drives an app's ASGI lifespan as a server does."""

    def __init__(self, app: GatewayApp, nursery: trio.Nursery) -> None:
        self._to_app, self._from_server = trio.open_memory_channel[dict[str, Any]](4)
        self.sent: list[dict[str, Any]] = []
        self._changed = trio.Event()
        nursery.start_soon(app, {"type": "lifespan"}, self._from_server.receive, self._send)

    async def _send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        self._changed.set()

    async def _say(self, kind: str) -> None:
        await self._to_app.send({"type": f"lifespan.{kind}"})
        with trio.fail_after(20):
            while not self.sent or not self.sent[-1]["type"].startswith(f"lifespan.{kind}."):
                self._changed = trio.Event()
                await self._changed.wait()

    async def startup(self) -> None:
        await self._say("startup")

    async def shutdown(self) -> None:
        await self._say("shutdown")


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def _request(app: GatewayApp, path: str) -> int:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"gw")],
        "client": ("127.0.0.1", 5000),
        "http_version": "1.1",
        "scheme": "http",
    }
    status: list[int] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": b""}
        await trio.sleep_forever()
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    return status[0]


async def test_startup_serves_shutdown_flushes_and_closes(
    backend_url: str, nursery: trio.Nursery, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "600000")  # only the shutdown flush sends
    collector_port, received = await start_collector(nursery)
    port = free_port()
    app = _app(
        backend_url,
        {
            "exporters": {
                "prometheus": [{"name": "p", "port": port, "listen_ip": "127.0.0.1"}],
                "otlp": [
                    {"name": "o", "host": "127.0.0.1", "port": collector_port, "use_http": True}
                ],
            },
            "metric_reporting_period": 3600,
        },
    )
    lifespan = Lifespan(app, nursery)
    assert not _listening(port)  # nothing before startup
    await lifespan.startup()
    assert lifespan.sent[-1]["type"] == "lifespan.startup.complete"
    assert _listening(port)
    assert await _request(app, "/u") == 200
    async with httpx.AsyncClient() as client:
        scrape = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    assert "http_server_duration_count{" in scrape
    assert received.spans() == []  # still batched
    await lifespan.shutdown()
    assert lifespan.sent[-1]["type"] == "lifespan.shutdown.complete"
    assert {s.name for s in received.spans()} >= {"/u", "/json/user"}  # flushed at shutdown
    assert "http.server.duration" in received.metric_names()  # the last metrics push
    assert not _listening(port)  # the scrape endpoint is gone with the app
    # nothing was installed globally: the API still has its default (proxy) providers
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)
    assert not isinstance(metrics.get_meter_provider(), MeterProvider)


async def test_two_gateways_in_one_process_do_not_meet(
    backend_url: str, nursery: trio.Nursery
) -> None:
    ports = free_port(), free_port()
    apps = [
        _app(
            backend_url,
            {"exporters": {"prometheus": [{"name": "p", "port": p, "listen_ip": "127.0.0.1"}]}},
        )
        for p in ports
    ]
    spans = [Lifespan(app, nursery) for app in apps]
    for lifespan in spans:
        await lifespan.startup()
    for _ in range(3):
        assert await _request(apps[0], "/u") == 200
    async with httpx.AsyncClient() as client:
        first = (await client.get(f"http://127.0.0.1:{ports[0]}/metrics")).text
        second = (await client.get(f"http://127.0.0.1:{ports[1]}/metrics")).text
    assert "http_server_duration_count{" in first
    assert "http_server_duration_count{" not in second  # its own registry, its own providers
    for lifespan in spans:
        await lifespan.shutdown()


async def test_a_busy_prometheus_port_fails_startup_with_its_reason(
    backend_url: str, nursery: trio.Nursery
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        app = _app(
            backend_url,
            {"exporters": {"prometheus": [{"name": "p", "port": port, "listen_ip": "127.0.0.1"}]}},
        )
        lifespan = Lifespan(app, nursery)
        await lifespan.startup()
    assert lifespan.sent[-1]["type"] == "lifespan.startup.failed"
    assert (
        f"prometheus exporter 'p' cannot listen on 127.0.0.1:{port}"
        in (lifespan.sent[-1]["message"])
    )
