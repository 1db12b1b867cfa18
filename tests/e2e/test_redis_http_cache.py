"""`qos/http-cache` with `connection_name` (trio-gateway's own): the entries in a real
redis-server, so a response cached by one gateway process answers another without reaching the
backend; an unsafe request through either invalidates it for both; Redis down or silent: the
cache is skipped and the backend answers (200), within the deadline."""

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


def _config(backend_url: str, redis_address: str, **cache: Any) -> dict[str, Any]:
    http_cache = {"connection_name": "shared", "max_items": 100, "max_size": 100_000, **cache}
    return {
        "version": 3,
        "listen_ip": "127.0.0.1",
        "host": [backend_url],
        "extra_config": {
            "redis": {
                "connection_pools": [
                    {"name": "shared", "address": redis_address, "max_retries": -1}
                ]
            }
        },
        "endpoints": [
            {
                "endpoint": "/cached/{id}",
                "method": method,
                "backend": [
                    {
                        "url_pattern": "/cacheable/{id}",
                        "method": method,
                        "allow": ["path"],
                        "extra_config": {"qos/http-cache": http_cache},
                    }
                ],
            }
            for method in ("GET", "POST")
        ],
    }


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[coredis.Redis[bytes]]:
    async with coredis.Redis(redis_server.host, redis_server.port) as client:
        await client.flushdb()
        yield client


def _run(config: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "trio_gateway", "run", "-c", str(config), "-p", str(port)]


async def test_one_process_caches_another_answers(
    backend_url: str, tmp_path: Path, redis_server: RedisServer, redis: coredis.Redis[bytes]
) -> None:
    path = tmp_path / "krakend.json"
    path.write_text(json.dumps(_config(backend_url, redis_server.address)))
    one, two = free_port(), free_port()
    async with (
        serving(_run(path, one), one),
        serving(_run(path, two), two),
        httpx.AsyncClient(timeout=10) as client,
    ):
        first = await client.get(f"http://127.0.0.1:{one}/cached/1")
        assert STATS["/cacheable/1"] == 1
        second = await client.get(f"http://127.0.0.1:{two}/cached/1")
        third = await client.get(f"http://127.0.0.1:{one}/cached/1")
        assert STATS["/cacheable/1"] == 1  # both answered from Redis
        keys = await redis.keys("trio-gateway:cache:*")
        ttl = await redis.pttl(next(iter(keys)))
    assert first.status_code == second.status_code == third.status_code == 200
    assert first.json() == second.json() == third.json() == {"path": "/cacheable/1"}
    assert len(keys) == 1  # one entry, keyed by a digest of the URL (not the URL itself)
    assert b"cacheable" not in next(iter(keys))
    assert 50_000 < ttl <= 60_000  # max-age=60: the remaining freshness lifetime


async def test_an_unsafe_request_invalidates_a_shared_entry_for_every_process(
    backend_url: str, tmp_path: Path, redis_server: RedisServer, redis: coredis.Redis[bytes]
) -> None:
    # "shared": true: the GET and the POST backends use one store, as in process
    path = tmp_path / "krakend.json"
    path.write_text(json.dumps(_config(backend_url, redis_server.address, shared=True)))
    one, two = free_port(), free_port()
    async with (
        serving(_run(path, one), one),
        serving(_run(path, two), two),
        httpx.AsyncClient(timeout=10) as client,
    ):
        statuses = [(await client.get(f"http://127.0.0.1:{one}/cached/5")).status_code]
        statuses.append((await client.get(f"http://127.0.0.1:{two}/cached/5")).status_code)
        assert STATS["/cacheable/5"] == 1
        statuses.append((await client.post(f"http://127.0.0.1:{two}/cached/5")).status_code)
        keys = await redis.keys("trio-gateway:cache:*")
        statuses.append((await client.get(f"http://127.0.0.1:{one}/cached/5")).status_code)
    assert statuses == [200, 200, 200, 200]
    assert keys == set()  # the POST deleted it
    assert STATS["/cacheable/5"] == 3  # the POST and the GET after it reached the backend


async def test_too_large_an_entry_is_not_written(
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    redis_server: RedisServer,
    redis: coredis.Redis[bytes],
) -> None:
    gw = await start_gateway(_config(backend_url, redis_server.address, max_size=50))
    for _ in range(2):
        assert (await client.get(f"{gw}/cached/2")).status_code == 200
    assert STATS["/cacheable/2"] == 2
    assert await redis.keys("trio-gateway:cache:*") == set()


async def test_redis_down_skips_the_cache(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    gw = await start_gateway(_config(backend_url, nowhere))
    with trio.fail_after(5):
        answers = [await client.get(f"{gw}/cached/3") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[2].json() == {"path": "/cacheable/3"}
    assert STATS["/cacheable/3"] == 3  # no cache meanwhile: every request reached the backend


async def test_a_silent_redis_costs_at_most_the_deadline(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    silent = trio.socket.socket()  # accepts, never answers
    await silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        gw = await start_gateway(_config(backend_url, f"127.0.0.1:{silent.getsockname()[1]}"))
        with trio.fail_after(5):  # 2 s endpoint timeout: 200 ms per Redis call at most
            answers = [(await client.get(f"{gw}/cached/4")).status_code for _ in range(2)]
        assert answers == [200, 200]
        assert STATS["/cacheable/4"] == 2
    finally:
        silent.close()
