"""THE order of a request's layers, written once (lura's `proxy/factory.go`, krakend-ce's
`handler_factory.go` and `backend_factory.go`), and the registry of implemented namespaces.

Each tuple below is one slot, outermost first; each entry is one line naming a `Layer` that a
namespace module (or, for KrakenD core behaviour, this module) declares. A layer whose namespace
is absent builds nothing, so a request pays only for what its configuration asks for.

    services (background tasks, once per app)            SERVICES
    service layers (around everything served)            SERVICE_LAYERS
    service guards (before routing, every request)       SERVICE_GUARDS
      endpoint guards (after routing, before the body)   ENDPOINT_GUARDS
        responder (instead of KrakenD's rendering)       RESPONDERS, else the output encoding
          endpoint layers (around the merge)             ENDPOINT_LAYERS
            merge: parallel | sequential | the one backend
              backend layers (around one call)           BACKEND_LAYERS
                the call: decode + manipulation, or the no-op stream
                  client wrappers (around the client)    CLIENT_WRAPPERS

A `no-op` endpoint passes the same guards and layers; only its leaf differs (it streams the
backend's answer instead of decoding and manipulating it), and the Python hooks skip it (they
see no stream: `check` warns).

Slot signatures (each `Layer.build`; `context` is the `BuildContext`):
    SERVICE:        build(extra: ExtraConfig, context) -> an object with `async run(task_status)`
                    | None; kept in `context.components[namespace]` for the layers to use
    SERVICE_LAYER:  build(next: ASGI app, extra: ExtraConfig, context) -> ASGI app | None
    SERVICE_GUARD:  build(extra: ExtraConfig, context) -> ServiceGuard | None
    ENDPOINT_GUARD: build(plan: EndpointPlan, context) -> EndpointGuard | None
    RESPONDER:      build(plan: EndpointPlan, context) -> a responder (edge/endpoint.py) | None
    ENDPOINT_LAYER: build(next: ProxyFunction, plan: EndpointPlan, context) -> ProxyFunction | None
    BACKEND_LAYER:  build(next, call: BackendCall, plan: EndpointPlan, context) -> same | None
    CLIENT_WRAPPER: build(client: BackendClient, call, plan, context) -> BackendClient | None

To add a namespace: write its module (its config class with `NAMESPACE`, its `Namespace` with
`check`, its `build` and `Layer`), then add its layer on one line below, in the place KrakenD
gives it. `REGISTRY` (what the config loader structures and checks) is built from these tuples.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from trio_gateway.auth import api_keys, basic, client_credentials, revoker, signing, validator
from trio_gateway.config.core_namespaces import CORE_NAMESPACES
from trio_gateway.modifier import martian, python
from trio_gateway.modifier.lua import layers as lua
from trio_gateway.modifier.lua import router as lua_router
from trio_gateway.namespace import (
    EndpointGuard,
    Layer,
    Namespace,
    Registry,
    RejectAll,
    Rejection,
    Resources,
    ServiceGuard,
    Slot,
)
from trio_gateway.proxy.backend import BackendCall, BackendClient, BackendProxy, StreamingProxy
from trio_gateway.proxy.concurrent import ConcurrentProxy
from trio_gateway.proxy.flatmap import EndpointFlatmap
from trio_gateway.proxy.merge import ParallelMerge
from trio_gateway.proxy.sequential import SequentialMerge
from trio_gateway.proxy.shadow import Background, ShadowProxy
from trio_gateway.proxy.static import StaticProxy
from trio_gateway.qos import (
    circuit_breaker,
    http_cache,
    ratelimit_proxy,
    ratelimit_proxy_redis,
    ratelimit_router,
    ratelimit_router_redis,
    redis_pools,
)
from trio_gateway.security import bot_detector, cors, http
from trio_gateway.telemetry import (
    gelf,
    gologging,
    influx,
    logstash,
    opencensus,
    opentelemetry,
    stats,
)
from trio_gateway.types import ProxyFunction
from trio_gateway.validation import cel, json_schema

if TYPE_CHECKING:
    import httpx

    from trio_gateway.config.model import ExtraConfig
    from trio_gateway.plan import EndpointPlan
    from trio_gateway.routing.clientip import ClientIPResolver

__all__ = [
    "BACKEND_LAYERS",
    "CLIENT_WRAPPERS",
    "ENDPOINT_GUARDS",
    "ENDPOINT_LAYERS",
    "REGISTRY",
    "RESPONDERS",
    "SERVICES",
    "SERVICE_GUARDS",
    "SERVICE_LAYERS",
    "SERVICE_SETTINGS",
    "BuildContext",
    "EndpointStack",
    "build_backend_proxy",
    "build_endpoint",
    "build_service_guards",
    "build_service_layers",
    "build_services",
    "layers",
]


# KrakenD core layers (no namespace of their own beyond `proxy`): built here.
def _shadow(next_proxy: ProxyFunction, plan: EndpointPlan, context: BuildContext) -> Any:
    if not plan.shadows:
        return None
    shadows = [
        (build_backend_proxy(call, plan, context), plan.shadow_timeouts[i])
        for i, call in enumerate(plan.shadows)
    ]
    return ShadowProxy(next_proxy, shadows, context.background)


def _static(next_proxy: ProxyFunction, plan: EndpointPlan, context: BuildContext) -> Any:
    if plan.static is None or plan.output_encoding == "no-op":  # a stream has no data to add to
        return None
    return StaticProxy(next_proxy, plan.static.strategy, plan.static.data)


def _flatmap(next_proxy: ProxyFunction, plan: EndpointPlan, context: BuildContext) -> Any:
    # lura applies the endpoint flatmap only to a merge of more than one backend.
    if plan.flatmap is None or len(plan.backends) < 2:
        return None
    return EndpointFlatmap(next_proxy, plan.flatmap)


def _concurrent(
    next_proxy: ProxyFunction, call: BackendCall, plan: EndpointPlan, context: BuildContext
) -> Any:
    if call.concurrent_calls < 2:
        return None
    return ConcurrentProxy(next_proxy, call.concurrent_calls, plan.timeout)


_SHADOW = Layer(
    name="proxy: shadow backends", namespace=None, slot=Slot.ENDPOINT_LAYER, build=_shadow
)
_STATIC = Layer(name="proxy: static", namespace=None, slot=Slot.ENDPOINT_LAYER, build=_static)
_FLATMAP = Layer(
    name="proxy: endpoint flatmap_filter", namespace=None, slot=Slot.ENDPOINT_LAYER, build=_flatmap
)
_CONCURRENT = Layer(
    name="concurrent_calls", namespace=None, slot=Slot.BACKEND_LAYER, build=_concurrent
)

# ---- THE ORDER (outermost first) -------------------------------------------------------------
# krakend-ce executor.go MetricsAndTraces.Register: the metrics collector, then influx (which
# pushes the collector's snapshots), started with the gateway and stopped with it.
# krakend-ce executor.go BloomFilterJWT.NewTokenRejecter: the revocation filter and its port,
# registered before the handlers that consult it.
SERVICES: tuple[Layer, ...] = (
    stats.SERVICE,
    influx.SERVICE,
    revoker.SERVICE,
)
# krakend-ce executor.go: otellura.GlobalRunServer wraps the handler the RunServer chain (CORS,
# plugins) was given, so it sees every request; Go's server answers `OPTIONS *` and bad
# requests before any handler (edge/app.py reads the head first).
SERVICE_LAYERS: tuple[Layer, ...] = (
    opentelemetry.SERVICE_LAYER,
    opencensus.SERVICE_LAYER,
)
# krakend-ce router_engine.go: CORS wraps the router; security/http and the bot detector are
# gin middlewares registered after the health route.
SERVICE_GUARDS: tuple[Layer, ...] = (
    cors.GUARD,
    http.GUARD,
    bot_detector.SERVICE_GUARD,
)
# krakend-ce handler_factory.go: botdetector.New(opencensus.New(metrics(jose(lua(ratelimit)))))
# - the bot detector outside opencensus, opencensus outside the metrics, the metrics outside the
# JWT validator, the router rate limit inside it (a rejected token spends no token of the bucket).
# krakend-otel router/gin's otelgin.New, outermost, only names the route: the global stage
# reads that from the router's mark on the scope instead (telemetry/otel_layers.py).
# The Enterprise API-key and Basic checks (closed source) sit with the validator: any one
# refusing is enough, and a refused request spends no rate-limit token either. Router-level Lua
# (krakend-lua router/gin) runs inside the validator, outside the router rate limit.
ENDPOINT_GUARDS: tuple[Layer, ...] = (
    # service-level Lua is a gin middleware (router_engine.go): before every endpoint handler
    lua_router.SERVICE_GUARD,
    bot_detector.ENDPOINT_GUARD,
    stats.ENDPOINT_GUARD,  # metrics' router handler: watches the answer of all after it
    validator.GUARD,
    api_keys.GUARD,
    basic.GUARD,
    lua_router.GUARD,
    ratelimit_router.GUARD,
    ratelimit_router_redis.GUARD,
)
# krakend-jose: the signer replaces the render, inside the validator (the guards run first).
RESPONDERS: tuple[Layer, ...] = (signing.RESPONDER,)
# lura proxy/factory.go + krakend-ce proxy_factory.go, around the merge; executor.go puts
# otellura.ProxyFactory outside all of them.
ENDPOINT_LAYERS: tuple[Layer, ...] = (
    opentelemetry.ENDPOINT_LAYER,
    opencensus.ENDPOINT_LAYER,
    stats.ENDPOINT_LAYER,  # metrics("pipe") inside opencensus (proxy_factory.go)
    python.ENDPOINT_LAYER,
    lua.ENDPOINT_LAYER,
    cel.ENDPOINT_LAYER,  # krakend-ce proxy_factory.go: inside lua-proxy, outside the JSON schema
    json_schema.LAYER,  # krakend-ce proxy_factory.go: inside lua-proxy and CEL, outside shadow
    _SHADOW,
    _STATIC,
    _FLATMAP,
)
# krakend-ce backend_factory.go, around one backend's call.
BACKEND_LAYERS: tuple[Layer, ...] = (
    opentelemetry.BACKEND_LAYER,
    opencensus.BACKEND_LAYER,
    python.BACKEND_LAYER,
    _CONCURRENT,  # lura newStack: concurrent_calls wraps the backend factory's proxy
    stats.BACKEND_LAYER,  # metrics("backend"), around the circuit breaker
    circuit_breaker.LAYER,
    ratelimit_proxy.LAYER,
    ratelimit_proxy_redis.LAYER,  # ours: the same limit with its bucket in Redis
    lua.BACKEND_LAYER,
    cel.BACKEND_LAYER,  # krakend-ce backend_factory.go: inside the rate limit and lua-backend
)
# Under the call: krakend-httpcache is the HTTP client's transport, and krakend-otel's
# instrumented client wraps it (backend_factory.go newRequestExecutorFactory).
# krakend-martian wraps the request executor factory (martian.NewConfiguredBackendFactory), so
# it modifies the request before the instrumented client sees it.
CLIENT_WRAPPERS: tuple[Layer, ...] = (
    martian.WRAPPER,
    opencensus.CLIENT_WRAPPER,
    opentelemetry.CLIENT_WRAPPER,
    http_cache.WRAPPER,
    # krakend-ce backend_factory.go: the OAuth2 client-credentials client is the request
    # executor's client (KrakenD uses it instead of the cache's; here the cache sits above it).
    client_credentials.WRAPPER,
)
# -----------------------------------------------------------------------------------------------
# Namespaces with no layer of their own: they configure the serving process (its logs:
# krakend-ce executor.go's LoggerBuilder) or hold settings the layers above read (`redis`).
SERVICE_SETTINGS: tuple[Namespace[Any], ...] = (
    gologging.NAMESPACE,
    gelf.NAMESPACE,
    logstash.NAMESPACE,
    redis_pools.NAMESPACE,
)


def layers() -> tuple[Layer, ...]:
    """Every layer, in slot order then stack order (for docs and the order test)."""
    return (
        *SERVICES,
        *SERVICE_LAYERS,
        *SERVICE_GUARDS,
        *ENDPOINT_GUARDS,
        *RESPONDERS,
        *ENDPOINT_LAYERS,
        *BACKEND_LAYERS,
        *CLIENT_WRAPPERS,
    )


def _namespaces(entries: Iterable[Layer]) -> list[Namespace[Any]]:
    found: dict[str, Namespace[Any]] = {}
    for entry in entries:
        if entry.namespace is not None:
            found.setdefault(entry.namespace.name, entry.namespace)
    return list(found.values())


REGISTRY = Registry([*CORE_NAMESPACES, *_namespaces(layers()), *SERVICE_SETTINGS])


@attrs.define(kw_only=True)
class BuildContext:
    """What building an endpoint's stack needs besides its plan (made once, at startup)."""

    client: BackendClient
    background: Background
    client_ip: ClientIPResolver
    # One httpx client for work off the request path (JWK sets), made on first use.
    httpx: Callable[[], httpx.AsyncClient]
    # What SERVICES built, by namespace name (the metrics collector the metrics layers fill).
    components: dict[str, Any] = attrs.field(factory=dict)
    # The service's extra_config and name, for the layers of service namespaces that also
    # wrap endpoints and backends (telemetry).
    service: ExtraConfig | None = None
    service_name: str = ""
    # What namespaces make once per gateway and close at shutdown, and what layers observe.
    resources: Resources = attrs.field(factory=Resources)
    # The service's Redis connections (`redis`), opened by the app's lifespan.
    redis: redis_pools.RedisPools = attrs.field(factory=redis_pools.RedisPools)
    # On a reload that restarts the services: the previous services' components, by namespace,
    # for those whose state must outlive the restart (auth/revoker's revocations).
    previous_components: dict[str, Any] = attrs.field(factory=dict)

    def jwt_rejecter(self, plan: EndpointPlan) -> Callable[[Any], bool | Awaitable[bool]] | None:
        """What auth/validator asks after a token's claims check (krakend-ce executor.go's
        rejecter chain, jose.ChainedRejecterFactory: the revocation bloom filter, then
        krakend-cel's `JWT` checks; the first that rejects decides). An awaitable answer when
        the filter is in Redis."""
        chain = [r for r in (revoker.jwt_rejecter(self), cel.jwt_rejecter(plan)) if r is not None]
        if len(chain) < 2:
            return chain[0] if chain else None
        first, second = chain

        async def chained(claims: Any) -> bool:
            rejected = first(claims)
            if not isinstance(rejected, bool):
                rejected = await rejected
            return rejected or bool(second(claims))

        return chained


