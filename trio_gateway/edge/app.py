"""The ASGI application: lifespan, dispatch, and the one place errors become HTTP.

Everything is built once, at `lifespan.startup` (or on the first request under a server that does
not speak lifespan): the plan, the HTTP client, the proxies, the router. hypercorn's trio worker
needs lifespan answered, or it fails at start.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import attrs
import trio

from trio_gateway.edge import builtins
from trio_gateway.edge.access_log import ACCESS_LOGGER, ENDPOINT_KEY, AccessLog
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
from trio_gateway.edge.same import same
from trio_gateway.edge.signer import SignerHandler
from trio_gateway.edge.websocket import PlainGet, refuse
from trio_gateway.plan import EndpointPlan, GatewayPlan
from trio_gateway.proxy.shadow import Background
from trio_gateway.qos.redis_pools import RedisConfig, RedisPools
from trio_gateway.routing.router import Match, MethodNotAllowed, NotFound, Redirect, Router
from trio_gateway.stack import (
    BuildContext,
    EndpointStack,
    build_endpoint,
    build_service_guards,
    build_service_layers,
    build_services,
)
from trio_gateway.transport import HTTPClient
from trio_gateway.transport.tls import backend_ssl_context

if TYPE_CHECKING:
    import httpx

__all__ = ["CONFIG_ENV", "GatewayApp", "client_settings", "make_client"]

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


def client_settings(plan: GatewayPlan) -> tuple[Any, ...]:
    """What `make_client` makes a client from: a reload keeps the client (its pooled
    connections) when these are equal."""
    return (
        plan.max_idle_per_host,
        plan.max_idle_total,
        plan.idle_timeout,
        plan.client_tls,
        plan.allow_insecure_connections,
    )


@attrs.define(eq=False)
class _Services:
    """What a plan's service-level extra_config starts once and a reload keeps while that
    extra_config is unchanged: the background components (stats listener, influx pusher), the
    Redis pools, the build context (the metrics collector, the telemetry providers, the shadow
    calls' nursery). One task (`GatewayApp._keep`) holds the pools open and runs the services."""

    extra: Any
    name: str
    context: BuildContext
    components: tuple[Any, ...]
    redis: RedisPools
    scope: trio.CancelScope = attrs.field(factory=trio.CancelScope)
    release: trio.Event = attrs.field(factory=trio.Event)
    closed: trio.Event = attrs.field(factory=trio.Event)
    running: bool = False

    async def aclose(self) -> None:
        """Stop the services, close the Redis pools, flush and close the telemetry."""
        self.scope.cancel()
        self.release.set()
        if self.running:
            with trio.move_on_after(10):
                await self.closed.wait()
        with trio.CancelScope(shield=True):  # telemetry: flush what is pending
            await self.context.resources.aclose()


@attrs.define(eq=False)
class _Served:
    """One compiled plan as it serves: what a request reads from the moment its head is read
    to its end. A reload builds a new one and swaps it in for new requests; the requests in
    flight keep theirs (`active` counts them)."""

    plan: GatewayPlan
    client: HTTPClient
    services: _Services
    router: Router[EndpointHandler]
    options: EdgeOptions
    # By method and path: what a reload may keep (`GatewayApp._build`).
    handlers: dict[tuple[str, str], EndpointHandler] = attrs.field(factory=dict)
    builtins: dict[str, Builtin] = attrs.field(factory=dict)
    guards: ServiceGuards | None = None
    access_log: AccessLog | None = None
    serve: Callable[[dict[str, Any], ASGIReceive, ASGISend], Awaitable[None]] | None = None
    active: int = 0
    retired: bool = False
    idle: trio.Event = attrs.field(factory=trio.Event)

    def leave(self) -> None:
        self.active -= 1
        if self.retired and self.active == 0:
            self.idle.set()


class GatewayApp:
    """An ASGI app serving a compiled plan.

    Args:
        plan: what to serve; or None to load, at startup, the file named by
            `$TRIO_GATEWAY_CONFIG`, else `./krakend.json`, else `/etc/krakend/krakend.json`
            (config/locate.py; never the demo unless named).
        client: the backend HTTP client; one is made (and closed at shutdown) when not given.
        on_startup: called once after the router is built, with the lifespan's background
            nursery (None without a lifespan) and the plan: the serving layer tunes the process
            and takes the plan's server limits there, and the `hypercorn trio_gateway:app` entry
            point sets its logging up (before the access log is decided)
            (`trio_gateway.serving`), so that importing or embedding the app changes nothing.
        on_startup_failure: called with the one-line reason when startup fails, after the
            reasons are logged and before `lifespan.startup.failed` is sent (the entry point
            exits the process there: serving/tuning.py `exit_on_startup_failure`).

    `reload(plan)` swaps in another plan without dropping a request (serving/reload.py).
    """

    def __init__(
        self,
        plan: GatewayPlan | None = None,
        *,
        client: HTTPClient | None = None,
        on_startup: Callable[[trio.Nursery | None, GatewayPlan], None] | None = None,
        on_startup_failure: Callable[[str], None] | None = None,
        readiness: builtins.Readiness | None = None,
    ) -> None:
        self._plan = plan
        self._on_startup = on_startup
        self._on_startup_failure = on_startup_failure
        self._client = client
        self._owns_client = client is None
        # Shadow calls run here; the nursery lives as long as the lifespan (None without one).
        self._background = Background()
        self._httpx: httpx.AsyncClient | None = None
        # `/__ready`: 503 until started, and again once the server starts draining.
        self.readiness = readiness if readiness is not None else builtins.Readiness()
        # What serves new requests (None until startup); a reload replaces it.
        self._current: _Served | None = None
        # Set once the services run (the lifespan's startup is complete): reloads wait for it.
        self.started = trio.Event()
        # Plans replaced by a reload whose last requests have not finished yet.
        self._retiring: list[_Served] = []

    @property
    def plan(self) -> GatewayPlan:
        if self._current is not None:
            return self._current.plan
        if self._plan is None:
            self._plan = _plan_from_environment()
        return self._plan

    def startup(self) -> None:
        """Build the router and proxies; idempotent."""
        if self._current is not None:
            return
        plan = self.plan
        if self._client is None:
            self._client = make_client(plan)
        self._current = self._build(plan, self._client, None, None)
        # First: the `hypercorn trio_gateway:app` entry point sets its logging up there.
        if self._on_startup is not None:
            self._on_startup(self._background.nursery, plan)
        self._current.access_log = _access_log(plan)
        LOGGER.info("serving %d endpoint(s)", len(plan.endpoints))
        if self._background.nursery is None:
            # No lifespan (the first request built the app): nothing runs the services, and
            # serving requests is all there is to be ready for.
            if self._current.services.components:
                LOGGER.warning("no ASGI lifespan: the telemetry listeners and pushes do not run")
            self.readiness.set_ready()

    def _build(
        self,
        plan: GatewayPlan,
        client: HTTPClient,
        kept: _Services | None,
        previous: _Served | None,
    ) -> _Served:
        """The router, guards and layers of `plan`; its services are `kept` (a reload whose
        service extra_config is unchanged) or new ones. With `kept`, the same client and the
        same edge options, an endpoint of the `previous` plan whose compiled plan is the same
        (edge/same.py) keeps its handler, and with it its state: rate limiters, circuit
        breakers, caches, JWK sets."""
        options = EdgeOptions(
            version_header=plan.version_header,
            return_error_msg=plan.return_error_msg,
            path_decoding=plan.path_decoding,
            client_ip=plan.client_ip,
            max_body=plan.max_body,
        )
        if kept is not None:
            context = attrs.evolve(kept.context, client=client, client_ip=plan.client_ip)
            services = kept
        else:
            redis = RedisPools(plan.extra.get(RedisConfig))
            context = BuildContext(
                client=client,
                background=self._background,
                client_ip=plan.client_ip,
                httpx=self._httpx_client,
                service=plan.extra,
                service_name=plan.name,
                redis=redis,
                # a restart of the services: what they may carry over (the revocation filter)
                previous_components=(
                    dict(previous.services.context.components) if previous is not None else {}
                ),
            )
            components = build_services(plan.extra, context)
            services = _Services(plan.extra, plan.name, context, components, redis)
        reusable: dict[tuple[str, str], EndpointHandler] = {}
        if (
            previous is not None
            and kept is previous.services
            and client is previous.client
            and same(options, previous.options)
        ):
            reusable = previous.handlers
        router: Router[EndpointHandler] = Router(options=plan.router)
        handlers: dict[tuple[str, str], EndpointHandler] = {}
        kept_handlers = 0
        for endpoint in plan.endpoints:
            key = (endpoint.method, endpoint.path)
            handler = reusable.get(key)
            if handler is not None and same(handler.plan, endpoint):
                kept_handlers += 1
            else:
                handler = _handler(endpoint, build_endpoint(endpoint, context), options)
            handlers[key] = handler
            router.add(endpoint.method, endpoint.path, handler)
        served = _Served(
            plan=plan,
            client=client,
            services=services,
            router=router,
            options=options,
            handlers=handlers,
        )
        served.guards = ServiceGuards.of(build_service_guards(plan.extra, context))
        served.serve = build_service_layers(
            functools.partial(self._logged, served), plan.extra, context
        )
        if plan.health_path:
            served.builtins[plan.health_path] = builtins.health
        self._add_readiness(plan, served.builtins)
        if previous is not None:  # the first: `startup` logs it, once logging is set up
            LOGGER.info(
                "serving %d endpoint(s), %d unchanged kept with their state",
                len(plan.endpoints),
                kept_handlers,
            )
        return served

    def _add_readiness(self, plan: GatewayPlan, table: dict[str, Builtin]) -> None:
        """`/__ready`, unless the configuration has an endpoint there (KrakenD reserves only
        `/__health`, `/__debug` and `/__echo`: a user's `/__ready` wins)."""
        path = builtins.READY_PATH
        if any(endpoint.path == path for endpoint in plan.endpoints):
            LOGGER.warning("an endpoint is configured at %s: no readiness endpoint", path)
            return
        if path != plan.health_path:
            table[path] = self.readiness.serve

    async def start_services(self, nursery: trio.Nursery) -> None:
        """Open the Redis pools and start the background components (each logs its own failure
        and lets the gateway serve on, as KrakenD does), then report ready."""
        assert self._current is not None
        await nursery.start(self._keep, self._current.services)
        self.readiness.set_ready()
        self.started.set()

    async def _keep(self, services: _Services, task_status: trio.TaskStatus[None]) -> None:
        """Hold `services`' Redis pools open and run its components until released. The pools'
        tasks belong to the task that entered them: this one."""
        services.running = True
        try:
            async with AsyncExitStack() as stack:
                if services.redis:
                    await stack.enter_async_context(services.redis)
                async with trio.open_nursery() as nursery:
                    if services.components or services.context.resources.tasks:
                        await nursery.start(self._run_services, services)
                    task_status.started()
                    await services.release.wait()
                    nursery.cancel_scope.cancel()
        finally:
            services.closed.set()

    async def _run_services(self, services: _Services, task_status: trio.TaskStatus[None]) -> None:
        # One cancel scope for all: a reload or `shutdown` stops them before closing what they use.
        with services.scope:
            async with trio.open_nursery() as nursery:
                for service in services.components:
                    await nursery.start(service.run)
                for task in services.context.resources.tasks:  # the span exporter
                    await nursery.start(task)
                task_status.started()

    async def reload(self, plan: GatewayPlan) -> None:
        """Serve `plan` to new requests; the requests in flight finish on the plan they began on,
        whose resources are closed after them. What carries over: the backend client (its
        connection pools) when its settings are equal; the services, Redis pools, telemetry
        providers, metrics collector and JWK-set client when the service extra_config (and
        name) is equal; then, each unchanged endpoint's handler (`_build`). Raises what
        building `plan` raises: the old plan serves on."""
        old = self._current
        nursery = self._background.nursery
        if old is None or nursery is None:
            raise RuntimeError("the gateway is not started: nothing to reload")
        same_client = client_settings(plan) == client_settings(old.plan)
        client = old.client if same_client else make_client(plan)
        keep = plan.extra == old.services.extra and plan.name == old.services.name
        if not keep:
            # A restart of the services: the old listeners (telemetry/metrics, the OpenTelemetry
            # Prometheus exporter) go first, as the new ones may bind the same ports, which the
            # build does. The old plan's requests in flight finish without their telemetry;
            # its Redis pools stay open for them (closed in `_retire`).
            LOGGER.info("the service extra_config changed: restarting the services")
            old.services.scope.cancel()
            with trio.CancelScope(shield=True):
                await old.services.context.resources.aclose()
        try:
            new = self._build(plan, client, old.services if keep else None, old)
            new.access_log = _access_log(plan)
            if not keep:
                await nursery.start(self._keep, new.services)
        except BaseException:
            if not same_client:
                client.close()
            if not keep:
                LOGGER.error(
                    "the previous configuration serves on without its services (telemetry "
                    "listeners, exporters) until a reload succeeds or the gateway restarts"
                )
            raise
        self._current = new  # the swap: one assignment, no checkpoint between reads
        nursery.start_soon(self._retire, old, new)

    async def _retire(self, old: _Served, new: _Served) -> None:
        """After the old plan's last request: close what the new plan does not use."""
        old.retired = True
        self._retiring.append(old)
        try:
            if old.active:
                await old.idle.wait()
        finally:  # also when the server stops first: `shutdown` closes what is left
            self._retiring.remove(old)
        if old.client is not new.client and (old.client is not self._client or self._owns_client):
            old.client.close()
        if old.services is not new.services:
            await old.services.aclose()
        LOGGER.debug("the previous plan's last request has finished")

    def _httpx_client(self) -> httpx.AsyncClient:
        """One httpx client for everything off the request path (JWK sets), made on demand."""
        if self._httpx is None:
            import httpx  # only configs with JWT blocks need it

            self._httpx = httpx.AsyncClient(timeout=10.0)
        return self._httpx

    async def shutdown(self) -> None:
        self.readiness.set_draining()
        current = self._current
        if current is not None:
            for served in (*self._retiring, current):
                with trio.CancelScope(shield=True):
                    await served.services.aclose()  # idempotent: kept services are shared
                if served.client is not self._client or self._owns_client:
                    served.client.close()
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
            if self._current is None:
                self.startup()
            await self._request(scope, receive, send)
        elif kind == "websocket":
            if self._current is None:
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
        served = self._current
        assert served is not None and served.serve is not None
        served.active += 1
        try:
            await served.serve(head, receive, send)
        finally:
            served.leave()

    async def _logged(
        self, served: _Served, head: dict[str, Any], receive: ASGIReceive, send: ASGISend
    ) -> None:
        http = functools.partial(self._http, served)
        if served.access_log is not None and head["path"] not in served.access_log.skip:
            await served.access_log.serve(http, head, receive, send)
        else:
            await http(head, receive, send)

    async def _websocket(self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        """A handshake is a plain GET here (edge/websocket.py): never accepted."""
        if not PlainGet.offered(scope):
            LOGGER.debug("websocket.http.response not offered: refusing %s", scope.get("path"))
            await refuse(send)
            return
        plain = PlainGet(scope, receive, send)
        await self._request(plain.scope, plain.receive, plain.send)

    async def _lifespan(self, receive: ASGIReceive, send: ASGISend) -> None:
        # The services' task (the Redis pools, the listeners) runs in this nursery, as do the
        # shadow calls and the retiring of a plan replaced by a reload.
        async with trio.open_nursery() as nursery:
            self._background.nursery = nursery
            try:
                while True:
                    message = await receive()
                    if message["type"] == "lifespan.startup":
                        try:
                            self.startup()
                            await self.start_services(nursery)
                        except Exception as exc:
                            reason = _startup_failure(exc)
                            if self._on_startup_failure is not None:
                                self._on_startup_failure(reason)
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

    async def _http(
        self, served: _Served, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend
    ) -> None:
        plan = served.plan
        router = served.router
        method: str = scope["method"]
        path: str = scope["path"]
        if _head_size(scope) > plan.max_header_bytes:
            # Go answers 431 past MaxHeaderBytes; h11 only limits heads that arrive in pieces.
            await send_response(send, 431, [])
            return
        if served.guards is not None:
            guarded = await served.guards.admit(scope, send, health=path in served.builtins)
            if guarded is None:
                return
            send = guarded
        try:
            if (path in served.builtins or path.startswith("/__")) and await self._builtin(
                scope, receive, send, served
            ):
                return
            # An asterisk-form target that is not `OPTIONS *` reaches gin with the path `*`, which
            # no route, trailing-slash or fixed-path variant can match (routes start with `/`).
            found = router.match(method, path) if path != "*" else NotFound()
            if isinstance(found, Match):
                scope[ENDPOINT_KEY] = found.handler.plan.path  # for the access log
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
        self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend, served: _Served
    ) -> bool:
        plan = served.plan
        path: str = scope["path"]
        method: str = scope["method"]
        handler = served.builtins.get(path)
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


def _access_log(plan: GatewayPlan) -> AccessLog | None:
    """Decided once per plan: logging every request costs, so it is skipped when nobody
    listens."""
    if not plan.disable_access_log and ACCESS_LOGGER.isEnabledFor(logging.INFO):
        return AccessLog(plan.logger_skip_paths, plan.client_ip)
    return None


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
    from trio_gateway.config.locate import NoConfigFound

    if isinstance(exc, NoConfigFound):
        reason = str(exc)
    elif isinstance(exc, ConfigError):
        for diagnostic in exc.diagnostics:
            (LOGGER.error if diagnostic.is_error else LOGGER.warning)("%s", diagnostic)
        # str(exc) repeats the diagnostics logged above: its first line is the summary
        reason = f"the configuration is not valid: {str(exc).splitlines()[0]}"
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
    from trio_gateway.config.locate import locate_config
    from trio_gateway.plan import compile_plan

    path = locate_config(os.environ.get(CONFIG_ENV), how=f"set {CONFIG_ENV}=FILE")
    loaded = load_config(path, for_serving=True)
    for warning in loaded.warnings:
        LOGGER.warning("%s", warning)
    return compile_plan(loaded.config)
