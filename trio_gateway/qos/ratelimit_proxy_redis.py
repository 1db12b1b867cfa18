"""`qos/ratelimit/proxy/redis` (backend): the backend rate limit with its bucket in Redis, so
every gateway process and worker sharing the Redis server shares one limit per backend.

trio-gateway's own namespace, beyond KrakenD: KrakenD Enterprise keeps Redis limits at the
router and service levels only (krakend-schema v2.13 `backend_extra_config.json` has no Redis
limit). The shape follows EE's router one: the keys of `qos/ratelimit/proxy` (`max_rate`,
`capacity`, `every`, with its defaults: no 1 s floor on `every`, `capacity` defaulting to the
per-second rate) plus `connection_name` (or `connection_pool`) and `on_failure_allow`.

A call over the rate fails as the in-process limit's (KrakenD's `ErrLimited`, "rate limit
exceded"), a backend error the circuit breaker outside counts. The bucket is one Redis hash per
backend definition: `trio-gateway:rl:{<METHOD> <endpoint>}:b<index>:e` (the backend's index in
the endpoint's list; `s<index>` for a shadow backend), kept by the router limit's Lua script
(qos/redis_bucket.py) with no client bucket: one EVALSHA per call, atomic, Redis's clock.

Each check has a deadline of a tenth of the endpoint's timeout. When Redis fails, as the router
limit, `on_failure_allow` decides: false (default) fails the call as an empty bucket; true checks
it against an in-process bucket of the same limits (qos/redis_calls.py: pause, logs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import trio

from trio_gateway.config.model import Seconds
from trio_gateway.errors import BackendError
from trio_gateway.namespace import Layer, Level, Namespace, Slot, Where
from trio_gateway.qos.ratelimit import ProxyRateLimiter
from trio_gateway.qos.ratelimit_proxy import RateLimitProxyConfig
from trio_gateway.qos.redis_bucket import RedisBuckets, backend_id, endpoint_prefix, script
from trio_gateway.qos.redis_calls import FAILED, RedisCalls
from trio_gateway.qos.redis_pools import RedisPools, check_connection_name
from trio_gateway.types import ProxyFunction, Request, Response

if TYPE_CHECKING:
    from trio_gateway.config.diagnostics import Report
    from trio_gateway.plan import EndpointPlan
    from trio_gateway.proxy.backend import BackendCall

__all__ = ["LAYER", "NAMESPACE", "RedisRateLimitProxyConfig", "RedisRateLimitedProxy"]

_DEADLINE_SHARE = 0.1  # of the endpoint's timeout, as qos/ratelimit/router/redis
_MIN_DEADLINE = 0.001


@attrs.frozen(kw_only=True)
class RedisRateLimitProxyConfig:
    """`extra_config."qos/ratelimit/proxy/redis"` (backend): one shared bucket per backend."""

    NAMESPACE: ClassVar[str] = "qos/ratelimit/proxy/redis"

    connection_name: str = ""
    connection_pool: str = ""  # EE's deprecated spelling of connection_name (router limit)
    on_failure_allow: bool = False
    max_rate: float = 0.0
    capacity: int = 0
    every: Seconds | None = None

    def local(self) -> RateLimitProxyConfig:
        """The same limit as an in-process backend limit (the failure fallback)."""
        return RateLimitProxyConfig(
            max_rate=self.max_rate, capacity=self.capacity, every=self.every
        )


def check(config: RedisRateLimitProxyConfig, where: Where, report: Report) -> None:
    check_connection_name(config.connection_name, config.connection_pool, where, report)
    if config.max_rate <= 0:
        report.warning((*where.path, "max_rate"), "max_rate is not positive: no limit")


NAMESPACE = Namespace(
    name="qos/ratelimit/proxy/redis",
    levels=frozenset({Level.BACKEND}),
    config=RedisRateLimitProxyConfig,
    check=check,
)


class RedisRateLimitedProxy:
    """Takes a token from the backend's bucket in Redis before calling it."""

    __slots__ = ("_buckets", "_calls", "_local", "_next", "_on_failure_allow")

    def __init__(
        self,
        next_proxy: ProxyFunction,
        buckets: RedisBuckets,
        local: ProxyRateLimiter,
        calls: RedisCalls,
        *,
        on_failure_allow: bool,
    ) -> None:
        self._next = next_proxy
        self._buckets = buckets
        self._local = local
        self._calls = calls
        self._on_failure_allow = on_failure_allow

    async def __call__(self, request: Request) -> Response:
        buckets = self._buckets
        outcome = await self._calls.call(lambda client: buckets.check(client, None))
        if outcome is FAILED:
            allowed = self._on_failure_allow and self._local.allow(trio.current_time())
        else:
            allowed = outcome is None
        if not allowed:
            raise BackendError("rate limit exceded")  # KrakenD's ErrLimited, spelling included
        return await self._next(request)


def build_layer(
    next_proxy: ProxyFunction, call: BackendCall, endpoint: EndpointPlan, context: Any
) -> ProxyFunction | None:
    config = call.extra.get(RedisRateLimitProxyConfig)
    if config is None:
        return None
    local = ProxyRateLimiter.from_config(config.local(), trio.current_time())
    if local is None:
        return None
    backend = backend_id(endpoint, call)
    label = f"[{endpoint.method} {endpoint.path}] backend {backend} qos/ratelimit/proxy/redis"
    pools: RedisPools = getattr(context, "redis", None) or RedisPools()
    prefix = f"{endpoint_prefix(endpoint.method, endpoint.path)}:{backend}"
    calls = RedisCalls(
        pools,
        config.connection_name or config.connection_pool,
        deadline=max(_MIN_DEADLINE, endpoint.timeout * _DEADLINE_SHARE),
        label=label,
        instead="using the in-process limit" if config.on_failure_allow else "refusing the call",
    )
    return RedisRateLimitedProxy(
        next_proxy,
        RedisBuckets(script(), prefix, local.parameters()),
        local,
        calls,
        on_failure_allow=config.on_failure_allow,
    )


LAYER = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.BACKEND_LAYER, build=build_layer)
