"""One HTTP/1.1 connection: a socket (or TLS stream) and an `httptools` response parser.

Rule 1: a connection belongs either to the pool (idle: the last response read to its end, nothing
buffered) or to exactly one request, and that request ends its ownership with exactly one
`ConnectionPool.release` (the response was read to its end) or `ConnectionPool.discard`
(anything else: an error, a cancellation, an unread body). Every path that can fail is written as
`try/finally` around that choice, so a cancelled request can never return a half-used connection
to the pool.

Parsing is llhttp (Node's parser, through httptools): strict about framing (Content-Length with
Transfer-Encoding, bad chunk sizes, control characters in fields are errors), so a backend cannot
smuggle a second response into the pool. What llhttp leaves to its caller is done here: a limit on
the head's size, HEAD responses (their Content-Length announces no body: the parser is stopped at
the head and replaced), bodies delimited by the
server closing the connection, and bytes after the response (the connection is then not reused).

Plain TCP talks to the socket directly: a send that fits in the socket buffer (every request the
gateway makes, in practice) is one `send()` with no scheduler pass, and the first read waits for
readability before calling `recv()` (the answer is never there yet). trio's socket wrappers add a
checkpoint, an error-translating context manager and a try-first syscall to each call. TLS goes
through `trio.SSLStream`.

Closing is synchronous (`socket.close()`): it needs no checkpoint, so it cannot be interrupted by a
cancellation and needs no shielded scope. TLS connections skip `close_notify`, as Go does; HTTP/1.1
framing never depends on it.

Error handling: socket errors become `ReadError` / `WriteError` and parser errors become
`RemoteProtocolError`, each with the original as `__cause__`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl

import httptools
import trio

from .errors import ReadError, RemoteProtocolError, ResponseTooLarge, WriteError
from .origin import Origin
from .request import RequestHead

__all__ = ["Connection", "ResponseHead", "describe"]

# Bytes asked for per receive: a typical JSON response arrives in one call.
RECEIVE_SIZE = 65536
# Largest response head accepted (h11's default is 16 KiB; big Set-Cookie blocks exceed it); the
# same bound applies to chunked trailers.
MAX_HEAD_BYTES = 256 * 1024
# Bytes of framing allowed per chunk ("ffff;ext\r\n...\r\n") before they count toward that bound.
_CHUNK_OVERHEAD = 32

_STREAM_ERRORS = (trio.BrokenResourceError, trio.ClosedResourceError)
# The same failures seen on a raw socket (SocketStream would have translated them).
_SOCKET_ERRORS = (*_STREAM_ERRORS, OSError)
# The class below has a `socket` property, which hides the module inside its body.
_StdSocket = socket.socket
_wait_readable = trio.lowlevel.wait_readable
_MSG_PEEK = socket.MSG_PEEK
_wait_writable = trio.lowlevel.wait_writable


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


class ResponseHead:
    """The final (non-1xx) response head: status, reason phrase, lower-cased header names."""

    __slots__ = ("headers", "reason", "status_code")

    def __init__(self, status_code: int, reason: bytes, headers: list[tuple[bytes, bytes]]):
        self.status_code = status_code
        self.reason = reason
        self.headers = headers


class _StopParsing(Exception):
    """Raised from a parser callback to stop llhttp where the response ends.

    A HEAD response ends with its head (llhttp cannot be told), and anything after a complete
    response is a second response nobody asked for: parsing it would mix it into the first."""


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
        "_body_size",
        "_chunk_count",
        "_chunks",
        "_close_after",
        "_complete",
        "_extra",
        "_head",
        "_head_only",
        "_headers",
        "_keep_alive",
        "_parser",
        "_plain",
        "_reason",
        "_received",
        "_socket",
        "_stream",
        "idle_since",
        "origin",
        "request_sent",
        "response_started",
        "reused",
    )

    def __init__(
        self,
        origin: Origin,
        stream: trio.abc.Stream | None,
        sock: trio.socket.SocketType,
        plain: _StdSocket | None = None,
    ) -> None:
        """Wrap a connected socket.

        Args:
            origin: The pool key.
            stream: The TLS stream for https; None for plain TCP.
            sock: The trio socket (kept for synchronous close and the idle check).
            plain: For plain TCP, the non-blocking stdlib socket under `sock`.
        """
        self.origin = origin
        self._stream = stream
        self._socket = sock
        self._plain = plain
        self._parser = httptools.HttpResponseParser(self)
        self.idle_since = 0.0
        self.reused = False
        self._reset(False, False)

    def _reset(self, head_only: bool, close: bool) -> None:
        self.request_sent = self.response_started = False
        self._head: ResponseHead | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._reason = b""
        self._chunks: list[bytes] = []
        self._body_size = 0
        self._received = 0
        self._chunk_count = 0
        self._complete = False
        self._extra = False
        self._keep_alive = False
        self._head_only = head_only
        self._close_after = close

    @property
    def socket(self) -> trio.socket.SocketType:
        """The underlying TCP socket (below TLS for https)."""
        return self._socket

    def close(self) -> None:
        """Close the socket now, without a checkpoint (idempotent)."""
        self._socket.close()

    def looks_dead(self) -> bool:
        """True when an idle connection has something to read: EOF or bytes nobody asked for.

        Either way it cannot carry another request. One syscall (a peek, or `poll()` for TLS);
        catching the server's idle-close here saves the failed write and the retry.
        """
        plain = self._plain
        if plain is None:
            return self._socket.is_readable() or _tls_buffered(self._stream)
        try:
            plain.recv(1, _MSG_PEEK)
        except BlockingIOError:
            return False  # nothing to read: alive
        except OSError:
            return True  # reset, or closed under us
        return True  # EOF (b"") or stray bytes

    # -- httptools callbacks -------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._complete:
            self._extra = True  # a second response nobody asked for: never reuse
            raise _StopParsing

    def on_status(self, reason: bytes) -> None:
        self._reason = reason

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._head is None:  # after the head: chunked trailers, which are dropped
            # llhttp keeps trailing whitespace of a value; HTTP says it is not part of it.
            if value[-1:] in (b" ", b"\t"):
                value = value.rstrip(b" \t")
            self._headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            # Interim response (100 Continue, 103 Early Hints): skipped, as Go does.
            self._headers = []
            self._reason = b""
            return
        self._head = ResponseHead(status, self._reason, self._headers)
        # Asked here: once the message is complete, llhttp has forgotten its framing.
        self._keep_alive = self._parser.should_keep_alive()
        if self._head_only:
            self._complete = True
            raise _StopParsing

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._body_size += len(body)

    def on_chunk_header(self) -> None:
        self._chunk_count += 1

    def on_message_complete(self) -> None:
        if self._head is not None:
            self._complete = True

    # -- I/O -----------------------------------------------------------------------------------

    async def send_request(self, request: RequestHead, body: bytes) -> None:
        """Send the head and body in one write (one syscall for typical requests)."""
        self._reset(request.method == b"HEAD", request.close)
        data = request.data + body if body else request.data
        try:
            plain = self._plain
            if plain is None:
                assert self._stream is not None
                await self._stream.send_all(data)
            else:
                try:
                    sent = plain.send(data)
                except BlockingIOError:
                    sent = 0
                if sent < len(data):
                    await self._send_rest(plain, memoryview(data)[sent:])
        except _SOCKET_ERRORS as exc:
            raise WriteError(f"write: {describe(exc)}") from exc
        self.request_sent = True

    @staticmethod
    async def _send_rest(plain: _StdSocket, view: memoryview) -> None:
        while view:
            await _wait_writable(plain)
            with contextlib.suppress(BlockingIOError):
                view = view[plain.send(view) :]

    async def _receive(self) -> None:
        """Read once and feed the parser; EOF ends an until-close body or is an error."""
        try:
            plain = self._plain
            if plain is None:
                assert self._stream is not None
                data = await self._stream.receive_some(RECEIVE_SIZE)
            else:
                waiting: bytes | None = None
                if self.response_started:  # more of the response may be there already
                    with contextlib.suppress(BlockingIOError):
                        waiting = plain.recv(RECEIVE_SIZE)
                if waiting is None:
                    # Before the first byte nothing can be there yet: wait, then read.
                    await _wait_readable(plain)
                    data = plain.recv(RECEIVE_SIZE)
                else:
                    # Data was waiting: still a checkpoint, or a fast backend streaming a large
                    # body would hold the event loop (and every deadline) until done.
                    await trio.lowlevel.checkpoint()
                    data = waiting
        except BlockingIOError:
            return  # a spurious wake-up: the caller loops and waits again
        except _SOCKET_ERRORS as exc:
            raise ReadError(f"read: {describe(exc)}") from exc
        if data:
            self.response_started = True
            self._feed(data)
        else:
            self._eof()

    def _feed(self, data: bytes | bytearray) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if not isinstance(exc.__context__, _StopParsing):
                raise RemoteProtocolError(f"malformed response: {exc}") from exc
            if not self._extra:
                # A HEAD response, stopped at its head: a fresh parser takes the next response.
                # Reuse is safe only if nothing came after the head, i.e. this read ended
                # exactly at the blank line.
                self._parser = httptools.HttpResponseParser(self)
                if not data.endswith(b"\r\n\r\n"):
                    self._extra = True
        except httptools.HttpParserUpgrade as exc:
            raise RemoteProtocolError("malformed response: unexpected protocol switch") from exc
        except httptools.HttpParserError as exc:
            if not self._complete:
                raise RemoteProtocolError(f"malformed response: {exc}") from exc
            self._extra = True  # garbage after a complete response: it stands, the socket goes
        # Everything that is not body (heads, chunk sizes, trailers) is bounded, checked after
        # every read: a backend cannot make us buffer an endless head or trailer.
        self._received += len(data)
        framing = self._received - self._body_size - _CHUNK_OVERHEAD * self._chunk_count
        if framing > MAX_HEAD_BYTES and not self._complete:
            raise RemoteProtocolError(
                f"malformed response: head or trailers larger than {MAX_HEAD_BYTES} bytes"
            )

    def _eof(self) -> None:
        if not self.response_started:
            # Go reports this as a bare "EOF"; it is the signature of a stale keep-alive socket.
            raise RemoteProtocolError("EOF: server closed the connection without a response")
        head = self._head
        if head is None:
            raise RemoteProtocolError("unexpected EOF: connection closed in the response head")
        if self._complete:
            return
        if _until_close(head.headers):
            self._complete = True
            self._keep_alive = False
            return
        raise RemoteProtocolError("unexpected EOF: connection closed before the body ended")

    async def receive_head(self) -> ResponseHead:
        """Wait for the final response head (1xx responses are skipped)."""
        while self._head is None:
            await self._receive()
        return self._head

    async def read_body(self, limit: int | None) -> bytes:
        """Read the whole body (content-length, chunked or until-close framing).

        Raises:
            ResponseTooLarge: the body exceeds `limit` bytes.
        """
        while True:
            if limit is not None and self._body_size > limit:
                raise ResponseTooLarge(f"response body exceeds {limit} bytes")
            if self._complete:
                chunks = self._chunks
                self._chunks = []
                if len(chunks) == 1:
                    return chunks[0]
                return b"".join(chunks)
            await self._receive()

    async def next_chunk(self) -> bytes:
        """Return the next piece of body as it arrives, or `b""` once the body is complete."""
        while True:
            chunks = self._chunks
            if chunks:
                if len(chunks) == 1:
                    self._chunks = []
                    return chunks[0]
                return chunks.pop(0)
            if self._complete:
                return b""
            await self._receive()

    def try_complete(self) -> bool:
        """Whether the response was read to its end, checked without I/O.

        Lets a streaming reader that stopped right after the last byte still give the connection
        back to the pool. False when body bytes remain unread or more data is needed.
        """
        return self._complete and not self._chunks

    def start_next_cycle(self) -> bool:
        """After a complete response: make the connection reusable if both sides allow it.

        False when either side asked for `connection: close`, the response was delimited by
        EOF, or the server sent bytes beyond the response (they would be misread as the next one).
        """
        return (
            self._complete
            and self._keep_alive
            and not self._extra
            and not self._chunks
            and not self._close_after
        )


def _tls_buffered(stream: trio.abc.Stream | None) -> bool:
    """Bytes the TLS layer already took off the socket (decrypted or not) but nobody read.

    `poll()` on the socket cannot see them. trio keeps them in its SSL object and incoming
    buffer; if those attributes are ever renamed this answers False (no worse than before)."""
    ssl_object = getattr(stream, "_ssl_object", None)
    incoming = getattr(stream, "_incoming", None)
    try:
        pending = ssl_object.pending() if ssl_object is not None else 0
        return bool(pending or (incoming is not None and incoming.pending))
    except (AttributeError, ssl.SSLError):
        return False


def _until_close(headers: list[tuple[bytes, bytes]]) -> bool:
    """A response body without Content-Length and not chunked runs until the server closes."""
    for name, value in headers:
        if name == b"content-length":
            return False
        if name == b"transfer-encoding" and value.lower().rstrip().endswith(b"chunked"):
            return False
    return True
