"""Keep-alive pooling, limits, stale-connection retries and cancellation."""

from __future__ import annotations

import attrs
import pytest
import trio

from tests.transport.servers import Handler, Received, Reply, StartServer, ok
from trio_gateway.transport import HTTPClient, RemoteProtocolError


async def test_sequential_requests_share_one_connection(
    client: HTTPClient, serve: StartServer
) -> None:
    server = await serve()
    for i in range(5):
        response = await client.request(server.origin, b"GET", b"/%d" % i, [])
        assert response.status == 200
    stats = client.statistics()
    assert stats.connections_opened == 1
    assert (stats.origins[server.origin].idle, stats.origins[server.origin].in_use) == (1, 0)
    assert {request.connection for request in server.requests} == {0}
    assert server.accepted == 1


async def test_parallel_requests_then_idle_limit(serve: StartServer) -> None:
    arrived = 0
    all_arrived = trio.Event()

    async def handler(request: Received) -> Reply:
        # Hold every response until all 10 requests are in flight at once.
        nonlocal arrived
        arrived += 1
        if arrived == 10:
            all_arrived.set()
        await all_arrived.wait()
        return await ok(request)

    server = await serve(handler)
    async with HTTPClient(max_idle_per_host=3) as client:
        in_flight: list[int] = []

        async def call() -> None:
            await client.request(server.origin, b"GET", b"/", [])
            in_flight.append(client.statistics().origins[server.origin].in_use)

        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                for _ in range(10):
                    nursery.start_soon(call)
        stats = client.statistics()
        assert stats.connections_opened == 10  # no cap on connections in use
        assert stats.origins[server.origin].idle == 3
        assert stats.origins[server.origin].in_use == 0
        assert max(in_flight) >= 1
        # The 7 connections beyond the idle limit were closed, and the server saw them go.
        await server.wait_finished(7)
        # The kept ones are reused: no new connection for 3 more parallel requests.
        async with trio.open_nursery() as nursery:
            for _ in range(3):
                nursery.start_soon(client.request, server.origin, b"GET", b"/", [])
        assert client.statistics().connections_opened == 10


async def test_max_idle_total_evicts_the_oldest(serve: StartServer) -> None:
    first, second = await serve(), await serve()
    async with HTTPClient(max_idle_total=1) as client:
        await client.request(first.origin, b"GET", b"/", [])
        await client.request(second.origin, b"GET", b"/", [])
        stats = client.statistics()
        assert stats.origins[first.origin].idle == 0
        assert stats.origins[second.origin].idle == 1
        assert stats.idle == 1
        await first.wait_finished(1)


async def test_idle_timeout_discards_old_connections(serve: StartServer) -> None:
    server = await serve()
    # Generous margins: the first two requests must come well within the timeout even on a
    # loaded machine.
    async with HTTPClient(idle_timeout=0.25) as client:
        await client.request(server.origin, b"GET", b"/", [])
        await client.request(server.origin, b"GET", b"/", [])
        assert client.statistics().connections_opened == 1
        await trio.sleep(0.3)
        await client.request(server.origin, b"GET", b"/", [])
        assert client.statistics().connections_opened == 2
        await server.wait_finished(1)
        assert server.client_eof == 1


async def test_connection_close_response_is_not_pooled(
    client: HTTPClient, serve: StartServer
) -> None:
    async def handler(request: Received) -> Reply:
        return Reply(headers=[(b"connection", b"close")], body=b"bye")

    server = await serve(handler)
    assert (await client.request(server.origin, b"GET", b"/", [])).body == b"bye"
    assert client.statistics().origins[server.origin].idle == 0
    await client.request(server.origin, b"GET", b"/", [])
    assert client.statistics().connections_opened == 2


async def test_connection_close_request_is_not_pooled(
    client: HTTPClient, serve: StartServer
) -> None:
    server = await serve()
    await client.request(server.origin, b"GET", b"/", [(b"connection", b"close")])
    assert client.statistics().origins[server.origin].idle == 0


async def test_idle_connection_closed_by_server_is_skipped(
    client: HTTPClient, serve: StartServer
) -> None:
    async def handler(request: Received) -> Reply:
        # Keep-alive response, then the socket is closed (a server-side idle timeout).
        return Reply(body=b"once", close_after=True)

    server = await serve(handler)
    await client.request(server.origin, b"GET", b"/", [])
    await server.wait_finished(1)
    response = await client.request(server.origin, b"GET", b"/", [])
    assert response.body == b"once"
    stats = client.statistics()
    # The dead socket was noticed at checkout, before anything was written to it.
    assert (stats.connections_opened, stats.retries) == (2, 0)
    assert len(server.requests) == 2


def _close_on(*indexes: int) -> Handler:
    """A handler that reads requests number `indexes` and closes without answering."""
    count = 0

    async def handler(request: Received) -> Reply:
        nonlocal count
        count += 1
        if count in indexes:
            return Reply(raw=b"")
        return Reply(body=b"fine")

    return handler


