"""`qos/ratelimit/router/redis` (endpoint): the router rate limit with its buckets in Redis, so
every gateway process and worker sharing the Redis server shares the limit (KrakenD Enterprise's
"stateful endpoint rate limit"; shape from krakend-schema `v2.13/qos/ratelimit/redis.json`).

The keys are the router limit's (`max_rate`, `capacity`, `client_max_rate`, `client_capacity`,
`every`, `strategy`, `key`) with the same defaults and the same answers: 429 when the client's
bucket is empty, 503 when the endpoint's is, empty bodies, and `Retry-After` unless
`retry_after: false` (beyond KrakenD, as `qos/ratelimit/router`). Plus `connection_name` (or its
deprecated spelling `connection_pool`): a pool of the service's `redis` block.

Each check is one EVALSHA (qos/redis_bucket.py) with a deadline of a tenth of the endpoint's
timeout (200 ms for the default 2 s; EE has no key for it), so a slow Redis costs a request at
most that. When Redis fails (down, slow, an error), EE's `on_failure_allow` decides:

* `false` (EE's default: "blocks the request if Redis is not responding correctly"): 503, as
  an empty endpoint bucket (with `Retry-After: 1`);
* `true`: the request goes on under an in-process bucket of the same limits (what
  `qos/ratelimit/router` would do), so a Redis outage limits each process to the whole limit
  instead of removing the limit. (EE lets the request continue; a local bound is stricter.)

After a failure Redis is left alone for 1 s: requests meanwhile take the failure policy at once
instead of each waiting for the deadline. Failures are logged as a warning at most once per 10 s
per endpoint, with how many there were (qos/redis_calls.py).
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import trio

from trio_gateway.config.model import Seconds
from trio_gateway.namespace import Admission, Layer, Level, Namespace, Rejection, Slot, Where
from trio_gateway.qos.ratelimit import RouterRateLimiter, client_key
from trio_gateway.qos.ratelimit_router import RateLimitRouterConfig
from trio_gateway.qos.redis_bucket import RedisBuckets, endpoint_prefix, script
from trio_gateway.qos.redis_calls import FAILED, RedisCalls
from trio_gateway.qos.redis_pools import RedisPools, check_connection_name

if TYPE_CHECKING:
    from trio_gateway.config.diagnostics import Report
    from trio_gateway.plan import EndpointPlan
    from trio_gateway.qos.ratelimit import Rejection as LimitRejection

__all__ = ["GUARD", "NAMESPACE", "RedisRateLimitGuard", "RedisRateLimitRouterConfig"]

LOGGER = logging.getLogger(__name__)

_DEADLINE_SHARE = 0.1  # of the endpoint's timeout
_MIN_DEADLINE = 0.001


@attrs.frozen(kw_only=True)
class RedisRateLimitRouterConfig:
    """`extra_config."qos/ratelimit/router/redis"` (endpoint)."""

    NAMESPACE: ClassVar[str] = "qos/ratelimit/router/redis"

    connection_name: str = ""
    connection_pool: str = ""  # EE's deprecated name of connection_name
    on_failure_allow: bool = False
    max_rate: float = 0.0
    capacity: int = 0  # 0 = the per-second rate, at least 1 (as the router limit)
    client_max_rate: float = 0.0
    client_capacity: int = 0
    strategy: str = ""  # "ip" | "header" | "param"
    key: str = ""
    every: Seconds | None = None  # default 1 s; under 1 s counts as 1 s (as the router limit)
    # Beyond KrakenD: a Retry-After header on 429/503 (seconds until a token is back).
    retry_after: bool = True

    def local(self) -> RateLimitRouterConfig:
        """The same limits as an in-process router limit (the failure fallback)."""
        return RateLimitRouterConfig(
            max_rate=self.max_rate,
            capacity=self.capacity,
            client_max_rate=self.client_max_rate,
            client_capacity=self.client_capacity,
            strategy=self.strategy,
            key=self.key,
            every=self.every,
            retry_after=self.retry_after,
        )


def check(config: RedisRateLimitRouterConfig, where: Where, report: Report) -> None:
    check_connection_name(config.connection_name, config.connection_pool, where, report)
    if config.max_rate <= 0 and config.client_max_rate <= 0:
        report.warning(where.path, "neither max_rate nor client_max_rate is set: no limit")
    if config.client_max_rate > 0 and config.strategy.lower() not in ("ip", "header", "param"):
        report.error(
            (*where.path, "strategy"),
            f"strategy {config.strategy!r} is not one of ip, header, param: no per-client limit"
            " could be kept",
        )


NAMESPACE = Namespace(
    name="qos/ratelimit/router/redis",
    levels=frozenset({Level.ENDPOINT}),
    config=RedisRateLimitRouterConfig,
    check=check,
)


class RedisRateLimitGuard:
    """Takes a token from the client's bucket, then the endpoint's, in Redis."""

    __slots__ = ("_buckets", "_calls", "_local", "_on_failure_allow", "_retry_after")

    def __init__(
        self,
        buckets: RedisBuckets,
        local: RouterRateLimiter,
        calls: RedisCalls,
        *,
        on_failure_allow: bool,
        retry_after: bool,
    ) -> None:
        self._buckets = buckets
        self._local = local
        self._calls = calls
        self._on_failure_allow = on_failure_allow
        self._retry_after = retry_after

    async def __call__(self, admission: Admission) -> Rejection | None:
        local = self._local
        key = None
        if local.needs_client_key:
            key = client_key(
                local.strategy,
                local.key,
                client_ip=admission.client_ip(),
                headers=admission.scope["headers"],
                params=admission.params,
            )
            if not key:  # KrakenD: an empty client key is a 429 (no Redis round trip for it)
                return self._answer(local.check(None, trio.current_time()))
        buckets = self._buckets
        outcome = await self._calls.call(lambda client: buckets.check(client, key))
        if outcome is FAILED:
            return self._failed(key)
        return self._answer(outcome)

    def _answer(self, outcome: LimitRejection | None) -> Rejection | None:
        if outcome is None:
            return None
        headers = []
        if self._retry_after:
            headers.append((b"retry-after", b"%d" % max(1, math.ceil(outcome.retry_after))))
        return Rejection(outcome.status, headers)

    def _failed(self, key: str | None) -> Rejection | None:
        """The failure policy (module docstring)."""
        if self._on_failure_allow:
            return self._answer(self._local.check(key, trio.current_time()))
        headers = [(b"retry-after", b"1")] if self._retry_after else []
        return Rejection(503, headers)


def build_guard(plan: EndpointPlan, context: Any) -> RedisRateLimitGuard | None:
    config = plan.extra.get(RedisRateLimitRouterConfig)
    if config is None:
        return None
    label = f"{plan.method} {plan.path}"
    local = RouterRateLimiter.from_config(config.local(), trio.current_time(), label=label)
    if local is None:
        return None
    pools: RedisPools = getattr(context, "redis", None) or RedisPools()
    calls = RedisCalls(
        pools,
        config.connection_name or config.connection_pool,
        deadline=max(_MIN_DEADLINE, plan.timeout * _DEADLINE_SHARE),
        label=f"[{label}] qos/ratelimit/router/redis",
        instead="using the in-process limit" if config.on_failure_allow else "answering 503",
        logger=LOGGER,
    )
    return RedisRateLimitGuard(
        RedisBuckets(script(), endpoint_prefix(plan.method, plan.path), local.parameters()),
        local,
        calls,
        on_failure_allow=config.on_failure_allow,
        retry_after=config.retry_after,
    )


GUARD = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.ENDPOINT_GUARD, build=build_guard)
