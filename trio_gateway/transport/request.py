"""Building the request head: the only place caller headers are checked and completed.

Rules (KrakenD's backends see what Go's `http.Transport` would send):

- `host` comes first and from the origin; a caller's Host is dropped.
- The body always goes with `content-length` (never chunked): it is added when the body is not
  empty, the method is POST, PUT or PATCH, or the caller gave one; every caller value must match
  the body, and only ours is sent (two different lengths on the wire would be a smuggling risk).
- Nothing else is added: no Accept-Encoding, no User-Agent; the caller decides.

The head is serialized here, straight to bytes. What makes that safe is the checks: the method and
header names must be RFC 9110 tokens (checked once per distinct name and remembered: the gateway
sends the same few over and over), and the target and every value are searched once for the
characters that could end a line or a field (CR, LF, NUL, other controls; in the target, anything
but visible ASCII).
"""

from __future__ import annotations

import re

from .fields import BAD_VALUE, is_token
from .origin import Origin

__all__ = ["Headers", "RequestHead", "build_request", "is_replayable"]

# Raw (name, value) byte pairs, order and duplicates kept.
Headers = list[tuple[bytes, bytes]]

# Methods whose request is sent with content-length even when the body is empty (Go does too).
_BODY_METHODS = frozenset({b"POST", b"PUT", b"PATCH"})
# Go's Request.isReplayable: safe to send twice.
_REPLAYABLE = frozenset({b"GET", b"HEAD", b"OPTIONS", b"TRACE"})
_IDEMPOTENCY_KEYS = frozenset({b"idempotency-key", b"x-idempotency-key"})
# Caller headers never sent: Host comes from the origin, and bodies always go with content-length.
_DROPPED = frozenset({b"host", b"transfer-encoding"})
# A request target is one run of visible ASCII characters (RFC 9112 §3.2; URIs are ASCII).
_BAD_TARGET = re.compile(rb"[^\x21-\x7e]")


def _check_token(token: bytes, what: str) -> None:
    if not is_token(token):
        raise ValueError(f"invalid request: illegal {what} {token!r}")


class RequestHead:
    """One hop's request, serialized.

    Attributes:
        method: e.g. `b"GET"`.
        headers: What goes on the wire after the request line, Host first.
        data: The serialized head, ending with the blank line.
        close: The caller asked for `connection: close`: the connection is not reused after.
    """

    __slots__ = ("close", "data", "headers", "method")

    def __init__(self, method: bytes, headers: Headers, data: bytes, close: bool) -> None:
        self.method = method
        self.headers = headers
        self.data = data
        self.close = close


def build_request(
    origin: Origin, method: bytes, target: bytes, headers: Headers, body: bytes
) -> RequestHead:
    """The request head for one hop: Host first, then the caller's headers.

    Raises:
        ValueError: an illegal method, target, header name or value, or a content-length that
            does not match the body.
    """
    _check_token(method, "method")
    if not target or _BAD_TARGET.search(target) is not None:
        raise ValueError(f"invalid request: illegal target {target!r}")
    wire: Headers = [(b"host", origin.host_header)]
    lines = [method, b" ", target, b" HTTP/1.1\r\nhost: ", origin.host_header, b"\r\n"]
    length: bytes | None = None
    close = False
    for name, value in headers:
        lname = name.lower()
        if lname in _DROPPED:
            continue
        _check_token(name, "header name")
        if BAD_VALUE.search(value) is not None:
            raise ValueError(f"invalid request: illegal header value {value!r}")
        if lname == b"content-length":
            # Checked against the body, and not copied: exactly one is sent, ours (as Go does).
            if value.strip() != b"%d" % len(body):
                raise ValueError(
                    f"content-length {value!r} does not match the {len(body)}-byte body"
                )
            length = value
            continue
        if lname == b"connection" and b"close" in value.lower():
            close = True
        wire.append((name, value))
        lines += (name, b": ", value, b"\r\n")
    if length is not None or body or method in _BODY_METHODS:
        size = b"%d" % len(body)
        wire.append((b"content-length", size))
        lines += (b"content-length: ", size, b"\r\n")
    lines.append(b"\r\n")
    return RequestHead(method, wire, b"".join(lines), close)


def is_replayable(request: RequestHead) -> bool:
    """Whether sending `request` twice is harmless (Go's `Request.isReplayable`)."""
    if request.method in _REPLAYABLE:
        return True
    return any(name.lower() in _IDEMPOTENCY_KEYS for name, _ in request.headers)
