"""qos/redis_cache.py: the Redis keys of the http-cache (the in-process key within its scope,
hashed), the TTL written, the entry format (round trip, garbage is a miss), and the size bound;
`check` refusing an unknown pool for `qos/http-cache` and `qos/ratelimit/proxy/redis`."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.config import ConfigError, load_config_data
from trio_gateway.qos.cache_policy import StoredResponse
from trio_gateway.qos.redis_cache import (
    KEEP_STALE,
    MAX_ENTRY,
    RedisCacheStore,
    decode,
    encode,
    redis_key,
    ttl,
)
from trio_gateway.transport import BackendResponse, Origin

_ORIGIN = Origin.parse("http://127.0.0.1:8080")
_OTHER = Origin.parse("http://127.0.0.1:8081")


_EPOCH = (b"date", b"Thu, 01 Jan 1970 00:00:00 GMT")  # with wall=0: an initial age of 0


def _entry(headers: list[tuple[bytes, bytes]], body: bytes = b"{}", **request: bytes) -> Any:
    headers = [_EPOCH, *headers]
    response = BackendResponse(200, b"OK", headers, body, "http://127.0.0.1:8080/a")
    fields = [(k.encode(), v) for k, v in request.items()]
    return StoredResponse.of(response, fields, now=100.0, wall=0.0, delay=0.0)


def test_key_is_the_in_process_key_within_its_scope_hashed() -> None:
    key = redis_key("GET /a b0", b"GET", _ORIGIN, b"/a?token=secret", True)
    assert key.startswith("trio-gateway:cache:{") and key.endswith("}:GET:r")
    assert "secret" not in key and "/a" not in key
    variants = {
        redis_key("GET /a b0", b"HEAD", _ORIGIN, b"/a?token=secret", True),
        redis_key("GET /a b0", b"GET", _ORIGIN, b"/a?token=secret", False),
        redis_key("GET /a b1", b"GET", _ORIGIN, b"/a?token=secret", True),
        redis_key("shared", b"GET", _ORIGIN, b"/a?token=secret", True),
        redis_key(
            "GET /a b0", b"GET", Origin.parse("http://127.0.0.1:8081"), b"/a?token=secret", True
        ),
        redis_key("GET /a b0", b"GET", _ORIGIN, b"/a?token=other", True),
    }
    assert key not in variants and len(variants) == 6
    # the four variants of one URL share the hash tag (one cluster slot: one DEL)
    tag = key[: key.index("}") + 1]
    assert redis_key("GET /a b0", b"HEAD", _ORIGIN, b"/a?token=secret", False).startswith(tag)
    # scope and target cannot be shifted into each other
    assert redis_key("a", b"GET", _ORIGIN, b"b", True) != redis_key(
        "", b"GET", _ORIGIN, b"ab", True
    )


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ([(b"cache-control", b"max-age=60")], 60.0),
        ([(b"cache-control", b"max-age=60"), (b"age", b"20")], 40.0),
        ([(b"cache-control", b"max-age=60"), (b"etag", b'"x"')], 60.0 + KEEP_STALE),
        ([(b"cache-control", b"no-cache"), (b"etag", b'"x"')], KEEP_STALE),
        (
            [
                (b"cache-control", b"max-age=0"),
                (b"last-modified", b"Mon, 01 Jan 2024 00:00:00 GMT"),
            ],
            KEEP_STALE,
        ),
        ([(b"cache-control", b"max-age=10, stale-if-error=3600")], 3610.0),
        ([(b"cache-control", b"max-age=10, stale-if-error=5")], 15.0),
        ([(b"cache-control", b"max-age=0")], 0.0),  # stale at once, no validator: not written
        ([(b"cache-control", b"max-age=60"), (b"vary", b"*")], 0.0),
    ],
)
def test_ttl_is_the_remaining_lifetime_plus_what_stale_can_still_serve(
    headers: list[tuple[bytes, bytes]], seconds: float
) -> None:
    assert ttl(_entry(headers)) == seconds


def test_without_a_date_only_a_validator_keeps_it() -> None:
    response = BackendResponse(200, b"OK", [(b"etag", b'"x"')], b"", "http://127.0.0.1:8080/a")
    entry = StoredResponse.of(response, [], now=0.0, wall=0.0, delay=0.0)
    assert ttl(entry) == KEEP_STALE  # an infinite age (gregjones: no Date): stale, revalidatable
    back = decode(encode(entry, 1000), 1000, now=0.0)
    assert back is not None and back.initial_age == float("inf")


def test_round_trip_with_the_age_run_down_in_redis() -> None:
    entry = _entry(
        [(b"cache-control", b"max-age=60"), (b"vary", b"Accept"), (b"x-b", b"\xff")],
        body=b"\x00body\xff",
        accept=b"text/\xe9",
    )
    blob = encode(entry, 60_000)
    back = decode(blob, 45_000, now=500.0)  # 15 s of the TTL ran down
    assert back is not None
    assert back.response == entry.response
    assert back.varied == entry.varied and back.vary == entry.vary
    assert back.lifetime == entry.lifetime and back.size == entry.size
    assert back.age(500.0) == pytest.approx(entry.initial_age + 15.0)
    assert back.matches([(b"accept", b"text/\xe9")])
    assert not back.matches([(b"accept", b"text/html")])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_is_a_miss_never_an_error(blob: bytes) -> None:
    assert decode(blob, 1000, now=0.0) is None or blob.startswith(b"tgc1")


def test_a_newer_format_or_a_truncated_head_is_a_miss() -> None:
    blob = encode(_entry([(b"cache-control", b"max-age=60")]), 60_000)
    assert decode(b"tgc2" + blob[4:], 1000, now=0.0) is None
    assert decode(blob[:12], 1000, now=0.0) is None


class _Calls:
    """RedisCalls' interface, recording instead of calling Redis."""

    def __init__(self) -> None:
        self.made: list[str] = []

    async def call(self, work: Any) -> Any:
        class Client:
            async def set(inner, name: str, blob: bytes, px: int) -> None:
                self.made.append(f"SET {px}")

            async def delete(inner, names: list[str]) -> None:
                self.made.append(f"DEL {len(names)}")

        return await work(Client())


