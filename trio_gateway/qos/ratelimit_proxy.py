"""`qos/ratelimit/proxy`: a backend layer (krakend-ratelimit `proxy`).

A backend over its rate fails like any backend error (KrakenD's `ErrLimited`, spelling included),
so it counts toward the backend's circuit breaker, which sits outside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import trio

from trio_gateway.config.model import Seconds
from trio_gateway.errors import BackendError
from trio_gateway.namespace import Layer, Level, Namespace, Slot
from trio_gateway.qos.ratelimit import ProxyRateLimiter
from trio_gateway.types import ProxyFunction, Request, Response

if TYPE_CHECKING:
    from trio_gateway.plan import EndpointPlan
    from trio_gateway.proxy.backend import BackendCall

__all__ = ["LAYER", "NAMESPACE", "RateLimitProxyConfig", "RateLimitedProxy"]


@attrs.frozen(kw_only=True)
class RateLimitProxyConfig:
    """`extra_config."qos/ratelimit/proxy"` (backend): one bucket per backend definition."""

    NAMESPACE: ClassVar[str] = "qos/ratelimit/proxy"

    max_rate: float = 0.0
    capacity: int = 0
    every: Seconds | None = None


NAMESPACE = Namespace(
    name="qos/ratelimit/proxy",
    levels=frozenset({Level.BACKEND}),
    config=RateLimitProxyConfig,
)


class RateLimitedProxy:
    """Refuses a call when the backend's bucket is empty."""

    __slots__ = ("_limiter", "_next")

    def __init__(self, next_proxy: ProxyFunction, limiter: ProxyRateLimiter) -> None:
        self._next = next_proxy
        self._limiter = limiter

    async def __call__(self, request: Request) -> Response:
        if not self._limiter.allow(trio.current_time()):
            raise BackendError("rate limit exceded")
        return await self._next(request)


def build_layer(
    next_proxy: ProxyFunction, call: BackendCall, endpoint: EndpointPlan, context: Any
) -> ProxyFunction | None:
    config = call.extra.get(RateLimitProxyConfig)
    if config is None:
        return None
    limiter = ProxyRateLimiter.from_config(config, trio.current_time())
    return None if limiter is None else RateLimitedProxy(next_proxy, limiter)


LAYER = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.BACKEND_LAYER, build=build_layer)
