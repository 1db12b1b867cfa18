"""The request target read as Go's net/http reads it (`readRequest`: `url.ParseRequestURI`).

KrakenD's server is Go's: the target of the request line is parsed before any handler runs, and
a target it cannot parse is a bare `400 Bad Request` (edge/request_head.py). RFC 9112 §3.2 gives
four forms; Go accepts them as follows:

- origin-form `/path?query`: the path must be validly %-escaped (`setPath`: `/a%zz` is refused);
- absolute-form `http://host:port/path?query` (§3.2.2): the path is the target's path and the
  authority replaces the Host header (`req.Host = req.URL.Host`; RFC 9112 §3.2.2 too). A scheme
  with no `//authority` is opaque (`mailto:x`): no path, no host;
- authority-form `host:port`, for CONNECT only: parsed as `http://host:port`, no path;
- asterisk-form `*`: the path is `*` (`OPTIONS *` is answered by Go's server itself).

Anything else (`foo/bar`, a bad escape, a bad port, `[` outside an IPv6 literal, ...) is an error.
This is a port of net/url's `parse(rawURL, viaRequest=true)` as of the current Go release,
including its checks of bracketed hosts (CVE-2025-47912) and of colons in http(s) hosts
(go.dev/issue/75223). Strings are handled as Go handles them, byte by byte: a target arrives as
bytes and is decoded here as latin-1, one character per byte.
"""

from __future__ import annotations

import ipaddress
import re

import attrs

__all__ = ["TargetError", "Url", "parse_request_target"]

_HEX = frozenset("0123456789abcdefABCDEF")
# net/url's shouldEscape(c, encodeHost) is false for these ASCII bytes (and for alphanumerics).
_HOST_BYTES = frozenset("!$&'()*+,;=:[]<>\"-_.~")
_ESCAPE = re.compile("%([0-9A-Fa-f]{2})")
_USERINFO = re.compile(r"[A-Za-z0-9\-._:~!$&'()*+,;=%@]*")

# unescape modes (net/url's `encoding`), those the request target needs.
_PATH, _HOST, _ZONE, _USER = range(4)


class TargetError(ValueError):
    """Go's url.ParseRequestURI refuses the target (the message is net/url's)."""


@attrs.frozen
class Url:
    """What of Go's `*url.URL` the gateway uses: the scheme (lower-cased), the host of the
    authority (unescaped, `""` when the target has none) and the path as sent (still escaped,
    `""` for an authority-form or opaque target)."""

    scheme: str = ""
    host: str = ""
    path: str = ""
    authority: str | None = None  # the `//authority` as sent; None when the target has none


def parse_request_target(method: str, target: str) -> Url:
    """`url.ParseRequestURI(target)`, with readRequest's special case for CONNECT.

    Raises:
        TargetError: Go answers such a request `400 Bad Request`.
    """
    # readRequest: "CONNECT www.google.com:443 HTTP/1.1" is just the authority of a URL; a
    # CONNECT target that starts with a slash (net/rpc) is an ordinary path.
    if method == "CONNECT" and not target.startswith("/"):
        url = _parse("http://" + target)
        return attrs.evolve(url, scheme="")
    return _parse(target)


def _parse(raw: str) -> Url:
    if any(c < " " or c == "\x7f" for c in raw):
        raise TargetError("net/url: invalid control character in URL")
    if raw == "":
        raise TargetError("empty url")
    if raw == "*":
        return Url(path="*")
    scheme, rest = _scheme(raw)
    scheme = scheme.lower()
    rest = rest.partition("?")[0]  # Go's ForceQuery case (a lone trailing `?`) cuts the same
    if not rest.startswith("/"):
        if scheme:
            return Url(scheme=scheme)  # rootless: opaque
        raise TargetError("invalid URI for request")
    host = ""
    authority: str | None = None
    if scheme and rest.startswith("//"):
        authority, slash, tail = rest[2:].partition("/")
        rest = slash + tail
        host = _parse_authority(scheme, authority)
    _unescape(rest, _PATH)  # setPath: only the escapes can be wrong
    return Url(scheme=scheme, host=host, path=rest, authority=authority)


