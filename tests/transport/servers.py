"""Loopback HTTP/1.1 servers for the transport tests, built on h11 and `trio.serve_listeners`.

A test passes a handler that gets each `Received` request and returns a `Reply` describing how to
answer: a normal response, a chunked one, raw bytes followed by a close (malformed, half, or
until-close responses), or a silent close after the response (a keep-alive socket that dies idle).
The `Server` records requests and counts connections, so tests can see what the client did.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from functools import partial
from http import HTTPStatus

import attrs
import h11
import trio

from trio_gateway.transport import Origin

Headers = list[tuple[bytes, bytes]]


@attrs.frozen
class Received:
    """One request as the server saw it."""

    method: bytes
    target: bytes
    headers: Headers
    body: bytes
    connection: int  # index of the server-side connection it came in on

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def header_names(self) -> list[bytes]:
        return [name for name, _ in self.headers]


@attrs.frozen(kw_only=True)
class Reply:
    """How to answer a request."""

    status: int = 200
    headers: Headers = attrs.field(factory=list)
    body: bytes = b""
    # Send the body with chunked encoding, one send_all per chunk.
    chunks: tuple[bytes, ...] | None = None
    # Awaited before chunk i is sent (lets a test prove the client streams).
    before_chunk: Callable[[int], Awaitable[None]] | None = None
    # Written verbatim instead of an HTTP response; the socket is closed right after.
    raw: bytes | None = None
    # Close the socket after the response, without announcing it with `connection: close`.
    close_after: bool = False


Handler = Callable[[Received], Awaitable[Reply]]
# The `serve` fixture: `await serve(handler, ssl_context=None)` -> a running `Server`.
StartServer = Callable[..., Awaitable["Server"]]


async def ok(request: Received) -> Reply:
    """Answer every request with a small JSON body."""
    return Reply(headers=[(b"content-type", b"application/json")], body=b'{"ok":true}')


@attrs.define(eq=False)
class Server:
    """A running test server."""

    origin: Origin
    handler: Handler
    ssl_context: ssl.SSLContext | None = None
    requests: list[Received] = attrs.field(factory=list)
    accepted: int = 0  # connections accepted
    finished: int = 0  # connections whose handler ended (client EOF or server close)
    client_eof: int = 0  # connections the client closed

    _progress: trio.Event = attrs.field(factory=trio.Event)

    async def wait_finished(self, count: int) -> None:
        """Wait (at most 2 s) until `count` connections have ended on the server side."""
        with trio.fail_after(2):
            while self.finished < count:
                await self._progress.wait()

    async def handle(self, stream: trio.SocketStream) -> None:
        index = self.accepted
        self.accepted += 1
        conn: trio.abc.Stream = stream
        try:
            if self.ssl_context is not None:
                tls = trio.SSLStream(stream, self.ssl_context, server_side=True)
                conn = tls
                await tls.do_handshake()
            await self._serve(conn, index)
        except (trio.BrokenResourceError, h11.RemoteProtocolError):
            pass  # the client went away: nothing to answer
        finally:
            await trio.aclose_forcefully(conn)
            self.finished += 1
            self._progress.set()
            self._progress = trio.Event()

    async def _serve(self, stream: trio.abc.Stream, index: int) -> None:
        h = h11.Connection(h11.SERVER)
        while True:
            request = await self._receive_request(h, stream, index)
            if request is None:
                self.client_eof += 1
                return
            self.requests.append(request)
            reply = await self.handler(request)
            if reply.raw is not None:
                if reply.raw:
                    await stream.send_all(reply.raw)
                return
            await self._send_reply(h, stream, reply, head_only=request.method == b"HEAD")
            if reply.close_after or h.our_state is not h11.DONE:
                return
            h.start_next_cycle()

    async def _receive_request(
        self, h: h11.Connection, stream: trio.abc.Stream, index: int
    ) -> Received | None:
        head: h11.Request | None = None
        body = b""
        while True:
            event = h.next_event()
            if event is h11.NEED_DATA:
                h.receive_data(bytes(await stream.receive_some(65536)))
            elif isinstance(event, h11.Request):
                head = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                assert head is not None
                return Received(head.method, head.target, list(head.headers), body, index)
            elif isinstance(event, h11.ConnectionClosed):
                return None
            else:
                raise AssertionError(f"unexpected {event!r}")

    async def _send_reply(
        self, h: h11.Connection, stream: trio.abc.Stream, reply: Reply, *, head_only: bool
    ) -> None:
        headers = list(reply.headers)
        names = {name.lower() for name, _ in headers}
        if reply.chunks is not None:
            headers.append((b"transfer-encoding", b"chunked"))
        elif b"content-length" not in names:
            headers.append((b"content-length", b"%d" % len(reply.body)))
        reason = HTTPStatus(reply.status).phrase.encode()
        data = h.send(h11.Response(status_code=reply.status, headers=headers, reason=reason))
        if reply.chunks is None:
            if reply.body and not head_only:
                data += h.send(h11.Data(data=reply.body))
            await stream.send_all(data + h.send(h11.EndOfMessage()))
            return
        await stream.send_all(data)
        for i, chunk in enumerate(reply.chunks):
            if reply.before_chunk is not None:
                await reply.before_chunk(i)
            await stream.send_all(h.send(h11.Data(data=chunk)))
        await stream.send_all(h.send(h11.EndOfMessage()))


async def start_server(
    nursery: trio.Nursery,
    handler: Handler = ok,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> Server:
    """Start a server on 127.0.0.1 (a free port) in `nursery`."""
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    sock = listeners[0].socket
    port = sock.getsockname()[1]
    scheme = "https" if ssl_context is not None else "http"
    server = Server(Origin(scheme, "127.0.0.1", port), handler, ssl_context)
    await nursery.start(partial(trio.serve_listeners, server.handle, listeners))
    return server
