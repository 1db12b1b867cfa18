"""Changes to how hypercorn's trio worker reads, writes and times connections, applied to serve.

Measured on the project's benchmark (docs/performance.md), hypercorn spends a large share of every
keep-alive request on things that do not need to cost what they do:

1. **The idle timer.** Stock, each connection spawns a keep-alive idle task after every response
   and cancels it at every request (`TrioSingleTask`: a lock, `nursery.start()`, a `Cancelled`
   raised and caught). Here `IdleTimer` runs one task per connection that waits in a cancel
   scope whose deadline is the timer: a response moves the deadline to now +
   `keep_alive_timeout`, a request moves it to infinity. Same behaviour: an idle connection is
   closed after the timeout or at once when the server shuts down, a request in flight is never
   cut by it, and the task ends with the connection.

2. **Three socket writes per response.** The HTTP/1.1 protocol writes the response head, each
   body chunk and the end of message separately. Here the head of a response whose length is
   known (`content-length`) is held until the first body chunk and written with it, and the empty
   end-of-message of such a response writes nothing. Responses without a length (chunked,
   streams, server-sent events) are untouched, so a stream's head still leaves at once.

3. **Each write and read through three layers.** Stock, a write takes a `trio.Lock` (a scheduler
   pass) and a shielded cancel scope around `SocketStream.send_all`; a read goes through
   `trio.fail_after(read_timeout or inf)` and `SocketStream.receive_some` (generator context
   managers, a conflict detector, a try-first `recv`). For plain TCP with no `read_timeout`
   (the default) reads wait for readability and `recv()` once, and a write that the kernel takes
   whole is one `send()` with no scheduler pass: nothing can interleave with or cut a write that
   never yields. A partial write finishes the stock way, shielded; TLS is untouched.

4. **Noticing that a client went away.** hypercorn tells an app by queueing `http.disconnect`,
   so an app that wants to stop its work must keep a second task blocked on `receive()` for the
   whole request: a nursery, a task and a cancellation per request, about 70 µs. Here the app's
   task runs inside a cancel scope that hypercorn's disconnect cancels when it comes from
   another task (the connection's reader: the client closed mid-request); a disconnect that the
   app's own task delivers (the normal end of a response) cancels nothing. The scope carries
   `extensions["trio_gateway.cancel_on_disconnect"]` so the app knows it may skip its watcher.

5. **Checking the response head.** `h11.Response` runs two regular expressions per header.
   Here one scan over all names and values does the same check and h11 is told the headers are
   checked; a head that fails the scan goes through h11's own checks and is refused as before.

When: only when the gateway serves, through `serving.tuning.tune_serving_process`: by
`serving.server.serve` (so `trio-gateway run`, each `--workers` process and `Gateway.serve`) before
it listens, and by the `hypercorn trio_gateway:app` entry point at its lifespan startup, which
hypercorn completes before it accepts a connection. hypercorn looks the replaced methods up on
the class at each call, so every connection accepted after that runs the tuned code. Never at
import: `import trio_gateway` changes nothing in hypercorn, and another app that hypercorn serves
in the same process is only affected once a gateway serves there too (the changes are
class-wide).

Checked, not assumed: each change replaces hypercorn code written for exact sources, so before
replacing anything `apply()` compares a digest (sha256 of `inspect.getsource`) of every function
it replaces or relies on with the digests of the releases it was written for and compared with
(`_CHECKED`: hypercorn 0.17.3 and 0.18.0, h11 0.14.0, 0.15.0 and 0.16.0). The changes come in
three independent groups (`GROUPS`: connection reads and writes with the idle timer; the app
task; the response head with h11's `_parsed` fast path); a group whose sources differ is left
stock, and one WARNING names the hypercorn and h11 versions, each group left stock and the
functions that differ. `pyproject.toml` pins hypercorn and h11 to the checked releases and a test
fails when the installed ones are not the checked code, so an upgrade is a deliberate act.
`TRIO_GATEWAY_HYPERCORN_TUNING=0` turns all of it off. `apply()` is idempotent (the first call
decides). Nothing else changes.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import logging
import math
import os
import socket
from collections.abc import Awaitable, Callable
from importlib.metadata import version
from itertools import chain
from typing import Any

import h11
import trio

from trio_gateway.serving import http1
from trio_gateway.transport.fields import BAD_VALUE, is_token
from trio_gateway.types import CANCEL_ON_DISCONNECT

__all__ = [
    "ENV_SWITCH",
    "GROUPS",
    "IdleTimer",
    "applied",
    "apply",
    "changed",
    "source_digest",
    "tuned",
]

LOGGER = logging.getLogger(__name__)

ENV_SWITCH = "TRIO_GATEWAY_HYPERCORN_TUNING"
# sha256 (first 16 hex digits) of `inspect.getsource()` of everything each group replaces or
# relies on, in the releases the replacements were written for and compared with: hypercorn
# 0.17.3 and 0.18.0 (they differ only in annotations and in lines the replacements leave to
# stock code: `RawData(bytes(data))` in `_read_data`, a `state.copy()` moved from `run` to
# `HTTPStream.handle`), h11 0.14.0, 0.15.0 and 0.16.0 (`normalize_and_validate` gained a
# Content-Length length check in 0.15; its `_parsed` path is unchanged).
_CHECKED: dict[str, frozenset[str]] = {
    "hypercorn.trio.tcp_server:TCPServer.__init__": frozenset(
        {"63d1a3dbfe41ba9c", "4c1d42457bc197b2"}
    ),
    "hypercorn.trio.tcp_server:TCPServer.run": frozenset({"4f1af3593caa9d0e", "fd34b021d1a86c98"}),
    "hypercorn.trio.tcp_server:TCPServer._read_data": frozenset(
        {"1a0218d4101bba42", "7ca747d922c65cf1"}
    ),
    "hypercorn.trio.tcp_server:TCPServer.protocol_send": frozenset({"225856426bff7be0"}),
    "hypercorn.trio.tcp_server:TCPServer._idle_timeout": frozenset({"210ce1014d98e1cb"}),
    "hypercorn.trio.tcp_server:TCPServer._initiate_server_close": frozenset({"7c1b548a65adc8b1"}),
    "hypercorn.trio.worker_context:TrioSingleTask": frozenset(
        {"a28bb4b4588cca09", "aa59316c028b876a"}
    ),
    "hypercorn.trio.task_group:TaskGroup.__aenter__": frozenset({"38047eb0284cdaa6"}),
    "hypercorn.trio.task_group:TaskGroup.spawn_app": frozenset(
        {"5b44e5dca7d89b06", "b4c1131427529801"}
    ),
    "hypercorn.trio.task_group:_handle": frozenset({"fc19d11b0ff5f71c", "06081a56a9930825"}),
    "hypercorn.protocol.http_stream:HTTPStream.handle": frozenset(
        {"e96a46aff1113a16", "6ed2e34c5e708c6a"}
    ),
    "hypercorn.protocol.h11:H11Protocol._send_h11_event": frozenset({"5e40283daa303ec7"}),
    "hypercorn.protocol.h11:H11Protocol.stream_send": frozenset({"56a36254a368d71a"}),
    "h11._events:_ResponseBase.__init__": frozenset({"eccce2371512d41e"}),
    "h11._headers:normalize_and_validate": frozenset({"0faa5237aafa2ea6", "82a8fcccb31d27d4"}),
}
_TCP = "hypercorn.trio.tcp_server:TCPServer."
# group -> what it replaces, then what it relies on (the connection task's order of calls, the
# task group's nursery, where hypercorn queues `http.disconnect`, h11's `_parsed` fast path).
# The groups are independent: each replaces its own functions and calls only stock hypercorn
# code or its own, so any of them can run stock while the others are tuned.
GROUPS: dict[str, tuple[str, ...]] = {
    "connection reads, writes and idle timer": (
        _TCP + "_read_data",
        _TCP + "protocol_send",
        "hypercorn.trio.worker_context:TrioSingleTask",
        _TCP + "__init__",
        _TCP + "run",
        _TCP + "_idle_timeout",
        _TCP + "_initiate_server_close",
        "hypercorn.trio.task_group:TaskGroup.__aenter__",
    ),
    "app task cancelled on disconnect": (
        "hypercorn.trio.task_group:TaskGroup.spawn_app",
        "hypercorn.trio.task_group:_handle",
        "hypercorn.trio.task_group:TaskGroup.__aenter__",
        "hypercorn.protocol.http_stream:HTTPStream.handle",
    ),
    "response head in one write and one scan": (
        "hypercorn.protocol.h11:H11Protocol._send_h11_event",
        "hypercorn.protocol.h11:H11Protocol.stream_send",
        "h11._events:_ResponseBase.__init__",
        "h11._headers:normalize_and_validate",
    ),
}

_applied = False
_tuned: frozenset[str] = frozenset()


class IdleTimer:
    """Drop-in for hypercorn's `TrioSingleTask` as `TCPServer.idle_task`: one task per connection.

    hypercorn restarts the keep-alive timer after every response and stops it at every request;
    stock, each restart spawns a task and each stop cancels one (a `Cancelled` raised and caught).
    Here one task per connection waits in a cancel scope whose *deadline* is the timer: `restart`
    moves the deadline to now + `keep_alive_timeout`, `stop` moves it to infinity, neither needs a
    scheduler pass. When the deadline passes, or the server shuts down while the connection is
    idle, the connection is closed exactly as `TCPServer._idle_timeout` would. `close()` (called
    when the connection's reader ends) cancels the task, so the connection's task group can exit.
    """

    __slots__ = ("_armed", "_closed", "_deadline", "_rearmed", "_scope", "_started", "_task_scope")

    def __init__(self) -> None:
        # Armed between a response and the next request (the connection is idle). Kept apart
        # from the deadline, which is infinite when keep_alive_timeout is.
        self._armed = False
        self._deadline = math.inf
        # The wait's scope: its deadline is the timer.
        self._scope: trio.CancelScope | None = None
        # Around the whole task: close() cancels it.
        self._task_scope = trio.CancelScope()
        self._rearmed: trio.Event | None = None
        self._started = self._closed = False

    async def restart(self, task_group: Any, action: Callable[[], Awaitable[None]]) -> None:
        server = action.__self__  # type: ignore[attr-defined]  # TCPServer._idle_timeout
        self._armed = True
        self._deadline = trio.current_time() + server.config.keep_alive_timeout
        if self._scope is not None:
            self._scope.deadline = self._deadline
        elif not (self._started or self._closed):
            self._started = True
            task_group._nursery.start_soon(self._run, server)
        if self._rearmed is not None:
            self._rearmed.set()
            self._rearmed = None

    async def stop(self) -> None:
        self._armed = False
        self._deadline = math.inf
        if self._scope is not None:
            self._scope.deadline = math.inf

    def close(self) -> None:
        self._closed = True
        self._task_scope.cancel()

    async def _run(self, server: Any) -> None:
        terminated = server.context.terminated
        with self._task_scope:
            while True:
                with trio.CancelScope(deadline=self._deadline) as scope:
                    self._scope = scope
                    await terminated.wait()
                self._scope = None
                if not self._armed:
                    # A request is in flight: hypercorn closes the connection after its response
                    # if the server is shutting down. Until the next restart, nothing to do.
                    if terminated.is_set():
                        self._rearmed = trio.Event()
                        await self._rearmed.wait()
                    continue
                if terminated.is_set() or trio.current_time() >= self._deadline:
                    break
            with trio.CancelScope(shield=True):
                await server._initiate_server_close()


def _has_length(headers: Any) -> bool:
    return any(name == b"content-length" for name, _ in headers)


async def _send_h11_event(self: Any, event: Any) -> None:
    """hypercorn's `H11Protocol._send_h11_event`, holding a sized response's head for its body."""
    try:
        data = self.connection.send(event)
    except h11.LocalProtocolError:
        if self.connection.their_state != h11.ERROR:
            raise
        return
    held = self.__dict__.pop("_trio_gateway_held_head", None)
    if held is not None:
        data = held + data
    elif type(event) is h11.Response and _has_length(event.headers):
        self.__dict__["_trio_gateway_held_head"] = data
        return
    if data:
        await self.send(_RAW_DATA(data=data))


def _valid_fields(headers: list[tuple[bytes, bytes]]) -> bool:
    """What h11 checks with two regular expressions per header, in one scan for all values.

    Values arrive stripped (hypercorn's `build_and_validate_headers`), so h11's rule against
    leading or trailing whitespace cannot bite; joining them with a tab, which a value may
    contain, cannot make a valid set look invalid."""
    for name, _ in headers:
        if type(name) is not bytes or not is_token(name):
            return False
    values = [value for _, value in headers]
    if any(type(value) is not bytes for value in values):
        return False
    return BAD_VALUE.search(b"\t".join(values)) is None


async def _stream_send(self: Any, event: Any) -> None:
    """`H11Protocol.stream_send`, with a final response head checked in one scan.

    Stock, `h11.Response` runs two regular expressions per header; here they run once over all
    of them, and h11 is told the headers are checked (`_parsed=True`: it still lower-cases
    names and validates Content-Length and Transfer-Encoding). Headers that fail the scan go
    through h11's own checks, so an invalid header is refused exactly as before."""
    if type(event) is _STREAM_CLOSED:
        # The app ended after `http.response.start` without a body message: the held head
        # still goes out (stock hypercorn had written it already).
        held = self.__dict__.pop("_trio_gateway_held_head", None)
        if held is not None:
            await self.send(_RAW_DATA(data=held))
    elif type(event) is _RESPONSE and event.status_code >= 200:
        headers = list(chain(event.headers, self.config.response_headers("h11")))
        if self.keep_alive_requests >= self.config.keep_alive_max_requests:
            headers.append((b"connection", b"close"))
        if _valid_fields(headers):
            response = h11.Response(headers=headers, status_code=event.status_code, _parsed=True)
        else:
            response = h11.Response(headers=headers, status_code=event.status_code)
        await self._send_h11_event(response)
        return
    await _STREAM_SEND(self, event)


_RAW_DATA: Any = None
_RESPONSE: Any = None
_STREAM_CLOSED: Any = None
_STREAM_SEND: Any = None
_CLOSED: Any = None
_UPDATED: Any = None
_HANDLE: Any = None
_READ_DATA: Any = None
_PROTOCOL_SEND: Any = None
_MAX_RECV = 2**16
_wait_readable = trio.lowlevel.wait_readable


async def _spawn_app(self: Any, app: Any, config: Any, scope: Any, send: Any) -> Any:
    """hypercorn's `TaskGroup.spawn_app`, with the app in a scope a client disconnect cancels."""
    # Not subscripted: `open_memory_channel[T]` costs a typing-cache lookup on every request.
    to_app: trio.MemorySendChannel[Any]
    app_inbox: trio.MemoryReceiveChannel[Any]
    to_app, app_inbox = trio.open_memory_channel(config.max_app_queue_size)
    cancel_scope = trio.CancelScope()
    app_task: list[trio.lowlevel.Task] = []
    scope.setdefault("extensions", {})[CANCEL_ON_DISCONNECT] = {}

    async def run_app() -> None:
        app_task.append(trio.lowlevel.current_task())
        with cancel_scope:
            await _HANDLE(
                app,
                config,
                scope,
                app_inbox.receive,
                send,
                trio.to_thread.run_sync,
                trio.from_thread.run,
            )

    async def put(message: Any) -> None:
        if message["type"] == "http.disconnect" and trio.lowlevel.current_task() not in app_task:
            cancel_scope.cancel()
        await to_app.send(message)

    self._nursery.start_soon(run_app)
    return put


def _raw_socket(stream: Any) -> socket.socket | None:
    """The stdlib socket under a plain-TCP `trio.SocketStream`; None for TLS (or another trio)."""
    if type(stream) is not trio.SocketStream:
        return None
    raw = getattr(stream.socket, "_sock", None)
    return raw if isinstance(raw, socket.socket) else None


async def _read_data(self: Any) -> None:
    """`TCPServer._read_data` on the raw socket: wait for readability, then one `recv()`.

    Stock, every read goes through `trio.fail_after(read_timeout or inf)` and `SocketStream`
    (two generator context managers, a conflict detector, a try-first `recv`). With no
    `read_timeout` (the default) the deadline is infinite and this does the same reads directly.
    """
    try:
        raw = _raw_socket(self.stream)
        self._trio_gateway_raw = raw
        if raw is None or self.config.read_timeout:
            await _READ_DATA(self)
            return
        handle = self.protocol.handle
        while True:
            if raw.fileno() == -1:
                break  # hypercorn closed the connection while handling the last bytes (a 400)
            try:
                await _wait_readable(raw)
                data = raw.recv(_MAX_RECV)
            except BlockingIOError:
                continue
            except (trio.ClosedResourceError, trio.BrokenResourceError, OSError, ValueError):
                # ValueError: trio refuses to wait on a socket closed under us (fd -1).
                break
            await handle(_RAW_DATA(data=data))
            if not data:
                break
        await handle(_CLOSED())
    finally:
        self._trio_gateway_raw = None
        timer = self.idle_task
        if type(timer) is IdleTimer:
            timer.close()


async def _protocol_send(self: Any, event: Any) -> None:
    """`TCPServer.protocol_send`: a response that fits in the socket buffer is one `send()`.

    Stock, every write takes a `trio.Lock` (a scheduler pass) and a shielded cancel scope around
    `SocketStream.send_all`. Both exist so that concurrent or cancelled writers cannot interleave
    or cut a write in half; a `send()` that completes without yielding can do neither. When the
    lock is held, or the kernel takes only part of the data, the rest goes the stock way,
    shielded (half a response must not be abandoned).
    """
    if type(event) is _RAW_DATA:
        raw = self.__dict__.get("_trio_gateway_raw")
        if raw is not None and not self.send_lock.locked():
            data = event.data
            try:
                sent = raw.send(data)
            except BlockingIOError:
                sent = 0
            except OSError:
                await self.protocol.handle(_CLOSED())
                return
            if sent < len(data):
                with trio.CancelScope(shield=True):
                    await _PROTOCOL_SEND(self, _RAW_DATA(data=data[sent:]))
            return
    elif type(event) is _UPDATED:
        if event.idle:
            await self.idle_task.restart(self._task_group, self._idle_timeout)
        else:
            await self.idle_task.stop()
        return
    await _PROTOCOL_SEND(self, event)


def applied() -> bool:
    """Whether `apply()` has run and tuned at least one group."""
    return bool(_tuned)


def tuned() -> frozenset[str]:
    """The groups `apply()` tuned (see `GROUPS`)."""
    return _tuned


def source_digest(target: str) -> str | None:
    """The digest of a `module:qualified.name`'s source as installed; None if it is missing."""
    module_name, _, attribute = target.partition(":")
    try:
        found: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            found = getattr(found, part)
        source = inspect.getsource(found)
    except (ImportError, AttributeError, OSError, TypeError):
        return None
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def changed(group: str) -> list[str]:
    """What a group replaces or relies on whose installed source is not a checked one."""
    return [t for t in GROUPS[group] if source_digest(t) not in _CHECKED.get(t, frozenset())]


def apply() -> bool:
    """Check and apply the changes, once per process; False when none could be applied.

    Called when the gateway serves, never at import. A group whose sources are not the checked
    ones stays stock; one WARNING names every such group and what differs. The HTTP/1.1 edge
    rules (`serving/http1.py`) are installed first, whatever the switch says; when their sources
    differ this raises `http1.EdgeRulesUnavailable` (the gateway does not serve without them)."""
    global _applied, _tuned
    # The edge rules first, and always: they are not tuning (TRIO_GATEWAY_HYPERCORN_TUNING does
    # not turn them off), and their sources are checked before the tuning replaces any.
    http1.install()
    if _applied:
        return bool(_tuned)
    _applied = True
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return False
    ok = []
    stock = []
    for group in GROUPS:
        differ = changed(group)
        if differ:
            verb = "differs" if len(differ) == 1 else "differ"
            stock.append(f"{group} not tuned (runs stock): {', '.join(differ)} {verb}")
        else:
            _PATCHES[group]()
            ok.append(group)
    if stock:
        LOGGER.warning(
            "hypercorn %s, h11 %s: %s from the code the tuning was checked against",
            version("hypercorn"),
            version("h11"),
            "; ".join(stock),
        )
    _tuned = frozenset(ok)
    return bool(_tuned)


def _patch_connection() -> None:
    global _RAW_DATA, _CLOSED, _UPDATED, _READ_DATA, _PROTOCOL_SEND, _MAX_RECV
    from hypercorn.events import Closed, RawData, Updated
    from hypercorn.trio import tcp_server

    _RAW_DATA, _CLOSED, _UPDATED = RawData, Closed, Updated
    server_class = tcp_server.TCPServer
    _READ_DATA, _PROTOCOL_SEND = server_class._read_data, server_class.protocol_send
    _MAX_RECV = tcp_server.MAX_RECV
    server_class._read_data = _read_data  # type: ignore[method-assign]
    server_class.protocol_send = _protocol_send  # type: ignore[method-assign]
    tcp_server.TrioSingleTask = IdleTimer  # type: ignore[attr-defined,assignment]


def _patch_app_task() -> None:
    global _HANDLE
    from hypercorn.trio import task_group

    _HANDLE = task_group._handle
    task_group.TaskGroup.spawn_app = _spawn_app  # type: ignore[method-assign]


def _patch_response() -> None:
    global _RAW_DATA, _RESPONSE, _STREAM_CLOSED, _STREAM_SEND
    from hypercorn.events import RawData
    from hypercorn.protocol import h11 as h11_protocol
    from hypercorn.protocol.events import Response, StreamClosed

    _RAW_DATA = RawData
    _RESPONSE, _STREAM_CLOSED = Response, StreamClosed
    _STREAM_SEND = h11_protocol.H11Protocol.stream_send
    h11_protocol.H11Protocol._send_h11_event = _send_h11_event  # type: ignore[method-assign]
    h11_protocol.H11Protocol.stream_send = _stream_send  # type: ignore[method-assign]


_PATCHES = {
    "connection reads, writes and idle timer": _patch_connection,
    "app task cancelled on disconnect": _patch_app_task,
    "response head in one write and one scan": _patch_response,
}
