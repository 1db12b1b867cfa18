"""Opening connections: cached DNS, TCP connect to each address in turn, TLS handshake.

A socket is connected by hand (`trio.socket.socket` + `connect`) rather than with
`trio.open_tcp_stream`, which would resolve the name again in a thread and open a nursery per
connection. TCP_NODELAY is on, so small requests leave at once.

Error handling: DNS, connect and handshake failures become `ConnectError` (`ConnectTimeout` when
`connect_timeout` runs out); a half-opened socket is closed on every failure, cancellation included.
"""

from __future__ import annotations

import socket
import ssl

import attrs
import trio

from .connection import Connection, describe
from .dns import Address, Resolver
from .errors import ConnectError, ConnectTimeout
from .origin import Origin

__all__ = ["Connector"]


def _format_address(address: Address) -> str:
    family, sockaddr = address
    host, port = sockaddr[0], sockaddr[1]
    return f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"


async def _connect_any(addresses: list[Address]) -> tuple[trio.socket.SocketType, socket.socket]:
    """Connect to the first address that accepts, trying them in order (Go's serial dialer).

    Returns the trio socket and the stdlib socket it wraps (plain connections use the latter)."""
    failures: list[OSError] = []
    for address in addresses:
        family, sockaddr = address
        raw = socket.socket(family, socket.SOCK_STREAM)
        sock = trio.socket.from_stdlib_socket(raw)
        connected = False
        try:
            await sock.connect(sockaddr)
            # Small requests leave at once (trio.SocketStream would set this too).
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connected = True
        except OSError as exc:
            failures.append(exc)
        finally:
            if not connected:
                sock.close()
        if connected:
            return sock, raw
    message = f"dial tcp {_format_address(addresses[-1])}: connect: {describe(failures[-1])}"
    if len(failures) == 1:
        raise ConnectError(message) from failures[0]
    raise ConnectError(message) from ExceptionGroup(message, failures)


@attrs.define(eq=False)
class Connector:
    """Opens `Connection`s for the pool.

    Attributes:
        resolver: The DNS cache.
        ssl_context: Used for https origins; `None` means `ssl.create_default_context()`, built
            on first use (loading the CA bundle takes milliseconds).
        connect_timeout: Seconds for DNS + connect + handshake; `None` leaves deadlines to the
            caller's cancel scopes.
    """

    resolver: Resolver = attrs.field(factory=Resolver)
    ssl_context: ssl.SSLContext | None = None
    connect_timeout: float | None = None

    async def open(self, origin: Origin) -> Connection:
        """Open a new connection to `origin`.

        Raises:
            ConnectError: the name does not resolve, nobody accepts, or the TLS handshake fails.
            ConnectTimeout: `connect_timeout` expired first.
        """
        if self.connect_timeout is None:
            return await self._open(origin)
        with trio.move_on_after(self.connect_timeout):
            return await self._open(origin)
        raise ConnectTimeout(f"dial tcp {origin.host}:{origin.port}: i/o timeout")

    async def _open(self, origin: Origin) -> Connection:
        try:
            addresses = await self.resolver.resolve(origin.host, origin.port)
        except OSError as exc:
            raise ConnectError(f"dial tcp: lookup {origin.host}: {describe(exc)}") from exc
        sock, raw = await _connect_any(addresses)
        if origin.scheme == "http":
            return Connection(origin, None, sock, raw)
        stream = trio.SocketStream(sock)
        if self.ssl_context is None:
            self.ssl_context = ssl.create_default_context()
        # https_compatible: tolerate servers that close without close_notify, as browsers do;
        # HTTP/1.1 framing already tells a complete body from a truncated one.
        tls = trio.SSLStream(
            stream, self.ssl_context, server_hostname=origin.host, https_compatible=True
        )
        done = False
        try:
            await tls.do_handshake()
            done = True
        except trio.BrokenResourceError as exc:
            raise ConnectError(f"tls handshake with {origin.host}: {describe(exc)}") from exc
        finally:
            if not done:
                sock.close()
        return Connection(origin, tls, sock)
