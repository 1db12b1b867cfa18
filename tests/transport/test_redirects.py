"""Redirects, with Go's http.Client semantics."""

from __future__ import annotations

import pytest

from tests.transport.servers import Handler, Received, Reply, StartServer
from trio_gateway.transport import (
    HTTPClient,
    Origin,
    RemoteProtocolError,
    TooManyRedirects,
)


def redirecting(status: int, location: bytes, *, body: bytes = b"") -> Handler:
    """Redirect /start to `location`; answer everything else with its own target."""

    async def handler(request: Received) -> Reply:
        if request.target == b"/start":
            return Reply(status=status, headers=[(b"location", location)], body=body)
        return Reply(body=request.method + b" " + request.target)

    return handler


@pytest.mark.parametrize("status", [301, 302, 303])
async def test_post_becomes_get_without_body(
    client: HTTPClient, serve: StartServer, status: int
) -> None:
    server = await serve(redirecting(status, b"/next", body=b"moved"))
    headers = [(b"content-type", b"application/json"), (b"x-keep", b"1")]
    response = await client.request(server.origin, b"POST", b"/start", headers, b'{"a":1}')
    assert response.body == b"GET /next"
    assert response.url == f"{server.origin.base_url}/next"
    first, second = server.requests
    assert (first.method, first.body) == (b"POST", b'{"a":1}')
    assert (second.method, second.body) == (b"GET", b"")
    assert second.header(b"content-length") is None
    assert second.header(b"content-type") is None
    assert second.header(b"x-keep") == b"1"
    # The redirect body was drained, so one connection served both requests.
    assert client.statistics().connections_opened == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_head_stays_head(client: HTTPClient, serve: StartServer, status: int) -> None:
    server = await serve(redirecting(status, b"/next"))
    response = await client.request(server.origin, b"HEAD", b"/start", [])
    assert response.status == 200
    assert [r.method for r in server.requests] == [b"HEAD", b"HEAD"]


@pytest.mark.parametrize("status", [307, 308])
async def test_method_and_body_are_kept(
    client: HTTPClient, serve: StartServer, status: int
) -> None:
    server = await serve(redirecting(status, b"/next"))
    response = await client.request(server.origin, b"PUT", b"/start", [], b"payload")
    assert response.body == b"PUT /next"
    second = server.requests[1]
    assert (second.body, second.header(b"content-length")) == (b"payload", b"7")


async def test_referer_is_the_previous_url(client: HTTPClient, serve: StartServer) -> None:
    server = await serve(redirecting(302, b"/next"))
    await client.request(server.origin, b"GET", b"/start", [])
    assert server.requests[0].header(b"referer") is None
    assert server.requests[1].header(b"referer") == f"{server.origin.base_url}/start".encode()


async def test_explicit_referer_is_kept(client: HTTPClient, serve: StartServer) -> None:
    server = await serve(redirecting(302, b"/next"))
    await client.request(server.origin, b"GET", b"/start", [(b"Referer", b"https://app/")])
    assert [value for name, value in server.requests[1].headers if name == b"referer"] == [
        b"https://app/"
    ]


@pytest.mark.parametrize(
    ("location", "target"),
    [
        (b"/abs/path?q=1", b"/abs/path?q=1"),
        (b"sibling", b"/dir/sibling"),
        (b"../up", b"/up"),
        (b"?only=query", b"/dir/start?only=query"),
        (b"/with space#fragment", b"/with%20space"),
        ("/caf\u00e9".encode(), b"/caf%C3%A9"),
    ],
)
async def test_relative_locations(
    client: HTTPClient, serve: StartServer, location: bytes, target: bytes
) -> None:
    async def handler(request: Received) -> Reply:
        if request.target == b"/dir/start":
            return Reply(status=302, headers=[(b"location", location)])
        return Reply(body=request.target)

    server = await serve(handler)
    response = await client.request(server.origin, b"GET", b"/dir/start", [])
    assert response.body == target
    assert response.url == server.origin.base_url + target.decode()


