"""Per-origin pools of idle keep-alive connections.

Policy (Go's `http.Transport` defaults, without its background goroutines):

- Idle connections are reused LIFO: the most recently used socket is the least likely to have been
  closed by the server's keep-alive timer, and the cold ones at the bottom age out.
- At most `max_idle_per_host` idle connections per origin are kept; a connection released beyond
  that is closed. With `max_idle_total > 0`, the oldest idle connection of any origin is evicted to
  make room.
- Idle connections older than `idle_timeout` are closed when a checkout finds them, and a
  connection that became readable while idle (the server closed it) is dropped: no reaper task,
  so request code never needs a nursery.
- In-use connections are unlimited: a burst opens as many connections as it needs.

There is no lock: trio runs one task at a time and nothing here awaits between reading and
updating the idle lists.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import trio

from .connect import Connector
from .connection import Connection
from .origin import Origin

__all__ = ["ClientStatistics", "ConnectionPool", "OriginStatistics"]


@attrs.frozen(kw_only=True)
class OriginStatistics:
    """Connection counts of one origin at the time of `statistics()`."""

    idle: int
    """Connections kept open for reuse."""
    in_use: int
    """Connections currently carrying a request (or an unread streaming body)."""


@attrs.frozen(kw_only=True)
class ClientStatistics:
    """A snapshot of an `HTTPClient`'s connections."""

    origins: Mapping[Origin, OriginStatistics]
    """Idle / in-use counts of every origin called so far."""
    connections_opened: int
    """Connections opened since the client was created."""
    retries: int
    """Requests retried on a new connection after a stale keep-alive connection failed."""
    dns_lookups: int
    """Host names resolved through `getaddrinfo` (the cache answers the rest)."""

    @property
    def idle(self) -> int:
        """Idle connections across all origins."""
        return sum(stats.idle for stats in self.origins.values())

    @property
    def in_use(self) -> int:
        """Connections in use across all origins."""
        return sum(stats.in_use for stats in self.origins.values())


class _HostPool:
    __slots__ = ("idle", "in_use")

    def __init__(self) -> None:
        # Oldest first; checkout pops from the end.
        self.idle: list[Connection] = []
        self.in_use = 0


class ConnectionPool:
    """The idle connections of every origin, and the count of those in use."""

    def __init__(
        self,
        connector: Connector,
        *,
        max_idle_per_host: int,
        max_idle_total: int,
        idle_timeout: float,
    ) -> None:
        self.connector = connector
        self.max_idle_per_host = max_idle_per_host
        self.max_idle_total = max_idle_total
        self.idle_timeout = idle_timeout
        self.opened = 0
        self.closed = False
        self._idle_total = 0
        self._hosts: dict[Origin, _HostPool] = {}

    def _host(self, origin: Origin) -> _HostPool:
        host = self._hosts.get(origin)
        if host is None:
            host = self._hosts[origin] = _HostPool()
        return host

    async def acquire(self, origin: Origin) -> Connection:
        """Check out an idle connection to `origin`, or open a new one.

        Raises:
            RuntimeError: the pool was closed.
            ConnectError: opening a new connection failed.
        """
        if self.closed:
            raise RuntimeError("the HTTPClient is closed")
        host = self._host(origin)
        idle = host.idle
        if idle:
            now = trio.current_time()
            while idle:
                conn = idle.pop()
                self._idle_total -= 1
                if now - conn.idle_since > self.idle_timeout:
                    # LIFO order: everything below is older still.
                    conn.close()
                    self._drop_all(idle)
                    break
                if conn.looks_dead():
                    conn.close()
                    continue
                host.in_use += 1
                return conn
        return await self.connect(origin)

    async def connect(self, origin: Origin) -> Connection:
        """Open a new connection to `origin`, bypassing the idle list (used for retries)."""
        conn = await self.connector.open(origin)
        self.opened += 1
        self._host(origin).in_use += 1
        return conn

    def release(self, conn: Connection) -> None:
        """Take back a connection whose response was read to its end: keep it or close it."""
        host = self._hosts[conn.origin]
        host.in_use -= 1
        if self.closed or len(host.idle) >= self.max_idle_per_host or not conn.start_next_cycle():
            conn.close()
            return
        if self.max_idle_total and self._idle_total >= self.max_idle_total:
            self._evict_oldest()
        conn.reused = True
        conn.idle_since = trio.current_time()
        host.idle.append(conn)
        self._idle_total += 1

    def discard(self, conn: Connection) -> None:
        """Close a connection that must not be reused (error, cancellation, unread body)."""
        self._hosts[conn.origin].in_use -= 1
        conn.close()

    def _drop_all(self, idle: list[Connection]) -> None:
        for conn in idle:
            conn.close()
        self._idle_total -= len(idle)
        idle.clear()

    def _evict_oldest(self) -> None:
        oldest: list[Connection] | None = None
        for host in self._hosts.values():
            if host.idle and (oldest is None or host.idle[0].idle_since < oldest[0].idle_since):
                oldest = host.idle
        if oldest is not None:
            oldest.pop(0).close()
            self._idle_total -= 1

    def close(self) -> None:
        """Close every idle connection; connections in use are closed when they come back."""
        self.closed = True
        for host in self._hosts.values():
            self._drop_all(host.idle)

    def statistics(self) -> dict[Origin, OriginStatistics]:
        """Idle / in-use counts per origin seen so far."""
        return {
            origin: OriginStatistics(idle=len(host.idle), in_use=host.in_use)
            for origin, host in self._hosts.items()
        }
