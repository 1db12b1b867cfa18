"""`HTTPClient`: the backend client on the gateway's per-request path.

One call is: build the request head, take a pooled connection (or open one), send head and body
in one `send_all`, read the response head, read (or stream) the body, give the connection back.

Policy choices (Go's `http.Transport`, which KrakenD uses):

- No timeouts per request: the caller's cancel scopes are the deadlines. A cancelled call closes its
  connection (see `connection.py`, Rule 1).
- A request that fails on a *reused* connection before any response byte arrived is retried once on
  a new connection: the server most likely closed the idle socket as we wrote to it. As in Go, a
  request that was written completely is retried only if it is replayable (GET, HEAD, OPTIONS,
  TRACE, or an Idempotency-Key header); a POST may already have been acted on.
- Redirects are followed as in `redirects.py`.
"""

from __future__ import annotations

import logging
import ssl
from contextlib import AbstractAsyncContextManager
from types import TracebackType

import trio

from .connect import Connector
from .connection import Connection, ResponseHead
from .dns import Resolver
from .errors import NetworkError, RemoteProtocolError, TooManyRedirects, TransportError
from .origin import Origin
from .pool import ClientStatistics, ConnectionPool
from .redirects import REDIRECT_STATUSES, Hop, next_hop
from .request import Headers, RequestHead, build_request, is_replayable
from .response import BackendResponse, StreamingResponse, find_header

__all__ = ["HTTPClient"]

LOGGER = logging.getLogger(__name__)

# A redirect body larger than this is not worth reading to keep the connection.
_DRAIN_LIMIT = 64 * 1024


