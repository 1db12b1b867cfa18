"""The leaf proxy: one HTTP call to a backend, its status policy, decoding and manipulation.

This is lura's `NewHTTPProxyDetailed` + status handler + entity formatter in one place, so the hot
path is a single coroutine with no layers to cross when a backend configures nothing special.
Transport failures are translated here, and only here, into `GatewayError`s.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Protocol

import attrs

from trio_gateway.config.model import ExtraConfig
from trio_gateway.encoding.decode import Decoder
from trio_gateway.encoding.render import GoStruct
from trio_gateway.errors import BackendError, BackendStatusError, BackendUnavailable
from trio_gateway.proxy.decode import decode_answer
from trio_gateway.proxy.dnssrv import DnsDiscovery, Spawner, SrvSubscriber
from trio_gateway.proxy.formatter import Formatter
from trio_gateway.proxy.request import UrlTemplate, encode_query, filter_headers, filter_query
from trio_gateway.routing.gourl import UrlParseError
from trio_gateway.transport import (
    BackendResponse,
    Origin,
    TransportError,
    split_url,
)
from trio_gateway.types import BodyStream, Headers, Request, Response

if TYPE_CHECKING:
    from trio_gateway.proxy.graphql import GraphQLCall

__all__ = ["BackendCall", "BackendClient", "BackendProxy", "StreamingProxy"]

LOGGER = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class BackendCall:
    """Everything the leaf proxy needs, compiled from a backend's config."""

    name: str  # "GET /users/{id}" for messages and logs
    method: str
    url: UrlTemplate
    # (origin, path prefix): the prefix is "" unless an unsanitized host carries a path
    # (`disable_host_sanitize`), which KrakenD then puts in front of every url_pattern.
    origins: tuple[tuple[Origin, str], ...]
    decoder: Decoder
    is_collection: bool = False
    formatter: Formatter | None = None
    # backend-level second filters (reference §2.4); None = not configured
    input_headers: frozenset[bytes] | None = None
    input_query_strings: frozenset[str] | None = None
    return_error_code: bool = False
    return_error_details: str | None = None
    follow_redirects: bool = True
    concurrent_calls: int = 1
    # `no-op` backends keep their raw body (sequential `{resp0}` reads it)
    keep_body: bool = False
    # The backend's `extra_config`: its namespaces' layers read their configs from it
    # (trio_gateway/stack.py).
    extra: ExtraConfig = attrs.field(factory=ExtraConfig)
    # `backend/graphql`: the body (or, for GET, the query) each call carries; `method` is its.
    graphql: GraphQLCall | None = None
    # `"sd": "dns"`: the hosts come from SRV records (proxy/dnssrv.py); `origins` is then empty.
    discovery: DnsDiscovery | None = None


class BackendClient(Protocol):
    """What the leaf proxy calls: `HTTPClient`, or a `CachingClient` in front of it."""

    async def request(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes = b"",
        *,
        follow_redirects: bool = True,
    ) -> BackendResponse: ...

    def stream(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes = b"",
        *,
        follow_redirects: bool = True,
    ) -> AbstractAsyncContextManager[BodyStream]: ...


def _wire(method: str) -> bytes:
    # lura's HTTP proxy: http.NewRequest(strings.ToTitle(request.Method), ...)
    return method.upper().encode("latin-1")


