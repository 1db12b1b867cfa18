"""The gateway's rules for the HTTP/1.1 requests hypercorn reads: framing, header count, timeouts,
h2c and `Expect: 100-continue`.

hypercorn's `H11Protocol` feeds every byte to h11 and leaves several edge rules to the app, which
cannot enforce them (it sees a request only once its head is parsed, and never the bytes after its
body). Here, around that protocol:

- **Framing** (RFC 9112 §6.1, §6.3; nginx answers the same). A request with both
  `Content-Length` and `Transfer-Encoding` is a 400 and the connection closes: h11 (like Go)
  lets Transfer-Encoding win, so bytes a front proxy framed as this body would run here as a
  second request (request smuggling). `Transfer-Encoding` on HTTP/1.0 likewise. A version other
  than 1.0/1.1 is a 505 (Go's `http1ServerSupportsRequest`).
- **Header lines** are counted as they arrive, before h11 parses them: past
  `max_header_count` the head is refused with 431 and the connection closes, so an 85,000-line
  head (under the 1 MiB byte limit) costs a byte count, not a parse.
- **Timeouts**, Go's `http.Server` ones (`serving/limits.py`): the head (from its first byte),
  the whole request (`read_timeout`: 408 and close), a stalled body (408 and close) and the
  response (`write_timeout`, from the end of the head: the connection closes, as Go's failed
  writes do). One timer task per connection, started only when a deadline is armed: a head or
  body that arrives whole in one read never starts it.
- **Slow clients cannot take every descriptor**: when more connections wait on their clients
  (a head or body in progress) than half the open-file limit, the longest waiting is closed
  (408), so a flood of slow clients leaves room for the others.
- **h2c** only with `use_h2c` (lura wraps its handler in `h2c.NewHandler` only then): otherwise
  `Upgrade: h2c` is ignored, as Go ignores it, and the HTTP/2 preface is a 505.
- **No WebSocket stream**: a handshake is an ordinary request (KrakenD without its `websocket`
  namespace serves it as the GET it is; the namespace is refused at load).
- **100 Continue** is sent when the app first reads the body (Go's `expectContinueReader`), not
  as soon as the head arrives, so a request the gateway refuses (a JWT validator's 401) never
  invites its body.

Installed by `install()` when the gateway serves (`serving/hypercorn.apply`), never at import,
whether or not hypercorn's performance tuning is on: these are rules, not tuning, so the stock
and tuned paths behave the same. Like the tuning, they replace hypercorn code written for exact
sources: `install()` checks a digest of every function replaced or relied on (`CHECKED`) and,
when one differs, raises `EdgeRulesUnavailable`: the gateway refuses to serve without them.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

import h11
import trio

from trio_gateway.serving.limits import EdgeLimits

__all__ = [
    "CHECKED",
    "EdgeRulesUnavailable",
    "count_head_lines",
    "framing_problem",
    "install",
    "installed",
    "set_default_limits",
]

# sha256 (first 16 hex digits) of `inspect.getsource()` in hypercorn 0.17.3 and 0.18.0 (they differ
# in a comment's spelling): what is replaced (`handle`, `_handle_events`, `_check_protocol`,
# `_maybe_recycle`, `_create_stream`) and what the replacements rely on (how a stream is made
# from `self.app` and closed, the timer's task group, the server behind the protocol's `send`).
# Of h11 they use only its public API. Checked before hypercorn's tuning replaces anything
# (`serving/hypercorn.apply` installs these first); the tuning replaces none of these.
_H11 = "hypercorn.protocol.h11:H11Protocol."
CHECKED: dict[str, frozenset[str]] = {
    _H11 + "handle": frozenset({"3b56e067447488df"}),
    _H11 + "_handle_events": frozenset({"bd4a76b2837e8722"}),
    _H11 + "_check_protocol": frozenset({"db9531fd3804d041", "f95f6b38f43c62aa"}),
    _H11 + "_maybe_recycle": frozenset({"3ac53f52bc4e65de"}),
    _H11 + "_create_stream": frozenset({"a2338a57ab343908"}),
    _H11 + "_close_stream": frozenset({"378930655d7bb41a"}),
    "hypercorn.protocol.http_stream:HTTPStream.__init__": frozenset(
        {"c326e411370529ee", "c51a65fea53dbfeb"}
    ),
    "hypercorn.trio.task_group:TaskGroup.spawn": frozenset({"d22a14c225196987"}),
    "hypercorn.trio.tcp_server:TCPServer.run": frozenset({"4f1af3593caa9d0e", "fd34b021d1a86c98"}),
    "hypercorn.trio.tcp_server:TCPServer._close": frozenset({"bc73c4ae25a1ceec"}),
}
_TARGETS = (
    _H11 + "handle",
    _H11 + "_handle_events",
    _H11 + "_check_protocol",
    _H11 + "_maybe_recycle",
    _H11 + "_create_stream",
    _H11 + "_close_stream",
    "hypercorn.protocol.http_stream:HTTPStream.__init__",
    "hypercorn.trio.task_group:TaskGroup.spawn",
    "hypercorn.trio.tcp_server:TCPServer.run",
    "hypercorn.trio.tcp_server:TCPServer._close",
)


class EdgeRulesUnavailable(RuntimeError):
    """hypercorn or h11 is not a release the edge rules were checked against."""


LOGGER = logging.getLogger(__name__)

_installed = False
_default_limits = EdgeLimits()
_LIMITS_ATTRIBUTE = "trio_gateway_edge_limits"
_STATE = "_trio_gateway_edge"

# h11's end of a head: an empty line, with or without its CR (h11 `_receivebuffer.py`).
_BLANK_LINE = re.compile(rb"\n\r?\n")
# How long a refused connection is read and drained before it is closed (see `linger`).
LINGER = 5.0

# Not in h11's stub exports, but public (h11 docs, "Switching protocols").
_MIGHT_SWITCH: Any = h11.MIGHT_SWITCH_PROTOCOL  # type: ignore[attr-defined]

_REASONS = {
    400: b"Bad Request",
    408: b"Request Timeout",
    413: b"Content Too Large",
    414: b"URI Too Long",
    431: b"Request Header Fields Too Large",
    501: b"Not Implemented",
    505: b"HTTP Version Not Supported",
}


def installed() -> bool:
    return _installed


def set_default_limits(limits: EdgeLimits) -> None:
    """The limits of servers whose hypercorn config carries none: the `hypercorn trio_gateway:app`
    entry point, set from the plan at the app's lifespan startup (one app per process)."""
    global _default_limits
    _default_limits = limits


