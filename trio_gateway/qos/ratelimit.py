"""Token buckets with KrakenD's semantics: `qos/ratelimit/router` and `qos/ratelimit/proxy`.

Reference §2 and §3 (krakend-ratelimit `tokenbucket.go`, `router/`, `memorybackend.go`, `proxy/`).

Rule 1: time is passed in, never read: `now` in seconds (`trio.current_time()` in production),
worked in integer nanoseconds as Go's `time.Duration` is, so a 0.1 s fill interval refills 3 tokens
after 0.3 s (float division would floor 2.999… to 2).
Rule 2: nothing blocks, spawns or locks (a trio worker runs one task at a time); the per-client
store is swept lazily from `check()` instead of by KrakenD's ticker goroutine.

Kept from KrakenD on purpose: a refill that overflows the capacity grants one token more (§26.3);
refill is lazy, so credit accrues while a bucket still holds tokens and a bucket drained after a
long idle spell grants up to 2×capacity+1 at once; an empty client key is a 429; the client bucket
goes first and spends its token even when the endpoint bucket then answers 503.

Deliberate differences from KrakenD (docs/compatibility.md):
* `client_capacity` defaults from `client_max_rate`, not `max_rate` (§26.1: KrakenD gave every
  client a burst of 1 unless `max_rate` was set too).
* `ip` with a `key` header understands and normalizes IPv6 (`[2001:db8::1]:443`, `2001:db8::1`);
  KrakenD splits on ":" and so falls back to the peer address (§26.5).
* The TTL for `every` > 10 min is `every`×1.25, not random in [every, 1.25×every); at most
  `max_clients` client buckets are kept (LRU out first) where KrakenD's map is unbounded;
  `num_shards` and `cleanup_threads` are accepted and ignored.
* Rejections carry `retry_after`; a rate above 1e9/s gets a 1 ns fill interval (Go would divide by
  zero); a proxy `every` <= 0 counts as unset.
"""

from __future__ import annotations

import ipaddress
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from trio_gateway.headers import first

if TYPE_CHECKING:  # the namespace modules import this one to build their layers
    from trio_gateway.qos.ratelimit_proxy import RateLimitProxyConfig
    from trio_gateway.qos.ratelimit_router import RateLimitRouterConfig

__all__ = [
    "BucketParameters",
    "ProxyRateLimiter",
    "RateLimiterStatistics",
    "Rejection",
    "RouterRateLimiter",
    "TokenBucket",
    "client_key",
]

LOGGER = logging.getLogger(__name__)

_NS = 1_000_000_000
_MIN_RATE = 1e-9  # tokenbucket.go: keeps the fill interval finite
_DATA_TTL = 600.0  # krakendrate.DataTTL
_CLEANUP_PERIOD = 60.0  # router.go default; it also enforces a 1 s minimum
_STRATEGIES = frozenset({"ip", "header", "param"})


def _ns(seconds: float) -> int:
    return round(seconds * _NS)


def _scaled_rate(max_rate: float, every: float) -> float:
    # router.go/proxy.go: `max_rate * float64(time.Second) / float64(every)`, in nanoseconds.
    return max_rate * (_NS / max(1, _ns(every)))


def fill_interval_ns(rate_per_second: float) -> int:
    """Go truncates `1e9 / rate` to whole nanoseconds; 1 ns at least, or allow() divides by 0."""
    return max(1, int(_NS / max(rate_per_second, _MIN_RATE)))


def _default_capacity(capacity: int, rate: float) -> int:
    # gin.go/proxy.go: 0 means the per-second rate (after `every` scaling) truncated, 1 below 1/s.
    if capacity > 0:
        return capacity
    return int(rate) if rate >= 1 else 1


@attrs.frozen
class Rejection:
    """Why a request was refused: 429 by its client's bucket, 503 by the endpoint's."""

    status: int
    retry_after: float  # seconds until the bucket that refused has a token again (>= 0)


@attrs.frozen(kw_only=True)
class BucketParameters:
    """A `RouterRateLimiter`'s buckets as numbers, for a store elsewhere (qos/redis_bucket.py):
    fill interval in ns and capacity of each, 0 when that bucket is off; the client TTL (s)."""

    client_fill_ns: int
    client_capacity: int
    endpoint_fill_ns: int
    endpoint_capacity: int
    client_ttl: float


@attrs.frozen(kw_only=True)
class RateLimiterStatistics:
    """A snapshot of a `RouterRateLimiter`."""

    clients: int  # client buckets held now
    max_clients: int
    ttl_evictions: int  # buckets dropped by a sweep after idling longer than the TTL
    lru_evictions: int  # buckets dropped to stay within `max_clients`
    rejections_429: int
    rejections_503: int


