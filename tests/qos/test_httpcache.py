"""qos/http-cache: the RFC 9111 policy functions (tables), `CachingClient` on trio's MockClock."""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from email.utils import formatdate

import attrs
import pytest
import trio
import trio.testing

from trio_gateway.headers import first_any_case
from trio_gateway.qos import cache_policy as policy
from trio_gateway.qos import http_cache as httpcache
from trio_gateway.qos.cache_policy import Freshness, StoredResponse
from trio_gateway.qos.http_cache import CachingClient, HTTPCache, HTTPCacheConfig, shared_cache
from trio_gateway.transport import BackendResponse, Origin, ReadError

ORIGIN = Origin.parse("http://backend.test:8080")
Fields = list[tuple[bytes, bytes]]


def http_date(offset: float = 0.0) -> bytes:
    return formatdate(time.time() + offset, usegmt=True).encode()


def reply(
    *fields: tuple[bytes, bytes],
    status: int = 200,
    body: bytes = b"body",
    url: str = "",
    dated: bool = True,
) -> BackendResponse:
    """A prepared answer; without `url`, the fake client fills in the URL that was asked for."""
    headers = [(b"date", http_date())] if dated else []
    return BackendResponse(status, b"X", [*headers, *fields], body, url)


def cacheable(*fields: tuple[bytes, bytes], **kwargs: object) -> BackendResponse:
    return reply((b"cache-control", b"max-age=60"), *fields, **kwargs)  # type: ignore[arg-type]


@attrs.frozen
class Call:
    method: bytes
    target: bytes
    headers: Fields
    follow_redirects: bool

    def header(self, name: bytes) -> bytes | None:
        return first_any_case(self.headers, name)


Reply = BackendResponse | Exception | Callable[[Call], BackendResponse]


class FakeClient:
    """Answers each call after `delay` seconds with the next scripted reply (the last repeats)."""

    def __init__(self, *replies: Reply, delay: float = 1.0) -> None:
        self.replies: deque[Reply] = deque(replies)
        self.delay = delay
        self.calls: list[Call] = []
        self.streams: list[bytes] = []

    async def request(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Fields,
        body: bytes = b"",
        *,
        follow_redirects: bool = True,
    ) -> BackendResponse:
        assert origin == ORIGIN
        call = Call(method, target, list(headers), follow_redirects)
        self.calls.append(call)
        item = self.replies.popleft() if len(self.replies) > 1 else self.replies[0]
        await trio.sleep(self.delay)
        if isinstance(item, Exception):
            raise item
        response = item if isinstance(item, BackendResponse) else item(call)
        if not response.url:
            response = attrs.evolve(response, url=ORIGIN.base_url + target.decode())
        return response

    def stream(self, origin: Origin, method: bytes, *args: object, **kwargs: object) -> str:
        self.streams.append(method)
        return "stream-context"


def client_for(
    *replies: Reply, cache: HTTPCache | None = None, delay: float = 1.0
) -> tuple[CachingClient, FakeClient, HTTPCache]:
    fake = FakeClient(*replies, delay=delay)
    cache = cache or HTTPCache()
    return CachingClient(fake, cache), fake, cache  # type: ignore[arg-type]


async def get(
    client: CachingClient,
    target: bytes = b"/a",
    headers: Fields | None = None,
    *,
    follow_redirects: bool = True,
) -> BackendResponse:
    return await client.request(
        ORIGIN, b"GET", target, headers or [], follow_redirects=follow_redirects
    )


