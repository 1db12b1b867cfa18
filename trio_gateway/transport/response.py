"""What a backend call returns: a buffered `BackendResponse` or a `StreamingResponse`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import attrs

from trio_gateway.headers import first_any_case

from .connection import Connection
from .errors import TransportError
from .pool import ConnectionPool

__all__ = ["BackendResponse", "StreamingResponse", "find_header"]


def find_header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """First value of header `name` (case-insensitive), or None."""
    return first_any_case(headers, name.lower())


@attrs.frozen
class BackendResponse:
    """A complete backend response, body included (still encoded: proxy/decode.py gunzips it).

    Attributes:
        status: The status code, e.g. 200.
        reason: The reason phrase as sent (`b"OK"`).
        headers: (name, value) pairs as received: lower-case names, order and duplicates kept.
        body: The whole body.
        url: The URL that produced this response, after redirects; KrakenD quotes it in errors.
    """

    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    url: str

    def header(self, name: bytes) -> bytes | None:
        """First value of header `name` (case-insensitive), or None."""
        return find_header(self.headers, name)


class StreamingResponse:
    """A response whose body is read piece by piece, as the backend sends it.

    Usage::

        async with client.stream(origin, b"GET", b"/big", []) as response:
            async for chunk in response.aiter_bytes():
                await send(chunk)

    Resource handling: once the last byte has been read the connection goes back to the pool at
    once; if the `stream()` context exits earlier (error, cancellation, or the reader just stops)
    the connection is closed, because its unread remainder would corrupt the next response.
    """

    __slots__ = ("_complete", "_conn", "_method", "_pool", "headers", "reason", "status", "url")

    def __init__(
        self,
        *,
        status: int,
        reason: bytes,
        headers: list[tuple[bytes, bytes]],
        url: str,
        method: bytes,
        connection: Connection,
        pool: ConnectionPool,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.url = url
        self._method = method
        self._conn: Connection | None = connection
        self._pool = pool
        self._complete = False

    def header(self, name: bytes) -> bytes | None:
        """First value of header `name` (case-insensitive), or None."""
        return find_header(self.headers, name)

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """Iterate over the body in the chunks it arrives in (never empty chunks)."""
        return self

    def __aiter__(self) -> StreamingResponse:
        return self

    async def __anext__(self) -> bytes:
        conn = self._conn
        if conn is None:
            if self._complete:
                raise StopAsyncIteration
            raise RuntimeError("the response was closed before its body was read")
        try:
            chunk = await conn.next_chunk()
        except TransportError as exc:
            exc.method, exc.url = self._method.decode("latin-1"), self.url
            raise
        if chunk:
            return chunk
        self._complete = True
        self._conn = None
        self._pool.release(conn)
        raise StopAsyncIteration

    async def aread(self) -> bytes:
        """Read the rest of the body and return it."""
        return b"".join([chunk async for chunk in self])

    @property
    def is_complete(self) -> bool:
        """The whole body has been read."""
        return self._complete

    def at_end(self) -> bool:
        """True when the body has been read to its end, checked without I/O.

        Lets a relay send the last chunk as the last one (one message instead of two) instead of
        waiting for the next `__anext__` to find the end; the connection then goes back to the
        pool at once."""
        conn = self._conn
        if conn is None:
            return self._complete
        if not conn.try_complete():
            return False
        self._complete = True
        self._conn = None
        self._pool.release(conn)
        return True

    def close(self) -> None:
        """Give the connection back (body complete) or close it (body unread). Idempotent."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if conn.try_complete():
            self._complete = True
            self._pool.release(conn)
        else:
            self._pool.discard(conn)
