"""Building the request head: the only place caller headers are checked and completed.

Rules (KrakenD's backends see what Go's `http.Transport` would send):

- `host` comes first and from the origin; a caller's Host is dropped.
- The body always goes with `content-length` (never chunked): it is added when the body is not
  empty or the method is POST, PUT or PATCH, and a caller's value must match the body.
- Nothing else is added: no Accept-Encoding, no User-Agent; the caller decides.

h11 validates every header with two regular expressions per header, which is half the cost of
building the event; names are checked here once and remembered, values with one search, and h11 is
told the headers are already parsed (`_parsed=True`, its own fast path for trusted input).
"""

from __future__ import annotations

import re

import h11

from .origin import Origin

__all__ = ["Headers", "build_request", "is_replayable"]

# Raw (name, value) byte pairs, order and duplicates kept.
Headers = list[tuple[bytes, bytes]]

# Methods whose request is sent with content-length even when the body is empty (Go does too).
_BODY_METHODS = frozenset({b"POST", b"PUT", b"PATCH"})
# Go's Request.isReplayable: safe to send twice.
_REPLAYABLE = frozenset({b"GET", b"HEAD", b"OPTIONS", b"TRACE"})
_IDEMPOTENCY_KEYS = frozenset({b"idempotency-key", b"x-idempotency-key"})
# Caller headers never sent: Host comes from the origin, and bodies always go with content-length.
_DROPPED = frozenset({b"host", b"transfer-encoding"})
# RFC 9110 §5.1 token: what a header name may contain.
_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
# Control characters other than tab cannot appear in a field value (RFC 9110 §5.5): CR and LF
# would let a value inject headers.
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# Header names already checked: the gateway sends the same few names over and over.
_VALID_NAMES: set[bytes] = set()
_VALID_NAMES_MAX = 4096


def _check_header(name: bytes, value: bytes) -> None:
    if name not in _VALID_NAMES:
        if _TOKEN.fullmatch(name) is None:
            raise ValueError(f"invalid request: illegal header name {name!r}")
        if len(_VALID_NAMES) < _VALID_NAMES_MAX:
            _VALID_NAMES.add(name)
    if _BAD_VALUE.search(value) is not None:
        raise ValueError(f"invalid request: illegal header value {value!r}")


def build_request(
    origin: Origin, method: bytes, target: bytes, headers: Headers, body: bytes
) -> h11.Request:
    """The h11 request event for one hop: Host first, then the caller's headers.

    Raises:
        ValueError: an illegal header name or value, a content-length that does not match the
            body, or a method / target h11 rejects.
    """
    wire: Headers = [(b"host", origin.host_header)]
    length: bytes | None = None
    for name, value in headers:
        lname = name.lower()
        if lname in _DROPPED:
            continue
        _check_header(name, value)
        if lname == b"content-length":
            length = value
        wire.append((name, value))
    if length is None:
        if body or method in _BODY_METHODS:
            wire.append((b"content-length", b"%d" % len(body)))
    elif length.strip() != b"%d" % len(body):
        raise ValueError(f"content-length {length!r} does not match the {len(body)}-byte body")
    try:
        # _parsed=True skips h11's per-header regexes (half the cost of the event): the headers
        # were checked above, and h11 still checks the method, the target and Host.
        return h11.Request(method=method, target=target, headers=wire, _parsed=True)
    except h11.LocalProtocolError as exc:
        raise ValueError(f"invalid request: {exc}") from exc


def is_replayable(request: h11.Request) -> bool:
    """Whether sending `request` twice is harmless (Go's `Request.isReplayable`)."""
    if request.method in _REPLAYABLE:
        return True
    return any(name in _IDEMPOTENCY_KEYS for name, _ in request.headers)
