"""`open_gateway`: the whole gateway pipeline, driven from Python with no server in between.

`Gateway.handle` calls the real ASGI application (`trio_gateway.edge.app.GatewayApp`) in-process: it
builds the http scope a server would, feeds the body, and collects what the app sends. Routing,
QoS, auth, backend calls and manipulation are exactly those of `trio-gateway run`. The app's
lifespan runs in a task of `open_gateway`'s nursery, so background work (shadow calls) lives as
long as the `async with` block, as it lives as long as the server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote, urlencode

import attrs
import orjson
import trio

from trio_gateway.config.load import LoadedConfig
from trio_gateway.edge.app import GatewayApp, make_client
from trio_gateway.library.config import ConfigSource, coerce_config
from trio_gateway.plan import GatewayPlan, compile_plan
from trio_gateway.serving.server import serve as serve_plan
from trio_gateway.transport import HTTPClient

__all__ = ["Gateway", "GatewayResponse", "HeadersArg", "QueryArg", "open_gateway"]

HeadersArg = Mapping[str, str] | Iterable[tuple[str, str]]
QueryArg = Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]] | str

# How long `open_gateway` waits, on exit, for the lifespan shutdown (shielded from cancellation).
SHUTDOWN_GRACE = 5.0


@attrs.frozen(kw_only=True)
class GatewayResponse:
    """What the gateway answered to one `Gateway.handle` call.

    Attributes:
        status: the HTTP status code.
        headers: (name, value) pairs, lower-case names, in the order sent (duplicates kept).
        body: the response body, as a client would receive it.
        data: the body parsed as JSON when the content type is JSON, else None.
        complete: True when every backend answered (`X-Krakend-Completed: true`).
    """

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    data: Any = None
    complete: bool = False

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None


class Gateway:
    """A running in-process gateway; made by `open_gateway`, valid inside its `async with`."""

    def __init__(
        self, app: GatewayApp, loaded: LoadedConfig, plan: GatewayPlan, client: HTTPClient
    ) -> None:
        self._app = app
        self._client = client
        self._loaded = loaded
        self._plan = plan

    @property
    def config(self) -> LoadedConfig:
        """The configuration served (with its warnings)."""
        return self._loaded

    @property
    def plan(self) -> GatewayPlan:
        """The compiled plan served."""
        return self._plan

    @property
    def client(self) -> HTTPClient:
        """The backend HTTP client (see `HTTPClient.statistics()` for its connection pools)."""
        return self._client

    async def handle(
        self,
        method: str,
        path: str,
        *,
        headers: HeadersArg | None = None,
        body: bytes | str = b"",
        query: QueryArg | None = None,
        json: Any = None,
    ) -> GatewayResponse:
        """Send one request through the whole pipeline and return the gateway's answer.

        Args:
            method: the HTTP method.
            path: the request path, percent-encoded as on the wire; it may carry a `?query`.
            headers: request headers (a `Host` is added when missing).
            body: the request body (`str` is sent as UTF-8).
            query: query parameters, appended to any already in `path`.
            json: a document to send as the body, with `Content-Type: application/json`.

        Cancelling the caller's scope cancels the backend calls, as a client disconnect would.
        """
        if json is not None:
            body = orjson.dumps(json)
        payload = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        raw_path, _, query_string = path.partition("?")
        extra_query = _query_string(query)
        if extra_query:
            query_string = f"{query_string}&{extra_query}" if query_string else extra_query
        header_list = _header_list(headers)
        names = {name for name, _ in header_list}
        if b"host" not in names:
            header_list.insert(0, (b"host", b"localhost"))
        if json is not None and b"content-type" not in names:
            header_list.append((b"content-type", b"application/json"))
        if payload and b"content-length" not in names:
            header_list.append((b"content-length", b"%d" % len(payload)))
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method.upper(),
            "scheme": "http",
            "path": unquote(raw_path),
            "raw_path": raw_path.encode("latin-1"),
            "query_string": query_string.encode("latin-1"),
            "root_path": "",
            "headers": header_list,
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", self._plan.port),
        }
        return await _Exchange(payload).run(self._app, scope)

    async def serve(
        self,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve this gateway's configuration over HTTP until cancelled.

        Start it in your own nursery: `urls = await nursery.start(gw.serve, ...)`.

        Args:
            port: default the configuration's port; 0 picks a free one.
            host: the address to bind.
            task_status: started with the bound URLs, e.g. `["http://127.0.0.1:40123"]`.
        """
        await serve_plan(self._plan, host=host, port=port, task_status=task_status)


