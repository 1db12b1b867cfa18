"""`modifier/lua-endpoint` (krakend-lua `router/gin/lua.go` `HandlerFactory`): the sources and
`pre` run on the incoming request, as `ctx`, before the proxy; there is no `post`.

* Place: krakend-ce `handler_factory.go` wraps it inside the JWT validator and outside the
  router rate limit, so it is an endpoint guard between the two.
* A script error aborts the request (gin `AbortWithError`): `custom_error(msg, status[, ct])`
  answers that status (and Content-Type) with an EMPTY body, anything else a bare 500; the text
  is logged only (gin writes no error body, `return_error_msg` does not apply here).
* What the script changes (method, url, query, params, headers, host) is what the endpoint
  serves: the guard edits the request as routed (`Admission`).
* `ctx:body()` reads the request body there (from the Lua thread, through trio) or replaces it:
  the endpoint is then served with that body (`Admission.body`).
* At service level KrakenD runs it as a gin middleware (after routing, before every handler):
  here the first endpoint guard of every endpoint, any error a bare 500 (`Register`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import trio

from trio_gateway.config.diagnostics import Report
from trio_gateway.modifier.lua.config import LuaConfig, check, load_sources
from trio_gateway.modifier.lua.http import LuaHttp
from trio_gateway.modifier.lua.layers import lua_http, run_pre
from trio_gateway.namespace import Admission, Layer, Level, Namespace, Rejection, Slot, Where

if TYPE_CHECKING:
    from trio_gateway.modifier.lua.runtime import LuaError
    from trio_gateway.plan import EndpointPlan

__all__ = ["GUARD", "NAMESPACE", "SERVICE_GUARD", "LuaEndpointConfig", "LuaEndpointGuard"]

LOGGER = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class LuaEndpointConfig(LuaConfig):
    """`extra_config."modifier/lua-endpoint"`: `pre` on the incoming request (`ctx`)."""

    NAMESPACE: ClassVar[str] = "modifier/lua-endpoint"


class LuaEndpointGuard:
    """Runs the sources and `pre` on the routed request."""

    __slots__ = ("_config", "_http", "_service", "_sources", "_where")

    def __init__(
        self, config: LuaConfig, where: str, http: LuaHttp | None = None, *, service: bool = False
    ) -> None:
        self._config = config
        self._service = service
        self._http = http
        self._where = where
        self._sources = () if config.live else load_sources(config)

    def _run(self, admission: Admission) -> tuple[LuaError | None, bool]:
        from trio_gateway.modifier.lua.runtime import LuaState  # with the first script

        state = LuaState(allow_open_libs=self._config.allow_open_libs)
        state.api.admission = admission
        state.api.http = self._http
        failure = run_pre(state, self._config, self._sources)
        return failure, state.api.body_too_large

    async def __call__(self, admission: Admission) -> Rejection | None:
        failure, too_large = await trio.to_thread.run_sync(self._run, admission)
        await trio.lowlevel.checkpoint_if_cancelled()
        if failure is None:
            return None
        if too_large:
            return Rejection(413)  # the edge's answer past max_body
        LOGGER.error("[%s][Lua] %s", self._where, failure)
        if self._service or not failure.custom:
            # router/gin/lua.go `Register`: the middleware aborts with 500 whatever the error
            return Rejection(500)
        headers = []
        if failure.content_type is not None:
            headers.append((b"content-type", failure.content_type.encode("latin-1")))
        return Rejection(failure.status_hint, headers)


def check_endpoint(config: LuaConfig, where: Where, report: Report) -> None:
    if where.level is Level.SERVICE:
        report.warning(
            where.path,
            "modifier/lua-endpoint at service level runs for every request served by an "
            "endpoint, not for 404/405 answers nor /__health (KrakenD's gin middleware runs "
            "for those too)",
        )
    if config.post:
        report.warning(
            where.path, "`post` is ignored at router level (krakend-lua runs `pre` only)"
        )
    check(config, where, report, router=True)


def build_guard(plan: EndpointPlan, context: Any) -> LuaEndpointGuard | None:
    config = plan.extra.get(LuaEndpointConfig)
    if config is None:
        return None
    # gin's context has no deadline in KrakenD: bounded by the endpoint timeout here (http.py)
    return LuaEndpointGuard(config, f"ENDPOINT: {plan.path}", lua_http(context, plan.timeout))


def build_service_guard(plan: EndpointPlan, context: Any) -> LuaEndpointGuard | None:
    """The service-level script (krakend-ce router_engine.go: `lua.Register` adds a gin
    middleware, run after gin routed the request and before the endpoint's handler chain): here
    the first guard of every endpoint."""
    service = getattr(context, "service", None)
    config = service.get(LuaEndpointConfig) if service is not None else None
    if config is None:
        return None
    return LuaEndpointGuard(config, "SERVICE: Gin", lua_http(context, plan.timeout), service=True)


NAMESPACE = Namespace(
    name="modifier/lua-endpoint",
    levels=frozenset({Level.SERVICE, Level.ENDPOINT}),
    config=LuaEndpointConfig,
    aliases=("github.com/devopsfaith/krakend-lua/router",),
    check=check_endpoint,
)
GUARD = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.ENDPOINT_GUARD, build=build_guard)
SERVICE_GUARD = Layer(
    name=NAMESPACE.name + " (service)",
    namespace=NAMESPACE,
    slot=Slot.ENDPOINT_GUARD,
    build=build_service_guard,
)
