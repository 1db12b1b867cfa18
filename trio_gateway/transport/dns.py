"""Resolving backend host names, with a per-host cache.

trio resolves names with `getaddrinfo` in a worker thread, which costs far more than the request it
serves; backend host names hardly ever change, so each answer is kept for `ttl` seconds (Go's
resolver does no caching, but KrakenD deployments sit behind a caching resolver anyway). IP literals
never reach `getaddrinfo`: they are parsed once and cached forever.

Concurrent lookups of one cold name share a single thread: later callers wait for the first one's
answer instead of starting their own.
"""

from __future__ import annotations

import ipaddress
import math
import socket
from typing import Any

import attrs
import trio

__all__ = ["Address", "Resolver", "lookup"]

# (family, sockaddr) as `trio.socket.socket(family).connect(sockaddr)` takes them.
Address = tuple[int, Any]

# How long a looked-up answer is trusted. Go's net/http has no cache; 60 s is a common DNS TTL.
DEFAULT_TTL = 60.0


async def lookup(host: str, port: int) -> list[Address]:
    """Resolve `host` in a worker thread (through `trio.socket.getaddrinfo`).

    A module-level function so tests can count lookups by monkeypatching it.

    Raises:
        OSError: the name does not resolve (`socket.gaierror`).
    """
    infos = await trio.socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [(family, sockaddr) for family, _, _, _, sockaddr in infos]


@attrs.frozen
class _Entry:
    expires: float
    addresses: list[Address]


def _literal(host: str, port: int) -> list[Address] | None:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if ip.version == 6:
        return [(socket.AF_INET6, (host, port, 0, 0))]
    return [(socket.AF_INET, (host, port))]


@attrs.define(eq=False)
class Resolver:
    """Caches `lookup` answers per (host, port) for `ttl` seconds (trio clock).

    Attributes:
        ttl: Seconds an answer stays valid.
        lookups: How many lookups went to `getaddrinfo` (tests and statistics).
    """

    ttl: float = DEFAULT_TTL
    lookups: int = attrs.field(default=0, init=False)
    _cache: dict[tuple[str, int], _Entry] = attrs.field(factory=dict, init=False)
    _pending: dict[tuple[str, int], trio.Event] = attrs.field(factory=dict, init=False)

    async def resolve(self, host: str, port: int) -> list[Address]:
        """Return the addresses to try for `host`, in `getaddrinfo` order.

        Raises:
            OSError: the name does not resolve.
        """
        key = (host, port)
        entry = self._cache.get(key)
        if entry is not None and entry.expires > trio.current_time():
            return entry.addresses
        literal = _literal(host, port)
        if literal is not None:
            self._cache[key] = _Entry(math.inf, literal)
            return literal
        pending = self._pending.get(key)
        if pending is not None:
            await pending.wait()
            entry = self._cache.get(key)
            if entry is not None and entry.expires > trio.current_time():
                return entry.addresses
            # The first lookup failed or was cancelled: try our own below.
        return await self._lookup(key)

    async def _lookup(self, key: tuple[str, int]) -> list[Address]:
        event = self._pending[key] = trio.Event()
        try:
            self.lookups += 1
            addresses = await lookup(*key)
            if not addresses:
                raise OSError(f"no addresses for {key[0]}")
            self._cache[key] = _Entry(trio.current_time() + self.ttl, addresses)
            return addresses
        finally:
            # Wake the waiters whatever happened; they find the answer (or none) in the cache.
            if self._pending.get(key) is event:
                del self._pending[key]
            event.set()

    def clear(self) -> None:
        """Forget every cached answer."""
        self._cache.clear()