class _Exchange:
    """One request/response between `Gateway.handle` and the ASGI app."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._body_sent = False
        self._finished = trio.Event()
        self._status: int | None = None
        self._headers: list[tuple[str, str]] = []
        self._chunks: list[bytes] = []

    async def run(self, app: GatewayApp, scope: dict[str, Any]) -> GatewayResponse:
        await app(scope, self._receive, self._send)
        if self._status is None:
            raise RuntimeError(f"the gateway sent no response to {scope['method']} {scope['path']}")
        body = b"".join(self._chunks)
        content_type = next((v for k, v in self._headers if k == "content-type"), "")
        completed = next((v for k, v in self._headers if k == "x-krakend-completed"), "")
        return GatewayResponse(
            status=self._status,
            headers=self._headers,
            body=body,
            data=_json_data(content_type, body),
            complete=completed == "true",
        )

    async def _receive(self) -> dict[str, Any]:
        if not self._body_sent:
            self._body_sent = True
            return {"type": "http.request", "body": self._body, "more_body": False}
        # The client stays connected until the response is complete (the app watches for this).
        await self._finished.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self._status = int(message["status"])
            self._headers = [
                (bytes(k).decode("latin-1").lower(), bytes(v).decode("latin-1"))
                for k, v in message.get("headers", [])
            ]
        elif kind == "http.response.body":
            self._chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                self._finished.set()
        await trio.lowlevel.checkpoint()


def _header_list(headers: HeadersArg | None) -> list[tuple[bytes, bytes]]:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in items]


def _query_string(query: QueryArg | None) -> str:
    if query is None:
        return ""
    if isinstance(query, str):
        return query.lstrip("?")
    if isinstance(query, Mapping):
        return urlencode(list(query.items()), doseq=True)
    return urlencode(list(query))


def _json_data(content_type: str, body: bytes) -> Any:
    media = content_type.split(";", 1)[0].strip().lower()
    if not body or not (media == "application/json" or media.endswith("+json")):
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


class _Lifespan:
    """The app's ASGI lifespan, run in-process: startup on enter, shutdown on exit."""

    def __init__(self, app: GatewayApp) -> None:
        self._app = app
        self._to_app, self._app_inbox = trio.open_memory_channel[dict[str, Any]](1)
        self._from_app, self._outbox = trio.open_memory_channel[dict[str, Any]](1)
        self.done = trio.Event()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async def receive() -> dict[str, Any]:
            return await self._app_inbox.receive()

        async def send(message: dict[str, Any]) -> None:
            await self._from_app.send(message)

        task_status.started()
        try:
            await self._app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        finally:
            self.done.set()

    async def startup(self) -> None:
        await self._to_app.send({"type": "lifespan.startup"})
        answer = await self._outbox.receive()
        if answer["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"gateway startup failed: {answer.get('message', '')}")

    async def shutdown(self) -> None:
        if self.done.is_set():
            return
        await self._to_app.send({"type": "lifespan.shutdown"})
        await self._outbox.receive()
        await self.done.wait()


@asynccontextmanager
async def open_gateway(config: ConfigSource, *, debug: bool = False) -> AsyncIterator[Gateway]:
    """Load (or check) `config`, start the gateway in-process, and close it on exit.

    Args:
        config: a file path, a JSON-shaped mapping, a `ServiceConfig`, or a `LoadedConfig`.
        debug: turn the `/__debug/` endpoint on (as `trio-gateway run -d`).

    Raises:
        ConfigError: the configuration does not load; every problem is listed.
    """
    loaded = coerce_config(config)
    plan = compile_plan(loaded.config, debug=debug)
    client = make_client(plan)
    app = GatewayApp(plan, client=client)
    lifespan = _Lifespan(app)
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(lifespan.run)
            try:
                await lifespan.startup()
                yield Gateway(app, loaded, plan, client)
            finally:
                with trio.move_on_after(SHUTDOWN_GRACE, shield=True) as grace:
                    await lifespan.shutdown()
                if grace.cancelled_caught:
                    nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        # The nursery wraps whatever the `async with` body raised; give it back unwrapped.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    finally:
        client.close()