class TokenBucket:
    """KrakenD's `TokenBucket`: starts full, refills lazily and only once empty.

    Args:
        rate_per_second: tokens per second, floored at 1e-9.
        capacity: the most tokens held, at least 1.
        now: the creation time, in seconds; the refill clock starts here.
    """

    __slots__ = ("_capacity", "_fill_ns", "_last_refill_ns", "_tokens")

    def __init__(self, rate_per_second: float, capacity: int, now: float) -> None:
        self._fill_ns = fill_interval_ns(rate_per_second)
        self._capacity = max(1, capacity)
        self._tokens = self._capacity
        self._last_refill_ns = _ns(now)

    @property
    def fill_interval(self) -> float:
        """Seconds per token, after the nanosecond truncation."""
        return self._fill_ns / _NS

    def allow(self, now: float) -> bool:
        """Take a token if there is one (`canConsume` in tokenbucket.go)."""
        if self._tokens > 0:
            # The refill is delayed until the bucket is empty: the fast path reads no clock.
            self._tokens -= 1
            return True
        to_add = (_ns(now) - self._last_refill_ns) // self._fill_ns
        if to_add <= 0:
            return False
        self._last_refill_ns += to_add * self._fill_ns
        if to_add > self._capacity:
            # KrakenD fills to capacity *and* grants this request: capacity+1 tokens for it.
            self._tokens = self._capacity
        else:
            self._tokens = to_add - 1
        return True

    def retry_after(self, now: float) -> float:
        """Seconds until `allow` would succeed (0 when it would now)."""
        if self._tokens > 0:
            return 0.0
        wait = self._last_refill_ns + self._fill_ns - _ns(now)
        return wait / _NS if wait > 0 else 0.0


class _ClientBucket(TokenBucket):
    __slots__ = ("last_seen",)

    def __init__(self, rate_per_second: float, capacity: int, now: float) -> None:
        super().__init__(rate_per_second, capacity, now)
        self.last_seen = now


class RouterRateLimiter:
    """An endpoint's `qos/ratelimit/router`: one bucket per client key, then one for the endpoint.

    Build it with `from_config`. Per request, `check` is O(1) amortized: a dict lookup, a move to
    the end of the LRU order and the bucket arithmetic; the sweep pops only expired buckets.
    """

    __slots__ = (
        "_buckets", "_cleanup_period", "_client_capacity", "_client_fill", "_client_rate",
        "_endpoint", "_lru_evictions", "_max_clients", "_next_sweep", "_rejections_429",
        "_rejections_503", "_ttl", "_ttl_evictions", "key", "needs_client_key", "strategy",
    )  # fmt: skip

    def __init__(self, config: RateLimitRouterConfig, now: float, *, label: str = "") -> None:
        """Apply KrakenD's defaults (§2); `label` prefixes the warnings logged here."""
        prefix = f"[{label}] qos/ratelimit/router:" if label else "qos/ratelimit/router:"
        every = config.every if config.every is not None and config.every >= 1.0 else 1.0
        rate = _scaled_rate(config.max_rate, every)
        client_rate = _scaled_rate(config.client_max_rate, every)
        self.strategy = config.strategy.lower()
        self.key = config.key
        if client_rate > 0 and self.strategy not in _STRATEGIES:
            LOGGER.warning("%s unknown strategy %r: no per-client limit", prefix, config.strategy)
            client_rate = 0.0
        elif client_rate > 0 and self.strategy != "ip" and not self.key:
            LOGGER.warning("%s strategy %r without a key: always 429", prefix, self.strategy)
        self.needs_client_key = client_rate > 0
        self._endpoint = (
            TokenBucket(rate, _default_capacity(config.capacity, rate), now) if rate > 0 else None
        )
        self._client_rate = client_rate
        # Fixed KrakenD bug (§26.1): the default follows client_max_rate, not max_rate.
        self._client_capacity = _default_capacity(config.client_capacity, client_rate)
        # An empty key is refused outright; one fill interval is the politest hint to give.
        self._client_fill = TokenBucket(client_rate, 1, now).fill_interval
        self._buckets: OrderedDict[str, _ClientBucket] = OrderedDict()
        self._max_clients = max(1, config.max_clients)
        self._ttl = every * 1.25 if every > _DATA_TTL else _DATA_TTL
        cleanup = config.cleanup_period
        self._cleanup_period = _CLEANUP_PERIOD if cleanup is None else max(1.0, cleanup)
        self._next_sweep = now + self._cleanup_period
        self._ttl_evictions = self._lru_evictions = 0
        self._rejections_429 = self._rejections_503 = 0

    @classmethod
    def from_config(
        cls, config: RateLimitRouterConfig, now: float, *, label: str = ""
    ) -> RouterRateLimiter | None:
        """The limiter for `config`, or None when neither limit is active (warnings logged once)."""
        limiter = cls(config, now, label=label)
        return limiter if limiter.needs_client_key or limiter._endpoint is not None else None

    def parameters(self) -> BucketParameters:
        """The buckets' fill intervals and capacities (after KrakenD's defaults)."""
        endpoint = self._endpoint
        return BucketParameters(
            client_fill_ns=fill_interval_ns(self._client_rate) if self.needs_client_key else 0,
            client_capacity=max(1, self._client_capacity) if self.needs_client_key else 0,
            endpoint_fill_ns=0 if endpoint is None else endpoint._fill_ns,
            endpoint_capacity=0 if endpoint is None else endpoint._capacity,
            client_ttl=self._ttl,
        )

    def check(self, client_key: str | None, now: float) -> Rejection | None:
        """Spend a token from the client's bucket, then from the endpoint's; None = go ahead."""
        if self.needs_client_key:
            if not client_key:
                self._rejections_429 += 1
                return Rejection(429, self._client_fill)
            if now >= self._next_sweep:
                self._sweep(now)
            buckets = self._buckets
            bucket = buckets.get(client_key)
            if bucket is None:
                if len(buckets) >= self._max_clients:
                    # Bounded memory under a flood of distinct keys: the coldest client goes.
                    buckets.popitem(last=False)
                    self._lru_evictions += 1
                bucket = _ClientBucket(self._client_rate, self._client_capacity, now)
                buckets[client_key] = bucket
            else:
                buckets.move_to_end(client_key)
                # memorybackend.go refreshes the access time on every lookup, allowed or not.
                bucket.last_seen = now
            if not bucket.allow(now):
                self._rejections_429 += 1
                return Rejection(429, bucket.retry_after(now))
        endpoint = self._endpoint
        if endpoint is not None and not endpoint.allow(now):
            self._rejections_503 += 1
            return Rejection(503, endpoint.retry_after(now))
        return None

    def _sweep(self, now: float) -> None:
        """Drop buckets idle longer than the TTL (memorybackend.go `manageEvictions`)."""
        self._next_sweep = now + self._cleanup_period
        buckets = self._buckets
        # The dict is in access order, so the idle buckets lead and the sweep stops at the first
        # live one: O(expired), not O(clients). (A clock running backwards only delays eviction.)
        while buckets:
            oldest = next(iter(buckets))
            if buckets[oldest].last_seen + self._ttl >= now:
                break
            del buckets[oldest]
            self._ttl_evictions += 1

    def statistics(self) -> RateLimiterStatistics:
        """A snapshot of the client store and the rejection counters."""
        return RateLimiterStatistics(
            clients=len(self._buckets),
            max_clients=self._max_clients,
            ttl_evictions=self._ttl_evictions,
            lru_evictions=self._lru_evictions,
            rejections_429=self._rejections_429,
            rejections_503=self._rejections_503,
        )


