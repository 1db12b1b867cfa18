"""The proxy stack of an endpoint, in one place (lura's `proxy/factory.go` + CE's wrappers).

Outermost to innermost, each layer present only when its config is:

    endpoint modifier/python                        -> HookProxy
      shadow split (proxy.shadow backends)          -> ShadowProxy
        static data (proxy.static)                  -> StaticProxy
          endpoint flatmap_filter (>1 backend)      -> EndpointFlatmap
            merge: parallel | sequential            -> ParallelMerge | SequentialMerge
              per backend: modifier/python          -> HookProxy
                concurrent_calls > 1                -> ConcurrentProxy
                  qos/circuit-breaker               -> CircuitBreakerProxy
                    qos/ratelimit/proxy             -> RateLimitedProxy
                      the HTTP call                 -> BackendProxy
                        qos/http-cache              -> CachingClient (under the call, as KrakenD)

Hooks are outermost at both levels: a request a hook rejects reaches no shadow backend, and a hook
runs once per backend call (not once per hedged attempt); its failures and rejections never count
toward the circuit breaker or the backend rate limit (docs/hooks.md).

The endpoint-wide `qos/ratelimit/router` runs before all of this, at the edge: its rejections
never reach a proxy (KrakenD answers them before its endpoint handler).
"""

from __future__ import annotations

import trio

from trio_gateway.errors import BackendError
from trio_gateway.modifier.python import build_hook_proxy
from trio_gateway.plan import EndpointPlan
from trio_gateway.proxy.backend import BackendCall, BackendClient, BackendProxy
from trio_gateway.proxy.concurrent import ConcurrentProxy
from trio_gateway.proxy.formatter import Formatter
from trio_gateway.proxy.merge import ParallelMerge
from trio_gateway.proxy.sequential import SequentialMerge
from trio_gateway.proxy.shadow import Background, ShadowProxy
from trio_gateway.proxy.static import StaticProxy
from trio_gateway.qos.circuit import CircuitBreaker, CircuitBreakerProxy
from trio_gateway.qos.httpcache import CachingClient, HTTPCache, shared_cache
from trio_gateway.qos.ratelimit import ProxyRateLimiter
from trio_gateway.transport import HTTPClient
from trio_gateway.types import ProxyFunction, Request, Response

__all__ = ["EndpointFlatmap", "RateLimitedProxy", "build_backend_proxy", "build_endpoint_proxy"]


class EndpointFlatmap:
    """Endpoint-level `flatmap_filter`: applied to a merge that returned no error (lura)."""

    __slots__ = ("_flatmap", "_next")

    def __init__(self, next_proxy: ProxyFunction, flatmap: Formatter) -> None:
        self._next = next_proxy
        self._flatmap = flatmap

    async def __call__(self, request: Request) -> Response:
        response = await self._next(request)
        if response.error is None:
            response.data = self._flatmap(response.data)
        return response


class RateLimitedProxy:
    """`qos/ratelimit/proxy`: a backend over its rate fails like any backend error (KrakenD's
    `ErrLimited`, spelling included), so it counts toward the backend's circuit breaker."""

    __slots__ = ("_limiter", "_next")

    def __init__(self, next_proxy: ProxyFunction, limiter: ProxyRateLimiter) -> None:
        self._next = next_proxy
        self._limiter = limiter

    async def __call__(self, request: Request) -> Response:
        if not self._limiter.allow(trio.current_time()):
            raise BackendError("rate limit exceded")
        return await self._next(request)


def _client_for(call: BackendCall, client: HTTPClient) -> BackendClient:
    config = call.http_cache
    if config is None:
        return client
    cache = (
        shared_cache(config)
        if config.shared
        else HTTPCache(max_items=config.max_items, max_size=config.max_size)
    )
    return CachingClient(client, cache)


def build_backend_proxy(
    call: BackendCall, client: HTTPClient, timeout: float, *, endpoint: str = ""
) -> ProxyFunction:
    """The stack of one backend; `endpoint` (its endpoint's name) is for hook logs."""
    proxy: ProxyFunction = BackendProxy(call, _client_for(call, client))
    if call.ratelimit is not None:
        limiter = ProxyRateLimiter.from_config(call.ratelimit, trio.current_time())
        if limiter is not None:
            proxy = RateLimitedProxy(proxy, limiter)
    if call.circuit_breaker is not None:
        breaker = CircuitBreaker.from_config(call.circuit_breaker)
        if breaker is not None:
            proxy = CircuitBreakerProxy(proxy, breaker)
    if call.concurrent_calls > 1:
        proxy = ConcurrentProxy(proxy, call.concurrent_calls, timeout)
    if call.python_hooks is not None:
        where = f"{endpoint} (backend {call.name})" if endpoint else f"backend {call.name}"
        proxy = build_hook_proxy(proxy, call.python_hooks, where)
    return proxy


def build_endpoint_proxy(
    plan: EndpointPlan, client: HTTPClient, background: Background
) -> ProxyFunction:
    backends = [
        build_backend_proxy(call, client, plan.timeout, endpoint=plan.name)
        for call in plan.backends
    ]
    proxy: ProxyFunction
    if len(backends) == 1:
        proxy = backends[0]
    elif plan.sequential:
        proxy = SequentialMerge(backends, plan.sequential_replacements, plan.timeout)
    else:
        proxy = ParallelMerge(backends, [b.name for b in plan.backends], plan.timeout)
    if len(backends) > 1 and plan.flatmap is not None:
        proxy = EndpointFlatmap(proxy, plan.flatmap)
    if plan.static is not None:
        proxy = StaticProxy(proxy, plan.static.strategy, plan.static.data)
    if plan.shadows:
        shadows = [
            (
                build_backend_proxy(call, client, plan.timeout, endpoint=plan.name),
                plan.shadow_timeouts[i],
            )
            for i, call in enumerate(plan.shadows)
        ]
        proxy = ShadowProxy(proxy, shadows, background)
    if plan.python_hooks is not None:
        proxy = build_hook_proxy(proxy, plan.python_hooks, plan.name)
    return proxy
