"""One HTTP/1.1 connection: a trio stream driven by an `h11.Connection`.

Rule 1: a connection belongs either to the pool (idle: both h11 sides IDLE, nothing buffered) or to
exactly one request, and that request ends its ownership with exactly one `ConnectionPool.release`
(the response was read to its end) or `ConnectionPool.discard` (anything else: an error, a
cancellation, an unread body). Every path that can fail is written as `try/finally` around that
choice, so a cancelled request can never return a half-used connection to the pool.

Closing is synchronous (`socket.close()`): it needs no checkpoint, so it cannot be interrupted by a
cancellation and needs no shielded scope. TLS connections skip `close_notify`, as Go does; HTTP/1.1
framing never depends on it.

Error handling: trio stream errors become `ReadError` / `WriteError` and h11's protocol errors
become `RemoteProtocolError`, each with the original as `__cause__`.
"""

from __future__ import annotations

import os
import socket
import ssl
from typing import cast

import h11
import trio

from .errors import ReadError, RemoteProtocolError, ResponseTooLarge, WriteError
from .origin import Origin

__all__ = ["Connection", "describe"]

# Bytes asked for per receive: a typical JSON response arrives in one call.
RECEIVE_SIZE = 65536
# Largest response head accepted (h11's default is 16 KiB; big Set-Cookie blocks exceed it).
MAX_HEAD_BYTES = 256 * 1024

# h11 events are immutable, so one EndOfMessage serves every request.
_END = h11.EndOfMessage()
_STREAM_ERRORS = (trio.BrokenResourceError, trio.ClosedResourceError)
# The same failures seen on a raw socket (SocketStream would have translated them).
_SOCKET_ERRORS = (*_STREAM_ERRORS, OSError)


