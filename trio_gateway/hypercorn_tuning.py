"""Two small changes to how hypercorn's trio worker writes responses, applied at import.

Measured on the project's benchmark (docs/performance.md), hypercorn spends a large share of every
keep-alive request on two things that do not need to cost what they do:

1. **The idle timer.** Each connection restarts a keep-alive idle task after every response and
   stops it at every request, through `TrioSingleTask`: a `trio.Lock` plus `nursery.start()`,
   i.e. several scheduler round trips per request. Here the restart cancels the previous timer's
   scope and spawns the new timer with `start_soon` under a scope created up front: the same
   behaviour (at most one idle timer per connection, `stop()` cancels it even before it starts),
   without the lock and the start handshake. Both run in one task at a time; trio switches tasks
   only at `await`, and nothing here awaits between cancelling and replacing the handle.

2. **Three socket writes per response.** The HTTP/1.1 protocol writes the response head, each
   body chunk and the end of message separately, each under a lock and a shielded cancel scope.
   Here the head of a response whose length is known (`content-length`) is held until the first
   body chunk and written with it, and the empty end-of-message of such a response writes
   nothing. Responses without a length (chunked, streams, server-sent events) are untouched, so a
   stream's head still leaves at once.

3. **Noticing that a client went away.** hypercorn tells an app by queueing `http.disconnect`,
   so an app that wants to stop its work must keep a second task blocked on `receive()` for the
   whole request: a nursery, a task and a cancellation per request, about 70 µs. Here the app's
   task runs inside a cancel scope that hypercorn's disconnect cancels when it comes from
   another task (the connection's reader: the client closed mid-request); a disconnect that the
   app's own task delivers (the normal end of a response) cancels nothing. The scope carries
   `extensions["trio_gateway.cancel_on_disconnect"]` so the app knows it may skip its watcher.

All are applied only to the hypercorn versions they were checked against, are idempotent, and can
be turned off with `TRIO_GATEWAY_HYPERCORN_TUNING=0`. Nothing else in hypercorn changes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from importlib.metadata import version
from typing import Any

import h11
import trio

__all__ = ["CANCEL_ON_DISCONNECT", "ENV_SWITCH", "FastSingleTask", "applied", "apply"]

LOGGER = logging.getLogger(__name__)

ENV_SWITCH = "TRIO_GATEWAY_HYPERCORN_TUNING"
CANCEL_ON_DISCONNECT = "trio_gateway.cancel_on_disconnect"
# The releases whose internals (tcp_server.TrioSingleTask, H11Protocol._send_h11_event) match.
CHECKED_VERSIONS = ("0.17.", "0.18.")

_applied = False


class FastSingleTask:
    """Drop-in for hypercorn's `TrioSingleTask`: one restartable background task."""

    __slots__ = ("_handle",)

    def __init__(self) -> None:
        self._handle: trio.CancelScope | None = None

    async def restart(self, task_group: Any, action: Callable[[], Awaitable[None]]) -> None:
        if self._handle is not None:
            self._handle.cancel()
        scope = trio.CancelScope()
        self._handle = scope

        async def run() -> None:
            with scope:
                await action()

        task_group._nursery.start_soon(run)

    async def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None


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


_RAW_DATA: Any = None
_HANDLE: Any = None


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


def applied() -> bool:
    return _applied


def apply() -> bool:
    """Apply both changes once; False when switched off or hypercorn is not a checked version."""
    global _applied, _RAW_DATA, _HANDLE
    if _applied:
        return True
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return False
    hypercorn_version = version("hypercorn")
    if not hypercorn_version.startswith(CHECKED_VERSIONS):
        LOGGER.info("hypercorn %s: response-writing tuning not applied", hypercorn_version)
        return False
    from hypercorn.events import RawData
    from hypercorn.protocol import h11 as h11_protocol
    from hypercorn.trio import task_group, tcp_server

    _RAW_DATA = RawData
    _HANDLE = task_group._handle
    task_group.TaskGroup.spawn_app = _spawn_app  # type: ignore[method-assign]
    tcp_server.TrioSingleTask = FastSingleTask  # type: ignore[attr-defined,assignment]
    h11_protocol.H11Protocol._send_h11_event = _send_h11_event  # type: ignore[method-assign]
    _applied = True
    return True
