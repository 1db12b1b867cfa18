"""`qos/ratelimit/router/redis` end to end: one limit shared by two workers (`run --workers 2`)
and by two gateway processes through one real redis-server; the answers of the in-process limit
(503/429, Retry-After); Redis down: 503 by default (EE's `on_failure_allow: false`), the
in-process limit with `on_failure_allow: true`; the pools open with the server and close with it."""

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

from tests.e2e.conftest import StartGateway
from tests.e2e.processes import ROOT, free_port, serving
from tests.redis_server import RedisServer, redis_server, start_redis_server

__all__ = ["redis_server"]

_CLIENT_NAME = "trio-gateway-e2e"


def _config(
    backend_url: str, redis_address: str, limit: dict[str, Any], **service: Any
) -> dict[str, Any]:
    return {
        "version": 3,
        "listen_ip": "127.0.0.1",
        "host": [backend_url],
        "extra_config": {
            "redis": {
                "connection_pools": [
                    {
                        "name": "shared",
                        "address": redis_address,
                        "client_name": _CLIENT_NAME,
                        "max_retries": -1,
                    }
                ]
            }
        },
        "endpoints": [
            {
                "endpoint": "/limited",
                "extra_config": {
                    "qos/ratelimit/router/redis": {"connection_name": "shared", **limit}
                },
                "backend": [{"url_pattern": "/json/user"}],
            }
        ],
        **service,
    }


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[coredis.Redis[bytes]]:
    async with coredis.Redis(redis_server.host, redis_server.port) as client:
        await client.flushdb()  # each test starts with no buckets
        yield client


async def _statuses(urls: list[str], count: int, *, fresh: bool = False) -> list[int]:
    """`count` GETs, round robin over `urls`, one after the other; `fresh`: a new connection each
    (so that SO_REUSEPORT spreads them over the workers)."""
    statuses = []
    async with httpx.AsyncClient(timeout=10) as shared:
        for i in range(count):
            url = urls[i % len(urls)]
            if fresh:
                async with httpx.AsyncClient(timeout=10) as one:
                    statuses.append((await one.get(url)).status_code)
            else:
                statuses.append((await shared.get(url)).status_code)
    return statuses


async def _gateway_connections(redis: coredis.Redis[bytes]) -> int:
    listed = await redis.client_list()
    return sum(1 for c in listed if c.get("name") == _CLIENT_NAME)


async def test_one_limit_in_process_with_the_router_limits_answers(
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    redis_server: RedisServer,
    redis: coredis.Redis[bytes],
) -> None:
    gw = await start_gateway(
        _config(backend_url, redis_server.address, {"max_rate": 3, "capacity": 3, "every": "1m"})
    )
    answers = [await client.get(f"{gw}/limited") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 503, 503]
    assert answers[3].content == b""
    assert 1 <= int(answers[3].headers["retry-after"]) <= 20  # 1 token per 20 s
    assert await _gateway_connections(redis) >= 1
    assert await redis.keys("trio-gateway:rl:{GET /limited}:*") == {
        b"trio-gateway:rl:{GET /limited}:e"
    }


async def test_client_limit_is_429_per_header(
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    redis_server: RedisServer,
    redis: coredis.Redis[bytes],
) -> None:
    limit = {
        "client_max_rate": 2,
        "client_capacity": 2,
        "every": "1h",
        "strategy": "header",
        "key": "X-Client",
    }
    gw = await start_gateway(_config(backend_url, redis_server.address, limit))
    a = [(await client.get(f"{gw}/limited", headers={"X-Client": "a"})).status_code for _ in "123"]
    b = (await client.get(f"{gw}/limited", headers={"X-Client": "b"})).status_code
    missing = await client.get(f"{gw}/limited")
    assert a == [200, 200, 429]
    assert b == 200
    assert missing.status_code == 429  # no key: refused, as KrakenD (no Redis call)


def _write(tmp_path: Path, name: str, config: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(config))
    return path


def _run(config: Path, port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "trio_gateway", "run", "-c", str(config), "-p", str(port), *extra]


