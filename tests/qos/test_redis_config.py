"""`redis` and `qos/ratelimit/router/redis` as `check` reads them: EE's shape (krakend-schema
v2.13 `redis.json`, `qos/ratelimit/redis.json`), what a pool cannot honour refused at its JSON path,
clusters refused when used (not supported yet), and the pools built from what loads."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from trio_gateway.config import ConfigError, load_config_data
from trio_gateway.qos.ratelimit_router_redis import RedisRateLimitRouterConfig
from trio_gateway.qos.redis_pools import (
    ConnectionPoolConfig,
    RedisConfig,
    RedisPools,
    split_address,
)

_LIMIT = '$.endpoints[0].extra_config["qos/ratelimit/router/redis"]'
_POOL = "$.extra_config.redis.connection_pools[0]"


def _config(
    pools: list[dict[str, Any]] | None = None,
    limit: dict[str, Any] | None = None,
    clusters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    redis: dict[str, Any] = {
        "connection_pools": [{"name": "shared", "address": "127.0.0.1:6379"}]
        if pools is None
        else pools
    }
    if clusters is not None:
        redis["clusters"] = clusters
    return {
        "version": 3,
        "extra_config": {"redis": redis},
        "endpoints": [
            {
                "endpoint": "/a",
                "extra_config": {
                    "qos/ratelimit/router/redis": {"connection_name": "shared", "max_rate": 10}
                    if limit is None
                    else limit
                },
                "backend": [{"host": ["http://127.0.0.1:8000"], "url_pattern": "/a"}],
            }
        ],
    }


def _with_pool(**keys: Any) -> dict[str, Any]:
    return _config(pools=[{"name": "shared", "address": "127.0.0.1:6379", **keys}])


def test_ees_documented_example_loads() -> None:
    # The docs' example (enterprise/throttling/endpoint-redis-rate-limit), plus every pool key
    # we honour.
    data = _with_pool(
        db=2,
        user_name="gw",
        password="pw",
        client_name="krakend_pool",
        dial_timeout="1s",
        pool_size=20,
        max_active_conns=8,
        pool_timeout="100ms",
        conn_max_idle_time="10m",
        max_retries=-1,
        min_retry_backoff="1ms",
        max_retry_backoff="10ms",
    )
    data["endpoints"][0]["extra_config"]["qos/ratelimit/router/redis"] = {
        "connection_name": "shared",
        "on_failure_allow": False,
        "max_rate": 10,
        "capacity": 10,
        "client_max_rate": 10,
        "client_capacity": 10,
        "every": "1m",
        "strategy": "header",
        "key": "x-client-id",
    }
    loaded = load_config_data(data)
    assert [w for w in loaded.warnings if w.severity == "error"] == []
    redis = loaded.config.extra_config.get(RedisConfig)
    assert redis is not None
    assert redis.connection_pools[0].db == 2
    assert redis.connection_pools[0].pool_timeout == pytest.approx(0.1)
    limit = loaded.config.endpoints[0].extra_config.get(RedisRateLimitRouterConfig)
    assert limit is not None and limit.every == 60.0 and limit.strategy == "header"
    pools = RedisPools(redis)
    assert pools  # one pool, not open yet
    assert pools.client("shared") is None


def test_the_deprecated_connection_pool_name_still_works() -> None:
    loaded = load_config_data(_config(limit={"connection_pool": "shared", "max_rate": 1}))
    limit = loaded.config.endpoints[0].extra_config.get(RedisRateLimitRouterConfig)
    assert limit is not None and limit.connection_pool == "shared"


ERRORS = [
    # (what, the config, [(path, words in the message)])
    (
        "an unknown pool",
        _config(limit={"connection_name": "nope", "max_rate": 1}),
        [(f"{_LIMIT}.connection_name", "no Redis connection pool or cluster named 'nope'")],
    ),
    (
        "no connection name",
        _config(limit={"max_rate": 1}),
        [(f"{_LIMIT}.connection_name", "connection_name is required")],
    ),
    (
        "two different names",
        _config(limit={"connection_name": "shared", "connection_pool": "other", "max_rate": 1}),
        [(f"{_LIMIT}.connection_pool", "differs from connection_name")],
    ),
    (
        "a cluster without addresses",
        _config(clusters=[{"name": "c", "addresses": []}]),
        [("$.extra_config.redis.clusters[0].addresses", "needs the addresses")],
    ),
    (
        "a cluster member that is not host:port",
        _config(clusters=[{"name": "c", "addresses": ["h:1", "h"]}]),
        [("$.extra_config.redis.clusters[0].addresses[1]", "is not host:port")],
    ),
    (
        "negative max_redirects",
        _config(clusters=[{"name": "c", "addresses": ["h:1"], "max_redirects": -1}]),
        [("$.extra_config.redis.clusters[0].max_redirects", "must not be negative")],
    ),
    (
        "no redis block at all",
        {**_config(), "extra_config": {}},
        [(f"{_LIMIT}.connection_name", "no Redis connection pool or cluster named 'shared'")],
    ),
    (
        "an unknown strategy",
        _config(limit={"connection_name": "shared", "client_max_rate": 1, "strategy": "jwt"}),
        [(f"{_LIMIT}.strategy", "not one of ip, header, param")],
    ),
    (
        "an address without a port",
        _config(pools=[{"name": "shared", "address": "redis.example.com"}]),
        [(f"{_POOL}.address", "is not host:port")],
    ),
    (
        "an unbracketed IPv6 address",
        _config(pools=[{"name": "shared", "address": "::1:6379"}]),
        [(f"{_POOL}.address", "is not host:port")],
    ),
    (
        "a pool without a name",
        _config(pools=[{"address": "127.0.0.1:6379"}, {"name": "shared", "address": "h:1"}]),
        [(f"{_POOL}.name", "needs a name")],
    ),
    (
        "a name declared twice",
        _config(
            pools=[{"name": "shared", "address": "h:1"}],
            clusters=[{"name": "shared", "addresses": ["h:2"]}],
        ),
        [("$.extra_config.redis.clusters[0].name", "declared twice")],
    ),
    (
        "min_idle_conns",
        _with_pool(min_idle_conns=2),
        [(f"{_POOL}.min_idle_conns", "not supported")],
    ),
    (
        "max_idle_conns",
        _with_pool(max_idle_conns=2),
        [(f"{_POOL}.max_idle_conns", "not supported")],
    ),
    (
        "conn_max_life_time",
        _with_pool(conn_max_life_time="1h"),
        [(f"{_POOL}.conn_max_life_time", "not supported")],
    ),
    (
        "a TLS key we do not apply",
        _with_pool(tls={"cipher_suites": [4865]}),
        [(f"{_POOL}.tls.cipher_suites", "not supported for Redis connections")],
    ),
    ("a negative db", _with_pool(db=-1), [(f"{_POOL}.db", "must not be negative")]),
    (
        "a negative pool size",
        _with_pool(pool_size=-1),
        [(f"{_POOL}.pool_size", "must not be negative")],
    ),
    (
        "max_retries below -1",
        _with_pool(max_retries=-2),
        [(f"{_POOL}.max_retries", "-1 (no retry) or more")],
    ),
    (
        "a duration that is not one",
        _with_pool(dial_timeout="soon"),
        [(f"{_POOL}.dial_timeout", "")],
    ),
]


@pytest.mark.parametrize(("what", "data", "expected"), ERRORS, ids=[e[0] for e in ERRORS])
def test_config_errors_at_their_json_paths(
    what: str, data: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_data(copy.deepcopy(data))
    got = [(d.path, d.message) for d in info.value.errors]
    assert [path for path, _ in got] == [path for path, _ in expected], got
    for (_, message), (_, words) in zip(got, expected, strict=True):
        assert words in message


def test_telemetry_is_a_warning() -> None:
    loaded = load_config_data(_with_pool(opentelemetry={"disable_metrics": True}))
    paths = {w.path: w.message for w in loaded.warnings}
    assert "ignored" in paths[f"{_POOL}.opentelemetry"]


def test_a_limit_on_a_cluster_loads_and_builds_a_cluster_client() -> None:
    data = _config(
        clusters=[
            {
                "name": "c",
                "addresses": ["127.0.0.1:7000", "[::1]:7001"],
                "pool_size": 4,
                "max_redirects": 5,
                "client_name": "gw",
            }
        ],
        limit={"connection_name": "c", "max_rate": 1},
    )
    loaded = load_config_data(data)
    redis = loaded.config.extra_config.get(RedisConfig)
    assert redis is not None and redis.cluster("c") is not None
    from trio_gateway.qos.redis_pools import _cluster_client, release

    cluster = redis.cluster("c")
    assert cluster is not None
    client = _cluster_client(cluster)
    try:
        assert client.MAX_RETRIES == 6
        assert client.connection_pool.max_connections == 4
        assert client.connection_pool.connection_kwargs["client_name"] == "gw"
    finally:
        release(client)


def test_redis_at_an_endpoint_is_ignored_with_a_warning() -> None:
    data = _config()
    data["endpoints"][0]["extra_config"]["redis"] = {"connection_pools": []}
    loaded = load_config_data(data)
    assert any(w.path == "$.endpoints[0].extra_config.redis" for w in loaded.warnings)


def test_no_limit_is_a_warning() -> None:
    loaded = load_config_data(_config(limit={"connection_name": "shared"}))
    assert any(w.path == _LIMIT and "no limit" in w.message for w in loaded.warnings)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1:6379", ("127.0.0.1", 6379)),
        ("[::1]:6380", ("::1", 6380)),
        ("redis:1", ("redis", 1)),
        ("redis", None),
        ("redis:", None),
        (":6379", None),
        ("redis:99999", None),
        ("redis:http", None),
        ("::1:6379", None),
    ],
)
def test_split_address(address: str, expected: tuple[str, int] | None) -> None:
    assert split_address(address) == expected


def test_pool_sizes_follow_ees_defaults() -> None:
    from trio_gateway.qos.redis_pools import _client

    client = _client(ConnectionPoolConfig(name="p", address="127.0.0.1:1"))
    assert client.connection_pool.max_connections == 10
    client = _client(ConnectionPoolConfig(name="p", address="127.0.0.1:1", max_active_conns=3))
    assert client.connection_pool.max_connections == 3
    assert client.connection_pool.timeout == 4.0