@pytest.mark.parametrize(
    ("method", "headers"),
    [(b"GET", []), (b"DELETE", [(b"Idempotency-Key", b"k1")])],
)
async def test_stale_connection_is_retried_once(
    client: HTTPClient, serve: StartServer, method: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    # The server reads the second request and closes: the race in which a keep-alive socket dies
    # just as it is reused. No response byte arrived, so the request is sent again.
    server = await serve(_close_on(2))
    await client.request(server.origin, b"GET", b"/", [])
    response = await client.request(server.origin, method, b"/again", headers)
    assert response.body == b"fine"
    stats = client.statistics()
    assert (stats.connections_opened, stats.retries) == (2, 1)
    assert [r.target for r in server.requests] == [b"/", b"/again", b"/again"]
    assert stats.origins[server.origin].idle == 1


async def test_written_post_is_not_retried(client: HTTPClient, serve: StartServer) -> None:
    server = await serve(_close_on(2))
    await client.request(server.origin, b"GET", b"/", [])
    with pytest.raises(RemoteProtocolError, match="EOF"):
        await client.request(server.origin, b"POST", b"/order", [], b"{}")
    stats = client.statistics()
    assert (stats.connections_opened, stats.retries) == (1, 0)
    assert len(server.requests) == 2


async def test_retry_happens_only_once(client: HTTPClient, serve: StartServer) -> None:
    server = await serve(_close_on(2, 3))
    await client.request(server.origin, b"GET", b"/", [])
    with pytest.raises(RemoteProtocolError, match="EOF"):
        await client.request(server.origin, b"GET", b"/", [])
    stats = client.statistics()
    assert (stats.connections_opened, stats.retries) == (2, 1)


async def test_fresh_connection_failure_is_not_retried(
    client: HTTPClient, serve: StartServer
) -> None:
    server = await serve(_close_on(1))
    with pytest.raises(RemoteProtocolError, match="EOF") as info:
        await client.request(server.origin, b"GET", b"/first", [])
    assert str(info.value).startswith(f'Get "{server.origin.base_url}/first": EOF')
    stats = client.statistics()
    assert (stats.connections_opened, stats.retries) == (1, 0)


async def test_no_retry_after_partial_response(client: HTTPClient, serve: StartServer) -> None:
    count = 0

    async def handler(request: Received) -> Reply:
        nonlocal count
        count += 1
        if count == 2:
            return Reply(raw=b"HTTP/1.1 200 OK\r\ncontent-le")
        return await ok(request)

    server = await serve(handler)
    await client.request(server.origin, b"GET", b"/", [])
    with pytest.raises(RemoteProtocolError):
        await client.request(server.origin, b"GET", b"/", [])
    stats = client.statistics()
    assert (stats.connections_opened, stats.retries) == (1, 0)
    assert len(server.requests) == 2
    assert (stats.origins[server.origin].idle, stats.origins[server.origin].in_use) == (0, 0)


@pytest.mark.parametrize("stage", ["head", "body"])
async def test_cancelled_request_closes_its_connection(
    client: HTTPClient, serve: StartServer, stage: str
) -> None:
    release = trio.Event()

    async def wait_before_chunk(index: int) -> None:
        await release.wait()

    async def handler(request: Received) -> Reply:
        if request.target == b"/slow" and stage == "head":
            await release.wait()
        if request.target == b"/slow":
            return Reply(chunks=(b"late",), before_chunk=wait_before_chunk)
        return await ok(request)

    server = await serve(handler)
    await client.request(server.origin, b"GET", b"/", [])  # a pooled connection to reuse
    with trio.move_on_after(0.05) as scope:
        await client.request(server.origin, b"GET", b"/slow", [])
    assert scope.cancelled_caught
    stats = client.statistics().origins[server.origin]
    assert (stats.idle, stats.in_use) == (0, 0)
    # The server sees the client hang up: the socket really was closed, not leaked.
    release.set()
    await server.wait_finished(1)
    response = await client.request(server.origin, b"GET", b"/", [])
    assert response.status == 200
    assert client.statistics().connections_opened == 2
    assert client.statistics().origins[server.origin].idle == 1


async def test_in_use_is_counted(client: HTTPClient, serve: StartServer) -> None:
    arrived, release = trio.Event(), trio.Event()
    seen: list[int] = []

    async def handler(request: Received) -> Reply:
        seen.append(client.statistics().origins[server.origin].in_use)
        arrived.set()
        await release.wait()
        return await ok(request)

    server = await serve(handler)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(client.request, server.origin, b"GET", b"/", [])
        with trio.fail_after(2):
            await arrived.wait()
        release.set()
    assert seen == [1]
    assert client.statistics().origins[server.origin].in_use == 0


async def test_aclose_closes_idle_connections(serve: StartServer) -> None:
    server = await serve()
    client = HTTPClient()
    await client.request(server.origin, b"GET", b"/", [])
    await client.aclose()
    await server.wait_finished(1)
    assert server.client_eof == 1
    assert client.statistics().idle == 0
    with pytest.raises(RuntimeError, match="closed"):
        await client.request(server.origin, b"GET", b"/", [])


async def test_statistics_is_a_snapshot(client: HTTPClient, serve: StartServer) -> None:
    server = await serve()
    before = client.statistics()
    await client.request(server.origin, b"GET", b"/", [])
    after = client.statistics()
    assert (before.origins, before.connections_opened) == ({}, 0)
    assert list(after.origins) == [server.origin]
    assert after.connections_opened == 1
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        after.retries = 5  # type: ignore[misc]
