"""A reload keeps what did not change (the client, the services, unchanged endpoints' state) and
restarts what did, in one process (serving/reload.py, edge/app.py, edge/same.py)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from tests.e2e.processes import free_port
from trio_gateway.config import load_config_data
from trio_gateway.edge.same import same
from trio_gateway.plan import compile_plan
from trio_gateway.serving.reload import Reloader
from trio_gateway.serving.server import serve


def _plan(config: dict[str, Any]) -> Any:
    return compile_plan(load_config_data(config).config, port=0)


def _config(backend_url: str, limit: int = 1, **service: Any) -> dict[str, Any]:
    return {
        "version": 3,
        "host": [backend_url],
        "endpoints": [
            {
                "endpoint": "/limited",
                "extra_config": {"qos/ratelimit/router": {"max_rate": limit, "every": "1h"}},
                "backend": [{"url_pattern": "/json/user"}],
            },
            {"endpoint": "/plain/{id}", "backend": [{"url_pattern": "/json/user"}]},
        ],
        **service,
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, True),
        ({"timeout": "5s"}, False),  # a service default baked into every endpoint
        ({"limit": 2}, False),  # the endpoint's own extra_config
    ],
)
def test_same_compares_compilations_of_one_config(change: dict[str, Any], expected: bool) -> None:
    base = _config("http://127.0.0.1:8999")
    other = _config("http://127.0.0.1:8999", limit=change.pop("limit", 1), **change)
    first, second = _plan(base).endpoints[0], _plan(other).endpoints[0]
    assert first != second or expected  # `==` tells two compilations apart: the reason for same()
    assert same(first, second) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((1, "a", b"x"), (1, "a", b"x"), True),
        ((1, 2), (1, 2, 3), False),
        ({"k": [1]}, {"k": [1]}, True),
        ({"k": [1]}, {"k": [2]}, False),
        (lambda: 1, lambda: 1, False),  # opaque: different unless the very object
        (len, len, True),
        (1, 1.0, False),  # another type
    ],
)
def test_same_table(a: Any, b: Any, expected: bool) -> None:
    assert same(a, b) is expected


def _write(path: Path, config: dict[str, Any]) -> None:
    path.write_text(json.dumps(config))


async def _serving(
    nursery: trio.Nursery, path: Path, config: dict[str, Any]
) -> tuple[str, Reloader]:
    _write(path, config)
    reloader = Reloader(str(path), port=0)
    binds = await nursery.start(
        lambda task_status: serve(
            _plan(config), host="127.0.0.1", reloader=reloader, task_status=task_status
        )
    )
    return str(binds[0]), reloader


async def _reload(reloader: Reloader, path: Path, config: dict[str, Any]) -> None:
    _write(path, config)
    before = reloader.completed
    reloader.request("test")
    with trio.fail_after(10):
        while reloader.completed == before:  # noqa: ASYNC110 - a counter, not an event
            await trio.sleep(0.01)


async def test_an_unchanged_endpoint_keeps_its_rate_limiter(
    tmp_path: Path, backend_url: str, nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    path = tmp_path / "krakend.json"
    base, reloader = await _serving(nursery, path, _config(backend_url))
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{base}/limited")).status_code == 200
        assert (await client.get(f"{base}/limited")).status_code == 503  # its one token spent
        # another endpoint changes: /limited keeps its limiter, still spent
        changed = _config(backend_url)
        changed["endpoints"][1]["endpoint"] = "/other/{id}"
        await _reload(reloader, path, changed)
        assert "serving 2 endpoint(s), 1 unchanged kept with their state" in caplog.text
        assert (await client.get(f"{base}/other/1")).status_code == 200
        assert (await client.get(f"{base}/limited")).status_code == 503
        # its own config changes: a new limiter, with its tokens
        await _reload(reloader, path, _config(backend_url, limit=5))
        assert (await client.get(f"{base}/limited")).status_code == 200


async def test_a_changed_service_config_restarts_its_listener_on_the_same_port(
    tmp_path: Path, backend_url: str, nursery: trio.Nursery
) -> None:
    stats_port = free_port()
    metrics = {"listen_address": f"127.0.0.1:{stats_port}", "collection_time": "60s"}
    path = tmp_path / "krakend.json"
    config = _config(backend_url, extra_config={"telemetry/metrics": metrics})
    base, reloader = await _serving(nursery, path, config)
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{base}/plain/1")).status_code == 200
        stats = await client.get(f"http://127.0.0.1:{stats_port}/__stats")
        assert stats.status_code == 200
        changed = {**metrics, "collection_time": "30s"}
        await _reload(
            reloader, path, _config(backend_url, extra_config={"telemetry/metrics": changed})
        )
        # the old listener closed first; the new one serves on the port
        for _ in range(100):
            try:
                stats = await client.get(f"http://127.0.0.1:{stats_port}/__stats")
                break
            except httpx.TransportError:
                await trio.sleep(0.05)
        assert stats.status_code == 200
        assert (await client.get(f"{base}/plain/1")).status_code == 200


async def test_a_changed_opentelemetry_config_rebinds_its_prometheus_port(
    tmp_path: Path, backend_url: str, nursery: trio.Nursery
) -> None:
    port = free_port()

    def otel(name: str) -> dict[str, Any]:
        exporter = {"name": "p", "port": port, "listen_ip": "127.0.0.1"}
        return {
            "telemetry/opentelemetry": {
                "service_name": name,
                "exporters": {"prometheus": [exporter]},
            }
        }

    path = tmp_path / "krakend.json"
    base, reloader = await _serving(nursery, path, _config(backend_url, extra_config=otel("one")))
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{base}/plain/1")).status_code == 200
        assert (await client.get(f"http://127.0.0.1:{port}/metrics")).status_code == 200
        await _reload(reloader, path, _config(backend_url, extra_config=otel("two")))
        assert (await client.get(f"{base}/plain/1")).status_code == 200
        scrape = await client.get(f"http://127.0.0.1:{port}/metrics")
        assert scrape.status_code == 200
        assert 'service_name="two"' in scrape.text or "two" in scrape.text