class ProxyRateLimiter:
    """A backend's `qos/ratelimit/proxy`: one bucket shared by every request to it (§3)."""

    __slots__ = ("bucket",)

    def __init__(self, bucket: TokenBucket) -> None:
        self.bucket = bucket

    @classmethod
    def from_config(cls, config: RateLimitProxyConfig, now: float) -> ProxyRateLimiter | None:
        """Apply KrakenD's defaults; None when `max_rate` is not positive.

        Unlike the router's, this `every` has no 1 s minimum (proxy.go): 1 per 100 ms is 10/s.
        """
        every = config.every if config.every is not None and config.every > 0 else 1.0
        rate = _scaled_rate(config.max_rate, every)
        if rate <= 0:
            return None
        return cls(TokenBucket(rate, _default_capacity(config.capacity, rate), now))

    def allow(self, now: float) -> bool:
        return self.bucket.allow(now)

    def parameters(self) -> BucketParameters:
        """The bucket as numbers, for a store elsewhere (qos/ratelimit_proxy_redis.py): it takes
        the endpoint bucket's place, with no client bucket; idle for KrakenD's DataTTL."""
        bucket = self.bucket
        return BucketParameters(
            client_fill_ns=0,
            client_capacity=0,
            endpoint_fill_ns=bucket._fill_ns,
            endpoint_capacity=bucket._capacity,
            client_ttl=_DATA_TTL,
        )


def client_key(
    strategy: str,
    key: str,
    *,
    client_ip: str,
    headers: Sequence[tuple[bytes, bytes]],
    params: Mapping[str, str],
) -> str | None:
    """The client's identity for the per-client bucket (tokenextractor.go); None when missing.

    * `ip`: `client_ip`; with `key`, the first comma-separated item of that header, `:port`
      stripped and validated as an IP (IPv6 included, unlike KrakenD), else `client_ip`.
    * `header`: the first value of header `key` (case-insensitive; `headers` as ASGI gives them).
    * `param`: the path parameter `key`.

    An empty value is None too: KrakenD answers both with 429.
    """
    strategy = strategy.lower()
    if strategy == "ip":
        if key:
            value = _get(headers, key)
            if value:
                ip = _ip_from_header(value)
                if ip is not None:
                    return ip
        return client_ip or None
    if strategy == "header":
        return _get(headers, key) or None
    if strategy == "param":
        return params.get(key) or None
    return None


def _ip_from_header(value: str) -> str | None:
    first = value.split(",", 1)[0].strip()
    if first.startswith("["):  # "[2001:db8::1]:443", the RFC 3986 form
        end = first.find("]")
        host = first[1:end] if end > 0 else ""
    elif first.count(":") == 1:  # "203.0.113.7:8080"
        host = first.partition(":")[0]
    else:  # a bare IPv4 or IPv6 address
        host = first
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _get(headers: Sequence[tuple[bytes, bytes]], name: str) -> str | None:
    value = first(headers, name.lower().encode("latin-1", "replace"))  # Go's Header.Get
    return None if value is None else value.decode("latin-1")
