"""Changes to how hypercorn's trio worker reads, writes and times connections, applied at import.

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

All are applied only to the hypercorn versions they were checked against, are idempotent, and can
be turned off with `TRIO_GATEWAY_HYPERCORN_TUNING=0`. Nothing else in hypercorn changes.
"""

from __future__ import annotations

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

from trio_gateway.transport.fields import BAD_VALUE, is_token
from trio_gateway.types import CANCEL_ON_DISCONNECT

__all__ = ["CANCEL_ON_DISCONNECT", "ENV_SWITCH", "IdleTimer", "applied", "apply"]

LOGGER = logging.getLogger(__name__)

ENV_SWITCH = "TRIO_GATEWAY_HYPERCORN_TUNING"
# The releases whose internals (TCPServer._read_data/protocol_send/idle_task, TaskGroup.spawn_app,
# H11Protocol._send_h11_event) match; 0.17.3 and 0.18.0 were read line by line.
CHECKED_VERSIONS = ("0.17.", "0.18.")

_applied = False


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
    return _applied


def apply() -> bool:
    """Apply the changes once; False when switched off or hypercorn is not a checked version."""
    global _applied, _RAW_DATA, _CLOSED, _UPDATED, _HANDLE, _READ_DATA, _PROTOCOL_SEND, _MAX_RECV
    global _RESPONSE, _STREAM_CLOSED, _STREAM_SEND
    if _applied:
        return True
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return False
    hypercorn_version = version("hypercorn")
    if not hypercorn_version.startswith(CHECKED_VERSIONS):
        LOGGER.info("hypercorn %s: response-writing tuning not applied", hypercorn_version)
        return False
    from hypercorn.events import Closed, RawData, Updated
    from hypercorn.protocol import h11 as h11_protocol
    from hypercorn.protocol.events import Response, StreamClosed
    from hypercorn.trio import task_group, tcp_server

    _RAW_DATA, _CLOSED, _UPDATED = RawData, Closed, Updated
    _HANDLE = task_group._handle
    server_class = tcp_server.TCPServer
    _READ_DATA, _PROTOCOL_SEND = server_class._read_data, server_class.protocol_send
    _MAX_RECV = tcp_server.MAX_RECV
    server_class._read_data = _read_data  # type: ignore[method-assign]
    server_class.protocol_send = _protocol_send  # type: ignore[method-assign]
    task_group.TaskGroup.spawn_app = _spawn_app  # type: ignore[method-assign]
    tcp_server.TrioSingleTask = IdleTimer  # type: ignore[attr-defined,assignment]
    h11_protocol.H11Protocol._send_h11_event = _send_h11_event  # type: ignore[method-assign]
    _RESPONSE, _STREAM_CLOSED = Response, StreamClosed
    _STREAM_SEND = h11_protocol.H11Protocol.stream_send
    h11_protocol.H11Protocol.stream_send = _stream_send  # type: ignore[method-assign]
    _applied = True
    return True