async def test_two_gateway_processes_share_one_limit(
    backend_url: str, tmp_path: Path, redis_server: RedisServer, redis: coredis.Redis[bytes]
) -> None:
    config = _write(
        tmp_path,
        "krakend.json",
        _config(backend_url, redis_server.address, {"max_rate": 7, "capacity": 7, "every": "1h"}),
    )
    one, two = free_port(), free_port()
    async with serving(_run(config, one), one), serving(_run(config, two), two):
        urls = [f"http://127.0.0.1:{one}/limited", f"http://127.0.0.1:{two}/limited"]
        statuses = await _statuses(urls, 20)
        connections = await _gateway_connections(redis)
    assert statuses.count(200) == 7  # in process, each would have admitted 7
    assert statuses.count(503) == 13
    assert connections == 2  # one pool per process, one connection each (sequential checks)


async def test_two_workers_share_one_limit(
    backend_url: str, tmp_path: Path, redis_server: RedisServer, redis: coredis.Redis[bytes]
) -> None:
    config = _write(
        tmp_path,
        "krakend.json",
        _config(backend_url, redis_server.address, {"max_rate": 9, "capacity": 9, "every": "1h"}),
    )
    port = free_port()
    log = tmp_path / "gateway.log"
    with log.open("wb") as stderr:
        proc = await trio.lowlevel.open_process(
            _run(config, port, "--workers", "2"), cwd=ROOT, stderr=stderr
        )
    try:
        with trio.fail_after(30):  # both workers listening
            while log.read_text().count("listening on http://") < 2:
                assert proc.returncode is None, log.read_text()
                await trio.sleep(0.1)
        statuses = await _statuses([f"http://127.0.0.1:{port}/limited"], 40, fresh=True)
        connections = await _gateway_connections(redis)
    finally:
        proc.terminate()
        with trio.move_on_after(15):
            await proc.wait()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert statuses.count(200) == 9
    assert statuses.count(503) == 31
    # 40 fresh connections spread by SO_REUSEPORT: both workers checked (2^-39 they did not)
    assert connections == 2
    assert "rate limits, circuit breakers and caches are per process" not in log.read_text()


async def test_redis_down_fails_closed_by_default(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there
    gw = await start_gateway(_config(backend_url, nowhere, {"max_rate": 100}))
    with trio.fail_after(5):  # bounded: connection refused is fast, the deadline bounds the rest
        answers = [await client.get(f"{gw}/limited") for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 503]
    assert answers[0].headers["retry-after"] == "1"


async def test_redis_down_with_on_failure_allow_uses_the_in_process_limit(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    limit = {"max_rate": 2, "capacity": 2, "every": "1h", "on_failure_allow": True}
    gw = await start_gateway(_config(backend_url, nowhere, limit))
    answers = [(await client.get(f"{gw}/limited")).status_code for _ in range(4)]
    assert answers == [200, 200, 503, 503]


async def test_a_slow_redis_costs_at_most_the_deadline(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    # A server that accepts and never answers: the check gives up after a tenth of the endpoint
    # timeout (here 1 s -> 100 ms) and the failure policy answers.
    silent = trio.socket.socket()
    await silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    address = f"127.0.0.1:{silent.getsockname()[1]}"
    try:
        gw = await start_gateway(_config(backend_url, address, {"max_rate": 5}, timeout="1s"))
        with trio.fail_after(5):
            first = await client.get(f"{gw}/limited")
            second = await client.get(f"{gw}/limited")  # within the pause: no wait at all
        assert first.status_code == second.status_code == 503
    finally:
        silent.close()


async def test_redis_comes_back(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    port = free_port()
    gw = await start_gateway(
        _config(backend_url, f"127.0.0.1:{port}", {"max_rate": 2, "capacity": 2, "every": "1h"})
    )
    assert (await client.get(f"{gw}/limited")).status_code == 503  # down
    server = start_redis_server(port)
    try:
        await trio.sleep(1.1)  # the pause after a failure
        answers = [(await client.get(f"{gw}/limited")).status_code for _ in range(3)]
    finally:
        server.stop()
    assert answers == [200, 200, 503]
