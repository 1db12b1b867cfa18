"""`qos/ratelimit/proxy/redis` end to end (trio-gateway's own namespace): one backend limit
shared by two gateway processes through one real redis-server; over the rate the call fails as
the in-process backend limit's (500 "rate limit exceded", the backend not reached); Redis down:
the same failure by default, the in-process limit with `on_failure_allow: true`."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import coredis
import httpx
import pytest
import trio

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import StartGateway
from tests.e2e.processes import free_port, serving
from tests.redis_server import RedisServer, redis_server

__all__ = ["redis_server"]


def _config(backend_url: str, redis_address: str, limit: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": 3,
        "listen_ip": "127.0.0.1",
        "host": [backend_url],
        "extra_config": {
            "router": {"return_error_msg": True},
            "redis": {
                "connection_pools": [
                    {"name": "shared", "address": redis_address, "max_retries": -1}
                ]
            },
        },
        "endpoints": [
            {
                "endpoint": "/limited",
                "backend": [
                    {
                        "url_pattern": "/json/user",
                        "extra_config": {
                            "qos/ratelimit/proxy/redis": {"connection_name": "shared", **limit}
                        },
                    }
                ],
            }
        ],
    }


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[coredis.Redis[bytes]]:
    async with coredis.Redis(redis_server.host, redis_server.port) as client:
        await client.flushdb()
        yield client


async def test_over_the_rate_fails_as_the_in_process_backend_limit(
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    redis_server: RedisServer,
    redis: coredis.Redis[bytes],
) -> None:
    limit = {"max_rate": 2, "capacity": 2, "every": "1m"}
    gw = await start_gateway(_config(backend_url, redis_server.address, limit))
    answers = [await client.get(f"{gw}/limited") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 500, 500]
    assert answers[3].text == "rate limit exceded"
    assert STATS["/json/user"] == 2
    assert await redis.keys("trio-gateway:rl:*") == {b"trio-gateway:rl:{GET /limited}:b0:e"}


async def test_two_gateway_processes_share_one_backend_limit(
    backend_url: str, tmp_path: Path, redis_server: RedisServer, redis: coredis.Redis[bytes]
) -> None:
    path = tmp_path / "krakend.json"
    limit = {"max_rate": 6, "capacity": 6, "every": "1h"}
    path.write_text(json.dumps(_config(backend_url, redis_server.address, limit)))
    one, two = free_port(), free_port()

    def run(port: int) -> list[str]:
        return [sys.executable, "-m", "trio_gateway", "run", "-c", str(path), "-p", str(port)]

    statuses = []
    async with (
        serving(run(one), one),
        serving(run(two), two),
        httpx.AsyncClient(timeout=10) as client,
    ):
        for i in range(16):
            port = (one, two)[i % 2]
            statuses.append((await client.get(f"http://127.0.0.1:{port}/limited")).status_code)
    assert statuses.count(200) == 6  # in process, each would have admitted 6
    assert statuses.count(500) == 10
    assert STATS["/json/user"] == 6


async def test_redis_down_refuses_the_call_by_default(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    gw = await start_gateway(_config(backend_url, nowhere, {"max_rate": 100}))
    with trio.fail_after(5):
        answers = [await client.get(f"{gw}/limited") for _ in range(3)]
    assert [(a.status_code, a.text) for a in answers] == [(500, "rate limit exceded")] * 3
    assert STATS["/json/user"] == 0


async def test_redis_down_with_on_failure_allow_uses_the_in_process_limit(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    limit = {"max_rate": 2, "capacity": 2, "every": "1h", "on_failure_allow": True}
    gw = await start_gateway(_config(backend_url, nowhere, limit))
    answers = [(await client.get(f"{gw}/limited")).status_code for _ in range(4)]
    assert answers == [200, 200, 500, 500]
    assert STATS["/json/user"] == 2


async def test_a_slow_redis_costs_at_most_the_deadline(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    silent = trio.socket.socket()  # accepts, never answers
    await silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    address = f"127.0.0.1:{silent.getsockname()[1]}"
    limit = {"max_rate": 5, "on_failure_allow": True}
    try:
        gw = await start_gateway(_config(backend_url, address, limit))
        with trio.fail_after(5):  # 2 s endpoint timeout -> 200 ms per check at most
            answers = [(await client.get(f"{gw}/limited")).status_code for _ in range(2)]
        assert answers == [200, 200]
    finally:
        silent.close()


async def test_a_shadow_backend_has_its_own_bucket(
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    redis_server: RedisServer,
    redis: coredis.Redis[bytes],
) -> None:
    config = _config(backend_url, redis_server.address, {"max_rate": 1, "every": "1h"})
    limit = config["endpoints"][0]["backend"][0]["extra_config"]
    shadow = {
        "url_pattern": "/json/posts",
        "extra_config": {
            **limit,
            "proxy": {"shadow": True},
            "qos/http-cache": {"connection_name": "shared", "max_items": 10, "max_size": 10_000},
        },
    }
    config["endpoints"][0]["backend"].append(shadow)
    gw = await start_gateway(config)
    answers = [(await client.get(f"{gw}/limited")).status_code for _ in range(2)]
    for _ in range(250):  # the shadow call runs in the background: 5 s at most
        if len(await redis.keys("trio-gateway:rl:*")) == 2:
            break
        await trio.sleep(0.02)
    assert answers == [200, 500]
    assert await redis.keys("trio-gateway:rl:*") == {
        b"trio-gateway:rl:{GET /limited}:b0:e",
        b"trio-gateway:rl:{GET /limited}:s0:e",
    }
