"""Sequential, static, concurrent, shadow and no-op endpoints end to end (reference §4.5–§5)."""

from __future__ import annotations

from typing import Any

import httpx
import trio

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import StartGateway


def _config(backend_url: str, *endpoints: dict[str, Any], **service: Any) -> dict[str, Any]:
    return {"version": 3, "host": [backend_url], "endpoints": list(endpoints), **service}


async def test_sequential_chain(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    seq = {"proxy": {"sequential": True}}
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/sequential/ok/{param}",
                "extra_config": seq,
                "backend": [
                    {"url_pattern": "/param_forwarding/{param}", "allow": ["foo"]},
                    {"url_pattern": "/param_forwarding/{resp0_foo}"},
                ],
            },
            {
                "endpoint": "/sequential/ko/last",
                "extra_config": seq,
                "backend": [
                    {"url_pattern": "/param_forwarding/x", "allow": ["foo"]},
                    {"url_pattern": "/{resp0_foo}"},  # 404
                    {"url_pattern": "/param_forwarding/never"},
                ],
            },
            {
                "endpoint": "/sequential/ko/first",
                "extra_config": seq,
                "backend": [
                    {"url_pattern": "/status/429"},
                    {"url_pattern": "/param_forwarding/never"},
                ],
            },
            {
                "endpoint": "/sequential/groups/{id}",
                "sequential_start": True,  # our alias of proxy.sequential
                "backend": [
                    {"url_pattern": "/json/user", "group": "first"},
                    {
                        "url_pattern": "/param_forwarding/{resp0_first.id}/{resp0_first.name}",
                        "group": "second",
                        "allow": ["path"],
                    },
                ],
            },
        )
    )
    r = await client.get(f"{gw}/sequential/ok/abc")
    assert r.status_code == 200
    assert r.json()["path"] == "/param_forwarding/42"
    assert r.headers["x-krakend-completed"] == "true"

    r = await client.get(f"{gw}/sequential/ko/last")
    assert (r.status_code, r.json()) == (200, {"foo": 42})
    assert r.headers["x-krakend-completed"] == "false"
    assert STATS["/param_forwarding/never"] == 0  # the chain stopped

    r = await client.get(f"{gw}/sequential/ko/first")
    assert r.status_code == 500
    assert STATS["/param_forwarding/never"] == 0

    r = await client.get(f"{gw}/sequential/groups/1")
    assert r.json()["second"] == {"path": "/param_forwarding/1/a"}


async def test_static_strategies(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    def static(strategy: str, *urls: str) -> dict[str, Any]:
        return {
            "endpoint": f"/static/{strategy}/{len(urls)}",
            "extra_config": {
                "proxy": {"static": {"strategy": strategy, "data": {"foo": 42, "bar": "foobar"}}}
            },
            "backend": [{"url_pattern": u} for u in urls],
        }

    gw = await start_gateway(
        _config(
            backend_url,
            static("errored", "/status/429"),
            static("incomplete", "/status/429", "/json/user"),
            static("always", "/json/user"),
            static("success", "/status/429", "/json/user"),
            static("complete", "/json/user"),
        )
    )
    r = await client.get(f"{gw}/static/errored/1")
    assert (r.status_code, r.json(), r.headers["x-krakend-completed"]) == (
        200,
        {"bar": "foobar", "foo": 42},
        "false",
    )
    r = await client.get(f"{gw}/static/incomplete/2")
    assert r.json() == {
        "bar": "foobar",
        "email": "some@email.com",
        "foo": 42,
        "id": 1,
        "name": "a",
        "secret": "x",
    }
    r = await client.get(f"{gw}/static/always/1")
    assert r.json()["foo"] == 42 and r.headers["x-krakend-completed"] == "true"
    r = await client.get(f"{gw}/static/success/2")  # partial merge: error set, no injection
    assert "foo" not in r.json()
    r = await client.get(f"{gw}/static/complete/1")
    assert r.json()["bar"] == "foobar"


async def test_concurrent_calls_first_complete_wins(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/hedged",
                "concurrent_calls": 3,
                "backend": [{"url_pattern": "/delayed/h?ms=50"}],
            },
        )
    )
    r = await client.get(f"{gw}/hedged")
    assert r.status_code == 200
    assert r.json()["path"] == "/delayed/h"
    assert STATS["/delayed/h"] == 3  # three calls went out


async def test_shadow_backend_is_called_and_ignored(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/shadowed",
                "backend": [
                    {"url_pattern": "/json/user", "allow": ["name"]},
                    {
                        "url_pattern": "/delayed/shadow?ms=10000",
                        "extra_config": {"proxy": {"shadow": True}},
                    },
                ],
            },
        )
    )
    with trio.fail_after(5):  # the 10 s shadow never delays the answer
        r = await client.get(f"{gw}/shadowed")
    assert (r.status_code, r.json()) == (200, {"name": "a"})
    assert r.headers["x-krakend-completed"] == "true"  # a single-backend endpoint now
    with trio.fail_after(5):
        while STATS["/delayed/shadow"] == 0:  # noqa: ASYNC110 - polling the backend's counter
            await trio.sleep(0.01)


async def test_noop_passthrough(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/no-op/ok",
                "method": "POST",
                "output_encoding": "no-op",
                "backend": [{"url_pattern": "/param_forwarding/"}],
            },
            {
                "endpoint": "/no-op/ko",
                "output_encoding": "no-op",
                "backend": [{"url_pattern": "/unknown"}],
            },
            {
                "endpoint": "/no-op/big",
                "output_encoding": "no-op",
                "backend": [{"url_pattern": "/raw?ct=application/octet-stream&body=" + "x" * 3000}],
            },
        )
    )
    r = await client.post(f"{gw}/no-op/ok")
    assert r.status_code == 200
    assert r.headers.get_list("set-cookie") == ["test1=test1", "test2=test2"]
    assert r.headers["x-krakend-completed"] == "false"
    assert r.headers["content-type"] == "application/json"
    assert "cache-control" not in r.headers
    assert r.json()["path"] == "/param_forwarding/"

    r = await client.get(f"{gw}/no-op/ko")
    assert (r.status_code, r.text) == (404, "404 page not found\n")

    r = await client.get(f"{gw}/no-op/big")
    assert r.content == b"x" * 3000
