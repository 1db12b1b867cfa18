"""`CachingClient` over the Redis store against a real redis-server: two clients with their own
in-process caches (two processes, as far as the cache can tell) share the entries; Vary,
revalidation (304) and invalidation work across them as within one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import coredis
import pytest

from tests.qos.test_httpcache import ORIGIN, FakeClient, cacheable, reply
from tests.redis_server import RedisServer, redis_server
from trio_gateway.qos.http_cache import CachingClient, HTTPCache
from trio_gateway.qos.redis_cache import RedisCacheStore, get_script
from trio_gateway.qos.redis_calls import RedisCalls
from trio_gateway.qos.redis_pools import ConnectionPoolConfig, RedisConfig, RedisPools

__all__ = ["redis_server"]


@pytest.fixture
async def pools(redis_server: RedisServer) -> AsyncIterator[RedisPools]:
    async with coredis.Redis(redis_server.host, redis_server.port) as client:
        await client.flushdb()
    config = RedisConfig(
        connection_pools=(ConnectionPoolConfig(name="p", address=redis_server.address),)
    )
    async with RedisPools(config) as opened:
        yield opened


def _caching(pools: RedisPools, backend: FakeClient) -> CachingClient:
    calls = RedisCalls(pools, "p", deadline=2.0, label="test", instead="calling the backend")
    store = RedisCacheStore(calls, get_script(), "GET /a b0", 0)
    return CachingClient(backend, HTTPCache(), store)  # type: ignore[arg-type]


async def test_what_one_stores_the_other_answers_by_vary(pools: RedisPools) -> None:
    a_backend = FakeClient(cacheable((b"vary", b"Accept"), body=b"json"), delay=0)
    b_backend = FakeClient(cacheable((b"vary", b"Accept"), body=b"xml"), delay=0)
    a, b = _caching(pools, a_backend), _caching(pools, b_backend)
    json_accept = [(b"accept", b"application/json")]
    first = await a.request(ORIGIN, b"GET", b"/a", json_accept)
    second = await b.request(ORIGIN, b"GET", b"/a", json_accept)
    other = await b.request(ORIGIN, b"GET", b"/a", [(b"accept", b"application/xml")])
    assert first.body == second.body == b"json"
    assert other.body == b"xml"  # another Vary value: a miss, its answer replaces the entry
    assert (len(a_backend.calls), len(b_backend.calls)) == (1, 1)


async def test_a_stale_entry_is_revalidated_by_the_other(pools: RedisPools) -> None:
    tagged = reply((b"cache-control", b"no-cache"), (b"etag", b'"v1"'), body=b"whole")
    a = _caching(pools, FakeClient(tagged, delay=0))
    b_backend = FakeClient(reply((b"etag", b'"v1"'), status=304, body=b""), delay=0)
    b = _caching(pools, b_backend)
    assert (await a.request(ORIGIN, b"GET", b"/a", [])).body == b"whole"
    answer = await b.request(ORIGIN, b"GET", b"/a", [])
    assert (answer.status, answer.body) == (200, b"whole")
    assert b_backend.calls[0].header(b"if-none-match") == b'"v1"'


async def test_an_unsafe_request_through_one_invalidates_for_the_other(pools: RedisPools) -> None:
    a_backend = FakeClient(cacheable(body=b"old"), cacheable(body=b"fresh"), delay=0)
    b_backend = FakeClient(reply(body=b"posted"), delay=0)
    a, b = _caching(pools, a_backend), _caching(pools, b_backend)
    assert (await a.request(ORIGIN, b"GET", b"/a", [])).body == b"old"
    assert (await b.request(ORIGIN, b"GET", b"/a", [])).body == b"old"  # from Redis
    assert (await b.request(ORIGIN, b"POST", b"/a", [], b"x")).body == b"posted"
    assert (await a.request(ORIGIN, b"GET", b"/a", [])).body == b"fresh"
    assert [c.method for c in a_backend.calls] == [b"GET", b"GET"]
