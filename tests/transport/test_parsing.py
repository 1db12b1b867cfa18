"""Response framing edge cases, against a server that writes scripted bytes on a kept-alive socket.

Each case sends one request whose answer is written verbatim, then a second request: the number of
connections the server accepted tells whether the client judged the first socket reusable.
"""

from __future__ import annotations

from functools import partial

import attrs
import httptools
import pytest
import trio

from trio_gateway.transport import HTTPClient, Origin, RemoteProtocolError
from trio_gateway.transport.connection import MAX_HEAD_BYTES

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


@attrs.define
class ScriptedServer:
    """Answers the n-th request it receives (on any connection) with `replies[n]`, then `OK`."""

    replies: list[bytes]
    origin: Origin | None = None
    connections: int = 0
    requests: int = 0

    async def handle(self, stream: trio.SocketStream) -> None:
        self.connections += 1
        buffer = b""
        async with stream:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = await stream.receive_some(65536)
                    if not data:
                        return
                    buffer += data
                _, _, buffer = buffer.partition(b"\r\n\r\n")
                index = self.requests
                self.requests += 1
                reply = self.replies[index] if index < len(self.replies) else OK
                try:
                    await stream.send_all(reply)
                except trio.BrokenResourceError:
                    return


async def start(nursery: trio.Nursery, *replies: bytes) -> ScriptedServer:
    server = ScriptedServer(list(replies))
    listeners = await nursery.start(partial(trio.serve_tcp, server.handle, 0, host="127.0.0.1"))
    port = listeners[0].socket.getsockname()[1]
    server.origin = Origin("http", "127.0.0.1", port)
    return server


@attrs.frozen
class Case:
    reply: bytes
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] | None = None
    reason: bytes | None = None
    reused: bool = True
    method: bytes = b"GET"


CASES = {
    "whitespace around values is not part of them": Case(
        b"HTTP/1.1 200 OK\r\nX-A:   spaced  value \t \r\ncontent-length: 0\r\n\r\n",
        headers=((b"x-a", b"spaced  value"), (b"content-length", b"0")),
    ),
    "names are lower-cased, duplicates kept in order": Case(
        b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSET-COOKIE: b=2\r\nContent-Length: 0\r\n\r\n",
        headers=((b"set-cookie", b"a=1"), (b"set-cookie", b"b=2"), (b"content-length", b"0")),
    ),
    "a status line without a reason": Case(
        b"HTTP/1.1 201\r\ncontent-length: 1\r\n\r\nx", status=201, body=b"x", reason=b""
    ),
    "interim responses are skipped": Case(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n" + OK,
        body=b"ok",
        headers=((b"content-length", b"2"),),
        reason=b"OK",
    ),
    "204 has no body whatever content-length says": Case(
        b"HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n", status=204
    ),
    "304 has no body": Case(b"HTTP/1.1 304 Not Modified\r\ncontent-length: 9\r\n\r\n", status=304),
    "HEAD: content-length announces no body": Case(
        b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n", method=b"HEAD"
    ),
    "HEAD answered with a body: the socket is not reused": Case(
        b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nbody", method=b"HEAD", reused=False
    ),
    "bytes after the response: it stands, the socket goes": Case(
        OK + b"HTTP/1.1 200 OK\r\n", body=b"ok", reused=False
    ),
    "garbage after the response": Case(OK + b"\x00\x01garbage", body=b"ok", reused=False),
    "a whole second response after the first is not mixed into it": Case(
        OK + b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 5\r\nx-second: 1\r\n\r\nerror",
        body=b"ok",
        headers=((b"content-length", b"2"),),
        reason=b"OK",
        reused=False,
    ),
    "HTTP/1.0 closes by default": Case(
        b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok", body=b"ok", reused=False
    ),
    "HTTP/1.0 with keep-alive stays": Case(
        b"HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 2\r\n\r\nok", body=b"ok"
    ),
    "connection: close from the server": Case(
        b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok",
        body=b"ok",
        reused=False,
    ),
    "chunked body with trailers (dropped)": Case(
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nx-trailer: t\r\n\r\n",
        body=b"abcde",
        headers=((b"transfer-encoding", b"chunked"),),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_framing(nursery: trio.Nursery, name: str) -> None:
    case = CASES[name]
    server = await start(nursery, case.reply)
    assert server.origin is not None
    async with HTTPClient() as client:
        response = await client.request(server.origin, case.method, b"/", [])
        assert (response.status, response.body) == (case.status, case.body)
        if case.headers is not None:
            assert response.headers == list(case.headers)
        if case.reason is not None:
            assert response.reason == case.reason
        second = await client.request(server.origin, b"GET", b"/", [])
        assert second.body == b"ok"
    assert server.connections == (1 if case.reused else 2)


MALFORMED = {
    "content-length with transfer-encoding (smuggling)": (
        b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
        "malformed response",
    ),
    "two different content-lengths": (
        b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd",
        "malformed response",
    ),
    "a bad chunk size": (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        "malformed response",
    ),
    "a control character in a value": (
        b"HTTP/1.1 200 OK\r\nx: a\x01b\r\ncontent-length: 0\r\n\r\n",
        "malformed response",
    ),
    "a space in a header name": (
        b"HTTP/1.1 200 OK\r\nbad name: 1\r\ncontent-length: 0\r\n\r\n",
        "malformed response",
    ),
    "not HTTP at all": (b"SSH-2.0-OpenSSH_9.6\r\n", "malformed response"),
    "a protocol switch nobody asked for": (
        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n",
        "unexpected protocol switch",
    ),
    "endless trailers": (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nx-t: "
        + b"a" * 2 * MAX_HEAD_BYTES
        + b"\r\n\r\n",
        "head or trailers larger than",
    ),
    "a head larger than the limit": (
        # (the limit is checked per read, so it bites within one read of the limit)
        b"HTTP/1.1 200 OK\r\nx-big: "
        + b"a" * 2 * MAX_HEAD_BYTES
        + b"\r\ncontent-length: 0\r\n\r\n",
        "head or trailers larger than",
    ),
}


@pytest.mark.parametrize("name", list(MALFORMED))
async def test_malformed(nursery: trio.Nursery, name: str) -> None:
    reply, message = MALFORMED[name]
    server = await start(nursery, reply)
    assert server.origin is not None
    async with HTTPClient() as client:
        with pytest.raises(RemoteProtocolError, match=message):
            await client.request(server.origin, b"GET", b"/", [])
        stats = client.statistics().origins[server.origin]
        # The broken connection was closed, not pooled.
        assert (stats.idle, stats.in_use) == (0, 0)


async def test_parse_errors_keep_their_cause(nursery: trio.Nursery) -> None:
    server = await start(nursery, b"HTTP/1.1 200 OK\r\nbad name: 1\r\n\r\n")
    assert server.origin is not None
    async with HTTPClient() as client:
        with pytest.raises(RemoteProtocolError) as info:
            await client.request(server.origin, b"GET", b"/", [])
    assert isinstance(info.value.__cause__, httptools.HttpParserError)


async def test_many_small_chunks_are_not_mistaken_for_a_big_head(nursery: trio.Nursery) -> None:
    chunks = b"".join(b"1\r\nx\r\n" for _ in range(100_000))
    reply = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    server = await start(nursery, reply)
    assert server.origin is not None
    async with HTTPClient() as client:
        response = await client.request(server.origin, b"GET", b"/", [])
    assert response.body == b"x" * 100_000
