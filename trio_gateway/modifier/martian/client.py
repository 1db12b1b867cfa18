"""The martian client wrapper: request modifiers before the call, response modifiers after it.

This is krakend-martian's `HTTPRequestExecutor` (`martian.go`): it wraps the backend's HTTP client,
under lura's HTTP proxy, so the response modifiers run before the status check and the decoding
(a `status.Modifier` turning a 404 into a 200 makes it a success), and above the HTTP cache (the
cache stores what the backend sent). A modifier's error fails the call with that error (500),
without calling the backend when it is a request modifier's.

What Go's transport does with the modified request, kept here: the connection goes to
`URL.Scheme`/`URL.Host`, the Host header is `Request.Host`; a `Host`, `Content-Length` or
`Transfer-Encoding` entry in the header map is never sent (the body's real length is);
a `Content-Length` set to another size than the body fails the call, as Go's
`http: ContentLength=N with Body length M`.
"""

from __future__ import annotations

import http
import re
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from trio_gateway.modifier.martian.message import GoRequest, GoResponse, MartianError, request_uri
from trio_gateway.qos.http_cache import BufferedStream
from trio_gateway.transport import BackendResponse, Origin
from trio_gateway.transport.request import Headers

if TYPE_CHECKING:
    from trio_gateway.modifier.martian.parse import RequestModifier, ResponseModifier
    from trio_gateway.proxy.backend import BackendClient

__all__ = ["MartianClient"]

# Go's reqWriteExcludeHeader (the transport writes these from the request's fields).
_NOT_SENT = frozenset({b"Host", b"Content-Length", b"Transfer-Encoding", b"Trailer"})
# httpguts.ValidHostHeader's bytes.
_HOST_HEADER = re.compile(rb"[A-Za-z0-9!$%&'()*+,\-.:;=\[\]_~]*\Z")
# What may stay raw in a request target (RFC 9112 §3.2); the rest of a written query is escaped.
_TARGET_SAFE = "!$&'()*+,;=:@/?%[]-._~"
_TARGET_OK = re.compile(r"[A-Za-z0-9!$&'()*+,;=:@/?%\[\]\-._~]*\Z")


def _with_host_header(origin: Origin, host: bytes) -> Origin:
    """The same origin (same pool, same key) sending another Host header."""
    moved = Origin(origin.scheme, origin.host, origin.port)
    object.__setattr__(moved, "host_header", host)
    return moved


def _outgoing(
    request: GoRequest, origin: Origin, host: str, target: bytes
) -> tuple[Origin, bytes, Headers]:
    """Where and what to send after the request modifiers (see the module docstring)."""
    method = request.method.decode("latin-1").capitalize()
    if request.scheme != origin.scheme or request.host != host:
        try:
            origin = Origin.parse(f"{request.scheme}://{request.host}")
        except ValueError:
            url = f"{request.scheme}://{request.host}{request_uri(request)}"
            if request.scheme not in ("http", "https"):
                raise MartianError(
                    f'{method} "{url}": unsupported protocol scheme "{request.scheme}"'
                ) from None
            raise MartianError(f'{method} "{url}": invalid host "{request.host}"') from None
    sent_host = request.req_host or request.host.encode("latin-1")
    if sent_host != origin.host_header:
        if not _HOST_HEADER.match(sent_host):
            raise MartianError(f'{method} "{origin.base_url}": http: invalid Host header')
        origin = _with_host_header(origin, sent_host)
    uri = request_uri(request)
    if uri.encode("latin-1") != target:
        if not _TARGET_OK.match(uri):
            uri = quote(uri, safe=_TARGET_SAFE, encoding="latin-1")
        target = uri.encode("ascii")
    length = request.content_length
    if length > 0 and length != len(request.body):
        raise MartianError(
            f'{method} "{origin.base_url}{uri}": http: ContentLength={length} with Body length '
            f"{len(request.body)}"
        )
    headers = [(n, v) for n, v in request.header if n not in _NOT_SENT]
    return origin, target, headers


