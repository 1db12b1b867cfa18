"""`qos/http-cache`: KrakenD's in-memory HTTP cache under the backend client, plus collapsing.

`CachingClient` wraps the backend client and applies the rules of `cache_policy` (gregjones/
httpcache, as KrakenD does). `HTTPCache` is the store: per backend, or the process-wide one
returned by `shared_cache()` for `"shared": true` backends.

Rule 1 (two clocks): HTTP dates are wall-clock times, trio's clock is monotonic and unrelated.
The wall clock is read once, when a response is stored, to get its initial age (its Date against
`time.time()`, RFC 9111 §4.2.3); from then on its age grows with `trio.current_time()`. So wall
clock steps do not age entries, and tests move time with trio's MockClock alone.

Rule 2 (collapsing, RFC 9111 §4): concurrent misses for one key make one backend call. The first
leads a flight; the others wait on its `trio.Event`, then look in the cache again and take what it
holds *if* they may reuse it (fresh, same Vary values); if not (no-store, stale at once, failure),
each forwards its own request, in parallel, as RFC 9111 §4 says. A cancelled leader leaves no
answer: its waiters start over and one of them leads. Keys whose answers are not reusable stop
collapsing until one is, so that bursts to them do not wait twice (Varnish's hit-for-miss).

All state is touched by trio tasks of one thread between checkpoints, so no locks are needed.

Rule 3 (Redis, trio-gateway's own `connection_name`): the entries live in Redis instead
(qos/redis_cache.py), shared by every worker and process; the rules above are unchanged, the
collapsing stays per process, and a Redis that fails is a miss, never a failed request.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import trio

from trio_gateway.headers import first_any_case
from trio_gateway.namespace import Layer, Level, Namespace, Observed, Slot, Where
from trio_gateway.qos import cache_policy as policy
from trio_gateway.qos.cache_policy import CacheControl, Freshness, StoredResponse
from trio_gateway.qos.redis_bucket import backend_id
from trio_gateway.qos.redis_cache import RedisCacheStore, get_script
from trio_gateway.qos.redis_calls import RedisCalls
from trio_gateway.qos.redis_pools import RedisPools, check_connection_name
from trio_gateway.transport import (
    BackendResponse,
    HTTPClient,
    Origin,
    StreamingResponse,
    TransportError,
)
from trio_gateway.transport.request import Headers

if TYPE_CHECKING:
    from trio_gateway.config.diagnostics import Report
    from trio_gateway.proxy.backend import BackendCall

__all__ = [
    "NAMESPACE",
    "WRAPPER",
    "BufferedStream",
    "CacheStatistics",
    "CachingClient",
    "HTTPCache",
    "HTTPCacheConfig",
    "shared_cache",
]

LOGGER = logging.getLogger(__name__)

# (method, origin, target, follow_redirects): the last because a 301 is stored as it came when
# redirects are not followed, and must not answer a caller that follows them.
_Key = tuple[bytes, Origin, bytes, bool]
# How many keys are remembered as not worth collapsing (Rule 2).
_MAX_UNCOLLAPSIBLE = 4096


@attrs.frozen(kw_only=True)
class CacheStatistics:
    """A snapshot of one `HTTPCache`'s counters."""

    items: int  # stored responses
    bytes: int  # their summed size: bodies + header names and values
    hits: int  # requests answered from the cache without a backend call
    misses: int  # backend calls without a usable stored response
    revalidations: int  # conditional backend calls for a stale stored response
    evictions: int  # responses dropped by the LRU limits
    coalesced: int  # requests answered with what another request's call fetched (Rule 2)


@attrs.define(eq=False)
class _Flight:
    headers: Headers  # the leader's
    done: trio.Event = attrs.Factory(trio.Event)
    abandoned: bool = False  # the leader was cancelled: no answer
    store: bool = True  # cleared when an unsafe request invalidates the key meanwhile


