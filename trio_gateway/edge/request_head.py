"""What Go's net/http does with a request before KrakenD's handler (gin) sees it.

KrakenD serves with Go's `http.Server`, which refuses or rewrites some requests itself
(net/http `readRequest` in request.go and server.go, `serverHandler.ServeHTTP`):

1. a request target `url.ParseRequestURI` cannot parse (edge/request_target.py): `400 Bad
   Request`;
2. more than one Host header: `400 Bad Request` (request.go: a plain error, so the generic text);
3. HTTP/1.1 without a Host header (CONNECT excepted): `400 Bad Request: missing required Host
   header`;
4. a Host header with a byte that is no host's (`httpguts.ValidHostHeader`): `400 Bad Request:
   malformed Host header` (RFC 9112 §3.2: invalid Host is a 400);
5. an absolute-form target: its path is the path and its authority replaces the Host header
   (`req.Host = req.URL.Host`; RFC 9112 §3.2.2), so routing, `X-Forwarded-Host` and every Host
   check see the target's authority;
6. `OPTIONS *`: answered by the server (`globalOptionsHandler`): 200, `Content-Length: 0`.

These answers are written by Go's server, not by gin: no `X-Krakend` headers, no access-log
line, no middleware; the body is the text and the connection is closed after it
(`Content-Type: text/plain; charset=utf-8`, `Connection: close`). The checks run in Go's order.
The Host rules are HTTP/1's (an HTTP/2 request names its authority in `:authority`).

The common request (origin-form target, one valid Host) costs a scan of the headers and the
target's first byte: `read_head` returns its scope untouched.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import unquote

from trio_gateway.edge.request_target import TargetError, parse_request_target
from trio_gateway.edge.responses import (
    TEXT_PLAIN_UTF8,
    ASGIReceive,
    ASGISend,
    BodyTooLarge,
    read_body,
    send_response,
)
from trio_gateway.types import Headers

__all__ = [
    "GLOBAL_OPTIONS",
    "ORIGIN",
    "BadRequest",
    "answer_global_options",
    "read_head",
    "send_bad_request",
    "valid_host_header",
]

# The scope key of an absolute-form target's `scheme://authority`: gin redirects to
# `req.URL.String()`, which keeps them.
ORIGIN: Final = "trio_gateway.origin"

# httpguts.validHostByte: the bytes of `uri-host [ ":" port ]`, leniently.
_VALID_HOST = re.compile(rb"[0-9A-Za-z!$%&()*+,\-.:;=\[\]'_~]*")
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
# globalOptionsHandler reads (and drops) at most this much of an OPTIONS * body.
_OPTIONS_BODY_LIMIT = 4 << 10


class BadRequest:
    """A request Go's server refuses before any handler: the body it writes."""

    __slots__ = ("body",)

    def __init__(self, body: bytes) -> None:
        self.body = body


class _GlobalOptions:
    __slots__ = ()


GLOBAL_OPTIONS: Final = _GlobalOptions()

BAD_TARGET = BadRequest(b"400 Bad Request")
TOO_MANY_HOSTS = BadRequest(b"400 Bad Request")  # request.go: fmt.Errorf, the generic text
MISSING_HOST = BadRequest(b"400 Bad Request: missing required Host header")
MALFORMED_HOST = BadRequest(b"400 Bad Request: malformed Host header")


def valid_host_header(value: bytes) -> bool:
    """httpguts.ValidHostHeader: every byte may appear in a host (`1.2.3.4`, `[::1]:80`,
    `foo-bar_baz.com`, the empty value); it does not check the host's shape."""
    return _VALID_HOST.fullmatch(value) is not None


def read_head(scope: dict[str, Any]) -> dict[str, Any] | BadRequest | _GlobalOptions:
    """The scope to serve (the same dict unless the target is not origin-form), a refusal,
    or GLOBAL_OPTIONS for `OPTIONS *`."""
    method: str = scope["method"]
    raw_path: bytes | None = scope.get("raw_path")
    absolute = None
    asterisk = False
    if raw_path is not None:
        if raw_path[:1] == b"/":
            # Some servers (httpx's ASGI transport) give the query in raw_path too.
            if b"%" in raw_path and _BAD_ESCAPE.search(raw_path.partition(b"?")[0]):
                return BAD_TARGET
        else:
            raw_path = raw_path.partition(b"?")[0]
            query = scope["query_string"]
            if raw_path == b"*" and not query:
                asterisk = True
            else:
                target = raw_path + b"?" + query if query else raw_path
                try:
                    absolute = parse_request_target(method, target.decode("latin-1"))
                except TargetError:
                    return BAD_TARGET
    version = scope.get("http_version", "1.1")
    if version in ("1.1", "1.0"):
        host = None
        for name, value in scope["headers"]:
            if name == b"host":
                if host is not None:
                    return TOO_MANY_HOSTS
                host = value
        if host is None:
            if version == "1.1" and method != "CONNECT":
                return MISSING_HOST
        elif not valid_host_header(host):
            return MALFORMED_HOST
    if asterisk and method == "OPTIONS":
        return GLOBAL_OPTIONS
    if absolute is None:
        return scope
    path = absolute.path
    served = {**scope, "path": unquote(path), "raw_path": path.encode("latin-1")}
    if absolute.host:
        served["headers"] = _with_host(scope["headers"], absolute.host.encode("latin-1"))
        if absolute.scheme and absolute.authority is not None:
            served[ORIGIN] = f"{absolute.scheme}://{absolute.authority}"
    return served


def _with_host(headers: Headers, host: bytes) -> Headers:
    """The headers with the target's authority as their one Host."""
    out: Headers = [(name, value) for name, value in headers if name != b"host"]
    out.insert(0, (b"host", host))
    return out


async def send_bad_request(send: ASGISend, refusal: BadRequest, scope: dict[str, Any]) -> None:
    """Go's answer (server.go: `fmt.Fprintf(c.rwc, "HTTP/1.1 %d %s: %s%s%d %s: %s", ...)`),
    then the connection is closed."""
    headers: Headers = [(b"content-type", TEXT_PLAIN_UTF8)]
    if _closable(scope):
        headers.append((b"connection", b"close"))
    await send_response(send, 400, headers, refusal.body)


async def answer_global_options(
    scope: dict[str, Any], receive: ASGIReceive, send: ASGISend
) -> None:
    """Go's globalOptionsHandler: `Content-Length: 0`; a body over 4 KiB is not read on
    (MaxBytesReader) and the connection is closed after the answer."""
    headers: Headers = []
    try:
        _, disconnected = await read_body(receive, _OPTIONS_BODY_LIMIT)
    except BodyTooLarge:
        disconnected = False
        if _closable(scope):
            headers.append((b"connection", b"close"))
    if not disconnected:
        await send_response(send, 200, headers)


def _closable(scope: dict[str, Any]) -> bool:
    # `Connection` is HTTP/1's; an HTTP/2 response must not carry it (RFC 9113 §8.2.2).
    return str(scope.get("http_version", "1.1")).startswith("1")
