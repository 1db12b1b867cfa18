"""The ASGI application: lifespan, dispatch, and the one place errors become HTTP.

Everything is built once, at `lifespan.startup` (or on the first request under a server that does
not speak lifespan): the plan, the HTTP client, the proxies, the router. hypercorn's trio worker
needs lifespan answered, or it fails at start.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import trio

from trio_gateway.edge import builtins
from trio_gateway.edge.access_log import ACCESS_LOGGER, AccessLog
from trio_gateway.edge.endpoint import EdgeOptions, EndpointHandler
from trio_gateway.edge.guards import ServiceGuards
from trio_gateway.edge.noop import NoOpHandler
from trio_gateway.edge.request_head import (
    GLOBAL_OPTIONS,
    ORIGIN,
    BadRequest,
    answer_global_options,
    read_head,
    send_bad_request,
)
from trio_gateway.edge.responses import (
    ASGIReceive,
    ASGISend,
    send_redirect,
    send_response,
    send_routing_error,
)
from trio_gateway.edge.signer import SignerHandler
from trio_gateway.edge.websocket import PlainGet, refuse
from trio_gateway.plan import EndpointPlan, GatewayPlan
from trio_gateway.proxy.shadow import Background
from trio_gateway.routing.router import Match, MethodNotAllowed, NotFound, Redirect, Router
from trio_gateway.stack import BuildContext, EndpointStack, build_endpoint, build_service_guards
from trio_gateway.transport import HTTPClient
from trio_gateway.transport.tls import backend_ssl_context

if TYPE_CHECKING:
    import httpx

__all__ = ["CONFIG_ENV", "GatewayApp", "make_client"]

LOGGER = logging.getLogger(__name__)

CONFIG_ENV = "TRIO_GATEWAY_CONFIG"
# A backend body the gateway decodes is held in memory whole; past this a broken or hostile
# backend fails like any backend error instead of exhausting memory. `no-op` streams are not
# limited (they are never held whole).
MAX_BACKEND_BODY = 64 * 1024 * 1024

Builtin = Callable[[dict[str, Any], ASGIReceive, ASGISend], Awaitable[None]]


def make_client(plan: GatewayPlan) -> HTTPClient:
    """The backend client with the service's transport settings."""
    return HTTPClient(
        max_idle_per_host=plan.max_idle_per_host,
        max_idle_total=plan.max_idle_total,
        idle_timeout=plan.idle_timeout,
        max_response_bytes=MAX_BACKEND_BODY,
        ssl_context=backend_ssl_context(plan.client_tls, plan.allow_insecure_connections),
    )