def _scheme(raw: str) -> tuple[str, str]:
    """net/url's getScheme: `[a-zA-Z][a-zA-Z0-9+-.]*:`, or no scheme."""
    for i, c in enumerate(raw):
        if "a" <= c <= "z" or "A" <= c <= "Z":
            continue
        if "0" <= c <= "9" or c in "+-.":
            if i == 0:
                return "", raw
        elif c == ":":
            if i == 0:
                raise TargetError("missing protocol scheme")
            return raw[:i], raw[i + 1 :]
        else:
            return "", raw
    return "", raw


def _parse_authority(scheme: str, authority: str) -> str:
    at = authority.rfind("@")
    host = _parse_host(scheme, authority[at + 1 :])
    if at >= 0:
        userinfo = authority[:at]
        if _USERINFO.fullmatch(userinfo) is None:
            raise TargetError("net/url: invalid userinfo")
        for part in userinfo.split(":", 1):
            _unescape(part, _USER)
    return host


def _parse_host(scheme: str, host: str) -> str:
    bracket = host.rfind("[")
    if bracket > 0:
        raise TargetError("invalid IP-literal")
    if bracket == 0:
        close = host.rfind("]")
        if close < 0:
            raise TargetError("missing ']' in host")
        colon_port = host[close + 1 :]
        if not _valid_optional_port(colon_port):
            raise TargetError(f"invalid port {colon_port!r} after host")
        colon_port = _unescape(colon_port, _HOST)
        name = host[1:close]
        zone = name.find("%25")
        if zone >= 0:
            unescaped = _unescape(name[:zone], _HOST) + _unescape(name[zone:], _ZONE)
        else:
            unescaped = _unescape(name, _HOST)
        # Only an IPv6 address may be bracketed (RFC 3986 §3.2.2; netip.ParseAddr, not Is4).
        try:
            ipaddress.IPv6Address(unescaped)
        except ValueError:
            raise TargetError(f"invalid host: {unescaped!r}") from None
        return "[" + unescaped + "]" + colon_port
    colon = host.find(":")
    if colon != -1:
        last = host.rfind(":")
        # Go permits more colons (host lists) in the host of other schemes only.
        if last != colon and scheme not in ("http", "https"):
            colon = last
        colon_port = host[colon:]
        if not _valid_optional_port(colon_port):
            raise TargetError(f"invalid port {colon_port!r} after host")
    return _unescape(host, _HOST)


def _valid_optional_port(port: str) -> bool:
    """`""`, or `:` and only digits."""
    return port == "" or (port[0] == ":" and all("0" <= c <= "9" for c in port[1:]))


def _unescape(s: str, mode: int) -> str:
    """net/url's unescape: check every `%XX` (and, in a host, every byte), then decode."""
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "%":
            if i + 2 >= n or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                raise TargetError(f"invalid URL escape {s[i : i + 3]!r}")
            # In a host, %-encoding is only for non-ASCII bytes, and %25 (RFC 6874's zone).
            if mode == _HOST and int(s[i + 1], 16) < 8 and s[i : i + 3] != "%25":
                raise TargetError(f"invalid URL escape {s[i : i + 3]!r}")
            if mode == _ZONE:
                byte = chr(int(s[i + 1 : i + 3], 16))
                if s[i : i + 3] != "%25" and byte != " " and _escaped_in_host(byte):
                    raise TargetError(f"invalid URL escape {s[i : i + 3]!r}")
            i += 3
            continue
        if mode in (_HOST, _ZONE) and c < "\x80" and _escaped_in_host(c):
            raise TargetError(f"invalid character {c!r} in host name")
        i += 1
    if "%" not in s:
        return s
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), s)


def _escaped_in_host(c: str) -> bool:
    """net/url's shouldEscape(c, encodeHost) for an ASCII byte."""
    return not (c.isascii() and c.isalnum()) and c not in _HOST_BYTES