class BackendProxy:
    """Calls one backend. An instance is built once at startup and shared by all requests."""

    __slots__ = ("_call", "_client", "_discovery", "_method", "_origins", "_turn")

    def __init__(
        self, call: BackendCall, client: BackendClient, background: Spawner | None = None
    ) -> None:
        self._call = call
        self._client = client
        self._method = call.method.encode("ascii")
        # lura picks randomly among several hosts; round-robin spreads the load just as evenly
        # and is deterministic in tests.
        self._origins: Iterator[tuple[Origin, str]] = itertools.cycle(call.origins)
        self._discovery = (
            SrvSubscriber(call.discovery, background) if call.discovery is not None else None
        )
        self._turn = 0  # round-robin position in the discovered list (it changes size)

    @property
    def call(self) -> BackendCall:
        return self._call

    def target(self, request: Request) -> str:
        """url_pattern filled in, its own query kept, the forwarded query appended.

        Raises:
            UrlParseError: Go's url.Parse would refuse the filled url_pattern.
        """
        call = self._call
        query = request.query
        if query and call.input_query_strings is not None:
            query = filter_query(query, call.input_query_strings)
        if call.graphql is not None and call.graphql.method == "GET":
            # added after the backend's own query filter, as lura's middleware order has it
            query = [*query, *call.graphql.query_pairs(request)]
        return call.url.render(request.params, encode_query(query) if query else "")

    def prepare(self, request: Request) -> tuple[Origin, bytes, Headers, bytes]:
        """Pick the host and build the target, headers and body of one call."""
        call = self._call
        origin, prefix = self._pick()
        if request.backend_url is not None:
            # lua-backend's request:url(v): lura's HTTP proxy calls req.URL as the script left it
            try:
                origin, pinned = split_url(request.backend_url)
            except ValueError as exc:
                raise BackendError(str(exc)) from None
            prefix = pinned.decode("ascii")
        headers = request.headers
        if call.input_headers is not None:
            headers = filter_headers(headers, call.input_headers)
        try:
            target = "" if request.backend_url is not None else self.target(request)
        except UrlParseError as exc:
            # lura's balancer returns url.Parse's error: the backend is never called.
            raise BackendError(exc.message(origin.base_url + prefix)) from None
        if prefix:
            target = prefix + target
        body = request.body
        if call.graphql is not None:
            body = b"" if call.graphql.method == "GET" else call.graphql.body(request)
            headers = call.graphql.headers(headers, body)
        return origin, target.encode("ascii"), headers, body

    def _pick(self) -> tuple[Origin, str]:
        """The next host (lura's balancer); `no hosts available` when the list is empty."""
        if self._discovery is None:
            if not self._call.origins:
                raise BackendUnavailable("no hosts available")
            return next(self._origins)
        origins = self._discovery.origins
        if not origins:
            raise BackendUnavailable("no hosts available")
        turn = self._turn
        self._turn = turn + 1
        return origins[turn % len(origins)]

    @property
    def discovery(self) -> SrvSubscriber | None:
        """The SRV subscriber of a `"sd": "dns"` backend (tests and statistics)."""
        return self._discovery

    async def send(self, request: Request) -> tuple[BackendResponse, Origin]:
        call = self._call
        if self._discovery is not None:
            await self._discovery.refresh_if_due()
        origin, target, headers, body = self.prepare(request)
        try:
            answer = await self._client.request(
                origin,
                self._method if request.backend_method is None else _wire(request.backend_method),
                target,
                headers,
                body,
                follow_redirects=call.follow_redirects,
            )
        except TransportError as exc:
            # The transport's text already reads like Go's: `Get "http://…": dial tcp …`
            raise BackendUnavailable(str(exc)) from exc
        return answer, origin

    async def __call__(self, request: Request) -> Response:
        answer, _ = await self.send(request)
        call = self._call
        status = answer.status
        if status != 200 and status != 201:
            return self._status_error(answer)
        # gunzip, decode, format; in a thread when the body is big (proxy/decode.py)
        data, body = await decode_answer(call, answer)
        if call.keep_body:
            return Response(data=data, is_complete=True, body=body)
        return Response(data=data, is_complete=data is not None)

    def _status_error(self, answer: BackendResponse) -> Response:
        call = self._call
        content_type_raw = answer.header(b"content-type")
        content_type = content_type_raw.decode("latin-1") if content_type_raw else None
        if call.return_error_details is not None:
            # A *successful* but incomplete response carrying the error (lura's
            # DetailedHTTPStatusHandler); no manipulation is applied to it.
            detail = GoStruct(http_status_code=answer.status)
            if answer.body:
                detail["http_body"] = answer.body.decode("utf-8", "replace")
            if content_type:
                detail["http_body_encoding"] = content_type
            return Response(
                data={"error_" + call.return_error_details: detail},
                is_complete=False,
                status=answer.status,
            )
        if call.return_error_code:
            raise BackendStatusError(
                answer.body.decode("utf-8", "replace"),
                status=answer.status,
                body=answer.body,
                content_type=content_type,
                pass_status=True,
            )
        raise BackendStatusError(
            f"invalid status code {answer.status} [{call.method} {call.url.pattern}]: {answer.url}",
            status=answer.status,
        )


class StreamingProxy(BackendProxy):
    """The leaf of a `no-op` endpoint: the backend's answer, unchecked and undecoded, as a
    stream in `Response.stream` (lura's `Io`). The layers above it are the same as for any
    backend; the edge relays the stream and closes it."""

    __slots__ = ()

    async def __call__(self, request: Request) -> Response:
        if self._discovery is not None:
            await self._discovery.refresh_if_due()
        origin, target, headers, body = self.prepare(request)
        method = self._method if request.backend_method is None else _wire(request.backend_method)
        context = self._client.stream(origin, method, target, headers, body, follow_redirects=True)
        try:
            stream = await context.__aenter__()
        except TransportError as exc:
            raise BackendUnavailable(str(exc)) from exc
        # Nothing awaits between here and the caller taking the stream, so no cancellation can
        # leave it open. Leaving the context is `stream.close()` (transport/client.py): the
        # caller's `Response.close()` releases the connection (discarded when left unread).
        return Response(data=None, is_complete=True, status=stream.status, stream=stream)
