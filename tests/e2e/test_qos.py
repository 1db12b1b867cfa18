"""Protecting backends end to end: rate limits, circuit breaker, HTTP cache (issue 5)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import StartGateway


def _config(backend_url: str, *endpoints: dict[str, Any], **service: Any) -> dict[str, Any]:
    return {"version": 3, "host": [backend_url], "endpoints": list(endpoints), **service}


async def test_endpoint_limit_is_503_and_client_limit_is_429(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/global",
                "extra_config": {"qos/ratelimit/router": {"max_rate": 1, "every": "1m"}},
                "backend": [{"url_pattern": "/json/user"}],
            },
            {
                "endpoint": "/per-client",
                "extra_config": {
                    "qos/ratelimit/router": {
                        "client_max_rate": 1,
                        "every": "1m",
                        "strategy": "header",
                        "key": "X-Client",
                    }
                },
                "backend": [{"url_pattern": "/json/user"}],
            },
        )
    )
    assert (await client.get(f"{gw}/global")).status_code == 200
    r = await client.get(f"{gw}/global")
    assert (r.status_code, r.content) == (503, b"")
    assert int(r.headers["retry-after"]) >= 1
    assert "x-krakend" not in r.headers  # rejected before the endpoint handler, as KrakenD

    a, b = {"X-Client": "a"}, {"X-Client": "b"}
    assert (await client.get(f"{gw}/per-client", headers=a)).status_code == 200
    assert (await client.get(f"{gw}/per-client", headers=a)).status_code == 429
    assert (await client.get(f"{gw}/per-client", headers=b)).status_code == 200
    assert (await client.get(f"{gw}/per-client")).status_code == 429  # no key: rejected
    assert STATS["/json/user"] == 3  # rejections never reach the backend


async def test_backend_rate_limit_fails_like_a_backend_error(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    limited = {"qos/ratelimit/proxy": {"max_rate": 1, "every": "1m", "capacity": 1}}
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/one",
                "backend": [{"url_pattern": "/json/user", "extra_config": limited}],
            },
            extra_config={"router": {"return_error_msg": True}},
        )
    )
    assert (await client.get(f"{gw}/one")).status_code == 200
    r = await client.get(f"{gw}/one")
    assert (r.status_code, r.text) == (500, "rate limit exceded")


async def test_circuit_breaker_stops_calling_a_failing_backend(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    breaker = {"qos/circuit-breaker": {"interval": 60, "timeout": 60, "max_errors": 1}}
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/cb",
                "backend": [{"url_pattern": "/status/500", "extra_config": breaker}],
            },
            extra_config={"router": {"return_error_msg": True}},
        )
    )
    for _ in range(2):  # max_errors + 1 consecutive failures open the breaker
        assert (await client.get(f"{gw}/cb")).status_code == 500
    assert STATS["/status/500"] == 2
    for _ in range(3):
        r = await client.get(f"{gw}/cb")
        assert (r.status_code, r.text) == (500, "circuit breaker is open")
    assert STATS["/status/500"] == 2  # the open breaker never touched the backend


async def test_cached_answer_does_not_reach_the_backend(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    cache = {"qos/http-cache": {"max_items": 100, "max_size": 1_000_000}}
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/cached/{id}",
                "backend": [
                    {"url_pattern": "/cacheable/{id}", "allow": ["path"], "extra_config": cache}
                ],
            },
        )
    )
    for _ in range(3):
        r = await client.get(f"{gw}/cached/1")
        assert r.json() == {"path": "/cacheable/1"}
    assert STATS["/cacheable/1"] == 1
    assert (await client.get(f"{gw}/cached/2")).json() == {"path": "/cacheable/2"}
    assert STATS["/cacheable/2"] == 1  # another URL, another entry
