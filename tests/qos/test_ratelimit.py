"""Token buckets and the router/proxy rate limiters, with KrakenD's semantics (reference §2, §3).

Time is always passed in explicitly, so nothing here sleeps.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable
from typing import Any

import pytest
import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.config.model import Seconds
from trio_gateway.qos.ratelimit import (
    ProxyRateLimiter,
    Rejection,
    RouterRateLimiter,
    TokenBucket,
    client_key,
)
from trio_gateway.qos.ratelimit_proxy import RateLimitProxyConfig
from trio_gateway.qos.ratelimit_router import RateLimitRouterConfig

T0 = 1000.0  # an arbitrary origin: trio's clock does not start at zero either


def burst(allow_once: Callable[[float], bool], now: float, limit: int = 10_000) -> int:
    """How many consecutive grants `allow_once(now)` gives at one instant."""
    for granted in range(limit):
        if not allow_once(now):
            return granted
    raise AssertionError("never refused")


def router(**kwargs: Any) -> RouterRateLimiter:
    for name in ("every", "cleanup_period"):
        if name in kwargs:
            kwargs[name] = Seconds(float(kwargs[name]))
    limiter = RouterRateLimiter.from_config(RateLimitRouterConfig(**kwargs), T0)
    assert limiter is not None
    return limiter


def assert_rejected(
    result: Rejection | None, status: int, retry_after: float | None = None
) -> None:
    assert result is not None
    assert result.status == status
    if retry_after is not None:
        assert result.retry_after == pytest.approx(retry_after)


def client_burst(limiter: RouterRateLimiter, key: str, now: float) -> int:
    """How many requests with this client key pass `check` at one instant."""
    return burst(lambda t: limiter.check(key, t) is None, now)


# -- TokenBucket ------------------------------------------------------------------------------


def test_bucket_starts_full_then_refuses() -> None:
    bucket = TokenBucket(1.0, 5, T0)
    assert burst(bucket.allow, T0) == 5
    assert not bucket.allow(T0 + 0.999)


def test_bucket_refills_one_token_per_interval() -> None:
    bucket = TokenBucket(2.0, 1, T0)
    assert bucket.allow(T0)
    assert not bucket.allow(T0 + 0.499)
    assert bucket.allow(T0 + 0.5)
    assert not bucket.allow(T0 + 0.5)
    # The refill clock advanced by whole intervals (to T0 + 0.5), not to the request time.
    assert not bucket.allow(T0 + 0.999)
    assert bucket.allow(T0 + 1.0)


def test_bucket_refill_within_capacity_grants_exactly_the_tokens_added() -> None:
    bucket = TokenBucket(1.0, 3, T0)
    assert burst(bucket.allow, T0) == 3
    assert burst(bucket.allow, T0 + 2) == 2  # two intervals: this request plus one stored


def test_bucket_refill_past_capacity_grants_capacity_plus_one() -> None:
    # tokenbucket.go: tokens = capacity *and* the request is allowed (reference §26.3).
    bucket = TokenBucket(1.0, 3, T0)
    assert burst(bucket.allow, T0) == 3
    assert burst(bucket.allow, T0 + 10) == 4


def test_bucket_lazy_refill_lets_an_idle_bucket_burst_twice_its_capacity_plus_one() -> None:
    # Refill only happens once empty, so credit accrues while tokens remain: KrakenD's bucket
    # idle since creation grants capacity, then capacity + 1 from the overflowing refill.
    bucket = TokenBucket(1.0, 3, T0)
    assert burst(bucket.allow, T0 + 100) == 2 * 3 + 1


def test_bucket_works_in_whole_nanoseconds() -> None:
    bucket = TokenBucket(10.0, 5, 0.0)
    assert burst(bucket.allow, 0.0) == 5
    # 0.3 / 0.1 is 2.9999999999999996 in floats; Go's Duration arithmetic (and ours) says 3.
    assert burst(bucket.allow, 0.3) == 3
    # 4.1 s is 4099999999.9999995 ns in floats: rounded to the nearest nanosecond, not truncated.
    bucket = TokenBucket(10.0, 50, 0.1)
    assert burst(bucket.allow, 0.1) == 50
    assert burst(bucket.allow, 4.1) == 40


def test_bucket_floors_rate_and_capacity() -> None:
    bucket = TokenBucket(0.0, 0, T0)
    assert bucket.fill_interval == 1e9  # rate floored at 1e-9/s
    assert burst(bucket.allow, T0) == 1  # capacity raised to 1
    assert not bucket.allow(T0 + 365 * 86400)
    assert TokenBucket(1e12, 1, T0).fill_interval == 1e-9  # at least 1 ns, never 0


def test_bucket_retry_after() -> None:
    bucket = TokenBucket(4.0, 1, T0)
    assert bucket.retry_after(T0) == 0.0
    assert bucket.allow(T0)
    assert bucket.retry_after(T0) == pytest.approx(0.25)
    assert bucket.retry_after(T0 + 0.1) == pytest.approx(0.15)
    assert bucket.retry_after(T0 + 0.3) == 0.0
    assert bucket.allow(T0 + 0.3)


# -- RouterRateLimiter: configuration ----------------------------------------------------------


def test_from_config_none_without_any_limit() -> None:
    assert RouterRateLimiter.from_config(RateLimitRouterConfig(), T0) is None
    config = RateLimitRouterConfig(max_rate=0, client_max_rate=0, strategy="ip")
    assert RouterRateLimiter.from_config(config, T0) is None


def test_unknown_strategy_disables_the_client_limiter(caplog: pytest.LogCaptureFixture) -> None:
    only_client = RateLimitRouterConfig(client_max_rate=1, strategy="cookie", key="sid")
    with caplog.at_level(logging.WARNING, logger="trio_gateway.qos.ratelimit"):
        assert RouterRateLimiter.from_config(only_client, T0) is None
        limiter = router(max_rate=100, client_max_rate=1, strategy="Cookie")
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.WARNING]
    assert "unknown strategy 'cookie'" in caplog.records[0].getMessage()
    assert not limiter.needs_client_key
    assert client_burst(limiter, "same-client", T0) == 100  # only the endpoint bucket counts


def test_strategy_is_normalized() -> None:
    limiter = router(client_max_rate=1, strategy="HEADER", key="X-Api-Key")
    assert limiter.needs_client_key
    assert (limiter.strategy, limiter.key) == ("header", "X-Api-Key")


def test_every_scales_the_rate_and_then_the_default_capacity() -> None:
    limiter = router(max_rate=120, every=60)  # 2/s, so a capacity of 2
    assert client_burst(limiter, "", T0) == 2
    assert_rejected(limiter.check(None, T0 + 0.499), 503, 0.001)
    assert limiter.check(None, T0 + 0.5) is None


def test_every_below_one_second_counts_as_one_second() -> None:
    limiter = router(max_rate=5, every=0.1)  # 5/s, not 50/s
    assert client_burst(limiter, "", T0) == 5
    assert client_burst(limiter, "", T0 + 0.1) == 0


@pytest.mark.parametrize(
    ("config", "endpoint", "client"),
    [
        ({"max_rate": 10}, 10, None),
        ({"max_rate": 0.5}, 1, None),
        ({"max_rate": 100, "every": 60}, 1, None),  # 1.67/s truncates to 1 (reference §2)
        ({"max_rate": 10, "capacity": 3}, 3, None),
        # KrakenD would give these clients a capacity of 1: its default reads max_rate (§26.1).
        ({"client_max_rate": 5}, None, 5),
        ({"client_max_rate": 0.5}, None, 1),
        ({"client_max_rate": 5, "client_capacity": 2}, None, 2),
        ({"max_rate": 100, "client_max_rate": 7}, 100, 7),
    ],
)
def test_default_capacities(
    config: dict[str, float], endpoint: int | None, client: int | None
) -> None:
    if client is not None:
        # One key: the burst ends with its client bucket (the endpoint ones are larger).
        assert client_burst(router(strategy="param", key="id", **config), "a", T0) == client
    if endpoint is not None:
        limiter = router(strategy="param", key="id", **config)
        keys = itertools.count()
        assert burst(lambda t: limiter.check(f"k{next(keys)}", t) is None, T0) == endpoint


# -- RouterRateLimiter: checks -----------------------------------------------------------------


def test_client_limit_429_comes_before_endpoint_limit_503() -> None:
    limiter = router(max_rate=1, capacity=1, client_max_rate=1, strategy="ip")
    assert limiter.check("10.0.0.1", T0) is None
    assert_rejected(limiter.check("10.0.0.1", T0), 429)
    refused = limiter.check("10.0.0.2", T0)
    assert refused is not None and refused.status == 503
    # As in KrakenD, 10.0.0.2 spent its client token on that 503.
    assert_rejected(limiter.check("10.0.0.2", T0), 429)
    stats = limiter.statistics()
    assert (stats.rejections_429, stats.rejections_503, stats.clients) == (2, 1, 2)


@pytest.mark.parametrize("key", ["", None])
def test_missing_client_key_is_an_immediate_429(key: str | None) -> None:
    limiter = router(max_rate=1, capacity=1, client_max_rate=4, strategy="header", key="x-key")
    assert limiter.check(key, T0) == Rejection(429, 0.25)
    assert limiter.statistics().clients == 0
    assert limiter.check("abc", T0) is None  # the endpoint token was not spent


def test_rejections_carry_retry_after() -> None:
    limiter = router(max_rate=1, capacity=1, client_max_rate=2, client_capacity=1, strategy="ip")
    assert limiter.check("a", T0) is None
    assert_rejected(limiter.check("a", T0 + 0.2), 429, 0.3)
    assert_rejected(limiter.check("b", T0 + 0.2), 503, 0.8)


def test_idle_buckets_are_swept_after_the_ttl_at_most_once_per_cleanup_period() -> None:
    # 1 token per 1000 s, so only eviction can give "a" its 3 tokens back within the test.
    limiter = router(client_max_rate=0.001, client_capacity=3, strategy="ip", cleanup_period=60)
    assert client_burst(limiter, "a", T0) == 3
    assert limiter.check("b", T0 + 590) is None  # a sweep runs: "a" idle 590 s < 600 s stays
    assert limiter.check("c", T0 + 620) is None  # "a" is now stale, but no sweep is due
    assert limiter.statistics().ttl_evictions == 0
    assert limiter.check("c", T0 + 650) is None  # due: "a" goes, "b" and "c" stay
    stats = limiter.statistics()
    assert (stats.ttl_evictions, stats.clients) == (1, 2)
    assert client_burst(limiter, "a", T0 + 650) == 3  # a fresh, full bucket


def test_a_refused_request_keeps_its_bucket_alive() -> None:
    limiter = router(client_max_rate=0.001, client_capacity=1, strategy="ip", cleanup_period=60)
    assert limiter.check("a", T0) is None
    assert limiter.check("a", T0 + 500) is not None  # refused, but memorybackend.go touches it
    assert limiter.check("b", T0 + 700) is None
    assert limiter.statistics().ttl_evictions == 0
    assert limiter.check("a", T0 + 700) is not None


def test_long_every_stretches_the_ttl() -> None:
    limiter = router(client_max_rate=1, every=3600, strategy="ip")  # TTL 4500 s
    assert limiter.check("a", T0) is None
    limiter.check("b", T0 + 4500)
    assert limiter.statistics().ttl_evictions == 0
    limiter.check("b", T0 + 4561)
    assert limiter.statistics().ttl_evictions == 1


def test_cleanup_period_has_a_one_second_minimum() -> None:
    limiter = router(client_max_rate=1, strategy="ip", cleanup_period=0.2)
    limiter.check("a", T0)
    limiter.check("b", T0 + 600)  # sweeps; "a" is exactly at its TTL and stays
    limiter.check("c", T0 + 600.5)  # a 0.2 s period would sweep "a" away here
    assert limiter.statistics().ttl_evictions == 0
    limiter.check("c", T0 + 601)
    assert limiter.statistics().ttl_evictions == 1


def test_lru_cap_evicts_the_least_recently_used_client() -> None:
    limiter = router(client_max_rate=0.001, strategy="ip", max_clients=2)
    assert limiter.check("a", T0) is None
    assert limiter.check("b", T0) is None
    assert limiter.check("a", T0) is not None  # touches "a": "b" is now the coldest
    assert limiter.check("c", T0) is None  # evicts "b"
    assert limiter.check("a", T0) is not None  # "a" kept its empty bucket
    assert limiter.check("b", T0) is None  # "b" starts over (and pushes "c" out)
    stats = limiter.statistics()
    assert (stats.clients, stats.lru_evictions) == (2, 2)


def test_a_flood_of_distinct_keys_stays_within_max_clients() -> None:
    limiter = router(client_max_rate=1, strategy="ip", max_clients=1000)
    for i in range(100_000):
        assert limiter.check(f"key-{i}", T0 + i * 1e-4) is None
    stats = limiter.statistics()
    assert stats.clients == 1000
    assert stats.lru_evictions == 99_000


async def test_works_with_trios_clock(mock_clock: trio.testing.MockClock) -> None:
    limiter = RouterRateLimiter.from_config(
        RateLimitRouterConfig(max_rate=2, client_max_rate=1, strategy="ip"), trio.current_time()
    )
    assert limiter is not None
    assert limiter.check("a", trio.current_time()) is None
    assert_rejected(limiter.check("a", trio.current_time()), 429, 1.0)
    mock_clock.jump(0.5)
    assert_rejected(limiter.check("a", trio.current_time()), 429, 0.5)
    mock_clock.autojump_threshold = 0
    await trio.sleep(0.5)  # virtual time: returns at once
    assert limiter.check("a", trio.current_time()) is None


# -- ProxyRateLimiter --------------------------------------------------------------------------


def test_proxy_limiter() -> None:
    assert ProxyRateLimiter.from_config(RateLimitProxyConfig(), T0) is None
    limiter = ProxyRateLimiter.from_config(RateLimitProxyConfig(max_rate=3), T0)
    assert limiter is not None
    assert burst(limiter.allow, T0) == 3
    assert not limiter.allow(T0 + 0.3)
    assert limiter.allow(T0 + 1 / 3)


def test_proxy_every_has_no_one_second_minimum() -> None:
    config = RateLimitProxyConfig(max_rate=1, every=Seconds(0.1))  # 10/s, capacity 10
    limiter = ProxyRateLimiter.from_config(config, T0)
    assert limiter is not None
    assert burst(limiter.allow, T0) == 10
    assert limiter.allow(T0 + 0.1)
    slow = ProxyRateLimiter.from_config(RateLimitProxyConfig(max_rate=120, every=Seconds(60)), T0)
    assert slow is not None and burst(slow.allow, T0) == 2


# -- client_key --------------------------------------------------------------------------------

HEADERS = [
    (b"x-forwarded-for", b"203.0.113.7:8080, 10.0.0.2"),
    (b"x-v6", b"[2001:db8::1]:443"),
    (b"x-v6-bare", b"2001:DB8:0::1"),
    (b"x-junk", b"unknown"),
    (b"x-empty", b""),
    (b"x-api-key", b"first"),
    (b"x-api-key", b"second"),
]


@pytest.mark.parametrize(
    ("strategy", "key", "expected"),
    [
        ("ip", "", "192.0.2.1"),
        ("ip", "X-Forwarded-For", "203.0.113.7"),  # first item, port stripped
        ("ip", "x-v6", "2001:db8::1"),  # KrakenD would fall back to the peer here
        ("ip", "x-v6-bare", "2001:db8::1"),  # normalized: one client, one spelling
        ("ip", "x-junk", "192.0.2.1"),  # not an IP: the peer
        ("ip", "x-missing", "192.0.2.1"),
        ("ip", "x-empty", "192.0.2.1"),
        ("header", "X-API-Key", "first"),  # case-insensitive; the first value wins
        ("header", "x-missing", None),
        ("header", "x-empty", None),
        ("param", "id", "42"),
        ("param", "other", None),
        ("Param", "id", "42"),
        ("cookie", "id", None),
    ],
)
def test_client_key(strategy: str, key: str, expected: str | None) -> None:
    got = client_key(strategy, key, client_ip="192.0.2.1", headers=HEADERS, params={"id": "42"})
    assert got == expected


def test_client_key_ip_without_a_client_ip_is_missing() -> None:
    assert client_key("ip", "", client_ip="", headers=[], params={}) is None


# -- properties --------------------------------------------------------------------------------


def assert_window_bound(grants_ns: list[int], capacity: int, fill_ns: int) -> None:
    """KrakenD's bucket grants at most 2C + 1 + ceil(w / fill) in any window of length w.

    C tokens held at the window's start, at most C + 1 from the first refill (however stale the
    refill clock), and one per fill interval after it: that refill leaves the clock < 1 fill
    behind. From creation the bound is C + floor(w / fill): no stale credit there.
    """
    for i, start in enumerate(grants_ns):
        for j in range(i, len(grants_ns)):
            window = grants_ns[j] - start
            assert j - i + 1 <= 2 * capacity + 1 + math.ceil(window / fill_ns)


@settings(max_examples=200)
@given(
    rate=st.sampled_from([0.5, 1.0, 3.0, 10.0, 7.3]),
    capacity=st.integers(1, 5),
    steps=st.lists(st.tuples(st.integers(0, 3000), st.integers(1, 4)), max_size=60),
)
def test_bucket_never_exceeds_its_bound(
    rate: float, capacity: int, steps: list[tuple[int, int]]
) -> None:
    bucket = TokenBucket(rate, capacity, 0.0)
    fill_ns = round(bucket.fill_interval * 1e9)
    now_ms = 0
    grants: list[int] = []
    for increment_ms, attempts in steps:
        now_ms += increment_ms
        for _ in range(attempts):
            if bucket.allow(now_ms / 1000):
                grants.append(now_ms * 1_000_000)
                assert len(grants) <= capacity + grants[-1] // fill_ns  # from creation
    assert_window_bound(grants, capacity, fill_ns)


@settings(max_examples=200, deadline=None)
@given(
    max_rate=st.sampled_from([0, 1, 2.5, 10]),
    client_rate=st.sampled_from([0.5, 1, 4]),
    max_clients=st.sampled_from([1, 2, 100_000]),
    steps=st.lists(
        st.tuples(
            st.one_of(st.integers(0, 1500), st.integers(0, 900_000)),
            st.sampled_from(["a", "b", "c", "d", "", None]),
        ),
        max_size=80,
    ),
)
def test_router_never_raises_and_respects_its_bounds(
    max_rate: float, client_rate: float, max_clients: int, steps: list[tuple[int, str | None]]
) -> None:
    limiter = router(
        max_rate=max_rate, client_max_rate=client_rate, strategy="ip", max_clients=max_clients
    )
    endpoint_grants: list[int] = []
    client_grants: dict[str, list[int]] = {}
    now_ms = 0
    for increment_ms, key in steps:
        now_ms += increment_ms
        result = limiter.check(key, T0 + now_ms / 1000)
        assert limiter.statistics().clients <= max_clients
        if not key:
            assert result is not None and result.status == 429
            continue
        assert result is None or (result.status in (429, 503) and result.retry_after >= 0)
        if result is None or result.status == 503:
            client_grants.setdefault(key, []).append(now_ms * 1_000_000)
        if result is None:
            endpoint_grants.append(now_ms * 1_000_000)
    if max_rate:
        endpoint = TokenBucket(max_rate, 0, 0.0)
        capacity = int(max_rate) if max_rate >= 1 else 1
        assert_window_bound(endpoint_grants, capacity, round(endpoint.fill_interval * 1e9))
    stats = limiter.statistics()
    if stats.ttl_evictions == stats.lru_evictions == 0:  # else a key restarts with a full bucket
        client_capacity = int(client_rate) if client_rate >= 1 else 1
        fill_ns = round(TokenBucket(client_rate, 1, 0.0).fill_interval * 1e9)
        for grants in client_grants.values():
            assert_window_bound(grants, client_capacity, fill_ns)