@pytest.mark.parametrize(
    ("max_size", "body_size", "made"),
    [
        (0, 1000, ["SET 60000"]),
        (0, MAX_ENTRY, ["DEL 1"]),  # over the default bound (body + headers)
        (2000, 1900, ["SET 60000"]),
        (2000, 2000, ["DEL 1"]),  # body + headers over max_size: not written, the old one gone
    ],
)
async def test_entry_size_is_bounded(max_size: int, body_size: int, made: list[str]) -> None:
    calls = _Calls()
    store = RedisCacheStore(calls, None, "s", max_size)  # type: ignore[arg-type]
    entry = _entry([(b"cache-control", b"max-age=60")], body=b"x" * body_size)
    await store.put((b"GET", _ORIGIN, b"/a", True), entry)
    assert calls.made == made


_POOLS = {"redis": {"connection_pools": [{"name": "shared", "address": "127.0.0.1:6379"}]}}


def _config(backend_extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": 3,
        "extra_config": copy.deepcopy(_POOLS),
        "endpoints": [
            {
                "endpoint": "/a",
                "backend": [
                    {
                        "host": ["http://127.0.0.1:8000"],
                        "url_pattern": "/a",
                        "extra_config": backend_extra,
                    }
                ],
            }
        ],
    }


_AT = '$.endpoints[0].backend[0].extra_config["{}"].{}'


@pytest.mark.parametrize(
    ("extra", "path", "words"),
    [
        (
            {"qos/http-cache": {"connection_name": "nope", "max_items": 1, "max_size": 1}},
            _AT.format("qos/http-cache", "connection_name"),
            "no Redis connection pool or cluster named 'nope'",
        ),
        (
            {"qos/ratelimit/proxy/redis": {"connection_name": "nope", "max_rate": 1}},
            _AT.format("qos/ratelimit/proxy/redis", "connection_name"),
            "no Redis connection pool or cluster named 'nope'",
        ),
        (
            {"qos/ratelimit/proxy/redis": {"connection_pool": "nope", "max_rate": 1}},
            _AT.format("qos/ratelimit/proxy/redis", "connection_pool"),
            "no Redis connection pool or cluster named 'nope'",
        ),
        (
            {"qos/ratelimit/proxy/redis": {"max_rate": 1}},
            _AT.format("qos/ratelimit/proxy/redis", "connection_name"),
            "connection_name is required",
        ),
    ],
)
def test_check_refuses_a_pool_that_does_not_exist(
    extra: dict[str, Any], path: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_data(_config(extra))
    got = [(d.path, d.message) for d in info.value.errors]
    assert len(got) == 1, got
    assert got[0][0] == path and words in got[0][1], got


def test_a_declared_pool_loads() -> None:
    load_config_data(
        _config(
            {
                "qos/http-cache": {"connection_name": "shared", "max_items": 1, "max_size": 1},
                "qos/ratelimit/proxy/redis": {
                    "connection_name": "shared",
                    "max_rate": 1,
                    "capacity": 1,
                    "every": "100ms",
                    "on_failure_allow": True,
                },
            }
        )
    )
