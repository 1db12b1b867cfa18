"""The Lua layers (krakend-lua `proxy/proxy.go` `New`): sources + `pre` before the next proxy,
`post` after it, in one state per request.

* `modifier/lua-proxy` wraps the endpoint's merged proxy, inside the Python hook (krakend-ce
  `proxy_factory.go`: lua-proxy is the outermost of the pipe after telemetry).
* `modifier/lua-backend` wraps one backend call inside the circuit breaker and the proxy rate
  limit (`backend_factory.go`: CB -> rate limit -> lua-backend), so a script's failure counts
  toward the breaker.
* `skip_next`: the next proxy is not called; `post` sees an empty response (data `{}`, status
  0, not complete). A failing next proxy, or a partial merge, skips `post` and passes on.
* A script error answers 500 (or `custom_error`'s status and content type), its text only with
  `router.return_error_msg`; the traceback never leaves the log.
"""

from __future__ import annotations

import logging
import random
from typing import TYPE_CHECKING, Any, ClassVar, cast

import attrs
import trio

from trio_gateway.modifier.lua.config import (
    LuaConfig,
    SourceError,
    check,
    load_sources,
    verify_md5,
)
from trio_gateway.modifier.lua.http import USER_AGENT, LuaHttp
from trio_gateway.modifier.lua.noop import expose, settle
from trio_gateway.namespace import Layer, Level, Namespace, Slot
from trio_gateway.proxy.backend import BackendProxy
from trio_gateway.routing.gourl import UrlParseError
from trio_gateway.types import ProxyFunction, Request, Response

if TYPE_CHECKING:
    from trio_gateway.modifier.lua.runtime import LuaError, LuaState
    from trio_gateway.plan import EndpointPlan
    from trio_gateway.proxy.backend import BackendCall, BackendClient

__all__ = ["BACKEND_LAYER", "ENDPOINT_LAYER", "LuaBackendConfig", "LuaProxy", "LuaProxyConfig"]

LOGGER = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class LuaProxyConfig(LuaConfig):
    """`extra_config."modifier/lua-proxy"` (endpoint): around the endpoint's merged proxy."""

    NAMESPACE: ClassVar[str] = "modifier/lua-proxy"


@attrs.frozen(kw_only=True)
class LuaBackendConfig(LuaConfig):
    """`extra_config."modifier/lua-backend"` (backend): around one backend call."""

    NAMESPACE: ClassVar[str] = "modifier/lua-backend"


def _copy(request: Request) -> Request:
    return Request(
        method=request.method,
        path=request.path,
        params=dict(request.params),
        query=list(request.query),
        headers=list(request.headers),
        body=request.body,
    )


class LuaProxy:
    """Runs a Lua config's scripts around the next proxy."""

    __slots__ = ("_backend", "_config", "_http", "_next", "_sources", "_where")

    def __init__(
        self,
        next_proxy: ProxyFunction,
        config: LuaConfig,
        where: str,
        backend: BackendCall | None = None,
        http: LuaHttp | None = None,
    ) -> None:
        self._next = next_proxy
        self._http = http
        self._config = config
        self._where = where
        self._backend = backend
        # read once at startup (KrakenD's onceLoader), or on every request with `live`
        self._sources = () if config.live else load_sources(config)

    def _pre(self, request: Request) -> tuple[LuaState, LuaError | None]:
        # lupa (and a Lua VM) loads with the first script, not with the gateway
        from trio_gateway.modifier.lua.runtime import LuaState

        state = LuaState(allow_open_libs=self._config.allow_open_libs)
        state.api.request = request
        state.api.backend_level = self._backend is not None
        if self._backend is not None:
            state.api.backend_url = self._built_url
        state.api.http = self._http
        return state, run_pre(state, self._config, self._sources)

    def _built_url(self, request: Request) -> str:
        """The URL lura's balancer gives lua-backend: a host picked at random (lura's random
        balancer), the url_pattern filled in, the forwarded query; the call then goes there."""
        call = self._backend
        assert call is not None
        if not call.origins:
            return ""
        origin, prefix = random.choice(call.origins)
        try:
            # only the URL building of the leaf: no client needed
            target = BackendProxy(call, cast("BackendClient", None)).target(request)
        except UrlParseError:
            return ""
        return origin.base_url + prefix + target

    def _post(self, state: LuaState, response: Response) -> LuaError | None:
        state.api.response = response
        return state.run("post-script", self._config.post)

    async def __call__(self, request: Request) -> Response:
        view = _copy(request)
        if self._backend is not None:
            view.path = _backend_path(self._backend, request)
        state, failure = await trio.to_thread.run_sync(self._pre, view)
        # an `http_response` call cancelled by the deadline: the deadline answers, not the script
        await trio.lowlevel.checkpoint_if_cancelled()
        if failure is not None:
            raise self._failed(failure)
        if self._backend is not None:
            # lura's balancer built the backend URL before lua-backend runs (proxy/factory.go
            # newStack): params, query and path set by the script do not change it (url(v) does)
            view.params, view.query, view.path = request.params, request.query, request.path
        if self._config.skip_next:
            # proxy.go: an empty `proxy.Response{}` (status 0, no data, not complete)
            response = Response(data={}, is_complete=False, status=0)
        else:
            response = await self._next(view)
            if response.error is not None:
                # lura returns (response, err) for a partial merge: krakend-lua skips `post`
                return response
        if self._config.post:
            expose(response)
            try:
                failure = await trio.to_thread.run_sync(self._post, state, response)
                await trio.lowlevel.checkpoint_if_cancelled()
            except BaseException:
                response.close()
                raise
            if failure is not None:
                response.close()
                raise self._failed(failure)
            settle(response)
        return response

    def _failed(self, error: LuaError) -> LuaError:
        LOGGER.error("[%s][Lua] %s", self._where, error)
        return error


