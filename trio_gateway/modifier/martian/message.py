"""The request and response martian modifiers change: Go's `*http.Request` / `*http.Response` as
far as martian reads or writes them, made once per backend call by the client wrapper.

Header names are Go's canonical keys (`x-foo` -> `X-Foo`, textproto.CanonicalMIMEHeaderKey), the
values bytes; the list keeps order (Go's map has none: the wire order is the transport's business).
Two views of the headers, as in martian:

* `get`/`set`/`add`/`delete`/`all`: the plain `http.Header` map (`req.Header.Set`);
* `pget`/`pset`/`padd`/`pdel`/`pall`: martian's `proxyutil.Header`, where `Host`,
  `Content-Length` and `Transfer-Encoding` are the message's fields, not map entries
  (google/martian v2.1.0 `proxyutil/header.go`; KrakenD pins martian v2.1.0).

URL fields follow Go's `net/url.URL`: `path` is decoded, `raw_path` the form it was sent in
(`EscapedPath` keeps it while it still encodes `path`), `raw_query` is sent as it is.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote_to_bytes

from trio_gateway.errors import BackendError
from trio_gateway.proxy.request import canonical_header

__all__ = [
    "GoRequest",
    "GoResponse",
    "MartianError",
    "escaped_path",
    "go_split_host_port",
    "parse_int64",
    "request_uri",
    "url_string",
]

Pairs = list[tuple[bytes, bytes]]

_HOST, _CONTENT_LENGTH, _TRANSFER_ENCODING = b"Host", b"Content-Length", b"Transfer-Encoding"
_INT64 = re.compile(r"[+-]?[0-9]+\Z")
# Go's shouldEscape(c, encodePath): unreserved and `$&+,/:;=@` stay, everything else is escaped.
_PATH_SAFE = "-_.~$&+,/:;=@"


class MartianError(BackendError):
    """A modifier failed on a request or a response: the backend call fails with it, as the
    martian request executor returns the modifier's error (krakend-martian `martian.go`)."""


def parse_int64(text: str) -> int:
    """Go's `strconv.ParseInt(text, 10, 64)`, with its error text."""
    if not _INT64.match(text):
        raise MartianError(f'strconv.ParseInt: parsing "{text}": invalid syntax')
    value = int(text)
    if not -(1 << 63) <= value < (1 << 63):
        raise MartianError(f'strconv.ParseInt: parsing "{text}": value out of range')
    return value


def go_split_host_port(hostport: str) -> tuple[str, str]:
    """Go's `net.SplitHostPort`, with its error texts (net/ipsock.go)."""

    def fail(why: str) -> MartianError:
        return MartianError(f"address {hostport}: {why}")

    i = hostport.rfind(":")
    if i < 0:
        raise fail("missing port in address")
    j = k = 0
    if hostport[0] == "[":
        end = hostport.find("]")
        if end < 0:
            raise fail("missing ']' in address")
        if end + 1 == len(hostport):
            raise fail("missing port in address")
        if end + 1 != i:
            if hostport[end + 1] == ":":
                raise fail("too many colons in address")
            raise fail("missing port in address")
        host = hostport[1:end]
        j, k = 1, end + 1
    else:
        host = hostport[:i]
        if ":" in host:
            raise fail("too many colons in address")
    if "[" in hostport[j:]:
        raise fail("unexpected '[' in address")
    if "]" in hostport[k:]:
        raise fail("unexpected ']' in address")
    return host, hostport[i + 1 :]