def limits_of(config: Any) -> EdgeLimits:
    found = getattr(config, _LIMITS_ATTRIBUTE, None)
    return found if isinstance(found, EdgeLimits) else _default_limits


def attach_limits(config: Any, limits: EdgeLimits) -> None:
    """Give one hypercorn `Config` (one server) its own limits (`serving/server.py`)."""
    setattr(config, _LIMITS_ATTRIBUTE, limits)


def count_head_lines(tail: bytes, data: bytes) -> tuple[int, bool, bytes]:
    """Line breaks in `data` up to the end of the head, given the last bytes of the head so far.

    Returns (line breaks counted, whether the head ended in `data`, the new tail). The tail (two
    bytes) lets an empty line split across two reads be seen."""
    text = tail + data if tail else data
    found = _BLANK_LINE.search(text)
    end = found.end() if found is not None else len(text)
    return text.count(b"\n", len(tail), end), found is not None, text[-2:]


def framing_problem(request: h11.Request, use_h2c: bool) -> int | None:
    """The status to refuse a parsed head with (the connection then closes), or None."""
    version = request.http_version
    if version not in (b"1.1", b"1.0"):
        if use_h2c and request.method == b"PRI" and request.target == b"*" and version == b"2.0":
            return None  # the HTTP/2 preface: hypercorn switches protocol
        return 505
    length = encoding = False
    for name, _ in request.headers:
        if name == b"content-length":
            length = True
        elif name == b"transfer-encoding":
            encoding = True
    if encoding and (length or version == b"1.0"):
        return 400
    return None


