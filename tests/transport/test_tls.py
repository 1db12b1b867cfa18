"""https against a local server with a trustme certificate authority."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest
import trio
import trustme

from tests.transport.servers import Received, Reply, StartServer
from trio_gateway.transport import ConnectError, HTTPClient, Origin


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_https_request_and_keep_alive(
    serve: StartServer,
    server_context: ssl.SSLContext,
    client_context: ssl.SSLContext,
    host: str,
) -> None:
    server = await serve(ssl_context=server_context)
    origin = Origin.parse(f"https://{host}:{server.origin.port}")
    async with HTTPClient(ssl_context=client_context) as client:
        for _ in range(3):
            response = await client.request(origin, b"GET", b"/secure", [])
            assert response.body == b'{"ok":true}'
        assert response.url == f"https://{host}:{server.origin.port}/secure"
        assert client.statistics().connections_opened == 1
    assert server.requests[0].header(b"host") == f"{host}:{server.origin.port}".encode()


async def test_untrusted_certificate_is_a_connect_error(
    serve: StartServer, server_context: ssl.SSLContext
) -> None:
    server = await serve(ssl_context=server_context)
    origin = Origin("https", "127.0.0.1", server.origin.port)
    # The default context trusts the system CAs, not our test CA.
    async with HTTPClient() as client:
        with pytest.raises(ConnectError, match="certificate verify failed") as info:
            await client.request(origin, b"GET", b"/", [])
        assert isinstance(info.value.__cause__, Exception)
        assert client.statistics().connections_opened == 0
    assert server.requests == []


async def test_tls_read_until_close(
    serve: StartServer, server_context: ssl.SSLContext, client_context: ssl.SSLContext
) -> None:
    async def handler(request: Received) -> Reply:
        # The server closes without close_notify: fine, the response framing says EOF ends it.
        return Reply(raw=b"HTTP/1.1 200 OK\r\n\r\nstreamed until close")

    server = await serve(handler, ssl_context=server_context)
    async with HTTPClient(ssl_context=client_context) as client:
        origin = Origin("https", "127.0.0.1", server.origin.port)
        response = await client.request(origin, b"GET", b"/", [])
    assert response.body == b"streamed until close"


async def test_bytes_already_inside_tls_keep_a_connection_out_of_the_pool(
    server_context: ssl.SSLContext, client_context: ssl.SSLContext
) -> None:
    """A second, unsolicited response sent with the first sits inside the TLS layer, where
    `poll()` on the socket cannot see it: the connection must not serve the next request."""
    first = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nfirst"
    stale = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nSTALE"
    fresh = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nfresh"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    served: list[int] = []

    def handle(raw: socket.socket) -> None:
        with server_context.wrap_socket(raw, server_side=True) as tls:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = tls.recv(65536)
                    if not data:
                        return
                    buffer += data
                _, _, buffer = buffer.partition(b"\r\n\r\n")
                served.append(1)
                if len(served) == 1:
                    # Two TLS records handed to the kernel together.
                    tls.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
                    tls.sendall(first)
                    tls.sendall(stale)
                    tls.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
                else:
                    tls.sendall(fresh)

    def accept_loop() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(raw,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    origin = Origin("https", "127.0.0.1", listener.getsockname()[1])
    try:
        async with HTTPClient(ssl_context=client_context) as client:
            assert (await client.request(origin, b"GET", b"/1", [])).body == b"first"
            await trio.sleep(0.2)  # the stale record is surely in by now
            assert (await client.request(origin, b"GET", b"/2", [])).body == b"fresh"
            assert client.statistics().connections_opened == 2
    finally:
        listener.close()
