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
* At service level KrakenD runs it as a gin middleware on every request; trio-gateway does not
  yet: `check` refuses it there.
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
from trio_gateway.modifier.lua.runtime import LuaError, LuaState
from trio_gateway.namespace import Admission, Layer, Level, Namespace, Rejection, Slot, Where

if TYPE_CHECKING:
    from trio_gateway.plan import EndpointPlan

__all__ = ["GUARD", "NAMESPACE", "LuaEndpointConfig", "LuaEndpointGuard"]

LOGGER = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class LuaEndpointConfig(LuaConfig):
    """`extra_config."modifier/lua-endpoint"`: `pre` on the incoming request (`ctx`)."""

    NAMESPACE: ClassVar[str] = "modifier/lua-endpoint"


class LuaEndpointGuard:
    """Runs the sources and `pre` on the routed request."""

    __slots__ = ("_config", "_http", "_sources", "_where")

    def __init__(self, config: LuaConfig, where: str, http: LuaHttp | None = None) -> None:
        self._config = config
        self._http = http
        self._where = where
        self._sources = () if config.live else load_sources(config)

    def _run(self, admission: Admission) -> tuple[LuaError | None, bool]:
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
        if not failure.custom:
            return Rejection(500)
        headers = []
        if failure.content_type is not None:
            headers.append((b"content-type", failure.content_type.encode("latin-1")))
        return Rejection(failure.status_hint, headers)


def check_endpoint(config: LuaConfig, where: Where, report: Report) -> None:
    if where.level is Level.SERVICE:
        report.error(
            where.path,
            "modifier/lua-endpoint at service level (a middleware on every request) is not "
            "supported by trio-gateway yet: move it to the endpoints that need it",
        )
        return
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


NAMESPACE = Namespace(
    name="modifier/lua-endpoint",
    levels=frozenset({Level.SERVICE, Level.ENDPOINT}),
    config=LuaEndpointConfig,
    aliases=("github.com/devopsfaith/krakend-lua/router",),
    check=check_endpoint,
)
GUARD = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.ENDPOINT_GUARD, build=build_guard)