class _Connection:
    """One connection's edge state: the head being counted, the deadlines, the timer task."""

    __slots__ = (
        "_head_deadline",
        "_scope",
        "_started",
        "_task_scope",
        "busy",
        "closed",
        "fresh_cycle",
        "head_done",
        "head_lines",
        "head_start",
        "head_tail",
        "limits",
        "linger_deadline",
        "protocol",
        "read_deadline",
        "refused",
        "resume",
        "stall_deadline",
        "write_deadline",
    )

    def __init__(self, protocol: Any, limits: EdgeLimits) -> None:
        self.protocol = protocol
        self.limits = limits
        self.closed = self.refused = self.busy = self.resume = False
        # After a response, the next head may already be buffered in h11 (pipelining).
        self.fresh_cycle = False
        self._reset_head()
        self.read_deadline = self.stall_deadline = self.write_deadline = math.inf
        self._head_deadline = self.linger_deadline = math.inf
        self._scope: trio.CancelScope | None = None
        self._task_scope = trio.CancelScope()
        self._started = False

    def _reset_head(self) -> None:
        self.head_lines = 0
        self.head_tail = b""
        self.head_done = False
        self.head_start = -1.0

    # -- the head ---------------------------------------------------------------------------

    def feed_head(self, data: bytes) -> bool:
        """Count a read of a head; True when it has too many lines."""
        if self.head_start < 0:
            self.head_start = trio.current_time()
        if self.head_done:
            return False
        lines, self.head_done, self.head_tail = count_head_lines(self.head_tail, data)
        self.head_lines += lines
        # The request line's break, and the empty line's once it came, are not header lines.
        headers = self.head_lines - 1 - (1 if self.head_done else 0)
        return headers > self.limits.max_header_count

    def head_pending(self) -> None:
        """h11 needs more of the head: arm the head and whole-request deadlines."""
        if self.head_start < 0:
            return
        self._head_deadline = self.head_start + self.limits.head_timeout
        if self.limits.read_timeout:
            self.read_deadline = self.head_start + self.limits.read_timeout
        self._arm()
        _wait_on_client(self)

    def head_parsed(self) -> None:
        """A head became a request: its deadline ends, the response's starts."""
        start = self.head_start if self.head_start >= 0 else trio.current_time()
        self._head_deadline = math.inf
        _WAITING.pop(self, None)
        if self.limits.read_timeout:
            self.read_deadline = start + self.limits.read_timeout
        if self.limits.write_timeout:
            self.write_deadline = trio.current_time() + self.limits.write_timeout
            self._arm()

    # -- the body ---------------------------------------------------------------------------

    def body_pending(self) -> None:
        """h11 needs more of the body: no byte for `body_stall_timeout` is a 408."""
        self.stall_deadline = trio.current_time() + self.limits.body_stall_timeout
        self._arm()
        _wait_on_client(self)

    def body_done(self) -> None:
        self.read_deadline = self.stall_deadline = math.inf
        _WAITING.pop(self, None)
        self._rearm()

    def response_done(self) -> None:
        """A response ended and the connection is kept: the next request starts afresh."""
        self._reset_head()
        self.fresh_cycle = True
        self.read_deadline = self.stall_deadline = self.write_deadline = math.inf
        self._head_deadline = math.inf
        self._rearm()

    # -- the timer --------------------------------------------------------------------------

    def _deadline(self) -> float:
        return min(
            self._head_deadline,
            self.read_deadline,
            self.stall_deadline,
            self.write_deadline,
            self.linger_deadline,
        )

    def _rearm(self) -> None:
        if self._scope is not None:
            self._scope.deadline = self._deadline()

    def _arm(self) -> None:
        if self._scope is not None:
            self._scope.deadline = self._deadline()
        elif not (self._started or self.closed):
            self._started = True
            self.protocol.task_group.spawn(self._run)

    def linger(self) -> None:
        """A refusal went out: read and drop what the client still sends until it closes, at
        most `LINGER` seconds, so that closing with unread bytes (a TCP reset) cannot destroy
        the answer before the client reads it (nginx's lingering close)."""
        self._head_deadline = self.read_deadline = self.stall_deadline = math.inf
        self.write_deadline = math.inf
        self.linger_deadline = trio.current_time() + LINGER
        self._arm()
        _wait_on_client(self)

    def shed(self) -> bool:
        """Too many connections wait on their clients: this one, the longest waiting, goes.
        False when its connection is already gone (its task group closed)."""
        if self.closed:
            return False
        try:
            self.protocol.task_group.spawn(_shed, self.protocol)
        except RuntimeError:  # "Nursery is closed to new arrivals"
            self.closed = True
            return False
        return True

    def close(self) -> None:
        self.closed = True
        _WAITING.pop(self, None)
        self._task_scope.cancel()

    async def _run(self) -> None:
        with self._task_scope:
            while True:
                with trio.CancelScope(deadline=self._deadline()) as scope:
                    self._scope = scope
                    await trio.sleep_forever()
                self._scope = None
                now = trio.current_time()
                with trio.CancelScope(shield=True):
                    if self.linger_deadline <= now:
                        await self.protocol.send(_CLOSED())
                    elif self.write_deadline <= now:
                        # Go's writes fail after write_timeout: the response ends unsaid.
                        await refuse(self.protocol, None)
                    elif min(self._head_deadline, self.read_deadline, self.stall_deadline) <= now:
                        await refuse(self.protocol, 408)