# --- policy: pure functions, table-driven -------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ([], {}),
        ([(b"cache-control", b"max-age=60, no-cache")], {"max-age": "60", "no-cache": None}),
        (
            [(b"Cache-Control", b"Max-Age=5"), (b"cache-control", b"PRIVATE")],
            {"max-age": "5", "private": None},
        ),
        ([(b"cache-control", b"max-age=5, max-age=9")], {"max-age": "5"}),  # first wins
        ([(b"cache-control", b'no-cache="set-cookie", ,')], {"no-cache": "set-cookie"}),
    ],
)
def test_parse_cache_control(fields: Fields, expected: dict[str, str | None]) -> None:
    assert policy.parse_cache_control(fields) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"Sun, 06 Nov 1994 08:49:37 GMT", 784111777.0),
        (b"Sunday, 06-Nov-94 08:49:37 GMT", 784111777.0),  # RFC 850
        (b"Sun Nov  6 08:49:37 1994", 784111777.0),  # asctime
        (b"Sun, 06 Nov 1994 08:49:37 -0000", 784111777.0),  # naive datetime: still UTC
        (b"0", None),
        (b"yesterday", None),
        (None, None),
    ],
)
def test_parse_http_date(value: bytes | None, expected: float | None) -> None:
    assert policy.parse_http_date(value) == expected


DATE = b"Sun, 06 Nov 1994 08:49:37 GMT"


@pytest.mark.parametrize(
    ("fields", "lifetime"),
    [
        ([(b"cache-control", b"max-age=60")], 60.0),
        # max-age wins over Expires, even an earlier one (RFC 9111 §5.3).
        ([(b"cache-control", b"max-age=60"), (b"date", DATE), (b"expires", DATE)], 60.0),
        ([(b"date", DATE), (b"expires", b"Sun, 06 Nov 1994 08:59:37 GMT")], 600.0),
        ([(b"date", DATE), (b"expires", b"Sun, 06 Nov 1994 08:48:37 GMT")], 0.0),  # in the past
        ([(b"date", DATE), (b"expires", b"0")], 0.0),  # invalid: already expired
        ([(b"expires", b"Sun, 06 Nov 1994 08:59:37 GMT")], 0.0),  # no Date to subtract from
        ([(b"cache-control", b"max-age=soon")], 0.0),
        ([(b"cache-control", b"max-age=99999999999")], float(2**31)),
        # No heuristics: Last-Modified alone gives no freshness (RFC 9111 §4.2.2 not used).
        ([(b"date", DATE), (b"last-modified", b"Sun, 06 Nov 1984 08:49:37 GMT")], 0.0),
        ([(b"cache-control", b"public, s-maxage=600")], 0.0),  # s-maxage ignored
    ],
)
def test_freshness_lifetime(fields: Fields, lifetime: float) -> None:
    assert policy.freshness_lifetime(fields, policy.parse_cache_control(fields)) == lifetime


WALL = 784111777.0  # DATE as a timestamp


@pytest.mark.parametrize(
    ("fields", "delay", "age"),
    [
        ([], 0.0, math.inf),  # no Date: never fresh
        ([(b"date", b"garbage")], 0.0, math.inf),
        ([(b"date", DATE)], 0.0, 0.0),
        ([(b"date", b"Sun, 06 Nov 1994 08:49:27 GMT")], 0.0, 10.0),  # apparent age
        ([(b"date", b"Sun, 06 Nov 1994 08:49:47 GMT")], 0.0, 0.0),  # Date in the future
        ([(b"date", DATE), (b"age", b"30")], 2.0, 32.0),  # Age + response delay
        ([(b"date", b"Sun, 06 Nov 1994 08:48:37 GMT"), (b"age", b"30")], 2.0, 60.0),
    ],
)
def test_initial_age(fields: Fields, delay: float, age: float) -> None:
    assert policy.initial_age(fields, wall_time=WALL, response_delay=delay) == age


FRESH, STALE, TRANSPARENT = Freshness.FRESH, Freshness.STALE, Freshness.TRANSPARENT