def join_host_port(host: str, port: str) -> str:
    """Go's `net.JoinHostPort`."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _Message:
    """What requests and responses share: the header map and the two views of it."""

    __slots__ = ("content_length", "header", "transfer_encoding")

    def __init__(self, header: Pairs, content_length: int, transfer_encoding: list[bytes] | None):
        self.header = header
        self.content_length = content_length
        self.transfer_encoding = transfer_encoding

    # -- http.Header (names already canonical: the modifiers canonicalize theirs at startup) --
    def get(self, name: bytes) -> bytes:
        for key, value in self.header:
            if key == name:
                return value
        return b""

    def all(self, name: bytes) -> list[bytes] | None:
        found = [value for key, value in self.header if key == name]
        return found or None

    def set(self, name: bytes, value: bytes) -> None:
        self.header = [pair for pair in self.header if pair[0] != name]
        self.header.append((name, value))

    def add(self, name: bytes, value: bytes) -> None:
        self.header.append((name, value))

    def delete(self, name: bytes) -> None:
        self.header = [pair for pair in self.header if pair[0] != name]

    # -- proxyutil.Header --------------------------------------------------------------------
    def _host(self) -> bytes:
        return b""

    def _set_host(self, value: bytes) -> None:
        return None

    def pset(self, name: bytes, value: bytes) -> None:
        if name == _HOST:
            self._set_host(value)
        elif name == _CONTENT_LENGTH:
            self.content_length = parse_int64(value.decode("latin-1"))
        elif name == _TRANSFER_ENCODING:
            self.transfer_encoding = [value]
        else:
            self.set(name, value)

    def padd(self, name: bytes, value: bytes) -> None:
        if name == _HOST:
            if self._host():
                raise MartianError("proxyutil: illegal header multiple: Host")
            self._set_host(value)
        elif name == _CONTENT_LENGTH:
            if self.content_length > 0:
                raise MartianError("proxyutil: illegal header multiple: Content-Length")
            self.pset(name, value)
        elif name == _TRANSFER_ENCODING:
            self.transfer_encoding = [*(self.transfer_encoding or ()), value]
        else:
            self.add(name, value)

    def pget(self, name: bytes) -> bytes:
        if name == _HOST:
            return self._host()
        if name == _CONTENT_LENGTH:
            return b"" if self.content_length < 0 else b"%d" % self.content_length
        if name == _TRANSFER_ENCODING:
            return self.transfer_encoding[0] if self.transfer_encoding else b""
        return self.get(name)

    def pall(self, name: bytes) -> list[bytes] | None:
        if name == _HOST:
            host = self._host()
            return [host] if host else None
        if name == _CONTENT_LENGTH:
            return [b"%d" % self.content_length] if self.content_length > 0 else None
        if name == _TRANSFER_ENCODING:
            return self.transfer_encoding
        return self.all(name)

    def pdel(self, name: bytes) -> None:
        if name == _HOST:
            self._set_host(b"")
        elif name == _CONTENT_LENGTH:
            self.content_length = -1
        elif name == _TRANSFER_ENCODING:
            self.transfer_encoding = None
        else:
            self.delete(name)


class GoRequest(_Message):
    """The backend request as martian sees it (lura's `http.NewRequest` + copied headers).

    Attributes:
        scheme, host: `URL.Scheme`, `URL.Host` (where the request goes).
        req_host: `Request.Host`, the Host header sent (Go's NewRequest copies URL.Host into it,
            so changing `host` alone moves the connection, not the header).
        path, raw_path: the decoded path and the form it came in (latin-1 text: bytes 1:1).
        raw_query, force_query: `URL.RawQuery` and `URL.ForceQuery` (a bare trailing `?`).
        body: the request body.
    """

    __slots__ = (
        "body",
        "force_query",
        "fragment",
        "host",
        "method",
        "path",
        "raw_path",
        "raw_query",
        "req_host",
        "scheme",
    )

    def __init__(
        self,
        *,
        method: bytes,
        scheme: str,
        host: str,
        target: bytes,
        header: Pairs,
        body: bytes,
    ) -> None:
        super().__init__([(canonical_header(n), v) for n, v in header], len(body), None)
        self.method = method
        self.scheme = scheme
        self.host = host
        self.req_host = host.encode("latin-1")
        text = target.decode("latin-1")
        raw_path, mark, query = text.partition("?")
        self.raw_path = raw_path
        self.path = unquote_to_bytes(raw_path).decode("latin-1") if "%" in raw_path else raw_path
        self.raw_query = query
        self.force_query = bool(mark) and not query
        self.fragment = ""
        self.body = body

    def _host(self) -> bytes:
        return self.req_host

    def _set_host(self, value: bytes) -> None:
        self.req_host = value


class GoResponse(_Message):
    """The backend response as martian sees it; `request` is the request that was sent."""

    __slots__ = ("body", "body_replaced", "original_status", "reason", "request", "status")

    def __init__(
        self, *, status: int, reason: bytes, header: Pairs, body: bytes, request: GoRequest
    ) -> None:
        canonical: Pairs = []
        length = -1
        chunked: list[bytes] | None = None
        for name, value in header:
            key = canonical_header(name)
            if key == _TRANSFER_ENCODING:
                # Go's client moves Transfer-Encoding out of the map (transfer.go).
                chunked = [*(chunked or ()), value]
                continue
            if key == _CONTENT_LENGTH and length < 0 and value.strip().isdigit():
                length = int(value)
            canonical.append((key, value))
        super().__init__(canonical, -1 if chunked else length, chunked)
        self.status = self.original_status = status
        self.reason = reason
        self.body = body
        self.body_replaced = False
        self.request = request


def escaped_path(request: GoRequest) -> str:
    """Go's `URL.EscapedPath`: the path as it came while it still encodes `path`, else the
    path escaped as Go escapes one."""
    raw = request.raw_path
    if raw == request.path or (
        "%" in raw and unquote_to_bytes(raw).decode("latin-1") == request.path
    ):
        return raw
    return quote(request.path.encode("latin-1"), safe=_PATH_SAFE)


def request_uri(request: GoRequest) -> str:
    """Go's `URL.RequestURI` (a path that lost its leading `/` gets one back: our transport
    sends origin-form targets only)."""
    path = escaped_path(request) or "/"
    if not path.startswith("/"):
        path = "/" + path
    if request.raw_query or request.force_query:
        return path + "?" + request.raw_query
    return path


def url_string(request: GoRequest) -> str:
    """Go's `URL.String` for an absolute URL (what `stash.Modifier` and `url.RegexFilter` see)."""
    out = f"{request.scheme}:" if request.scheme else ""
    path = escaped_path(request)
    if request.scheme or request.host:
        if request.host or path:
            out += "//"
        out += request.host
    if path and not path.startswith("/") and request.host:
        out += "/"
    out += path
    if request.force_query or request.raw_query:
        out += "?" + request.raw_query
    if request.fragment:
        out += "#" + quote(request.fragment.encode("latin-1"), safe="-_.~$&+,/:;=@!()*?'")
    return out
