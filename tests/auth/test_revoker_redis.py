"""auth/revoker_redis.py on a real redis-server: the bits are KrakenD's positions (the same as
the in-process filter's), rotate.go's generations under a fake clock, the key names, and the
answers when Redis is not there."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import coredis
import pytest

from tests.redis_server import RedisServer, redis_server
from trio_gateway.auth.bloom import RotatingFilter
from trio_gateway.auth.revoker import RevokerConfig
from trio_gateway.auth.revoker_redis import SharedFilter
from trio_gateway.qos.redis_pools import ConnectionPoolConfig, RedisConfig, RedisPools

__all__ = ["redis_server"]

CONFIG = RevokerConfig(
    n=100, p=0.001, hash_name="default", ttl=10, port=0, token_keys=("jti",), connection_name="r"
)


# Redis expires the keys by its own clock: a fake clock near the real one (generation G, 5 s in).
G = int(time.time() // 10)


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[coredis.Redis[bytes]]:
    async with coredis.Redis(redis_server.host, redis_server.port) as client:
        await client.flushdb()
        yield client


@pytest.fixture
async def pools(redis_server: RedisServer) -> AsyncIterator[RedisPools]:
    pool = ConnectionPoolConfig(name="r", address=redis_server.address, max_retries=-1)
    async with RedisPools(RedisConfig(connection_pools=(pool,))) as opened:
        yield opened


async def test_the_bits_are_krakends_positions(
    pools: RedisPools, redis: coredis.Redis[bytes]
) -> None:
    now = [G * 10 + 5.0]
    shared = SharedFilter(CONFIG, pools, clock=lambda: now[0])
    assert await shared.add([b"jti-abc"])
    local = RotatingFilter(100, 0.001, "default", 10, clock=lambda: 0.0)
    positions = set(local.positions(b"jti-abc"))
    assert len(positions) > 1
    prefix = f"trio-gateway:revoker:{{default:{local.m}:{local.k}}}:"
    assert sorted(await redis.keys(prefix + "*")) == [
        (prefix + str(G)).encode(),
        (prefix + str(G + 1)).encode(),
    ]
    for generation in (G, G + 1):
        raw = await redis.get(prefix + str(generation))
        assert raw is not None
        set_bits = {
            i * 8 + (7 - b) for i, byte in enumerate(raw) for b in range(8) if byte >> b & 1
        }  # Redis numbers a string's bits from the most significant of its first byte
        assert set_bits == positions


async def test_generations_rotate_as_krakends_three_filters(pools: RedisPools) -> None:
    base = G * 10.0
    now = [base + 5]
    shared = SharedFilter(CONFIG, pools, clock=lambda: now[0])
    await shared.add([b"jti-a"])
    for t, seen in [(5.0, True), (19.9, True), (25.0, True), (29.9, True), (30.0, False)]:
        now[0] = base + t
        assert await shared.check([b"jti-a", b"jti-b"]) == [seen, False], t


async def test_no_pool_is_a_failure(redis_server: RedisServer) -> None:
    pools = RedisPools(None)  # never opened: no client
    shared = SharedFilter(CONFIG, pools)
    assert await shared.add([b"jti-a"]) is False
    assert await shared.check([b"jti-a"]) is None
    assert await shared.check([]) == []