def _answer(response: GoResponse, url: str, reason: bytes) -> tuple[int, bytes, Headers]:
    """(status, reason, headers as the transport gives them: lower-case names)."""
    headers = [(n.lower(), v) for n, v in response.header]
    if response.body_replaced:
        headers = [h for h in headers if h[0] != b"content-length"]
        headers.append((b"content-length", b"%d" % len(response.body)))
    if response.status != response.original_status:
        try:
            reason = http.HTTPStatus(response.status).phrase.encode("ascii")
        except ValueError:
            reason = b""
    return response.status, reason, headers


class MartianClient:
    """A `BackendClient` that runs martian's request and response modifiers around another."""

    __slots__ = ("_client", "_request", "_response")

    def __init__(
        self,
        client: BackendClient,
        request: RequestModifier | None,
        response: ResponseModifier | None,
    ) -> None:
        self._client = client
        self._request = request
        self._response = response

    def _modified(
        self, origin: Origin, method: bytes, target: bytes, headers: Headers, body: bytes
    ) -> tuple[GoRequest, Origin, bytes, Headers]:
        host = origin.host_header.decode("latin-1")
        request = GoRequest(
            method=method, scheme=origin.scheme, host=host, target=target, header=headers, body=body
        )
        if self._request is not None:
            self._request.modify_request(request)
        sent_origin, sent_target, sent_headers = _outgoing(request, origin, host, target)
        return request, sent_origin, sent_target, sent_headers

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
        request, origin, target, headers = self._modified(origin, method, target, headers, body)
        answer = await self._client.request(
            origin, method, target, headers, request.body, follow_redirects=follow_redirects
        )
        if self._response is None:
            return answer
        response = GoResponse(
            status=answer.status,
            reason=answer.reason,
            header=answer.headers,
            body=answer.body,
            request=request,
        )
        self._response.modify_response(response)
        status, reason, out = _answer(response, answer.url, answer.reason)
        return BackendResponse(status, reason, out, response.body, answer.url)

    def stream(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes = b"",
        *,
        follow_redirects: bool = True,
    ) -> AbstractAsyncContextManager[Any]:
        return _MartianStream(self, (origin, method, target, headers, body, follow_redirects))


class _MartianStream(AbstractAsyncContextManager[Any]):
    """`MartianClient.stream`: the response modifiers see the status and headers; a
    `body.Modifier` replaces the stream with its body (the backend's is not read)."""

    def __init__(self, owner: MartianClient, args: tuple[Any, ...]) -> None:
        self._owner = owner
        self._args = args
        self._inner: AbstractAsyncContextManager[Any] | None = None

    async def __aenter__(self) -> Any:
        owner = self._owner
        origin, method, target, headers, body, follow_redirects = self._args
        request, origin, target, headers = owner._modified(origin, method, target, headers, body)
        inner = owner._client.stream(
            origin, method, target, headers, request.body, follow_redirects=follow_redirects
        )
        stream = await inner.__aenter__()
        self._inner = inner
        modifier = owner._response
        if modifier is None:
            return stream
        reason = getattr(stream, "reason", b"")
        response = GoResponse(
            status=stream.status, reason=reason, header=stream.headers, body=b"", request=request
        )
        try:
            modifier.modify_response(response)
        except BaseException:
            self._inner = None
            await inner.__aexit__(None, None, None)
            raise
        url = getattr(stream, "url", "")
        status, reason, out = _answer(response, url, reason)
        if response.body_replaced:
            self._inner = None
            await inner.__aexit__(None, None, None)  # the backend's body is not wanted
            return BufferedStream(BackendResponse(status, reason, out, response.body, url))
        stream.status = status
        stream.headers = out
        return stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        inner, self._inner = self._inner, None
        if inner is not None:
            await inner.__aexit__(exc_type, exc, tb)
