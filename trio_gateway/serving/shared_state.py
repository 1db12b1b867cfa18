"""What `run --workers N` does not share between its workers: the in-process state of rate
limits, circuit breakers and HTTP caches (each worker keeps its own, so a `max_rate` of 10 lets
N×10 through). `check` cannot know the worker count, so `run` says it once, at start.
`qos/ratelimit/router/redis` and `qos/ratelimit/proxy/redis` keep their buckets in Redis, and a
`qos/http-cache` with a `connection_name` its entries: those are shared (docs/operations.md).
`auth/revoker` without `connection_name` keeps one filter per worker, each with its own
revocation port (port + worker index): a revocation must reach every one (docs/revoker.md)."""

from __future__ import annotations

import logging
from typing import Any

from trio_gateway.auth.revoker import RevokerConfig
from trio_gateway.plan import GatewayPlan
from trio_gateway.qos.circuit_breaker import CircuitBreakerConfig
from trio_gateway.qos.http_cache import HTTPCacheConfig
from trio_gateway.qos.ratelimit_proxy import RateLimitProxyConfig
from trio_gateway.qos.ratelimit_router import RateLimitRouterConfig

__all__ = ["per_process_namespaces", "warn_per_process_state"]

LOGGER = logging.getLogger(__name__)

_PER_PROCESS: tuple[type[Any], ...] = (
    RateLimitRouterConfig,
    RateLimitProxyConfig,
    CircuitBreakerConfig,
    HTTPCacheConfig,
)


def per_process_namespaces(plan: GatewayPlan) -> list[str]:
    """The namespaces the plan uses whose state lives in each process, in a fixed order."""
    used: set[str] = set()
    for endpoint in plan.endpoints:
        extras = [endpoint.extra, *(b.extra for b in (*endpoint.backends, *endpoint.shadows))]
        for extra in extras:
            for config_class in _PER_PROCESS:
                config = extra.get(config_class)
                if config is not None and not getattr(config, "connection_name", ""):
                    used.add(config_class.NAMESPACE)
    return [c.NAMESPACE for c in _PER_PROCESS if c.NAMESPACE in used]


def warn_per_process_state(plan: GatewayPlan, workers: int) -> None:
    """One warning when more than one worker serves a plan with per-process state."""
    names = per_process_namespaces(plan)
    if workers > 1 and names:
        LOGGER.warning(
            "--workers %d: rate limits, circuit breakers and caches are per process: each worker "
            "keeps its own %s (qos/ratelimit/router/redis, qos/ratelimit/proxy/redis and a "
            "qos/http-cache with connection_name share theirs through Redis)",
            workers,
            ", ".join(names),
        )
    revoker = plan.extra.get(RevokerConfig)
    if workers > 1 and revoker is not None and not revoker.connection_name:
        LOGGER.warning(
            "--workers %d: auth/revoker keeps one filter per worker: send each revocation to "
            "every worker's port (%d to %d), or share the filter through Redis (connection_name)",
            workers,
            revoker.port or 0,
            (revoker.port or 0) + workers - 1,
        )
