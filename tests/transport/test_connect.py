"""Opening connections: refusals, timeouts, TCP_NODELAY and the DNS cache."""

from __future__ import annotations

import socket

import pytest
import trio

from tests.transport.servers import StartServer
from trio_gateway.transport import ConnectError, ConnectTimeout, HTTPClient, Origin, dns
from trio_gateway.transport.connect import Connector
from trio_gateway.transport.dns import Address, Resolver


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every name that goes to getaddrinfo."""
    calls: list[str] = []
    real = dns.lookup

    async def counting(host: str, port: int) -> list[Address]:
        calls.append(host)
        return await real(host, port)

    monkeypatch.setattr(dns, "lookup", counting)
    return calls


async def test_connection_refused(client: HTTPClient) -> None:
    port = closed_port()
    with pytest.raises(ConnectError, match="connection refused") as info:
        await client.request(Origin("http", "127.0.0.1", port), b"GET", b"/x", [])
    assert str(info.value) == (
        f'Get "http://127.0.0.1:{port}/x": dial tcp 127.0.0.1:{port}: connect: connection refused'
    )
    assert isinstance(info.value.__cause__, ConnectionRefusedError)
    assert client.statistics().connections_opened == 0


async def test_sockets_have_tcp_nodelay(serve: StartServer) -> None:
    server = await serve()
    conn = await Connector().open(server.origin)
    try:
        assert conn.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        conn.close()


async def test_next_address_is_tried(serve: StartServer, monkeypatch: pytest.MonkeyPatch) -> None:
    server = await serve()
    refused = closed_port()

    async def two_addresses(host: str, port: int) -> list[Address]:
        return [(socket.AF_INET, ("127.0.0.1", refused)), (socket.AF_INET, ("127.0.0.1", port))]

    monkeypatch.setattr(dns, "lookup", two_addresses)
    async with HTTPClient() as client:
        origin = Origin("http", "backend.test", server.origin.port)
        assert (await client.request(origin, b"GET", b"/", [])).status == 200
    assert server.requests[0].header(b"host") == b"backend.test:%d" % server.origin.port


async def test_all_addresses_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    ports = [closed_port(), closed_port()]

    async def two_addresses(host: str, port: int) -> list[Address]:
        return [(socket.AF_INET, ("127.0.0.1", p)) for p in ports]

    monkeypatch.setattr(dns, "lookup", two_addresses)
    async with HTTPClient() as client:
        with pytest.raises(ConnectError, match=f"127.0.0.1:{ports[1]}") as info:
            await client.request(Origin("http", "backend.test", 80), b"GET", b"/", [])
    assert isinstance(info.value.__cause__, ExceptionGroup)
    assert len(info.value.__cause__.exceptions) == 2


async def test_host_names_are_resolved_once(serve: StartServer, lookups: list[str]) -> None:
    server = await serve()
    origin = Origin.parse(f"http://localhost:{server.origin.port}")
    # No idle connections are kept, so every request opens a new connection.
    async with HTTPClient(max_idle_per_host=0) as client:
        for _ in range(3):
            assert (await client.request(origin, b"GET", b"/", [])).status == 200
        stats = client.statistics()
    assert lookups == ["localhost"]
    assert (stats.dns_lookups, stats.connections_opened) == (1, 3)


async def test_ip_literals_are_never_looked_up(serve: StartServer, lookups: list[str]) -> None:
    server = await serve()
    async with HTTPClient(max_idle_per_host=0) as client:
        await client.request(server.origin, b"GET", b"/", [])
        await client.request(server.origin, b"GET", b"/", [])
        assert client.statistics().dns_lookups == 0
    assert lookups == []


async def test_concurrent_lookups_share_one(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0

    async def slow(host: str, port: int) -> list[Address]:
        nonlocal calls
        calls += 1
        await trio.sleep(0.01)
        return [(socket.AF_INET, ("127.0.0.1", port))]

    monkeypatch.setattr(dns, "lookup", slow)
    resolver = Resolver()
    results: list[list[Address]] = []

    async def resolve() -> None:
        results.append(await resolver.resolve("backend.test", 80))

    async with trio.open_nursery() as nursery:
        for _ in range(5):
            nursery.start_soon(resolve)
    assert calls == 1
    assert results == [[(socket.AF_INET, ("127.0.0.1", 80))]] * 5


async def test_answers_expire_after_ttl(
    monkeypatch: pytest.MonkeyPatch, autojump_clock: trio.testing.MockClock
) -> None:
    calls = 0

    async def fake(host: str, port: int) -> list[Address]:
        nonlocal calls
        calls += 1
        return [(socket.AF_INET, (f"10.0.0.{calls}", port))]

    monkeypatch.setattr(dns, "lookup", fake)
    resolver = Resolver(ttl=60)
    assert await resolver.resolve("a.test", 80) == [(socket.AF_INET, ("10.0.0.1", 80))]
    await trio.sleep(59)
    assert await resolver.resolve("a.test", 80) == [(socket.AF_INET, ("10.0.0.1", 80))]
    await trio.sleep(2)
    assert await resolver.resolve("a.test", 80) == [(socket.AF_INET, ("10.0.0.2", 80))]
    assert (calls, resolver.lookups) == (2, 2)


async def test_lookup_failure_is_a_connect_error(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0

    async def failing(host: str, port: int) -> list[Address]:
        nonlocal calls
        calls += 1
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(dns, "lookup", failing)
    async with HTTPClient() as client:
        origin = Origin("http", "nowhere.test", 80)
        for _ in range(2):
            with pytest.raises(
                ConnectError, match=r"lookup nowhere\.test: name or service not known"
            ):
                await client.request(origin, b"GET", b"/", [])
    assert calls == 2  # failures are not cached


async def test_connect_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    async def hanging(host: str, port: int) -> list[Address]:
        await trio.sleep_forever()
        raise AssertionError("unreachable")

    monkeypatch.setattr(dns, "lookup", hanging)
    async with HTTPClient(connect_timeout=0.02) as client:
        with pytest.raises(ConnectTimeout, match="i/o timeout"):
            await client.request(Origin("http", "slow.test", 80), b"GET", b"/", [])


async def test_caller_scope_cancels_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    async def hanging(host: str, port: int) -> list[Address]:
        await trio.sleep_forever()
        raise AssertionError("unreachable")

    monkeypatch.setattr(dns, "lookup", hanging)
    async with HTTPClient() as client:
        with trio.move_on_after(0.02) as scope:
            await client.request(Origin("http", "slow.test", 80), b"GET", b"/", [])
        # Cancelled propagated untouched: no ConnectError stood in for it.
        assert scope.cancelled_caught
        assert client.statistics().connections_opened == 0
