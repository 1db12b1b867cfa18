"""The gateway end to end: real hypercorn, real loopback backend, real sockets."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import trio

from tests.e2e.backend_app import CANCELLED, STATS
from tests.e2e.conftest import StartGateway


async def wait_until(condition: Callable[[], bool]) -> None:
    """Poll a condition that another task makes true (it lives in the backend's globals)."""
    while not condition():  # noqa: ASYNC110 - nothing to wait on but the backend's counters
        await trio.sleep(0.01)


def _config(backend_url: str, *endpoints: dict[str, Any], **service: Any) -> dict[str, Any]:
    return {"version": 3, "host": [backend_url], "endpoints": list(endpoints), **service}


async def test_aggregates_three_backends(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/dashboard/{id}",
                "backend": [
                    {"url_pattern": "/json/user", "group": "user", "allow": ["id", "name"]},
                    {
                        "url_pattern": "/json/posts",
                        "is_collection": True,
                        "mapping": {"collection": "posts"},
                    },
                    {"url_pattern": "/param_forwarding/{id}", "allow": ["foo", "path"]},
                ],
            },
            cache_ttl="1m",
        )
    )
    r = await client.get(f"{gw}/dashboard/7")
    assert r.status_code == 200
    assert r.json() == {
        "user": {"id": 1, "name": "a"},
        "posts": [{"body": "some content", "date": "123456789"}, {"body": "other", "date": "2"}],
        "foo": 42,
        "path": "/param_forwarding/7",
    }
    assert r.headers["x-krakend-completed"] == "true"
    assert r.headers["cache-control"] == "public, max-age=60"
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.headers["x-krakend"].startswith("Version ")
    # keys sorted, compact, as Go writes JSON
    assert r.content.startswith(b'{"foo":42,"path":')


async def test_slow_backend_gives_partial_response_within_the_timeout(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/partial",
                "timeout": "300ms",
                "backend": [
                    {"url_pattern": "/json/user", "group": "fast"},
                    {"url_pattern": "/delayed/x?ms=5000", "group": "slow"},
                ],
            },
            cache_ttl="1h",
        )
    )
    started = time.monotonic()
    r = await client.get(f"{gw}/partial")
    elapsed = time.monotonic() - started
    assert r.status_code == 200
    assert r.json() == {"fast": {"id": 1, "name": "a", "email": "some@email.com", "secret": "x"}}
    assert r.headers["x-krakend-completed"] == "false"
    assert "cache-control" not in r.headers
    # cut at 85 % of 300 ms, long before the backend's 5 s: a generous bound, not a speed target
    assert elapsed < 3.0
    await trio.sleep(0.05)
    assert CANCELLED == ["/delayed/x"]  # the gateway closed the slow call


async def test_all_backends_failing_is_500(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/bad",
                "backend": [{"url_pattern": "/status/404"}, {"url_pattern": "/status/503"}],
            },
        )
    )
    r = await client.get(f"{gw}/bad")
    assert r.status_code == 500
    assert r.content == b""
    assert r.headers["x-krakend-completed"] == "false"


async def test_single_backend_error_text_with_return_error_msg(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {"endpoint": "/crash", "backend": [{"url_pattern": "/unknown"}]},
            extra_config={"router": {"return_error_msg": True}},
        )
    )
    r = await client.get(f"{gw}/crash")
    assert r.status_code == 500
    assert r.text == f"invalid status code 404 [GET /unknown]: {backend_url}/unknown"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"


async def test_one_failing_backend_of_two_is_partial(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/partial",
                "backend": [
                    {"url_pattern": "/status/429"},
                    {"url_pattern": "/json/user", "deny": ["secret"]},
                ],
            },
        )
    )
    r = await client.get(f"{gw}/partial")
    assert r.status_code == 200
    assert r.json() == {"id": 1, "name": "a", "email": "some@email.com"}
    assert r.headers["x-krakend-completed"] == "false"


async def test_unreachable_backend_is_500_without_internal_detail(
    start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    with trio.socket.socket() as sock:  # a port nobody listens on
        await sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gw = await start_gateway(
        _config(
            f"http://127.0.0.1:{port}", {"endpoint": "/down", "backend": [{"url_pattern": "/"}]}
        )
    )
    r = await client.get(f"{gw}/down")
    assert r.status_code == 500
    assert r.content == b""


async def test_backend_redirects_are_followed(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/redirect/{code}",
                "backend": [{"url_pattern": "/redirect/?status={code}"}],
            },
        )
    )
    for code in (301, 302, 303, 307, 308):
        r = await client.get(f"{gw}/redirect/{code}")
        assert r.status_code == 200, code
        assert r.json()["path"] == "/param_forwarding/"
        assert r.json()["query"] == {"status": [str(code)]}


async def test_client_disconnect_cancels_backend_calls(
    backend_url: str, start_gateway: StartGateway
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/slow",
                "timeout": "10s",
                "backend": [{"url_pattern": "/delayed/d?ms=5000"}],
            },
        )
    )
    host, port = gw.removeprefix("http://").split(":")
    stream = await trio.open_tcp_stream(host, int(port))
    await stream.send_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    with trio.fail_after(5):
        await wait_until(lambda: STATS["/delayed/d"] > 0)
        await stream.aclose()
        await wait_until(lambda: bool(CANCELLED))
    assert CANCELLED == ["/delayed/d"]


async def test_an_oversized_backend_body_is_a_backend_error(
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from trio_gateway.edge import app as asgi

    monkeypatch.setattr(asgi, "MAX_BACKEND_BODY", 100)  # /collection/ answers ~300 bytes
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/big",
                "backend": [{"url_pattern": "/collection/x", "is_collection": True}],
            },
        )
    )
    r = await client.get(f"{gw}/big")
    assert (r.status_code, r.content) == (500, b"")
