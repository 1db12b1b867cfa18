"""THE order of a request's layers, written once (lura's `proxy/factory.go`, krakend-ce's
`handler_factory.go` and `backend_factory.go`), and the registry of implemented namespaces.

Each tuple below is one slot, outermost first; each entry is one line naming a `Layer` that a
namespace module (or, for KrakenD core behaviour, this module) declares. A layer whose namespace
is absent builds nothing, so a request pays only for what its configuration asks for.

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
    SERVICE_GUARD:  build(extra: ExtraConfig, context) -> ServiceGuard | None
    ENDPOINT_GUARD: build(plan: EndpointPlan, context) -> EndpointGuard | None
    RESPONDER:      build(plan: EndpointPlan, context) -> a responder (edge/endpoint.py) | None
    ENDPOINT_LAYER: build(next: ProxyFunction, plan: EndpointPlan, context) -> ProxyFunction | None
    BACKEND_LAYER:  build(next, call: BackendCall, plan: EndpointPlan, context) -> same | None
    CLIENT_WRAPPER: build(client: BackendClient, call: BackendCall, context) -> BackendClient | None

To add a namespace: write its module (its config class with `NAMESPACE`, its `Namespace` with
`check`, its `build` and `Layer`), then add its layer on one line below, in the place KrakenD
gives it. `REGISTRY` (what the config loader structures and checks) is built from these tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from trio_gateway.auth import signing, validator
from trio_gateway.config.core_namespaces import CORE_NAMESPACES
from trio_gateway.modifier import python
from trio_gateway.modifier.lua import layers as lua
from trio_gateway.modifier.lua import router as lua_router
from trio_gateway.namespace import (
    EndpointGuard,
    Layer,
    Namespace,
    Registry,
    RejectAll,
    Rejection,
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
from trio_gateway.qos import circuit_breaker, http_cache, ratelimit_proxy, ratelimit_router
from trio_gateway.security import bot_detector, cors, http
from trio_gateway.types import ProxyFunction

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
    "SERVICE_GUARDS",
    "BuildContext",
    "EndpointStack",
    "build_backend_proxy",
    "build_endpoint",
    "build_service_guards",
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
# krakend-ce router_engine.go: CORS wraps the router; security/http and the bot detector are
# gin middlewares registered after the health route.
SERVICE_GUARDS: tuple[Layer, ...] = (
    cors.GUARD,
    http.GUARD,
    bot_detector.SERVICE_GUARD,
)
# krakend-ce handler_factory.go: bot detector outside the JWT validator, the router rate limit
# inside it (a rejected token spends no token of the bucket), router-level Lua between them.
ENDPOINT_GUARDS: tuple[Layer, ...] = (
    bot_detector.ENDPOINT_GUARD,
    validator.GUARD,
    lua_router.GUARD,
    ratelimit_router.GUARD,
)
# krakend-jose: the signer replaces the render, inside the validator (the guards run first).
RESPONDERS: tuple[Layer, ...] = (signing.RESPONDER,)
# lura proxy/factory.go + krakend-ce proxy_factory.go, around the merge.
ENDPOINT_LAYERS: tuple[Layer, ...] = (
    python.ENDPOINT_LAYER,
    lua.ENDPOINT_LAYER,
    _SHADOW,
    _STATIC,
    _FLATMAP,
)
# krakend-ce backend_factory.go, around one backend's call.
BACKEND_LAYERS: tuple[Layer, ...] = (
    python.BACKEND_LAYER,
    _CONCURRENT,
    circuit_breaker.LAYER,
    ratelimit_proxy.LAYER,
    lua.BACKEND_LAYER,
)
# Under the call: krakend-httpcache is the HTTP client's transport.
CLIENT_WRAPPERS: tuple[Layer, ...] = (http_cache.WRAPPER,)
# -----------------------------------------------------------------------------------------------


def layers() -> tuple[Layer, ...]:
    """Every layer, in slot order then stack order (for docs and the order test)."""
    return (
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


REGISTRY = Registry([*CORE_NAMESPACES, *_namespaces(layers())])


@attrs.define(kw_only=True)
class BuildContext:
    """What building an endpoint's stack needs besides its plan (made once, at startup)."""

    client: BackendClient
    background: Background
    client_ip: ClientIPResolver
    # One httpx client for work off the request path (JWK sets), made on first use.
    httpx: Callable[[], httpx.AsyncClient]


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


def build_service_guards(extra: ExtraConfig, context: Any = None) -> tuple[ServiceGuard, ...]:
    """The service guards the configuration asks for, in order (often none)."""
    built = (entry.build(extra, context) for entry in SERVICE_GUARDS)
    return tuple(guard for guard in built if guard is not None)


def build_backend_proxy(call: BackendCall, plan: EndpointPlan, context: BuildContext) -> Any:
    """One backend's stack: client wrappers, the leaf, the backend layers."""
    client = _fold(CLIENT_WRAPPERS, context.client, call, context)
    leaf: ProxyFunction
    if plan.output_encoding == "no-op":
        leaf = StreamingProxy(call, client)
    else:
        leaf = BackendProxy(call, client)
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
