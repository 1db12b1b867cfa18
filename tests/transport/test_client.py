"""Requests and responses: heads, bodies, framing, limits and error translation."""

from __future__ import annotations

import httptools
import pytest

from tests.transport.servers import Received, Reply, StartServer
from trio_gateway.transport import (
    HTTPClient,
    RemoteProtocolError,
    ResponseTooLarge,
    TransportError,
)


async def test_get(client: HTTPClient, serve: StartServer) -> None:
    server = await serve()
    response = await client.request(server.origin, b"GET", b"/users/1?full=true", [(b"x-a", b"1")])
    assert (response.status, response.reason) == (200, b"OK")
    assert response.body == b'{"ok":true}'
    assert response.header(b"Content-Type") == b"application/json"
    assert response.url == f"http://127.0.0.1:{server.origin.port}/users/1?full=true"
    [received] = server.requests
    assert (received.method, received.target) == (b"GET", b"/users/1?full=true")
    # Host comes first and from the origin; nothing the caller did not ask for is added.
    assert received.headers == [
        (b"host", b"127.0.0.1:%d" % server.origin.port),
        (b"x-a", b"1"),
    ]


async def test_post_sends_body_with_content_length(client: HTTPClient, serve: StartServer) -> None:
    server = await serve()
    await client.request(server.origin, b"POST", b"/items", [], b'{"a":1}')
    await client.request(server.origin, b"POST", b"/empty", [])
    await client.request(server.origin, b"DELETE", b"/items/1", [], b"x")
    full, empty, delete = server.requests
    assert full.body == b'{"a":1}'
    assert full.header(b"content-length") == b"7"
    assert full.header(b"transfer-encoding") is None
    assert empty.header(b"content-length") == b"0"
    assert delete.header(b"content-length") == b"1"


async def test_caller_headers_cannot_break_framing(client: HTTPClient, serve: StartServer) -> None:
    server = await serve()
    headers = [
        (b"Host", b"evil.example"),
        (b"Transfer-Encoding", b"chunked"),
        (b"Content-Length", b"3"),
    ]
    await client.request(server.origin, b"PUT", b"/", headers, b"abc")
    [received] = server.requests
    assert received.header_names() == [b"host", b"content-length"]
    assert received.header(b"host") == server.origin.host_header
    assert received.body == b"abc"


async def test_invalid_request_raises_value_error(client: HTTPClient, serve: StartServer) -> None:
    server = await serve()
    with pytest.raises(ValueError, match="does not match"):
        await client.request(server.origin, b"POST", b"/", [(b"content-length", b"9")], b"abc")
    with pytest.raises(ValueError, match="invalid request"):
        await client.request(server.origin, b"GET", b"/", [(b"x-bad", b"a\r\nb")])
    assert server.requests == []
    assert client.statistics().connections_opened == 0


async def test_duplicate_response_headers_are_kept(client: HTTPClient, serve: StartServer) -> None:
    async def handler(request: Received) -> Reply:
        return Reply(headers=[(b"Set-Cookie", b"a=1"), (b"X-Other", b"x"), (b"Set-Cookie", b"b=2")])

    server = await serve(handler)
    response = await client.request(server.origin, b"GET", b"/", [])
    assert response.headers[:3] == [
        (b"set-cookie", b"a=1"),
        (b"x-other", b"x"),
        (b"set-cookie", b"b=2"),
    ]
    assert response.header(b"SET-COOKIE") == b"a=1"
    assert response.header(b"missing") is None


async def test_head_response_has_no_body(client: HTTPClient, serve: StartServer) -> None:
    async def handler(request: Received) -> Reply:
        body = b"" if request.method == b"HEAD" else b"hello"
        return Reply(headers=[(b"content-length", b"5")], body=body)

    server = await serve(handler)
    response = await client.request(server.origin, b"HEAD", b"/", [])
    assert response.header(b"content-length") == b"5"
    assert response.body == b""
    # The next request on the same connection works: no body bytes were expected.
    assert (await client.request(server.origin, b"GET", b"/", [])).status == 200
    assert client.statistics().connections_opened == 1


async def test_chunked_response(client: HTTPClient, serve: StartServer) -> None:
    async def handler(request: Received) -> Reply:
        return Reply(chunks=(b"hello ", b"chunked ", b"world"))

    server = await serve(handler)
    response = await client.request(server.origin, b"GET", b"/", [])
    assert response.header(b"transfer-encoding") == b"chunked"
    assert response.body == b"hello chunked world"
    await client.request(server.origin, b"GET", b"/", [])
    assert client.statistics().connections_opened == 1


async def test_read_until_close_response(client: HTTPClient, serve: StartServer) -> None:
    async def handler(request: Received) -> Reply:
        return Reply(raw=b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end")

    server = await serve(handler)
    response = await client.request(server.origin, b"GET", b"/", [])
    assert response.body == b"until the end"
    stats = client.statistics().origins[server.origin]
    assert (stats.idle, stats.in_use) == (0, 0)


async def test_informational_responses_are_skipped(client: HTTPClient, serve: StartServer) -> None:
    async def handler(request: Received) -> Reply:
        return Reply(
            raw=b"HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
        )

    server = await serve(handler)
    response = await client.request(server.origin, b"GET", b"/", [])
    assert (response.status, response.body) == (204, b"")


@pytest.mark.parametrize("chunked", [False, True])
async def test_max_response_bytes(serve: StartServer, chunked: bool) -> None:
    async def handler(request: Received) -> Reply:
        size = int(request.target.strip(b"/"))
        if chunked:
            return Reply(chunks=(b"x" * (size - 3), b"xxx"))
        return Reply(body=b"x" * size)

    server = await serve(handler)
    async with HTTPClient(max_response_bytes=100) as client:
        assert len((await client.request(server.origin, b"GET", b"/100", [])).body) == 100
        with pytest.raises(ResponseTooLarge, match="exceeds 100 bytes") as info:
            await client.request(server.origin, b"GET", b"/101", [])
        assert info.value.url.endswith("/101")
        stats = client.statistics().origins[server.origin]
        # The connection with the unread rest of the body was closed, not pooled.
        assert (stats.idle, stats.in_use) == (0, 0)


async def test_malformed_response(client: HTTPClient, serve: StartServer) -> None:
    async def handler(request: Received) -> Reply:
        return Reply(raw=b"HTTP/1.1 two hundred\r\n\r\n")

    server = await serve(handler)
    with pytest.raises(RemoteProtocolError, match="malformed response") as info:
        await client.request(server.origin, b"GET", b"/x", [])
    assert isinstance(info.value.__cause__, httptools.HttpParserError)
    assert str(info.value).startswith(f'Get "http://127.0.0.1:{server.origin.port}/x": ')


async def test_truncated_body_is_an_error(client: HTTPClient, serve: StartServer) -> None:
    async def handler(request: Received) -> Reply:
        return Reply(raw=b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf")

    server = await serve(handler)
    with pytest.raises(RemoteProtocolError) as info:
        await client.request(server.origin, b"POST", b"/", [])
    assert str(info.value).startswith("Post ")
    assert client.statistics().origins[server.origin].in_use == 0


async def test_error_messages_read_like_go() -> None:
    error = TransportError("EOF", method="GET", url="http://h/x")
    assert str(error) == 'Get "http://h/x": EOF'
    assert str(TransportError("bare")) == "bare"