@attrs.frozen(kw_only=True)
class EndpointStack:
    """What the edge runs for one endpoint: its guards, its responder, its proxy."""

    guards: tuple[EndpointGuard, ...]
    responder: Any  # a RESPONDERS build result, or None for the output encoding's rendering
    proxy: ProxyFunction


def _fold(entries: Sequence[Layer], inner: Any, *args: Any) -> Any:
    """Wrap `inner` in each present layer, innermost (last) first."""
    for entry in reversed(entries):
        wrapped = entry.build(inner, *args)
        if wrapped is not None:
            inner = wrapped
    return inner


def build_service_layers(inner: Any, extra: ExtraConfig, context: Any = None) -> Any:
    """`inner` (the ASGI callable serving a request after its head is read) wrapped in the
    service layers the configuration asks for (usually none: then `inner` itself)."""
    return _fold(SERVICE_LAYERS, inner, extra, context)


def build_service_guards(extra: ExtraConfig, context: Any = None) -> tuple[ServiceGuard, ...]:
    """The service guards the configuration asks for, in order (often none)."""
    built = (entry.build(extra, context) for entry in SERVICE_GUARDS)
    return tuple(guard for guard in built if guard is not None)


def build_services(extra: ExtraConfig, context: BuildContext) -> tuple[Any, ...]:
    """The service components the configuration asks for, in order; each is also kept in
    `context.components` under its namespace's name, for the layers built after."""
    built = []
    for entry in SERVICES:
        component = entry.build(extra, context)
        if component is not None:
            assert entry.namespace is not None
            context.components[entry.namespace.name] = component
            built.append(component)
    return tuple(built)


