"""`qos/ratelimit/router`: an endpoint guard (krakend-ratelimit `router/gin`).

KrakenD answers before its endpoint handler runs: an empty endpoint bucket is a 503, an empty
client bucket a 429, both with an empty body and no X-Krakend headers. Beyond KrakenD, a
`Retry-After` (whole seconds, at least 1) unless `retry_after: false`. The buckets are in
`qos/ratelimit.py`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import trio

from trio_gateway.config.model import Seconds
from trio_gateway.namespace import Admission, Layer, Level, Namespace, Observed, Rejection, Slot
from trio_gateway.qos.ratelimit import RouterRateLimiter, client_key

if TYPE_CHECKING:
    from trio_gateway.plan import EndpointPlan

__all__ = ["GUARD", "NAMESPACE", "RateLimitRouterConfig", "RouterRateLimitGuard"]


@attrs.frozen(kw_only=True)
class RateLimitRouterConfig:
    """`extra_config."qos/ratelimit/router"` (endpoint): an endpoint-wide bucket (503 when empty)
    and one bucket per client (429), refilled at `max_rate` / `client_max_rate` per `every`."""

    NAMESPACE: ClassVar[str] = "qos/ratelimit/router"

    max_rate: float = 0.0
    capacity: int = 0  # 0 = KrakenD's default (the per-second rate, at least 1)
    client_max_rate: float = 0.0
    client_capacity: int = 0
    strategy: str = ""  # "ip" | "header" | "param"
    key: str = ""
    every: Seconds | None = None  # default 1 s; KrakenD raises anything under 1 s to 1 s
    num_shards: int = 2048  # accepted for compatibility; our store is not sharded
    cleanup_period: Seconds | None = None  # default 1 m
    cleanup_threads: int = 1  # accepted for compatibility (KrakenD ignores it too)
    # Beyond KrakenD: a Retry-After header on 429/503 (seconds until a token is back).
    retry_after: bool = True
    # Beyond KrakenD: at most this many client buckets; past it the least recently used go.
    max_clients: int = 100_000


NAMESPACE = Namespace(
    name="qos/ratelimit/router",
    levels=frozenset({Level.ENDPOINT}),
    config=RateLimitRouterConfig,
)


def _now() -> float:
    """trio's clock inside trio (startup runs there); 0 otherwise (a plain test)."""
    try:
        return trio.current_time()
    except RuntimeError:
        return 0.0


class RouterRateLimitGuard:
    """Takes a token from the client's bucket, then the endpoint's."""

    __slots__ = ("_limiter", "_retry_after")

    def __init__(self, limiter: RouterRateLimiter, retry_after: bool) -> None:
        self._limiter = limiter
        self._retry_after = retry_after

    async def __call__(self, admission: Admission) -> Rejection | None:
        limiter = self._limiter
        key = None
        if limiter.needs_client_key:
            key = client_key(
                limiter.strategy,
                limiter.key,
                client_ip=admission.client_ip(),
                headers=admission.scope["headers"],
                params=admission.params,
            )
        rejection = limiter.check(key, trio.current_time())
        if rejection is None:
            return None
        headers = []
        if self._retry_after:
            headers.append((b"retry-after", b"%d" % max(1, math.ceil(rejection.retry_after))))
        return Rejection(rejection.status, headers)


def build_guard(plan: EndpointPlan, context: Any) -> RouterRateLimitGuard | None:
    config = plan.extra.get(RateLimitRouterConfig)
    if config is None:
        return None
    limiter = RouterRateLimiter.from_config(config, _now())
    if limiter is None:
        return None
    resources = getattr(context, "resources", None)
    if resources is not None:  # its rejections, for telemetry (namespace.Observed)
        resources.observe(
            Observed(kind=NAMESPACE.name, read=limiter.statistics, source=limiter, endpoint=plan)
        )
    return RouterRateLimitGuard(limiter, config.retry_after)


GUARD = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.ENDPOINT_GUARD, build=build_guard)
