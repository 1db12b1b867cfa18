"""The gateway's own answers: 404, 405, redirects, health (reference §7)."""

from __future__ import annotations

from typing import Any

import httpx

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