# Connections waiting on their client (a head or body in progress, a lingering refusal), oldest
# first. Each holds a file descriptor; when more wait than `_waiting_budget()` allows, the oldest
# is closed, so slow clients can never take the descriptors normal clients need (accept fails
# with EMFILE once they are gone: nginx and Go would then stop taking new clients until the slow
# ones time out).
_WAITING: dict[_Connection, None] = {}
_budget: int | None = None
_shed_count = 0


def _waiting_budget() -> int:
    """Half the process's open-file limit (raised to the hard limit by `serving/fdlimit.py`)."""
    global _budget
    if _budget is None:
        soft = 1024
        try:
            import resource

            soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
            if soft == resource.RLIM_INFINITY:
                soft = 1 << 20
        except (ImportError, OSError, ValueError):  # not POSIX
            pass
        _budget = max(32, soft // 2)
    return _budget


def _wait_on_client(state: _Connection) -> None:
    global _shed_count
    if state in _WAITING:
        return
    _WAITING[state] = None
    while len(_WAITING) > _waiting_budget():
        oldest = next(iter(_WAITING))
        del _WAITING[oldest]
        if not oldest.shed():
            continue  # its connection ended without a word (a cancelled server): not counted
        _shed_count += 1
        if _shed_count == 1 or _shed_count % 1000 == 0:
            LOGGER.warning(
                "%d connection(s) waiting on their clients (the budget is half the open-file "
                "limit): closing the longest waiting (%d so far)",
                len(_WAITING) + 1,
                _shed_count,
            )


async def _shed(protocol: Any) -> None:
    state = _state(protocol)
    if state.refused:
        await protocol.send(_CLOSED())  # lingering after a refusal: close now
        return
    await refuse(protocol, 408, linger=False)


def _state(protocol: Any) -> _Connection:
    state: _Connection | None = protocol.__dict__.get(_STATE)
    if state is None:
        state = protocol.__dict__[_STATE] = _Connection(protocol, limits_of(protocol.config))
    return state


def _error_response(status: int, config: Any) -> bytes:
    """Go's answer to a request it cannot read (`net/http` server.go): a plain-text status line
    as the body, and the connection closes."""
    reason = _REASONS.get(status, b"Bad Request")
    body = b"%d %s" % (status, reason)
    lines = [b"HTTP/1.1 %d %s" % (status, reason)]
    lines.extend(name + b": " + value for name, value in config.response_headers("h11"))
    lines.append(b"content-type: text/plain; charset=utf-8")
    lines.append(b"content-length: %d" % len(body))
    lines.append(b"connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def refuse(protocol: Any, status: int | None, *, linger: bool = True) -> None:
    """Answer `status` if no response has started, then close the connection (after lingering,
    when an answer went out); None: close at once, saying nothing."""
    state = _state(protocol)
    if state.refused:
        return
    state.refused = True
    _WAITING.pop(state, None)
    if protocol.stream is not None:
        await protocol._close_stream()  # the app hears http.disconnect
    connection = protocol.connection
    started = type(connection) is not h11.Connection or connection.our_state not in (
        h11.IDLE,
        h11.SEND_RESPONSE,
    )
    if status is not None and not started:
        await protocol.send(_RAW_DATA(data=_error_response(status, protocol.config)))
        if linger and await _send_eof(protocol):
            state.linger()
            return
    await protocol.send(_CLOSED())


async def _send_eof(protocol: Any) -> bool:
    """Half-close the connection after an answer (the client sees it end); False when the
    transport cannot (TLS) or is gone. hypercorn's `TCPServer.run` hands the protocol its bound
    `protocol_send`, so the server, and its stream, are that method's `__self__`."""
    server = getattr(protocol.send, "__self__", None)
    send_eof = getattr(getattr(server, "stream", None), "send_eof", None)
    if send_eof is None:
        return False
    try:
        await send_eof()
    except (trio.BrokenResourceError, trio.ClosedResourceError, trio.BusyResourceError, OSError):
        return False
    return True


# -- the replacements ------------------------------------------------------------------------


async def _handle(self: Any, event: Any) -> None:
    """`H11Protocol.handle`: a head's lines counted before h11 sees them."""
    if isinstance(event, _RAW_DATA):
        connection = self.connection
        if type(connection) is h11.Connection:
            state = _state(self)
            if state.refused:
                return
            if connection.their_state is h11.IDLE and state.feed_head(event.data):
                await refuse(self, 431)
                return
        connection.receive_data(event.data)
        await self._handle_events()
    elif isinstance(event, _CLOSED_EVENTS):
        state = self.__dict__.get(_STATE)
        if state is not None:
            state.close()
        if self.stream is not None:
            await self._close_stream()


async def _handle_events(self: Any) -> None:
    """`H11Protocol._handle_events` with framing checked, the deadlines kept and no early 100."""
    state = _state(self)
    if state.busy:
        return  # the loop running in another task reads the new bytes from h11's buffer
    state.busy = True
    try:
        await _events_loop(self, state)
    finally:
        state.busy = False


async def _events_loop(self: Any, state: _Connection) -> None:
    while True:
        connection = self.connection
        plain = type(connection) is h11.Connection
        if plain and state.fresh_cycle and connection.their_state is h11.IDLE:
            state.fresh_cycle = False
            pending = connection.trailing_data[0]
            if pending and state.feed_head(pending):
                await refuse(self, 431)
                break
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError as error:
            # As stock (h11's status, unless a response started), with a lingering close.
            await refuse(self, error.error_status_hint)
            break
        if isinstance(event, h11.Request):
            status = framing_problem(event, state.limits.use_h2c)
            if status is not None:
                await refuse(self, status)
                break
            state.head_parsed()
            await self.send(_UPDATED(idle=False))
            await self._check_protocol(event)
            if connection.they_are_waiting_for_100_continue:
                # `_create_stream` hands `self.app` to the new stream, which starts it at once.
                app = self.app
                self.app = _ContinueOnRead(app, self)
                try:
                    await self._create_stream(event)
                finally:
                    self.app = app
            else:
                await self._create_stream(event)
        elif event is h11.PAUSED:
            if connection.their_state is _MIGHT_SWITCH:
                # An Upgrade (or CONNECT) h11 holds until it hears our answer, which never
                # switches. Stock hypercorn blocks its reader here, so a client that leaves
                # goes unheard; here reading goes on (bytes wait in h11's buffer, EOF cancels
                # the app) and the loop resumes after the response (`_maybe_recycle`).
                state.resume = True
                break
            await self.can_read.clear()
            await self.can_read.wait()
        elif event is h11.NEED_DATA:
            if plain:
                if connection.their_state is h11.IDLE:
                    state.head_pending()
                elif connection.their_state is h11.SEND_BODY:
                    state.body_pending()
            break
        elif isinstance(event, h11.ConnectionClosed) or self.stream is None:
            break
        elif isinstance(event, h11.Data):
            await self.stream.handle(_BODY(stream_id=_STREAM_ID, data=event.data))
        elif isinstance(event, h11.EndOfMessage):
            state.body_done()
            await self.stream.handle(_END_BODY(stream_id=_STREAM_ID))
        elif isinstance(event, _DATA):
            await self.stream.handle(event)  # WebSocket pass-through


async def _create_stream(self: Any, request: h11.Request) -> None:
    """`H11Protocol._create_stream`, always an HTTP stream: the gateway serves no WebSocket
    (the `websocket` namespace is refused at load), and KrakenD without it answers a handshake
    as the plain GET it is. Stock hypercorn would open a WebSocket stream, answer an invalid or
    bodied handshake 400 itself and leave the connection hanging, or close a valid one after
    the app's answer; here the app gets an `http` scope and the connection lives on."""
    self.stream = _HTTP_STREAM(
        self.app,
        self.config,
        self.context,
        self.task_group,
        self.ssl,
        self.client,
        self.server,
        self.stream_send,
        _STREAM_ID,
    )
    if self.config.h11_pass_raw_headers:
        headers = request.headers.raw_items()
    else:
        headers = list(request.headers)
    await self.stream.handle(
        _REQUEST(
            stream_id=_STREAM_ID,
            headers=headers,
            http_version=request.http_version.decode(),
            method=request.method.decode("ascii").upper(),
            raw_path=request.target,
            state=self.connection_state,
        )
    )
    self.keep_alive_requests += 1
    await self.context.mark_request()


async def _check_protocol(self: Any, event: Any) -> None:
    """`H11Protocol._check_protocol` (the switch to HTTP/2) only with `use_h2c`."""
    if _state(self).limits.use_h2c:
        await _CHECK_PROTOCOL(self, event)


async def _maybe_recycle(self: Any) -> None:
    """`H11Protocol._maybe_recycle`, resetting the edge state for the next request."""
    await _MAYBE_RECYCLE(self)
    state = self.__dict__.get(_STATE)
    connection = self.connection
    if (
        state is not None
        and type(connection) is h11.Connection
        and connection.their_state is h11.IDLE
    ):
        state.response_done()
        if state.resume:
            state.resume = False
            if connection.trailing_data[0]:
                # Pipelined after an Upgrade: nobody else will read what is buffered.
                self.task_group.spawn(self._handle_events)


class _ContinueOnRead:
    """The app of a request that waits for `100 Continue`: it is sent at the first `receive()`.

    Go sends it when the handler first reads the body (`expectContinueReader.Read`)."""

    __slots__ = ("_app", "_protocol")

    def __init__(self, app: Any, protocol: Any) -> None:
        self._app = app
        self._protocol = protocol

    async def __call__(self, scope: Any, receive: Any, send: Any, *rest: Any) -> Any:
        protocol = self._protocol
        pending = True

        async def receive_after_continue() -> Any:
            nonlocal pending
            if pending:
                pending = False
                connection = protocol.connection
                if (
                    type(connection) is h11.Connection
                    and connection.they_are_waiting_for_100_continue
                ):
                    await protocol._send_h11_event(
                        h11.InformationalResponse(
                            status_code=100, headers=protocol.config.response_headers("h11")
                        )
                    )
            return await receive()

        return await self._app(scope, receive_after_continue, send, *rest)


_RAW_DATA: Any = None
_CLOSED: Any = None
_CLOSED_EVENTS: Any = ()
_UPDATED: Any = None
_BODY: Any = None
_END_BODY: Any = None
_DATA: Any = None
_STREAM_ID = 1
_HTTP_STREAM: Any = None
_REQUEST: Any = None
_CHECK_PROTOCOL: Any = None
_MAYBE_RECYCLE: Any = None


def differing() -> list[str]:
    """What the rules replace or rely on whose installed source is not a checked one (once
    installed, the check passed: the installed code is then ours)."""
    from trio_gateway.serving.hypercorn import source_digest

    if _installed:
        return []
    return [t for t in _TARGETS if source_digest(t) not in CHECKED.get(t, frozenset())]


def install() -> None:
    """Check and install the rules, once per process, before hypercorn's tuning replaces
    anything. Raises EdgeRulesUnavailable, at every call, when a source is not a checked one."""
    global _installed, _RAW_DATA, _CLOSED, _CLOSED_EVENTS, _UPDATED, _BODY, _END_BODY, _DATA
    global _STREAM_ID, _CHECK_PROTOCOL, _MAYBE_RECYCLE, _HTTP_STREAM, _REQUEST
    if _installed:
        return
    differ = differing()
    if differ:
        from importlib.metadata import version

        raise EdgeRulesUnavailable(
            f"hypercorn {version('hypercorn')}, h11 {version('h11')}: the gateway's HTTP/1.1 "
            f"edge rules (framing, timeouts, header count, h2c) were checked against other "
            f"releases ({', '.join(differ)} differ); refusing to serve without them: install "
            f"the releases pyproject.toml pins"
        )
    from hypercorn.events import Closed, RawData, Updated
    from hypercorn.protocol import h11 as h11_protocol
    from hypercorn.protocol.events import Body, Data, EndBody, Request
    from hypercorn.protocol.http_stream import HTTPStream

    _RAW_DATA, _CLOSED, _UPDATED = RawData, Closed, Updated
    _CLOSED_EVENTS = (Closed,)
    _BODY, _END_BODY, _DATA = Body, EndBody, Data
    _STREAM_ID = h11_protocol.STREAM_ID
    _HTTP_STREAM, _REQUEST = HTTPStream, Request
    protocol = h11_protocol.H11Protocol
    _CHECK_PROTOCOL, _MAYBE_RECYCLE = protocol._check_protocol, protocol._maybe_recycle
    protocol.handle = _handle  # type: ignore[method-assign]
    protocol._handle_events = _handle_events  # type: ignore[method-assign]
    protocol._check_protocol = _check_protocol  # type: ignore[method-assign]
    protocol._maybe_recycle = _maybe_recycle  # type: ignore[method-assign]
    protocol._create_stream = _create_stream  # type: ignore[method-assign]
    _installed = True