@pytest.mark.parametrize(
    ("response_cc", "age", "request_cc", "expected"),
    [
        ("max-age=60", 59, "", FRESH),
        ("max-age=60", 60, "", STALE),
        ("max-age=60, private", 10, "", FRESH),  # private: ignored (a private cache)
        ("max-age=60, public", 10, "", FRESH),
        ("max-age=60, must-revalidate", 10, "", FRESH),
        ("max-age=60, no-cache", 0, "", STALE),  # always revalidate
        ("max-age=60", 0, "no-cache", TRANSPARENT),
        ("max-age=60", 10, "max-age=5", STALE),
        ("max-age=60", 10, "max-age=30", FRESH),
        ("max-age=60", 50, "min-fresh=20", STALE),
        ("max-age=60", 70, "max-stale=20", FRESH),
        ("max-age=60", 90, "max-stale=20", STALE),
        ("max-age=60", 9999, "max-stale", FRESH),
        ("", 9999, "only-if-cached", FRESH),
        ("max-age=60", math.inf, "", STALE),  # no Date
        ("max-age=60", math.inf, "max-stale", STALE),
    ],
)
def test_freshness(response_cc: str, age: float, request_cc: str, expected: Freshness) -> None:
    response = policy.parse_cache_control([(b"cache-control", response_cc.encode())])
    request = policy.parse_cache_control([(b"cache-control", request_cc.encode())])
    lifetime = policy.freshness_lifetime([], response)
    assert policy.freshness(response, lifetime, age, request) is expected


@pytest.mark.parametrize(
    ("response_cc", "age", "request_cc", "expected"),
    [
        ("max-age=60", 100, "", False),
        ("max-age=60, stale-if-error", 10**6, "", True),
        ("max-age=60, stale-if-error=30", 89, "", True),  # 30 s past the lifetime
        ("max-age=60, stale-if-error=30", 90, "", False),
        ("max-age=60, stale-if-error=30", 100, "stale-if-error=50", True),  # request wins
        ("max-age=60, stale-if-error=300", 100, "stale-if-error=10", False),
        ("max-age=60, stale-if-error=x", 61, "", False),
        ("max-age=60", 10**6, "stale-if-error", True),
    ],
)
def test_stale_if_error(response_cc: str, age: float, request_cc: str, expected: bool) -> None:
    response = policy.parse_cache_control([(b"cache-control", response_cc.encode())])
    request = policy.parse_cache_control([(b"cache-control", request_cc.encode())])
    assert policy.stale_if_error(response, 60.0, age, request) is expected


@pytest.mark.parametrize(
    ("method", "status", "request_cc", "response_cc", "expected"),
    [
        (b"GET", 200, "", "max-age=60", True),
        (b"HEAD", 200, "", "", True),  # stored without freshness: revalidated next time
        (b"GET", 404, "", "", True),
        (b"GET", 301, "", "", True),
        (b"GET", 500, "", "max-age=60", False),
        (b"GET", 503, "", "max-age=60", False),
        (b"GET", 206, "", "max-age=60", False),
        (b"GET", 304, "", "max-age=60", False),
        (b"POST", 200, "", "max-age=60", False),
        (b"GET", 200, "", "max-age=60, no-store", False),
        (b"GET", 200, "no-store", "max-age=60", False),
        (b"GET", 200, "", "private, max-age=60", True),  # private: ignored
    ],
)
def test_is_storable(
    method: bytes, status: int, request_cc: str, response_cc: str, expected: bool
) -> None:
    request = policy.parse_cache_control([(b"cache-control", request_cc.encode())])
    response = policy.parse_cache_control([(b"cache-control", response_cc.encode())])
    assert policy.is_storable(method, status, request, response) is expected


@pytest.mark.parametrize(
    ("vary", "stored_request", "incoming", "matches"),
    [
        ([], [], [(b"accept", b"a")], True),
        ([(b"vary", b"Accept")], [(b"accept", b"a")], [(b"Accept", b"a")], True),
        ([(b"vary", b"Accept")], [(b"accept", b"a")], [(b"accept", b"b")], False),
        ([(b"vary", b"accept")], [], [(b"accept", b"")], False),  # absent matches only absence
        ([(b"vary", b"accept")], [], [], True),
        (
            [(b"vary", b"accept, x-a"), (b"vary", b"X-B")],
            [(b"accept", b"a"), (b"x-a", b"1"), (b"x-b", b"2")],
            [(b"x-b", b"2"), (b"accept", b" a "), (b"x-a", b"1")],
            True,
        ),
        ([(b"vary", b"x-a")], [(b"x-a", b"1"), (b"x-a", b"2")], [(b"x-a", b"1, 2")], True),
        ([(b"vary", b"x-a")], [(b"x-a", b"1"), (b"x-a", b"2")], [(b"x-a", b"2, 1")], False),
        ([(b"vary", b"*")], [], [], False),  # Vary: * never matches (RFC 9111 §4.1)
    ],
)
def test_vary_matching(
    vary: Fields, stored_request: Fields, incoming: Fields, matches: bool
) -> None:
    response = reply(*vary)
    stored = StoredResponse.of(response, stored_request, now=0.0, wall=0.0, delay=0.0)
    assert stored.matches(incoming) is matches


