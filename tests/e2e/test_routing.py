"""The gateway's own answers: 404, 405, redirects, health (reference §7)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import StartGateway


def _config(backend_url: str, **service: Any) -> dict[str, Any]:
    return {
        "version": 3,
        "host": [backend_url],
        "endpoints": [
            {"endpoint": "/static", "backend": [{"url_pattern": "/json/user"}]},
            {
                "endpoint": "/items/{id}",
                "method": "PUT",
                "backend": [{"url_pattern": "/json/user"}],
            },
            {
                "endpoint": "/items/{id}",
                "method": "DELETE",
                "backend": [{"url_pattern": "/json/user"}],
            },
        ],
        **service,
    }


async def test_misses(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(_config(backend_url))
    r = await client.get(f"{gw}/nothing")
    assert (r.status_code, r.text, r.headers["content-type"]) == (
        404,
        "404 page not found",
        "text/plain",
    )
    assert r.headers["x-krakend-completed"] == "false"

    r = await client.get(f"{gw}/items/1")
    assert (r.status_code, r.text) == (405, "405 method not allowed")
    assert r.headers["allow"] == "PUT, DELETE"

    r = await client.get(f"{gw}/StAtic?x=1")
    assert r.status_code == 301
    assert r.headers["location"] == "/static?x=1"
    assert r.text == '<a href="/static?x=1">Moved Permanently</a>.\n\n'

    r = await client.put(f"{gw}/items/1/")
    assert (r.status_code, r.headers["location"]) == (307, "/items/1")


async def test_health_and_error_body(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            extra_config={
                "router": {"error_body": {"404": {"msg": "nope"}}, "health_path": "/healthz"}
            },
        )
    )
    r = await client.get(f"{gw}/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["agents"] == {} and isinstance(body["now"], str)
    assert (await client.get(f"{gw}/__health")).json() == {"msg": "nope"}
    assert (await client.head(f"{gw}/healthz")).status_code == 405


async def test_echo_debug_and_router_options(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            echo_endpoint=True,
            debug_endpoint=True,
            extra_config={
                "router": {
                    "auto_options": True,
                    "hide_version_header": True,
                    "disable_health": True,
                }
            },
        )
    )
    r = await client.post(
        f"{gw}/__echo/some/path?b=2&a=1&a=0", content=b"hello", headers={"X-A": "1"}
    )
    echo = r.json()
    assert list(echo) == [
        "req_uri",
        "req_uri_details",
        "req_method",
        "req_querystring",
        "req_body",
        "req_headers",
    ]
    assert echo["req_uri"] == "/__echo/some/path?b=2&a=1&a=0"
    assert echo["req_uri_details"]["query"] == "a=1&a=0&b=2"
    assert echo["req_uri_details"]["path"] == "/__echo/some/path"
    assert echo["req_method"] == "POST"
    assert echo["req_querystring"] == {"a": ["1", "0"], "b": ["2"]}
    assert echo["req_body"] == "hello"
    assert echo["req_headers"]["X-A"] == ["1"]

    assert (await client.get(f"{gw}/__debug/x")).json() == {"message": "pong"}
    r = await client.get(f"{gw}/__debug")
    assert (r.status_code, r.headers["location"]) == (301, "/__debug/")

    r = await client.options(f"{gw}/items/1")
    assert (r.status_code, r.headers["allow"]) == (200, "DELETE, PUT")
    assert r.headers["x-krakend"] == "Version undefined"
    assert (await client.get(f"{gw}/__health")).status_code == 404


async def test_access_log(
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="trio_gateway.access")
    gw = await start_gateway(
        _config(backend_url, extra_config={"router": {"logger_skip_paths": ["/__health"]}})
    )
    await client.get(f"{gw}/static?x=1")
    await client.get(f"{gw}/__health")
    lines = [r.getMessage() for r in caplog.records if r.name == "trio_gateway.access"]
    assert len(lines) == 1
    # gin's line: `[GIN] 2006/01/02 - 15:04:05 | 200 |  4.529µs |  127.0.0.1 | GET      "/..."`
    assert lines[0].startswith("[GIN] ")
    assert "| 200 |" in lines[0] and '| GET      "/static?x=1"' in lines[0]


async def test_debug_endpoint_never_logs_credentials(
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="trio_gateway.edge.builtins")
    gw = await start_gateway(_config(backend_url, debug_endpoint=True))
    await client.get(
        f"{gw}/__debug/x", headers={"Authorization": "Bearer s3cr3t", "Cookie": "session=s3cr3t"}
    )
    assert "debug endpoint: GET /__debug/x" in caplog.text
    assert "s3cr3t" not in caplog.text