def describe(exc: BaseException) -> str:
    """The reason behind a trio/OS error, in Go's lower-case wording ("connection refused")."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    if isinstance(cause, ssl.SSLError) or not isinstance(cause, OSError):
        return str(cause) or type(cause).__name__
    if isinstance(cause, socket.gaierror) or not cause.errno:
        # getaddrinfo's codes are not errno values; its strerror is the message.
        return (cause.strerror or str(cause)).lower()
    # trio decorates strerror ("Error connecting to ('h', 80): ..."): use the bare errno text.
    return os.strerror(cause.errno).lower()


class Connection:
    """A keep-alive HTTP/1.1 client connection (see the module docstring for who owns it).

    Attributes:
        origin: The pool this connection belongs to.
        idle_since: trio time at which it last went back to the pool.
        reused: It served a request before (so a failure may be a stale keep-alive socket).
        request_sent: The current request was handed to the kernel in full.
        response_started: At least one byte of the current response arrived.
    """

    __slots__ = (
        "_h11",
        "_plain",
        "_socket",
        "_stream",
        "idle_since",
        "origin",
        "request_sent",
        "response_started",
        "reused",
    )

    def __init__(
        self, origin: Origin, stream: trio.abc.Stream, sock: trio.socket.SocketType
    ) -> None:
        self.origin = origin
        self._stream = stream
        # The raw socket, for synchronous close() and the idle readability check.
        self._socket = sock
        # Plain TCP: talk to the socket directly. trio's SocketStream adds a conflict detector
        # and an error-translating context manager to every call (measurable per request);
        # TLS goes through the SSLStream.
        self._plain = sock if isinstance(stream, trio.SocketStream) else None
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)
        self.idle_since = 0.0
        self.reused = False
        self.request_sent = False
        self.response_started = False

    @property
    def socket(self) -> trio.socket.SocketType:
        """The underlying TCP socket (below TLS for https)."""
        return self._socket

    def close(self) -> None:
        """Close the socket now, without a checkpoint (idempotent)."""
        self._socket.close()

    def looks_dead(self) -> bool:
        """True when an idle connection has something to read: EOF or bytes nobody asked for.

        Either way it cannot carry another request. One `poll()` call; catching the server's
        idle-close here saves the failed write and the retry.
        """
        return self._socket.is_readable()

    async def send_request(self, request: h11.Request, body: bytes) -> None:
        """Send the head and body in one `send_all` (one syscall for typical requests)."""
        self.request_sent = self.response_started = False
        h = self._h11
        data = h.send(request)
        if body:
            data += h.send(h11.Data(data=body))
        data += h.send(_END)
        try:
            plain = self._plain
            if plain is None:
                await self._stream.send_all(data)
            else:
                view = memoryview(data)
                while view:
                    view = view[await plain.send(view) :]
        except _SOCKET_ERRORS as exc:
            raise WriteError(f"write: {describe(exc)}") from exc
        self.request_sent = True

    async def _receive(self) -> None:
        try:
            plain = self._plain
            if plain is None:
                data = await self._stream.receive_some(RECEIVE_SIZE)
            else:
                data = await plain.recv(RECEIVE_SIZE)
        except _SOCKET_ERRORS as exc:
            raise ReadError(f"read: {describe(exc)}") from exc
        if data:
            self.response_started = True
        elif not self.response_started:
            # Go reports this as a bare "EOF"; it is the signature of a stale keep-alive socket.
            raise RemoteProtocolError("EOF: server closed the connection without a response")
        # SocketStream returns bytes; SSLStream may return a bytearray, which h11 takes as well.
        self._h11.receive_data(cast("bytes", data))

    async def receive_head(self) -> h11.Response:
        """Wait for the final response head (1xx responses are skipped)."""
        h = self._h11
        try:
            while True:
                event = h.next_event()
                if type(event) is h11.Response:
                    return event
                if event is h11.NEED_DATA:
                    await self._receive()
                elif type(event) is not h11.InformationalResponse:
                    raise RemoteProtocolError(f"unexpected {type(event).__name__} from server")
        except h11.RemoteProtocolError as exc:
            raise RemoteProtocolError(f"malformed response: {exc}") from exc

    async def read_body(self, limit: int | None) -> bytes:
        """Read the whole body (content-length, chunked or until-close framing).

        Raises:
            ResponseTooLarge: the body exceeds `limit` bytes.
        """
        h = self._h11
        chunks: list[bytes | bytearray] = []
        size = 0
        try:
            while True:
                event = h.next_event()
                if type(event) is h11.Data:
                    chunks.append(event.data)
                    size += len(event.data)
                    if limit is not None and size > limit:
                        raise ResponseTooLarge(f"response body exceeds {limit} bytes")
                elif type(event) is h11.EndOfMessage:
                    return b"".join(chunks)
                elif event is h11.NEED_DATA:
                    await self._receive()
                else:
                    raise RemoteProtocolError(f"unexpected {type(event).__name__} in body")
        except h11.RemoteProtocolError as exc:
            raise RemoteProtocolError(str(exc)) from exc

    async def next_chunk(self) -> bytes:
        """Return the next piece of body as it arrives, or `b""` once the body is complete."""
        h = self._h11
        try:
            while True:
                event = h.next_event()
                if type(event) is h11.Data:
                    if event.data:
                        return bytes(event.data)
                elif type(event) is h11.EndOfMessage:
                    return b""
                elif event is h11.NEED_DATA:
                    await self._receive()
                else:
                    raise RemoteProtocolError(f"unexpected {type(event).__name__} in body")
        except h11.RemoteProtocolError as exc:
            raise RemoteProtocolError(str(exc)) from exc

    def try_complete(self) -> bool:
        """Consume an end of body that is already buffered, without I/O.

        Lets a streaming reader that stopped right after the last byte still give the connection
        back to the pool. False when body bytes remain unread or more data is needed.
        """
        h = self._h11
        try:
            while True:
                event = h.next_event()
                if type(event) is h11.EndOfMessage:
                    return True
                if type(event) is not h11.Data or event.data:
                    return False
        except h11.RemoteProtocolError:
            return False

    def start_next_cycle(self) -> bool:
        """After a complete response: make the connection reusable if both sides allow it.

        False when either side asked for `connection: close`, the response was delimited by
        EOF, or the server sent bytes beyond the response (they would be misread as the next one).
        """
        h = self._h11
        if h.our_state is not h11.DONE or h.their_state is not h11.DONE:
            return False
        extra, closed = h.trailing_data
        if extra or closed:
            return False
        # From DONE/DONE, h11 moves both sides to IDLE: the connection is ready for a new request.
        h.start_next_cycle()
        return True
