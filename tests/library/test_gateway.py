"""`open_gateway` / `Gateway.handle` / `Gateway.serve` against a real loopback backend."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import trio

from tests.e2e.backend_app import CANCELLED, STATS
from tests.library.conftest import service, wait_until
from trio_gateway import Gateway, GatewayResponse, open_gateway


def config(backend_url: str, **extra: Any) -> dict[str, Any]:
    host = [backend_url]
    return service(
        {
            "endpoint": "/dashboard/{id}",
            "backend": [
                {"host": host, "url_pattern": "/json/user", "group": "user", "allow": ["name"]},
                {
                    "host": host,
                    "url_pattern": "/param_forwarding/{id}",
                    "allow": ["path", "query", "headers"],
                },
            ],
            "input_query_strings": ["q"],
            "input_headers": ["X-Token"],
        },
        {
            "endpoint": "/echo",
            "method": "POST",
            "backend": [{"host": host, "url_pattern": "/param_forwarding/x?dump_body=1"}],
        },
        {
            "endpoint": "/slow",
            "timeout": "10s",
            "backend": [{"host": host, "url_pattern": "/delayed/slow?ms=5000"}],
        },
        {
            "endpoint": "/partial",
            "timeout": "300ms",
            "backend": [
                {"host": host, "url_pattern": "/json/user", "group": "fast"},
                {"host": host, "url_pattern": "/delayed/partial?ms=3000", "group": "slow"},
            ],
        },
        {
            "endpoint": "/shadowed",
            "backend": [
                {"host": host, "url_pattern": "/json/user"},
                {
                    "host": host,
                    "url_pattern": "/param_forwarding/shadow",
                    "extra_config": {"proxy": {"shadow": True}},
                },
            ],
        },
        **extra,
    )


def in_use(gw: Gateway) -> int:
    return sum(s.in_use for s in gw.client.statistics().origins.values())


async def test_handle_runs_the_whole_pipeline(backend_url: str) -> None:
    async with open_gateway(config(backend_url)) as gw:
        response = await gw.handle(
            "GET",
            "/dashboard/7?q=hello&dropped=1",
            headers={"X-Token": "secret", "X-Other": "no"},
        )
    assert isinstance(response, GatewayResponse)
    assert response.status == 200
    assert response.complete is True
    assert response.header("X-Krakend-Completed") == "true"
    assert response.header("content-type") == "application/json; charset=utf-8"
    assert response.header("missing") is None
    data = response.data
    assert data["user"] == {"name": "a"}
    assert data["path"] == "/param_forwarding/7"
    assert data["query"] == {"q": ["hello"]}
    assert data["headers"]["X-Token"] == ["secret"]
    assert "X-Other" not in data["headers"]
    assert data["headers"]["X-Forwarded-For"] == ["127.0.0.1"]


async def test_query_argument_and_json_body(backend_url: str) -> None:
    async with open_gateway(config(backend_url)) as gw:
        got = await gw.handle("GET", "/dashboard/1", query={"q": ["a", "b"]})
        posted = await gw.handle("POST", "/echo", json={"order": 1})
        text = await gw.handle("POST", "/echo", body="plain")
    assert got.data["query"] == {"q": ["a", "b"]}
    assert posted.status == 200
    assert posted.data["body"] == '{"order":1}'
    assert text.data["body"] == "plain"


async def test_routing_errors_come_back_as_responses(backend_url: str) -> None:
    async with open_gateway(config(backend_url)) as gw:
        missing = await gw.handle("GET", "/nowhere")
        wrong_method = await gw.handle("DELETE", "/echo")
        health = await gw.handle("GET", "/__health")
    assert missing.status == 404
    assert missing.complete is False
    assert wrong_method.status == 405
    assert wrong_method.header("allow") == "POST"
    assert health.status == 200
    assert health.data is not None and health.data["status"] == "ok"


async def test_partial_answer_within_the_endpoint_timeout(backend_url: str) -> None:
    async with open_gateway(config(backend_url)) as gw:
        start = trio.current_time()
        response = await gw.handle("GET", "/partial")
        elapsed = trio.current_time() - start
    assert response.status == 200
    assert response.complete is False
    assert response.header("x-krakend-completed") == "false"
    assert response.data == {
        "fast": {"id": 1, "name": "a", "email": "some@email.com", "secret": "x"}
    }
    assert elapsed < 1.0


async def test_backend_error_status(backend_url: str) -> None:
    cfg = service(
        {"endpoint": "/boom", "backend": [{"host": [backend_url], "url_pattern": "/status/503"}]}
    )
    async with open_gateway(cfg) as gw:
        response = await gw.handle("GET", "/boom")
    assert response.status == 500
    assert response.body == b""
    assert response.data is None
    assert response.complete is False


async def test_cancelling_handle_cancels_backend_calls(backend_url: str) -> None:
    async with open_gateway(config(backend_url)) as gw:
        with trio.move_on_after(0.3) as scope:
            await gw.handle("GET", "/slow")
        assert scope.cancelled_caught
        # the backend saw its client go, and the gateway kept no connection busy
        await wait_until(lambda: "/delayed/slow" in CANCELLED)
        assert in_use(gw) == 0
        assert gw.client.statistics().origins  # the origin was called
        # the pool still works afterwards
        again = await gw.handle("GET", "/dashboard/1")
        assert again.status == 200
        assert in_use(gw) == 0


async def test_shadow_calls_run_in_the_background(backend_url: str) -> None:
    async with open_gateway(config(backend_url)) as gw:
        response = await gw.handle("GET", "/shadowed")
        assert response.data == {"id": 1, "name": "a", "email": "some@email.com", "secret": "x"}
        await wait_until(lambda: STATS["/param_forwarding/shadow"] > 0)
    assert STATS["/param_forwarding/shadow"] == 1


async def test_body_exception_is_not_wrapped_and_client_is_closed(backend_url: str) -> None:
    seen: list[Gateway] = []
    with pytest.raises(KeyError, match="mine"):
        async with open_gateway(config(backend_url)) as gw:
            seen.append(gw)
            await gw.handle("GET", "/dashboard/1")
            raise KeyError("mine")
    # closed: idle connections were dropped and new requests are refused
    assert all(s.idle == 0 for s in seen[0].client.statistics().origins.values())


async def test_outer_cancellation_of_open_gateway(backend_url: str) -> None:
    with trio.move_on_after(0.2) as scope:
        async with open_gateway(config(backend_url)) as gw:
            await gw.handle("GET", "/slow")
            pytest.fail("the slow request must be cancelled")
    assert scope.cancelled_caught
    assert in_use(gw) == 0


async def test_serve_in_the_callers_nursery(backend_url: str) -> None:
    async with open_gateway(config(backend_url)) as gw, trio.open_nursery() as nursery:
        urls = await nursery.start(lambda task_status: gw.serve(port=0, task_status=task_status))
        assert len(urls) == 1 and urls[0].startswith("http://127.0.0.1:")
        async with httpx.AsyncClient() as http:
            response = await http.get(urls[0] + "/dashboard/3")
        assert response.status_code == 200
        assert response.headers["x-krakend-completed"] == "true"
        assert response.json()["path"] == "/param_forwarding/3"
        nursery.cancel_scope.cancel()
