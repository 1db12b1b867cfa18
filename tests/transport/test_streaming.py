"""`HTTPClient.stream()`: bodies that arrive piece by piece, and what happens to the connection."""

from __future__ import annotations

import socket

import pytest
import trio

from tests.transport.servers import Received, Reply, StartServer
from trio_gateway.transport import HTTPClient, Origin, RemoteProtocolError
from trio_gateway.transport.connection import Connection
from trio_gateway.transport.request import build_request


async def test_chunks_arrive_as_they_are_sent(client: HTTPClient, serve: StartServer) -> None:
    received = [trio.Event() for _ in range(3)]

    async def before_chunk(index: int) -> None:
        # Chunk i is sent only once the client has seen chunk i-1: a client that buffered the
        # body would deadlock here (and fail_after would fire).
        if index:
            await received[index - 1].wait()

    async def handler(request: Received) -> Reply:
        return Reply(chunks=(b"one", b"two", b"three"), before_chunk=before_chunk)

    server = await serve(handler)
    chunks = []
    with trio.fail_after(2):
        async with client.stream(server.origin, b"GET", b"/big", []) as response:
            assert (response.status, response.reason) == (200, b"OK")
            assert response.header(b"transfer-encoding") == b"chunked"
            assert response.url == f"{server.origin.base_url}/big"
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                received[len(chunks) - 1].set()
            assert response.is_complete
    assert chunks == [b"one", b"two", b"three"]


async def test_fully_read_stream_returns_its_connection(
    client: HTTPClient, serve: StartServer
) -> None:
    async def handler(request: Received) -> Reply:
        return Reply(chunks=(b"a", b"b"))

    server = await serve(handler)
    for _ in range(2):
        async with client.stream(server.origin, b"GET", b"/", []) as response:
            assert await response.aread() == b"ab"
            # Back in the pool as soon as the last byte was read, before the context exits.
            assert client.statistics().origins[server.origin].idle == 1
    assert client.statistics().connections_opened == 1


async def test_early_exit_closes_the_connection(client: HTTPClient, serve: StartServer) -> None:
    release = trio.Event()

    async def before_chunk(index: int) -> None:
        if index:
            await release.wait()

    async def handler(request: Received) -> Reply:
        return Reply(chunks=(b"first", b"second"), before_chunk=before_chunk)

    server = await serve(handler)
    async with client.stream(server.origin, b"GET", b"/", []) as response:
        async for chunk in response:
            assert chunk == b"first"
            break
    stats = client.statistics().origins[server.origin]
    assert (stats.idle, stats.in_use) == (0, 0)
    release.set()
    await server.wait_finished(1)
    with pytest.raises(RuntimeError, match="closed before its body was read"):
        await response.__anext__()


async def test_error_inside_the_context_closes_the_connection(
    client: HTTPClient, serve: StartServer
) -> None:
    async def handler(request: Received) -> Reply:
        return Reply(body=b"x" * 100_000)

    server = await serve(handler)
    with pytest.raises(KeyError):
        async with client.stream(server.origin, b"GET", b"/", []):
            raise KeyError("consumer bug")
    stats = client.statistics().origins[server.origin]
    assert (stats.idle, stats.in_use) == (0, 0)
    await server.wait_finished(1)


async def test_cancelled_stream_closes_the_connection(
    client: HTTPClient, serve: StartServer
) -> None:
    async def before_chunk(index: int) -> None:
        if index:
            await trio.sleep_forever()

    async def handler(request: Received) -> Reply:
        return Reply(chunks=(b"first", b"never"), before_chunk=before_chunk)

    server = await serve(handler)
    with trio.move_on_after(0.05) as scope:
        async with client.stream(server.origin, b"GET", b"/", []) as response:
            await response.aread()
    assert scope.cancelled_caught
    stats = client.statistics().origins[server.origin]
    assert (stats.idle, stats.in_use) == (0, 0)


async def test_exact_content_length_read_keeps_the_connection(
    client: HTTPClient, serve: StartServer
) -> None:
    async def handler(request: Received) -> Reply:
        return Reply(body=b"0123456789")

    server = await serve(handler)
    async with client.stream(server.origin, b"GET", b"/", []) as response:
        assert await response.__anext__() == b"0123456789"
        # The reader stops without asking for more; the end of the body is already known.
    assert client.statistics().origins[server.origin].idle == 1
    await client.request(server.origin, b"GET", b"/", [])
    assert client.statistics().connections_opened == 1


async def test_stream_follows_redirects(client: HTTPClient, serve: StartServer) -> None:
    async def handler(request: Received) -> Reply:
        if request.target == b"/old":
            return Reply(status=308, headers=[(b"location", b"/new")], body=b"moved")
        return Reply(body=b"new body")

    server = await serve(handler)
    async with client.stream(server.origin, b"GET", b"/old", []) as response:
        assert response.status == 200
        assert response.url == f"{server.origin.base_url}/new"
        assert await response.aread() == b"new body"
    assert client.statistics().connections_opened == 1


async def test_stream_errors_name_the_url(client: HTTPClient, serve: StartServer) -> None:
    async def handler(request: Received) -> Reply:
        return Reply(raw=b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc")

    server = await serve(handler)
    expected = r'Get "http://127\.0\.0\.1:[0-9]+/s": unexpected EOF'
    with pytest.raises(RemoteProtocolError, match=expected):
        async with client.stream(server.origin, b"GET", b"/s", []) as response:
            await response.aread()
    assert client.statistics().origins[server.origin].in_use == 0


async def test_at_end_detects_the_end_without_io(client: HTTPClient, serve: StartServer) -> None:
    release = trio.Event()

    async def before_chunk(index: int) -> None:
        if index:
            await release.wait()

    async def sized(request: Received) -> Reply:
        return Reply(body=b"0123456789")

    async def chunked(request: Received) -> Reply:
        return Reply(chunks=(b"a", b"b"), before_chunk=before_chunk)

    server = await serve(sized)
    async with client.stream(server.origin, b"GET", b"/", []) as response:
        assert await response.__anext__() == b"0123456789"
        assert response.at_end() and response.is_complete
        assert client.statistics().origins[server.origin].idle == 1  # released at once

    server = await serve(chunked)
    async with client.stream(server.origin, b"GET", b"/", []) as response:
        assert await response.__anext__() == b"a"
        assert not response.at_end()  # more is coming: nothing was consumed
        release.set()
        assert await response.aread() == b"b"
        assert response.at_end()


async def test_reading_a_body_that_is_already_there_still_yields() -> None:
    """A fast backend keeps the next bytes always waiting; every read must still be a
    checkpoint, or a large body from such a backend holds the event loop and every deadline."""
    ours, theirs = socket.socketpair()
    body = b"x" * (150 * 1024)  # more than one 64 KiB read, less than the socket's buffer
    theirs.setblocking(False)
    response = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body
    assert theirs.send(response) == len(response)  # all of it waits in the kernel
    connection = Connection(
        Origin("http", "127.0.0.1", 80), None, trio.socket.from_stdlib_socket(ours), ours
    )
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await trio.lowlevel.checkpoint()
            ticks += 1

    async with trio.open_nursery() as nursery:
        nursery.start_soon(ticker)
        await connection.send_request(build_request(connection.origin, b"GET", b"/", [], b""), b"")
        await connection.receive_head()
        chunks = [await connection.next_chunk()]
        before = ticks
        while chunk := await connection.next_chunk():
            chunks.append(chunk)
        assert b"".join(chunks) == body and len(chunks) > 1
        assert ticks > before  # the other task ran between the reads
        nursery.cancel_scope.cancel()
    connection.close()
    theirs.close()