class GatewayApp:
    """An ASGI app serving a compiled plan.

    Args:
        plan: what to serve; or None to load the file named by `$TRIO_GATEWAY_CONFIG` (the shipped
            demo config when unset) at startup.
        client: the backend HTTP client; one is made (and closed at shutdown) when not given.
        on_startup: called once after the router is built, with the lifespan's background
            nursery (None without a lifespan) and the plan: the serving layer tunes the process
            and takes the plan's server limits there
            (`trio_gateway.serving`), so that importing or embedding the app changes nothing.
    """

    def __init__(
        self,
        plan: GatewayPlan | None = None,
        *,
        client: HTTPClient | None = None,
        on_startup: Callable[[trio.Nursery | None, GatewayPlan], None] | None = None,
    ) -> None:
        self._plan = plan
        self._on_startup = on_startup
        self._client = client
        self._owns_client = client is None
        self._router: Router[EndpointHandler] | None = None
        self._builtins: dict[str, Builtin] = {}
        # Shadow calls run here; the nursery lives as long as the lifespan (None without one).
        self._background = Background()
        self._access_log: AccessLog | None = None
        self._guards: ServiceGuards | None = None
        self._httpx: httpx.AsyncClient | None = None

    @property
    def plan(self) -> GatewayPlan:
        if self._plan is None:
            self._plan = _plan_from_environment()
        return self._plan

    def startup(self) -> None:
        """Build the router and proxies; idempotent."""
        if self._router is not None:
            return
        plan = self.plan
        if self._client is None:
            self._client = make_client(plan)
        options = EdgeOptions(
            version_header=plan.version_header,
            return_error_msg=plan.return_error_msg,
            path_decoding=plan.path_decoding,
            client_ip=plan.client_ip,
            max_body=plan.max_body,
        )
        context = BuildContext(
            client=self._client,
            background=self._background,
            client_ip=plan.client_ip,
            httpx=self._httpx_client,
            service_extra=plan.extra,
        )
        router: Router[EndpointHandler] = Router(options=plan.router)
        for endpoint in plan.endpoints:
            stack = build_endpoint(endpoint, context)
            router.add(endpoint.method, endpoint.path, _handler(endpoint, stack, options))
        self._guards = ServiceGuards.of(build_service_guards(plan.extra, context))
        if plan.health_path:
            self._builtins[plan.health_path] = builtins.health
        self._router = router
        # Decided once: logging every request costs, so it is skipped when nobody listens.
        if not plan.disable_access_log and ACCESS_LOGGER.isEnabledFor(logging.INFO):
            self._access_log = AccessLog(plan.logger_skip_paths)
        LOGGER.info("serving %d endpoint(s)", len(plan.endpoints))
        if self._on_startup is not None:
            self._on_startup(self._background.nursery, plan)

    def _httpx_client(self) -> httpx.AsyncClient:
        """One httpx client for everything off the request path (JWK sets), made on demand."""
        if self._httpx is None:
            import httpx  # only configs with JWT blocks need it

            self._httpx = httpx.AsyncClient(timeout=10.0)
        return self._httpx

    async def shutdown(self) -> None:
        if self._client is not None and self._owns_client:
            self._client.close()
        if self._httpx is not None:
            with trio.CancelScope(shield=True):
                await self._httpx.aclose()
            self._httpx = None
        await trio.lowlevel.checkpoint()

    async def __call__(self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        kind = scope["type"]
        if kind == "http":
            if self._router is None:
                self.startup()
            await self._request(scope, receive, send)
        elif kind == "websocket":
            if self._router is None:
                self.startup()
            await self._websocket(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _request(self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        # What Go's server answers or rewrites itself comes first: no access log, no guards.
        head = read_head(scope)
        if type(head) is not dict:
            if head is GLOBAL_OPTIONS:
                await answer_global_options(scope, receive, send)
            else:
                assert isinstance(head, BadRequest)
                await send_bad_request(send, head, scope)
            return
        if self._access_log is not None and head["path"] not in self._access_log.skip:
            await self._access_log.serve(self._http, head, receive, send)
        else:
            await self._http(head, receive, send)

    async def _websocket(self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        """A handshake is a plain GET here (edge/websocket.py): never accepted."""
        if not PlainGet.offered(scope):
            LOGGER.debug("websocket.http.response not offered: refusing %s", scope.get("path"))
            await refuse(send)
            return
        plain = PlainGet(scope, receive, send)
        await self._request(plain.scope, plain.receive, plain.send)

    async def _lifespan(self, receive: ASGIReceive, send: ASGISend) -> None:
        async with trio.open_nursery() as nursery:
            self._background.nursery = nursery
            try:
                while True:
                    message = await receive()
                    if message["type"] == "lifespan.startup":
                        try:
                            self.startup()
                        except Exception as exc:
                            reason = _startup_failure(exc)
                            await send({"type": "lifespan.startup.failed", "message": reason})
                            return
                        await send({"type": "lifespan.startup.complete"})
                    elif message["type"] == "lifespan.shutdown":
                        await self.shutdown()
                        await send({"type": "lifespan.shutdown.complete"})
                        return
            finally:
                # Background work (shadow calls) ends with the server.
                self._background.nursery = None
                nursery.cancel_scope.cancel()

    async def _http(self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        plan = self._plan
        router = self._router
        assert plan is not None and router is not None
        method: str = scope["method"]
        path: str = scope["path"]
        if _head_size(scope) > plan.max_header_bytes:
            # Go answers 431 past MaxHeaderBytes; h11 only limits heads that arrive in pieces.
            await send_response(send, 431, [])
            return
        if self._guards is not None:
            guarded = await self._guards.admit(scope, send, health=path in self._builtins)
            if guarded is None:
                return
            send = guarded
        try:
            if (path in self._builtins or path.startswith("/__")) and await self._builtin(
                scope, receive, send, plan
            ):
                return
            # An asterisk-form target that is not `OPTIONS *` reaches gin with the path `*`, which
            # no route, trailing-slash or fixed-path variant can match (routes start with `/`).
            found = router.match(method, path) if path != "*" else NotFound()
            if isinstance(found, Match):
                await found.handler(scope, receive, send, found.params)
            elif isinstance(found, Redirect):
                # gin redirects to req.URL.String(): absolute when the target was.
                location = scope.get(ORIGIN, "") + found.location
                await send_redirect(send, method, location, scope["query_string"])
            elif isinstance(found, MethodNotAllowed):
                if method == "OPTIONS" and plan.auto_options:
                    # router.auto_options: 200 with the path's methods, sorted (lura).
                    allow = ", ".join(sorted(found.allow)).encode("ascii")
                    headers = [(b"allow", allow), (b"x-krakend", plan.version_header)]
                    await send_response(send, 200, headers)
                    return
                allow = ", ".join(found.allow).encode("ascii")
                await send_routing_error(
                    send, 405, plan.version_header, plan.error_body, [(b"allow", allow)]
                )
            else:
                await send_routing_error(send, 404, plan.version_header, plan.error_body)
        except Exception:
            # A bug, not a backend failure: log the traceback, give the client a bare 500.
            LOGGER.exception("unhandled error serving %s %s", method, path)
            await _send_internal_error(send)

    async def _builtin(
        self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend, plan: GatewayPlan
    ) -> bool:
        path: str = scope["path"]
        method: str = scope["method"]
        handler = self._builtins.get(path)
        if handler is not None:
            if method != "GET":
                await send_routing_error(
                    send, 405, plan.version_header, plan.error_body, [(b"allow", b"GET")]
                )
            else:
                await handler(scope, receive, send)
            return True
        for enabled, prefix, target in (
            (plan.echo_endpoint, "/__echo", builtins.echo),
            (plan.debug_endpoint, "/__debug", builtins.debug),
        ):
            if not enabled:
                continue
            if path == prefix:
                location = scope.get(ORIGIN, "") + prefix + "/"
                await send_redirect(send, method, location, scope["query_string"])
                return True
            if path.startswith(prefix + "/"):
                await target(scope, receive, send)
                return True
        return False


def _handler(endpoint: EndpointPlan, stack: EndpointStack, options: EdgeOptions) -> EndpointHandler:
    """The handler for how the endpoint answers: streamed (`no-op`), signed, or rendered."""
    if endpoint.output_encoding == "no-op":
        return NoOpHandler(endpoint, stack, options)
    if stack.responder is not None:  # the only responder is `auth/signer` (stack.RESPONDERS)
        return SignerHandler(endpoint, stack, options)
    return EndpointHandler(endpoint, stack, options)


def _startup_failure(exc: Exception) -> str:
    """Log why startup failed, as the operator needs it, and return the one-line reason.

    A configuration problem is the operator's to fix: each diagnostic on its own line, no
    traceback. Anything else is one line too; its traceback only at DEBUG."""
    from trio_gateway.config import ConfigError

    if isinstance(exc, ConfigError):
        for diagnostic in exc.diagnostics:
            (LOGGER.error if diagnostic.is_error else LOGGER.warning)("%s", diagnostic)
        reason = f"the configuration is not valid: {exc}"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    LOGGER.error("startup failed: %s", reason)
    LOGGER.debug("startup failure", exc_info=exc)
    return reason


def _head_size(scope: dict[str, Any]) -> int:
    size = len(scope.get("raw_path") or b"") + len(scope["query_string"])
    for name, value in scope["headers"]:
        size += len(name) + len(value) + 4  # ": " and CRLF, as they were on the wire
    return size


async def _send_internal_error(send: ASGISend) -> None:
    try:
        await send_response(send, 500, [])
    except Exception:  # the response had already started: nothing more to say
        LOGGER.debug("could not send the 500", exc_info=True)


def _plan_from_environment() -> GatewayPlan:
    from trio_gateway.config import load_config
    from trio_gateway.demo import DEMO_CONFIG
    from trio_gateway.plan import compile_plan

    path = os.environ.get(CONFIG_ENV) or str(DEMO_CONFIG)
    loaded = load_config(path, for_serving=True)
    for warning in loaded.warnings:
        LOGGER.warning("%s", warning)
    return compile_plan(loaded.config)