def _backend_path(call: BackendCall, request: Request) -> str:
    """The backend's path as lura's request builder made it (url_pattern filled in)."""
    try:
        return call.url.render(request.params).partition("?")[0]
    except UrlParseError:
        return request.path


def run_pre(
    state: LuaState, config: LuaConfig, sources: tuple[tuple[str, str], ...]
) -> LuaError | None:
    """The sources (one chunk, binder.go `WithConfig`), then `pre` (`WithCode`)."""
    from trio_gateway.modifier.lua.runtime import LuaError, SourceMap

    if config.live:
        try:
            sources = load_sources(config)
        except SourceError as exc:
            return LuaError(str(exc))
    if sources:
        joined = SourceMap(sources)
        state.sources = joined
        failure = state.run(SourceMap.NAME, joined.code)
        if failure is not None:
            return failure
    return state.run("pre-script", config.pre)


def lua_http(context: Any, timeout: float | None = None) -> LuaHttp | None:
    """The `http_response` client of a layer: the gateway's backend client (None without one)."""
    client = getattr(context, "client", None)
    return None if client is None else LuaHttp(client, USER_AGENT, timeout)


def _build(
    config: LuaConfig,
    next_proxy: ProxyFunction,
    where: str,
    context: Any,
    call: BackendCall | None = None,
) -> ProxyFunction:
    verify_md5(config, () if config.live else load_sources(config))
    return LuaProxy(next_proxy, config, where, call, lua_http(context))


def build_endpoint_layer(
    next_proxy: ProxyFunction, plan: EndpointPlan, context: Any
) -> ProxyFunction | None:
    config = plan.extra.get(LuaProxyConfig)
    if config is None:
        return None
    return _build(config, next_proxy, f"ENDPOINT: {plan.name}", context)


def build_backend_layer(
    next_proxy: ProxyFunction, call: BackendCall, endpoint: EndpointPlan, context: Any
) -> ProxyFunction | None:
    config = call.extra.get(LuaBackendConfig)
    if config is None:
        return None
    return _build(config, next_proxy, f"BACKEND: {endpoint.name} {call.name}", context, call)


_GH = "github.com/devopsfaith/"
PROXY_NAMESPACE = Namespace(
    name="modifier/lua-proxy",
    levels=frozenset({Level.ENDPOINT}),
    config=LuaProxyConfig,
    aliases=(_GH + "krakend-lua/proxy",),
    check=check,
)
BACKEND_NAMESPACE = Namespace(
    name="modifier/lua-backend",
    levels=frozenset({Level.BACKEND}),
    config=LuaBackendConfig,
    aliases=(_GH + "krakend-lua/proxy/backend",),
    check=check,
)
ENDPOINT_LAYER = Layer(
    name=PROXY_NAMESPACE.name,
    namespace=PROXY_NAMESPACE,
    slot=Slot.ENDPOINT_LAYER,
    build=build_endpoint_layer,
)
BACKEND_LAYER = Layer(
    name=BACKEND_NAMESPACE.name,
    namespace=BACKEND_NAMESPACE,
    slot=Slot.BACKEND_LAYER,
    build=build_backend_layer,
)