def test_conditional_headers() -> None:
    stored = [(b"etag", b'"v1"'), (b"last-modified", DATE)]
    request = [(b"x-a", b"1"), (b"If-None-Match", b'"mine"')]
    assert policy.conditional_headers(request, stored) == [
        (b"x-a", b"1"),
        (b"if-none-match", b'"v1"'),
        (b"if-modified-since", DATE),
    ]
    assert policy.conditional_headers(request, [(b"date", DATE)]) is None


def test_updated_headers() -> None:
    stored = [(b"content-type", b"a/b"), (b"content-length", b"4"), (b"etag", b"1"), (b"x", b"y")]
    not_modified = [
        (b"etag", b"2"),
        (b"content-length", b"0"),  # never taken over (RFC 9111 §3.2)
        (b"connection", b"x-hop"),
        (b"x-hop", b"1"),  # listed in Connection: hop-by-hop
        (b"X-New", b"n"),
    ]
    assert policy.updated_headers(stored, not_modified) == [
        (b"content-type", b"a/b"),
        (b"content-length", b"4"),
        (b"x", b"y"),
        (b"etag", b"2"),
        (b"x-new", b"n"),
    ]


# --- CachingClient on the MockClock ---------------------------------------------------------------


async def test_fresh_hit_does_not_call_the_backend(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, cache = client_for(cacheable())
    first = await get(client)
    await trio.sleep(30)
    assert await get(client) is first
    assert len(fake.calls) == 1
    stats = cache.statistics()
    assert (stats.hits, stats.misses, stats.items) == (1, 1, 1)
    assert stats.bytes == len(first.body) + sum(len(k) + len(v) for k, v in first.headers)


async def test_expires_gives_freshness(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, _ = client_for(reply((b"expires", http_date(60))))
    await get(client)
    await trio.sleep(30)
    await get(client)
    assert len(fake.calls) == 1
    await trio.sleep(31)
    await get(client)
    assert len(fake.calls) == 2


async def test_stale_entry_is_revalidated_and_a_304_serves_the_body(
    autojump_clock: trio.testing.MockClock,
) -> None:
    not_modified = reply((b"cache-control", b"max-age=60"), (b"x-v", b"2"), status=304, body=b"")
    client, fake, cache = client_for(cacheable((b"etag", b'"v1"'), (b"x-v", b"1")), not_modified)
    await get(client)
    await trio.sleep(61)
    response = await get(client, headers=[(b"x-a", b"1")])
    assert (response.status, response.body) == (200, b"body")
    assert response.header(b"x-v") == b"2"
    revalidation = fake.calls[1]
    assert revalidation.header(b"if-none-match") == b'"v1"'
    assert revalidation.header(b"x-a") == b"1"
    # The 304 refreshed the entry: fresh again for another minute.
    await trio.sleep(30)
    assert (await get(client)).header(b"x-v") == b"2"
    assert len(fake.calls) == 2
    assert cache.statistics().revalidations == 1


async def test_last_modified_is_sent_as_if_modified_since(
    autojump_clock: trio.testing.MockClock,
) -> None:
    stored = reply((b"last-modified", DATE))  # no max-age: stored, stale at once
    client, fake, _ = client_for(stored, reply(status=304, body=b""))
    await get(client)
    response = await get(client)
    assert fake.calls[1].header(b"if-modified-since") == DATE
    assert response.body == b"body"


async def test_response_without_date_is_always_revalidated(
    autojump_clock: trio.testing.MockClock,
) -> None:
    client, fake, _ = client_for(cacheable((b"etag", b"e"), dated=False))
    await get(client)
    await get(client)
    assert len(fake.calls) == 2
    assert fake.calls[1].header(b"if-none-match") == b"e"


async def test_response_no_cache_always_revalidates(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, _ = client_for(
        reply((b"cache-control", b"max-age=60, no-cache"), (b"etag", b"e"))
    )
    await get(client)
    await get(client)
    assert fake.calls[1].header(b"if-none-match") == b"e"


async def test_request_no_cache_bypasses_but_stores(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, _ = client_for(cacheable((b"etag", b"e"), body=b"one"), cacheable(body=b"two"))
    await get(client)
    response = await get(client, headers=[(b"cache-control", b"no-cache")])
    assert response.body == b"two"
    assert fake.calls[1].header(b"if-none-match") is None  # a full request, not a conditional
    assert (await get(client)).body == b"two"
    assert len(fake.calls) == 2


@pytest.mark.parametrize(
    ("request_fields", "response_fields"),
    [
        ([], [(b"cache-control", b"max-age=60, no-store")]),
        ([(b"cache-control", b"no-store")], [(b"cache-control", b"max-age=60")]),
    ],
)
async def test_no_store_is_never_stored(
    autojump_clock: trio.testing.MockClock, request_fields: Fields, response_fields: Fields
) -> None:
    client, fake, cache = client_for(reply(*response_fields))
    await get(client, headers=request_fields)
    await get(client, headers=request_fields)
    assert len(fake.calls) == 2
    assert cache.statistics().items == 0


async def test_an_answer_that_cannot_be_stored_replaces_the_entry(
    autojump_clock: trio.testing.MockClock,
) -> None:
    client, _, cache = client_for(reply(), reply((b"cache-control", b"no-store")))
    await get(client)
    assert cache.statistics().items == 1
    await get(client)  # stale: asked again, and the answer is no-store
    assert cache.statistics().items == 0


@pytest.mark.parametrize("status", [500, 502, 206])
async def test_errors_are_not_stored(autojump_clock: trio.testing.MockClock, status: int) -> None:
    client, fake, cache = client_for(cacheable(status=status))
    await get(client)
    await get(client)
    assert len(fake.calls) == 2
    assert cache.statistics().items == 0


async def test_404_is_stored(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, _ = client_for(cacheable(status=404))
    assert (await get(client)).status == 404
    assert (await get(client)).status == 404
    assert len(fake.calls) == 1


@pytest.mark.parametrize("method", [b"POST", b"PUT", b"PATCH", b"DELETE"])
async def test_unsafe_method_invalidates(
    autojump_clock: trio.testing.MockClock, method: bytes
) -> None:
    client, fake, cache = client_for(cacheable())
    await get(client)
    await client.request(ORIGIN, b"HEAD", b"/a", [])
    await get(client, b"/other")
    assert cache.statistics().items == 3
    await client.request(ORIGIN, method, b"/a", [], b"{}")
    assert cache.statistics().items == 1  # GET and HEAD of /a gone, /other kept
    await get(client)
    assert [call.method for call in fake.calls] == [b"GET", b"HEAD", b"GET", method, b"GET"]


async def test_options_does_not_invalidate(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, _ = client_for(cacheable())
    await get(client)
    await client.request(ORIGIN, b"OPTIONS", b"/a", [])
    await get(client)
    assert [call.method for call in fake.calls] == [b"GET", b"OPTIONS"]


async def test_invalidation_during_a_fetch_prevents_storing(
    autojump_clock: trio.testing.MockClock,
) -> None:
    client, fake, cache = client_for(cacheable(), delay=1.0)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(get, client)
        await trio.testing.wait_all_tasks_blocked()
        fake.delay = 0.0
        await client.request(ORIGIN, b"POST", b"/a", [])
    assert cache.statistics().items == 0


async def test_a_get_stored_during_an_unsafe_request_is_invalidated(
    autojump_clock: trio.testing.MockClock,
) -> None:
    client, fake, cache = client_for(cacheable(), delay=1.0)
    async with trio.open_nursery() as nursery:
        # A request no-cache GET goes straight to the backend (no flight) and stores at t=1...
        nursery.start_soon(get, client, b"/a", [(b"cache-control", b"no-cache")])
        await trio.testing.wait_all_tasks_blocked()
        fake.delay = 2.0
        # ...while the POST, answered at t=2, has changed the resource.
        await client.request(ORIGIN, b"POST", b"/a", [])
    assert cache.statistics().items == 0


async def test_an_unsafe_request_invalidates_before_it_is_answered(
    autojump_clock: trio.testing.MockClock,
) -> None:
    client, fake, _ = client_for(cacheable(), delay=1.0)
    await get(client)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(client.request, ORIGIN, b"DELETE", b"/a", [])
        await trio.testing.wait_all_tasks_blocked()
        await get(client)  # while the DELETE is in flight: not from the cache
    assert [call.method for call in fake.calls] == [b"GET", b"DELETE", b"GET"]


async def test_head_and_get_are_separate(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, _ = client_for(cacheable())
    await get(client)
    await client.request(ORIGIN, b"HEAD", b"/a", [])
    await client.request(ORIGIN, b"HEAD", b"/a", [])
    assert [call.method for call in fake.calls] == [b"GET", b"HEAD"]


async def test_vary(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, _ = client_for(
        lambda call: cacheable(
            (b"vary", b"Accept-Language"), body=call.header(b"accept-language") or b""
        )
    )
    english = [(b"accept-language", b"en")]
    assert (await get(client, headers=english)).body == b"en"
    assert (await get(client, headers=[(b"Accept-Language", b"en")])).body == b"en"
    assert len(fake.calls) == 1
    assert (await get(client, headers=[(b"accept-language", b"de")])).body == b"de"
    assert len(fake.calls) == 2
    # One variant per key, as in gregjones: "de" replaced "en".
    assert (await get(client, headers=english)).body == b"en"
    assert len(fake.calls) == 3


async def test_vary_star_is_never_served(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, _ = client_for(cacheable((b"vary", b"*")))
    await get(client)
    await get(client)
    assert len(fake.calls) == 2


async def test_stale_if_error_serves_stale(autojump_clock: trio.testing.MockClock) -> None:
    stored = reply((b"cache-control", b"max-age=60, stale-if-error=600"), body=b"old")
    client, _, _ = client_for(stored, ReadError("reset"), reply(status=503, body=b"down"))
    await get(client)
    await trio.sleep(120)
    assert (await get(client)).body == b"old"  # transport error
    assert (await get(client)).body == b"old"  # 5xx
    await trio.sleep(600)
    assert (await get(client)).status == 503  # too stale now


async def test_transport_error_without_stale_if_error_propagates(
    autojump_clock: trio.testing.MockClock,
) -> None:
    client, _, _ = client_for(cacheable(), ReadError("reset"))
    await get(client)
    await trio.sleep(61)
    with pytest.raises(ReadError):
        await get(client)


async def test_only_if_cached(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, _ = client_for(reply())  # stored, stale at once
    only = [(b"cache-control", b"only-if-cached")]
    miss = await get(client, b"/b", only)
    assert (miss.status, miss.url) == (504, ORIGIN.base_url + "/b")
    await get(client)
    assert (await get(client, headers=only)).body == b"body"
    assert len(fake.calls) == 1


async def test_redirected_answer_is_not_stored(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, _ = client_for(cacheable(url=ORIGIN.base_url + "/elsewhere"))
    await get(client)
    await get(client)
    assert len(fake.calls) == 2


async def test_follow_redirects_is_part_of_the_key(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, _ = client_for(cacheable(status=301))
    await get(client, follow_redirects=False)
    await get(client, follow_redirects=False)
    await get(client)
    assert [call.follow_redirects for call in fake.calls] == [False, True]


async def test_range_requests_pass_through(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, cache = client_for(cacheable())
    ranged = [(b"range", b"bytes=0-1")]
    await get(client, headers=ranged)
    await get(client, headers=ranged)
    assert len(fake.calls) == 2
    assert cache.statistics().items == 0


async def test_cacheable_streams_come_from_the_cache_unsafe_ones_stream_and_invalidate(
    autojump_clock: trio.testing.MockClock,
) -> None:
    # A no-op endpoint's GET goes through the cache (read whole, as KrakenD's httpcache
    # transport does); anything else streams straight through and invalidates.
    client, fake, cache = client_for(cacheable())
    first = await get(client)
    calls = len(fake.calls)
    async with client.stream(ORIGIN, b"GET", b"/a", []) as stream:
        assert stream.status == first.status
        assert b"".join([chunk async for chunk in stream]) == first.body
        assert stream.at_end()
    assert len(fake.calls) == calls  # answered from the cache
    assert cache.statistics().items == 1
    client.stream(ORIGIN, b"POST", b"/a", [])
    assert fake.streams == [b"POST"]
    assert cache.statistics().items == 0


# --- limits ---------------------------------------------------------------------------------------


async def test_lru_by_items(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, cache = client_for(cacheable(), cache=HTTPCache(max_items=2))
    await get(client, b"/a")
    await get(client, b"/b")
    await get(client, b"/a")  # hit: /a becomes the most recently used
    await get(client, b"/c")  # evicts /b
    assert cache.statistics().evictions == 1
    calls = len(fake.calls)
    await get(client, b"/a")
    await get(client, b"/c")
    assert len(fake.calls) == calls
    await get(client, b"/b")
    assert len(fake.calls) == calls + 1


async def test_lru_by_bytes(autojump_clock: trio.testing.MockClock) -> None:
    entry_size = StoredResponse.of(cacheable(body=b"x" * 100), [], now=0, wall=0, delay=0).size
    cache = HTTPCache(max_size=2 * entry_size + 10)
    client, fake, _ = client_for(cacheable(body=b"x" * 100), cache=cache)
    for target in (b"/a", b"/b", b"/c"):
        await get(client, target)
    stats = cache.statistics()
    assert (stats.items, stats.evictions, stats.bytes) == (2, 1, 2 * entry_size)
    await get(client, b"/a")  # evicted first
    assert len(fake.calls) == 4


async def test_both_limits(autojump_clock: trio.testing.MockClock) -> None:
    cache = HTTPCache(max_items=3, max_size=10_000)
    client, _, _ = client_for(cacheable(), cache=cache)
    for target in (b"/a", b"/b", b"/c", b"/d"):
        await get(client, target)
    assert (cache.statistics().items, cache.statistics().evictions) == (3, 1)


async def test_oversize_response_is_not_stored(autojump_clock: trio.testing.MockClock) -> None:
    cache = HTTPCache(max_items=10, max_size=500)
    client, fake, _ = client_for(cacheable(body=b"x" * 501), cache=cache)
    await get(client)
    await get(client)
    assert len(fake.calls) == 2
    assert cache.statistics().items == cache.statistics().evictions == 0


async def test_replacing_an_entry_keeps_the_byte_count(
    autojump_clock: trio.testing.MockClock,
) -> None:
    client, _, cache = client_for(reply(body=b"x" * 10), reply(body=b"y" * 1000))
    await get(client)
    await get(client)  # stale at once: replaced by the new answer
    last = await get(client)
    stats = cache.statistics()
    assert stats.items == 1
    assert stats.bytes == len(last.body) + sum(len(k) + len(v) for k, v in last.headers)


def test_negative_limits_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        HTTPCache(max_items=-1)


# --- collapsing -----------------------------------------------------------------------------------


async def test_concurrent_misses_make_one_call(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, cache = client_for(cacheable())
    results: list[BackendResponse] = []

    async def one() -> None:
        results.append(await get(client))

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            for _ in range(10):
                nursery.start_soon(one)
    assert len(fake.calls) == 1
    assert len(results) == 10
    assert all(result is results[0] for result in results)
    stats = cache.statistics()
    assert (stats.misses, stats.coalesced, stats.hits) == (1, 9, 0)


async def test_concurrent_revalidations_make_one_call(
    autojump_clock: trio.testing.MockClock,
) -> None:
    not_modified = reply((b"cache-control", b"max-age=60"), status=304, body=b"")
    client, fake, _ = client_for(cacheable((b"etag", b"e")), not_modified)
    await get(client)
    await trio.sleep(61)
    async with trio.open_nursery() as nursery:
        for _ in range(5):
            nursery.start_soon(get, client)
    assert len(fake.calls) == 2


async def test_failed_fetch_makes_waiters_forward_their_own(
    autojump_clock: trio.testing.MockClock,
) -> None:
    client, fake, cache = client_for(ReadError("reset"), cacheable())
    bodies: list[bytes] = []
    errors: list[Exception] = []

    async def one() -> None:
        try:
            bodies.append((await get(client)).body)
        except ReadError as exc:
            errors.append(exc)

    start = trio.current_time()
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(one)
            await trio.testing.wait_all_tasks_blocked()
            for _ in range(4):
                nursery.start_soon(one)
    assert len(errors) == 1  # the leader's own
    assert bodies == [b"body"] * 4
    assert len(fake.calls) == 5
    # In parallel, not one after another: one failed call, then one round of calls.
    assert trio.current_time() - start == pytest.approx(2.0)
    assert cache.statistics().coalesced == 0


async def test_cancelled_leader_does_not_poison_the_key(
    autojump_clock: trio.testing.MockClock,
) -> None:
    client, fake, cache = client_for(cacheable(), delay=10.0)
    results: list[BackendResponse] = []

    async def leader() -> None:
        with trio.move_on_after(1):
            await get(client)

    async def waiter() -> None:
        results.append(await get(client))

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(leader)
            await trio.testing.wait_all_tasks_blocked()
            for _ in range(3):
                nursery.start_soon(waiter)
    assert len(results) == 3
    assert all(result is results[0] for result in results)
    assert len(fake.calls) == 2  # the cancelled one, and one of the waiters taking over
    assert cache.statistics().coalesced == 2
    assert await get(client) is results[0]
    assert len(fake.calls) == 2


async def test_unreusable_answers_are_forwarded_then_not_collapsed(
    autojump_clock: trio.testing.MockClock,
) -> None:
    client, fake, _ = client_for(reply((b"cache-control", b"no-store")))

    async def burst() -> float:
        start = trio.current_time()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(get, client)
            await trio.testing.wait_all_tasks_blocked()
            for _ in range(3):
                nursery.start_soon(get, client)
        return trio.current_time() - start

    # RFC 9111 §4: the waiters may not reuse a no-store answer, so they forward their own...
    assert await burst() == pytest.approx(2.0)
    assert len(fake.calls) == 4
    # ...and the next burst does not wait for a leader at all (hit-for-miss).
    assert await burst() == pytest.approx(1.0)
    assert len(fake.calls) == 8


async def test_different_vary_values_do_not_wait(autojump_clock: trio.testing.MockClock) -> None:
    client, fake, _ = client_for(
        lambda call: cacheable((b"vary", b"x-user"), body=call.header(b"x-user") or b"")
    )
    fake.delay = 1.0
    await get(client, headers=[(b"x-user", b"a")])
    await trio.sleep(61)
    bodies: dict[bytes, bytes] = {}

    async def one(user: bytes) -> None:
        bodies[user] = (await get(client, headers=[(b"x-user", user)])).body

    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        for user in (b"a", b"b", b"c"):
            nursery.start_soon(one, user)
    assert bodies == {b"a": b"a", b"b": b"b", b"c": b"c"}
    assert trio.current_time() - start == pytest.approx(1.0)  # b and c did not wait for a
    assert len(fake.calls) == 4


# --- shared cache ---------------------------------------------------------------------------------


def test_shared_cache_is_one_instance(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(httpcache, "_shared", None)
    first = shared_cache(HTTPCacheConfig(shared=True, max_items=10, max_size=1000))
    with caplog.at_level(logging.INFO, logger=httpcache.__name__):
        again = shared_cache(HTTPCacheConfig(shared=True, max_items=5, max_size=50))
    assert again is first
    assert (first.max_items, first.max_size) == (10, 1000)
    assert "ignoring 5, 50" in caplog.text
    assert shared_cache(HTTPCacheConfig(shared=True)) is first