class HTTPCache:
    """The store: LRU by items and bytes, plus the in-flight backend calls (Rule 2).

    Args:
        max_items: Most responses kept; 0 means no limit.
        max_size: Most bytes kept; 0 means no limit. A response larger than this is never stored.
            (KrakenD ignores one limit without the other; a limit written here is a limit kept.)
    """

    def __init__(self, *, max_items: int = 0, max_size: int = 0) -> None:
        if max_items < 0 or max_size < 0:
            raise ValueError("max_items and max_size must not be negative")
        self.max_items = max_items
        self.max_size = max_size
        self._entries: OrderedDict[_Key, StoredResponse] = OrderedDict()
        self._bytes = 0
        self._flights: dict[_Key, _Flight] = {}
        self._uncollapsible: OrderedDict[_Key, None] = OrderedDict()
        self._hits = self._misses = self._revalidations = self._evictions = self._coalesced = 0

    def statistics(self) -> CacheStatistics:
        """Return a snapshot of the counters."""
        return CacheStatistics(
            items=len(self._entries),
            bytes=self._bytes,
            hits=self._hits,
            misses=self._misses,
            revalidations=self._revalidations,
            evictions=self._evictions,
            coalesced=self._coalesced,
        )

    def _put(self, key: _Key, entry: StoredResponse) -> None:
        self._delete(key)  # KrakenD's LRU forgets to subtract the replaced size; this does not
        if self.max_size and entry.size > self.max_size:
            return
        self._entries[key] = entry
        self._bytes += entry.size
        while (self.max_items and len(self._entries) > self.max_items) or (
            self.max_size and self._bytes > self.max_size
        ):
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size
            self._evictions += 1

    def _delete(self, key: _Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry.size

    def _invalidate(self, method: bytes, origin: Origin, target: bytes) -> None:
        """RFC 9111 §4.4: an unsafe request invalidates the stored responses for its URL."""
        if method in policy.SAFE_METHODS:
            return
        for key in itertools.product(policy.CACHEABLE_METHODS, [origin], [target], [True, False]):
            self._delete(key)
            flight = self._flights.get(key)
            if flight is not None:
                flight.store = False

    def _mark(self, key: _Key, reusable: bool) -> None:
        """Rule 2: remember (or forget) that `key`'s answers are not reusable."""
        self._uncollapsible.pop(key, None)
        if not reusable:
            self._uncollapsible[key] = None
            if len(self._uncollapsible) > _MAX_UNCOLLAPSIBLE:
                self._uncollapsible.popitem(last=False)


_shared: HTTPCache | None = None


def shared_cache(config: HTTPCacheConfig) -> HTTPCache:
    """The process-wide cache of `"shared": true` backends; the first caller's limits win."""
    global _shared
    if _shared is None:
        _shared = HTTPCache(max_items=config.max_items, max_size=config.max_size)
    elif (config.max_items, config.max_size) != (_shared.max_items, _shared.max_size):
        limits = (_shared.max_items, _shared.max_size, config.max_items, config.max_size)
        LOGGER.info("shared http-cache keeps max_items=%d max_size=%d, ignoring %d, %d", *limits)
    return _shared


class BufferedStream:
    """A whole `BackendResponse` with `StreamingResponse`'s reading interface (one chunk)."""

    __slots__ = ("_body", "headers", "status", "url")

    def __init__(self, response: BackendResponse) -> None:
        self.status = response.status
        self.headers = response.headers
        self.url = response.url
        self._body: bytes | None = response.body

    def __aiter__(self) -> BufferedStream:
        return self

    async def __anext__(self) -> bytes:
        body, self._body = self._body, None
        if not body:
            raise StopAsyncIteration
        return body

    def at_end(self) -> bool:
        return self._body is None

    def close(self) -> None:
        self._body = None


class _BufferedContext(AbstractAsyncContextManager[BufferedStream]):
    """`CachingClient.stream` for a cacheable request: `request` on enter, nothing to release."""

    def __init__(self, client: CachingClient, args: tuple[Any, ...]) -> None:
        self._client = client
        self._args = args

    async def __aenter__(self) -> BufferedStream:
        origin, method, target, headers, body, follow_redirects = self._args
        response = await self._client.request(
            origin, method, target, headers, body, follow_redirects=follow_redirects
        )
        return BufferedStream(response)

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class CachingClient:
    """`HTTPClient.request` through an `HTTPCache`; `stream` is passed straight through.

    Error handling: the client's errors propagate (a stale response allowed by `stale-if-error`
    answers a `TransportError` or a 5xx instead); `trio.Cancelled` always propagates."""

    def __init__(
        self, client: HTTPClient, cache: HTTPCache, remote: RedisCacheStore | None = None
    ) -> None:
        self._client = client
        self._cache = cache
        self._remote = remote  # Rule 3: the entries are there, not in `cache`

    async def _lookup(self, key: _Key) -> StoredResponse | None:
        if self._remote is None:
            return self._cache._entries.get(key)
        return await self._remote.get(key, trio.current_time())

    async def _store(self, key: _Key, entry: StoredResponse) -> None:
        if self._remote is None:
            self._cache._put(key, entry)
        else:
            await self._remote.put(key, entry)

    async def _forget(self, key: _Key) -> None:
        if self._remote is None:
            self._cache._delete(key)
        else:
            await self._remote.delete([key])

    async def _invalidate(self, method: bytes, origin: Origin, target: bytes) -> None:
        self._cache._invalidate(method, origin, target)
        if self._remote is not None and method not in policy.SAFE_METHODS:
            await self._remote.delete(
                itertools.product(policy.CACHEABLE_METHODS, [origin], [target], [True, False])
            )

    async def request(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes = b"",
        *,
        follow_redirects: bool = True,
    ) -> BackendResponse:
        """Answer from the cache, by revalidating, or from the backend; see the module docstring."""
        cache, client = self._cache, self._client
        if method not in policy.CACHEABLE_METHODS or first_any_case(headers, b"range"):
            # Invalidate before (gregjones) and after: a GET may store the old state meanwhile.
            await self._invalidate(method, origin, target)
            try:
                return await client.request(
                    origin, method, target, headers, body, follow_redirects=follow_redirects
                )
            finally:
                with trio.CancelScope(shield=self._remote is not None):
                    await self._invalidate(method, origin, target)
        key: _Key = (method, origin, target, follow_redirects)
        request_cc = policy.parse_cache_control(headers)
        collapsible = "no-cache" not in request_cc and "no-store" not in request_cc
        waited = False
        while True:
            stored = await self._lookup(key)
            entry = stored if stored is not None and stored.matches(headers) else None
            if entry is not None:
                state = entry.freshness(trio.current_time(), request_cc)
                if state is Freshness.FRESH:
                    if self._remote is None:
                        cache._entries.move_to_end(key)
                    if waited:
                        cache._coalesced += 1
                    else:
                        cache._hits += 1
                    return entry.response
                if state is Freshness.TRANSPARENT:
                    entry = None
            elif "only-if-cached" in request_cc:  # RFC 9111 §5.2.1.7
                url = origin.base_url + target.decode("latin-1")
                return BackendResponse(504, b"Gateway Timeout", [], b"", url)
            flight = cache._flights.get(key) if collapsible else None
            # Wait only if the answer can be ours: same Vary values as the leader's, if known.
            if flight is not None and (
                stored is None or stored.same_variant(headers, flight.headers)
            ):
                await flight.done.wait()
                waited = True
                collapsible = flight.abandoned  # otherwise: reuse what it stored, or forward
                continue
            if not collapsible or flight is not None or key in cache._uncollapsible:
                return await self._fetch(key, entry, headers, body, request_cc, None)
            flight = cache._flights[key] = _Flight(headers)
            abandoned = True
            try:
                response = await self._fetch(key, entry, headers, body, request_cc, flight)
                abandoned = False
            except Exception:
                abandoned = False  # failed, not cancelled: the waiters forward their own requests
                raise
            finally:
                flight.abandoned = abandoned
                del cache._flights[key]
                flight.done.set()
            return response

    def stream(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes = b"",
        *,
        follow_redirects: bool = True,
    ) -> AbstractAsyncContextManager[StreamingResponse | BufferedStream]:
        """`client.stream` for `no-op` endpoints. A cacheable request (GET/HEAD) goes through
        `request`, so it is answered from the cache and its answer stored: its body is then read
        whole (up to the client's response limit) before it is relayed, as KrakenD's httpcache
        transport reads a body into its cache. Anything else streams, and unsafe methods still
        invalidate."""
        if method in policy.CACHEABLE_METHODS and not first_any_case(headers, b"range"):
            return _BufferedContext(self, (origin, method, target, headers, body, follow_redirects))
        self._cache._invalidate(method, origin, target)
        inner = self._client.stream(
            origin, method, target, headers, body, follow_redirects=follow_redirects
        )
        if self._remote is None or method in policy.SAFE_METHODS:
            return inner
        return _invalidating(self._invalidate(method, origin, target), inner)

    async def _fetch(
        self,
        key: _Key,
        entry: StoredResponse | None,
        headers: Headers,
        body: bytes,
        request_cc: CacheControl,
        flight: _Flight | None,
    ) -> BackendResponse:
        """One backend call: conditional if `entry` (stale) has validators; then store or not."""
        cache = self._cache
        method, origin, target, follow_redirects = key
        sent = policy.conditional_headers(headers, entry.response.headers) if entry else None
        if sent is not None:
            cache._revalidations += 1
        else:
            cache._misses += 1
        sent_at = trio.current_time()
        try:
            response = await self._client.request(
                origin, method, target, sent or headers, body, follow_redirects=follow_redirects
            )
        except TransportError:
            if entry is not None and entry.stale_if_error(trio.current_time(), request_cc):
                return entry.response
            raise
        now = trio.current_time()
        if entry is not None:
            if response.status == 304 and sent is not None:  # RFC 9111 §4.3.4
                fields = policy.updated_headers(entry.response.headers, response.headers)
                response = attrs.evolve(entry.response, headers=fields)
            elif response.status >= 500 and entry.stale_if_error(now, request_cc):
                return entry.response
        if flight is not None and not flight.store:
            return response  # invalidated meanwhile (RFC 9111 §4.4)
        stored = StoredResponse.of(
            response, headers, now=now, wall=time.time(), delay=now - sent_at
        )
        # gregjones: what cannot be stored replaces nothing. A redirected answer is not stored under
        # the first URL: KrakenD caches each hop at its own URL, below the redirects.
        if response.url != origin.base_url + target.decode("latin-1") or not policy.is_storable(
            method, response.status, request_cc, stored.cc
        ):
            await self._forget(key)
            cache._mark(key, reusable=False)
            return response
        await self._store(key, stored)
        cache._mark(key, stored.reusable())
        return response


@asynccontextmanager
async def _invalidating(
    invalidate: Awaitable[None], inner: AbstractAsyncContextManager[StreamingResponse]
) -> AsyncIterator[StreamingResponse]:
    """A streamed unsafe request through a Redis cache: its URL's entries go first (Rule 3)."""
    await invalidate
    async with inner as response:
        yield response


@attrs.frozen(kw_only=True)
class HTTPCacheConfig:
    """`extra_config."qos/http-cache"` (backend): an in-memory HTTP cache of backend answers."""

    NAMESPACE: ClassVar[str] = "qos/http-cache"

    shared: bool = False
    max_items: int = 0
    max_size: int = 0  # bytes
    # trio-gateway's own: a pool of the service's `redis` block to keep the entries in (Rule 3).
    connection_name: str = ""


def check(config: HTTPCacheConfig, where: Where, report: Report) -> None:
    if config.connection_name:
        check_connection_name(config.connection_name, "", where, report)


NAMESPACE = Namespace(
    name="qos/http-cache",
    levels=frozenset({Level.BACKEND}),
    config=HTTPCacheConfig,
    aliases=("github.com/devopsfaith/krakend-httpcache",),
    check=check,
)

_DEADLINE_SHARE = 0.1  # of the endpoint's timeout, per Redis call (as the Redis rate limits)
_MIN_DEADLINE = 0.001


def _remote(config: HTTPCacheConfig, call: BackendCall, plan: Any, context: Any) -> RedisCacheStore:
    # the store's scope: the process-wide one's, or this backend definition's
    scope = "shared" if config.shared else f"{plan.method} {plan.path} {backend_id(plan, call)}"
    pools: RedisPools = getattr(context, "redis", None) or RedisPools()
    calls = RedisCalls(
        pools,
        config.connection_name,
        deadline=max(_MIN_DEADLINE, plan.timeout * _DEADLINE_SHARE),
        label=f"[{plan.method} {plan.path}] qos/http-cache",
        instead="calling the backend (the cache is skipped meanwhile)",
    )
    return RedisCacheStore(calls, get_script(), scope, config.max_size)


def build_wrapper(client: Any, call: BackendCall, plan: Any, context: Any) -> CachingClient | None:
    """The cache goes under the call, around the HTTP client (KrakenD's httpcache transport)."""
    config = call.extra.get(HTTPCacheConfig)
    if config is None:
        return None
    cache = (
        shared_cache(config)
        if config.shared
        else HTTPCache(max_items=config.max_items, max_size=config.max_size)
    )
    resources = getattr(context, "resources", None)
    if resources is not None:  # hits and misses, for telemetry (namespace.Observed)
        resources.observe(
            Observed(
                kind=NAMESPACE.name,
                read=cache.statistics,
                source=cache,
                endpoint=None if config.shared else plan,
                backend=None if config.shared else call,
            )
        )
    remote = _remote(config, call, plan, context) if config.connection_name else None
    return CachingClient(client, cache, remote)


WRAPPER = Layer(
    name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.CLIENT_WRAPPER, build=build_wrapper
)
