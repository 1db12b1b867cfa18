"""The Redis token bucket (qos/redis_bucket.py) against a real redis-server: the in-process
bucket's arithmetic to the nanosecond (a differential test), per-client keys, exact counts under
many parallel checks, the script loaded again after SCRIPT FLUSH, coredis under trio."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator

import coredis
import pytest
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.redis_server import RedisCluster, RedisServer, redis_cluster, redis_server
from trio_gateway.qos.ratelimit import BucketParameters, Rejection, TokenBucket
from trio_gateway.qos.redis_bucket import RedisBuckets, endpoint_prefix, script
from trio_gateway.qos.redis_pools import release

__all__ = ["redis_cluster", "redis_server"]

_NS = 1_000_000_000
_T0 = 1_700_000_000 * _NS  # an epoch time in ns, as Redis's TIME gives


def _params(
    client: tuple[int, int] = (0, 0), endpoint: tuple[int, int] = (0, 0), ttl: float = 600.0
) -> BucketParameters:
    return BucketParameters(
        client_fill_ns=client[0],
        client_capacity=client[1],
        endpoint_fill_ns=endpoint[0],
        endpoint_capacity=endpoint[1],
        client_ttl=ttl,
    )


def _buckets(params: BucketParameters) -> RedisBuckets:
    return RedisBuckets(script(), endpoint_prefix("GET", f"/{uuid.uuid4()}"), params)


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[coredis.Redis[bytes]]:
    async with coredis.Redis(redis_server.host, redis_server.port, max_connections=8) as client:
        yield client


async def test_coredis_runs_under_trio(redis: coredis.Redis[bytes]) -> None:
    # redis.asyncio does not; coredis (anyio) does: a round trip from a trio task.
    assert await redis.ping()
    key = f"t:{uuid.uuid4()}"

    async def incr() -> None:
        await redis.incr(key)

    async with trio.open_nursery() as nursery:
        for _ in range(20):
            nursery.start_soon(incr)
    assert await redis.get(key) == b"20"


async def test_burst_then_refill_by_whole_intervals(redis: coredis.Redis[bytes]) -> None:
    buckets = _buckets(_params(endpoint=(100_000_000, 3)))  # 10/s, capacity 3
    answers = [await buckets.check(redis, None, now_ns=_T0) for _ in range(4)]
    assert answers[:3] == [None, None, None]
    assert answers[3] == Rejection(503, 0.1)
    # 0.3 s later: 3 tokens (integer ns: a float division would floor 2.999... to 2)
    later = _T0 + 300_000_000
    answers = [await buckets.check(redis, None, now_ns=later) for _ in range(4)]
    assert answers[:3] == [None, None, None]
    assert answers[3] == Rejection(503, 0.1)


async def test_overflowing_refill_grants_capacity_plus_one(redis: coredis.Redis[bytes]) -> None:
    buckets = _buckets(_params(endpoint=(_NS, 2)))
    for _ in range(2):
        assert await buckets.check(redis, None, now_ns=_T0) is None
    later = _T0 + 10 * _NS  # 10 tokens due, capacity 2: fill to 2 *and* grant (KrakenD §26.3)
    answers = [await buckets.check(redis, None, now_ns=later) for _ in range(4)]
    assert answers[:3] == [None, None, None]
    assert answers[3] is not None and answers[3].status == 503


async def test_each_client_has_its_bucket_and_goes_first(redis: coredis.Redis[bytes]) -> None:
    buckets = _buckets(_params(client=(_NS, 2), endpoint=(_NS, 3)))
    assert [await buckets.check(redis, "alice", now_ns=_T0) for _ in range(3)] == [
        None,
        None,
        Rejection(429, 1.0),
    ]
    # bob has his own bucket; the endpoint's third token goes to him, then it is empty (503)
    assert await buckets.check(redis, "bob", now_ns=_T0) is None
    refused = await buckets.check(redis, "bob", now_ns=_T0)
    assert refused == Rejection(503, 1.0)
    # ... and bob's second client token was spent anyway (client first, as in-process)
    assert await buckets.check(redis, "bob", now_ns=_T0) == Rejection(429, 1.0)


async def test_client_keys_are_hashed_and_expire(redis: coredis.Redis[bytes]) -> None:
    buckets = _buckets(_params(client=(_NS, 1), ttl=700.0))
    token = "Bearer secret-token"
    assert await buckets.check(redis, token, now_ns=_T0) is None
    key = buckets.client_bucket_key(token)
    assert token not in key and len(key.rsplit(":", 1)[1]) == 32
    assert 699_000 < await redis.pttl(key) <= 700_000


async def test_the_script_is_loaded_again_after_a_flush(redis: coredis.Redis[bytes]) -> None:
    buckets = _buckets(_params(endpoint=(_NS, 5)))
    assert await buckets.check(redis, None) is None
    await redis.script_flush()
    assert await buckets.check(redis, None) is None  # NOSCRIPT -> SCRIPT LOAD -> EVALSHA


async def test_redis_clock_is_used_by_default(redis: coredis.Redis[bytes]) -> None:
    buckets = _buckets(_params(endpoint=(3600 * _NS, 1)))
    assert await buckets.check(redis, None) is None
    refused = await buckets.check(redis, None)
    assert refused is not None and refused.status == 503 and 3599 < refused.retry_after <= 3600


async def test_many_parallel_checks_admit_exactly_the_capacity(
    redis: coredis.Redis[bytes],
) -> None:
    # 40 tasks x 10 checks against one bucket of 137 tokens that does not refill (1 per hour)
    buckets = _buckets(_params(client=(3600 * _NS, 1000), endpoint=(3600 * _NS, 137)))
    allowed = 0

    async def hammer() -> None:
        nonlocal allowed
        for _ in range(10):
            if await buckets.check(redis, "everyone") is None:
                allowed += 1

    async with trio.open_nursery() as nursery:
        for _ in range(40):
            nursery.start_soon(hammer)
    assert allowed == 137


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    capacity=st.integers(1, 4),
    fill=st.sampled_from([1, 7, 1_000, 33_333_333, 100_000_000, 333_333_333, _NS, 3 * _NS]),
    steps=st.lists(st.floats(0, 3.5), min_size=1, max_size=25),
)
async def test_same_answers_as_the_in_process_bucket(
    redis_server: RedisServer, capacity: int, fill: int, steps: list[float]
) -> None:
    # Times in whole ns (as `_ns(now)` rounds them), deltas up to 3.5 fill intervals.
    local = TokenBucket(_NS / fill, capacity, 0.0)
    assert local.fill_interval * _NS == pytest.approx(fill, abs=1)
    fill_ns = round(local.fill_interval * _NS)
    buckets = _buckets(_params(endpoint=(fill_ns, capacity)))
    async with coredis.Redis(redis_server.host, redis_server.port) as redis:
        t = 0
        for step in itertools.chain([0.0], steps):
            t += int(step * fill_ns)
            now = t / _NS
            expected = local.allow(now)
            answer = await buckets.check(redis, None, now_ns=_T0 + t)
            assert (answer is None) == expected, (t, steps)
            if answer is not None:
                assert answer.retry_after == pytest.approx(local.retry_after(now), abs=1e-9)


async def test_buckets_on_a_redis_cluster(redis_cluster: RedisCluster) -> None:
    # Endpoints hash to different primaries; each endpoint's keys share a slot (the hash tag),
    # so one script sees both of its buckets. Exact counts under parallel checks there too.
    nodes = [{"host": n.host, "port": n.port} for n in redis_cluster.nodes]
    cluster = coredis.RedisCluster(startup_nodes=nodes, verify_version=False)
    try:
        await _on_cluster(cluster, redis_cluster)
    finally:
        release(cluster)  # the layout's streams, which coredis leaves open


async def _on_cluster(client: coredis.RedisCluster[bytes], redis_cluster: RedisCluster) -> None:
    async with client as cluster:
        hour = 3600 * _NS
        endpoints = [
            RedisBuckets(
                script(),
                endpoint_prefix("GET", f"/cluster/{i}"),
                _params(client=(hour, 3) if i == 0 else (0, 0), endpoint=(hour, 20)),
            )
            for i in range(6)
        ]
        allowed = [0] * len(endpoints)

        async def hammer(index: int) -> None:
            for _ in range(10):
                if await endpoints[index].check(cluster, "client") is None:
                    allowed[index] += 1

        async with trio.open_nursery() as nursery:
            for index in range(len(endpoints)):
                for _ in range(4):
                    nursery.start_soon(hammer, index)
        assert allowed == [3, 20, 20, 20, 20, 20]
        share = 16384 // len(redis_cluster.nodes)
        primaries = {
            min(await cluster.cluster_keyslot(f"{{GET /cluster/{i}}}") // share, 2)
            for i in range(6)
        }
        assert len(primaries) >= 2  # the endpoints live on more than one primary