async def test_too_many_redirects(serve: StartServer) -> None:
    async def handler(request: Received) -> Reply:
        hop = int(request.target.strip(b"/"))
        return Reply(status=302, headers=[(b"location", b"/%d" % (hop + 1))])

    server = await serve(handler)
    async with HTTPClient(max_redirects=3) as client:
        with pytest.raises(TooManyRedirects, match="stopped after 3 redirects") as info:
            await client.request(server.origin, b"GET", b"/0", [])
        assert [r.target for r in server.requests] == [b"/0", b"/1", b"/2", b"/3"]
        assert str(info.value) == f'Get "{server.origin.base_url}/3": stopped after 3 redirects'
        # Nothing leaked: the last redirect's connection was closed, the others pooled.
        stats = client.statistics().origins[server.origin]
        assert stats.in_use == 0


async def test_zero_max_redirects_refuses_the_first(serve: StartServer) -> None:
    server = await serve(redirecting(301, b"/next"))
    async with HTTPClient(max_redirects=0) as client:
        with pytest.raises(TooManyRedirects):
            await client.request(server.origin, b"GET", b"/start", [])
    assert len(server.requests) == 1


async def test_follow_redirects_off(client: HTTPClient, serve: StartServer) -> None:
    server = await serve(redirecting(302, b"/next", body=b"see /next"))
    response = await client.request(server.origin, b"GET", b"/start", [], follow_redirects=False)
    assert (response.status, response.header(b"location"), response.body) == (
        302,
        b"/next",
        b"see /next",
    )
    assert len(server.requests) == 1


async def test_redirect_without_location_is_returned(
    client: HTTPClient, serve: StartServer
) -> None:
    async def handler(request: Received) -> Reply:
        return Reply(status=301, body=b"nowhere")

    server = await serve(handler)
    response = await client.request(server.origin, b"GET", b"/", [])
    assert (response.status, response.body) == (301, b"nowhere")


async def test_cross_origin_redirect(client: HTTPClient, serve: StartServer) -> None:
    target = await serve()
    source = await serve(redirecting(307, f"{target.origin.base_url}/landing".encode()))
    headers = [(b"authorization", b"Bearer t")]
    response = await client.request(source.origin, b"POST", b"/start", headers, b"x")
    assert response.url == f"{target.origin.base_url}/landing"
    [landed] = target.requests
    assert landed.header(b"host") == target.origin.host_header
    assert (landed.method, landed.body) == (b"POST", b"x")
    # Same host name, other port: Go keeps credentials.
    assert landed.header(b"authorization") == b"Bearer t"
    stats = client.statistics().origins
    assert (stats[source.origin].idle, stats[target.origin].idle) == (1, 1)


async def test_credentials_do_not_follow_to_another_host(
    client: HTTPClient, serve: StartServer
) -> None:
    target = await serve()
    source = await serve(redirecting(302, b"http://localhost:%d/x" % target.origin.port))
    headers = [(b"Authorization", b"Bearer t"), (b"Cookie", b"s=1"), (b"x-other", b"kept")]
    response = await client.request(source.origin, b"GET", b"/start", headers)
    assert response.url == f"http://localhost:{target.origin.port}/x"
    [landed] = target.requests
    assert landed.header(b"host") == b"localhost:%d" % target.origin.port
    assert landed.header(b"authorization") is None
    assert landed.header(b"cookie") is None
    assert landed.header(b"x-other") == b"kept"
    assert Origin("http", "localhost", target.origin.port) in client.statistics().origins


@pytest.mark.parametrize(
    "location", [b"ftp://example.com/file", b"http://[::1/x", b"http://host:99999/"]
)
async def test_unusable_location(client: HTTPClient, serve: StartServer, location: bytes) -> None:
    server = await serve(redirecting(302, location))
    with pytest.raises(RemoteProtocolError, match="Location") as info:
        await client.request(server.origin, b"GET", b"/start", [])
    assert info.value.url == f"{server.origin.base_url}/start"
    assert client.statistics().origins[server.origin].in_use == 0