class HTTPClient:
    """A pooling HTTP/1.1 client for trio (llhttp parsing through httptools).

    Args:
        max_idle_per_host: Idle connections kept per origin (KrakenD's default is 250).
        max_idle_total: Idle connections kept across origins; 0 means no limit.
        idle_timeout: Seconds an idle connection may wait for reuse before it is discarded.
        connect_timeout: Seconds for DNS + connect + TLS handshake; None leaves it to the caller.
        ssl_context: For https origins; default `ssl.create_default_context()`.
        max_redirects: Redirects followed before `TooManyRedirects` (Go stops after 10).
        max_response_bytes: Largest body `request()` buffers; None means no limit.
            `stream()` buffers nothing and so does not apply it.

    Error handling: every failure is a `TransportError` (see `errors.py`) whose `str()` names the
    method and URL; invalid request heads raise `ValueError`; `trio.Cancelled` passes through.
    """

    def __init__(
        self,
        *,
        max_idle_per_host: int = 250,
        max_idle_total: int = 0,
        idle_timeout: float = 90.0,
        connect_timeout: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_redirects: int = 10,
        max_response_bytes: int | None = None,
    ) -> None:
        if min(max_idle_per_host, max_idle_total, max_redirects) < 0 or idle_timeout < 0:
            raise ValueError("limits and timeouts must not be negative")
        self._resolver = Resolver()
        connector = Connector(self._resolver, ssl_context, connect_timeout)
        self._pool = ConnectionPool(
            connector,
            max_idle_per_host=max_idle_per_host,
            max_idle_total=max_idle_total,
            idle_timeout=idle_timeout,
        )
        self._max_redirects = max_redirects
        self._max_response_bytes = max_response_bytes
        self._retries = 0

    async def request(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes = b"",
        *,
        follow_redirects: bool = True,
    ) -> BackendResponse:
        """Send one request and read the whole response.

        Args:
            origin: Where to send it.
            method: e.g. `b"GET"`.
            target: Path and query, e.g. `b"/users/1?full=true"`.
            headers: Request headers without Host (taken from `origin`); content-length is added
                when needed, nothing else is.
            body: The request body.
            follow_redirects: Follow 301/302/303/307/308 responses.

        Raises:
            TransportError: see `errors.py`.
            ValueError: the request head is invalid.
        """
        try:
            conn, head, url = await self._exchange(
                origin, method, target, headers, body, follow_redirects
            )
            done = False
            try:
                data = await conn.read_body(self._max_response_bytes)
                done = True
            except TransportError as exc:
                exc.url = url
                raise
            finally:
                if done:
                    self._pool.release(conn)
                else:
                    self._pool.discard(conn)
        except TransportError as exc:
            exc.method = method.decode("latin-1")
            raise
        return BackendResponse(head.status_code, head.reason, head.headers, data, url)

    def stream(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes = b"",
        *,
        follow_redirects: bool = True,
    ) -> AbstractAsyncContextManager[StreamingResponse]:
        """Like `request()`, but the body is read by iterating over the `StreamingResponse`.

        The context exit gives the connection back if the body was read to its end, and closes
        it otherwise.
        """
        return _StreamContext(self, origin, method, target, headers, body, follow_redirects)

    def statistics(self) -> ClientStatistics:
        """Return a snapshot of the connection pools."""
        return ClientStatistics(
            origins=self._pool.statistics(),
            connections_opened=self._pool.opened,
            retries=self._retries,
            dns_lookups=self._resolver.lookups,
        )

    def close(self) -> None:
        """Close idle connections and refuse new requests; in-flight ones close when done.

        Synchronous, so it also works in a `finally:` of a cancelled task."""
        self._pool.close()

    async def aclose(self) -> None:
        """`close()`, as a checkpoint."""
        self.close()
        await trio.lowlevel.checkpoint()

    async def __aenter__(self) -> HTTPClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _exchange(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes,
        follow_redirects: bool,
    ) -> tuple[Connection, ResponseHead, str]:
        """Send the request (following redirects) and return the final response head."""
        url = origin.base_url + target.decode("latin-1")
        request = build_request(origin, method, target, headers, body)
        conn, head = await self._send(origin, request, body, url)
        if follow_redirects and head.status_code in REDIRECT_STATUSES:
            hop = Hop(
                origin=origin, method=method, target=target, headers=headers, body=body, url=url
            )
            return await self._follow(conn, head, hop)
        return conn, head, url

    async def _send(
        self, origin: Origin, request: RequestHead, body: bytes, url: str
    ) -> tuple[Connection, ResponseHead]:
        """One hop: a pooled or new connection, with the stale-connection retry."""
        pool = self._pool
        try:
            conn = await pool.acquire(origin)
            if conn.reused:
                try:
                    return conn, await self._roundtrip(conn, request, body)
                except (NetworkError, RemoteProtocolError) as exc:
                    if conn.response_started or (conn.request_sent and not is_replayable(request)):
                        raise
                    self._retries += 1
                    LOGGER.debug("%s: stale keep-alive connection (%s), retrying", url, exc)
                conn = await pool.connect(origin)
            return conn, await self._roundtrip(conn, request, body)
        except TransportError as exc:
            exc.url = url
            raise

    async def _roundtrip(self, conn: Connection, request: RequestHead, body: bytes) -> ResponseHead:
        ok = False
        try:
            await conn.send_request(request, body)
            head = await conn.receive_head()
            ok = True
        finally:
            if not ok:
                self._pool.discard(conn)
        return head

    async def _follow(
        self, conn: Connection, head: ResponseHead, hop: Hop
    ) -> tuple[Connection, ResponseHead, str]:
        """Follow redirects from `head` on, until a final response or an error."""
        redirects = 0
        while head.status_code in REDIRECT_STATUSES:
            location = find_header(list(head.headers), b"location")
            if location is None:
                break  # Go returns a 3xx without Location as the response
            try:
                if redirects >= self._max_redirects:
                    raise TooManyRedirects(f"stopped after {self._max_redirects} redirects")
                hop = next_hop(hop, head.status_code, location)
            except TransportError as exc:
                self._pool.discard(conn)
                exc.url = hop.url
                raise
            await self._drain(conn)
            redirects += 1
            request = build_request(
                hop.origin, hop.method, hop.target, hop.wire_headers(), hop.body
            )
            conn, head = await self._send(hop.origin, request, hop.body, hop.url)
        return conn, head, hop.url

    async def _drain(self, conn: Connection) -> None:
        """Read a redirect's body so its connection can be reused; close it if that fails."""
        done = False
        try:
            await conn.read_body(_DRAIN_LIMIT)
            done = True
        except TransportError as exc:
            # The body of a redirect is never used (Go ignores it too): only the connection is lost.
            LOGGER.debug("redirect body not drained: %s", exc)
        finally:
            if done:
                self._pool.release(conn)
            else:
                self._pool.discard(conn)


class _StreamContext(AbstractAsyncContextManager[StreamingResponse]):
    """What `HTTPClient.stream()` returns: sends on enter, releases or closes on exit."""

    def __init__(
        self,
        client: HTTPClient,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes,
        follow_redirects: bool,
    ) -> None:
        self._client = client
        self._args = (origin, method, target, headers, body, follow_redirects)
        self._response: StreamingResponse | None = None

    async def __aenter__(self) -> StreamingResponse:
        method = self._args[1]
        try:
            conn, head, url = await self._client._exchange(*self._args)
        except TransportError as exc:
            exc.method = method.decode("latin-1")
            raise
        self._response = StreamingResponse(
            status=head.status_code,
            reason=head.reason,
            headers=head.headers,
            url=url,
            method=method,
            connection=conn,
            pool=self._client._pool,
        )
        return self._response

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._response is not None:
            self._response.close()