def build_backend_proxy(call: BackendCall, plan: EndpointPlan, context: BuildContext) -> Any:
    """One backend's stack: client wrappers, the leaf, the backend layers."""
    client = _fold(CLIENT_WRAPPERS, context.client, call, plan, context)
    leaf: ProxyFunction
    if plan.output_encoding == "no-op":
        leaf = StreamingProxy(call, client, context.background)
    else:
        leaf = BackendProxy(call, client, context.background)
    return _fold(BACKEND_LAYERS, leaf, call, plan, context)


def build_endpoint(plan: EndpointPlan, context: BuildContext) -> EndpointStack:
    """The endpoint's guards, responder and proxy stack."""
    backends = [build_backend_proxy(call, plan, context) for call in plan.backends]
    merged: ProxyFunction
    if len(backends) == 1:
        merged = backends[0]
    elif plan.sequential:
        merged = SequentialMerge(backends, plan.sequential_replacements, plan.timeout)
    else:
        merged = ParallelMerge(backends, [b.name for b in plan.backends], plan.timeout)
    built = (entry.build(plan, context) for entry in ENDPOINT_GUARDS)
    guards = [guard for guard in built if guard is not None]
    responders = (entry.build(plan, context) for entry in RESPONDERS)
    responder = next((r for r in responders if r is not None), None)
    if isinstance(responder, Rejection):
        # A responder that could not be built: the endpoint answers with the rejection, after
        # the guards (krakend-jose nests its signer inside the validator).
        guards.append(RejectAll(responder))
        responder = None
    return EndpointStack(
        guards=tuple(guards),
        responder=responder,
        proxy=_fold(ENDPOINT_LAYERS, merged, plan, context),
    )
