"""Origins (scheme, host, port): the key of a connection pool, and URL splitting.

Parsing happens at configuration time and when following a redirect, never per plain request, so it
may use `urllib.parse`; what the hot path needs (`host_header`, `base_url`) is computed once here.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import SplitResult, quote, urlsplit

import attrs

__all__ = ["DEFAULT_PORTS", "Origin", "split_url"]

# RFC 9110 §4.2: the port a URL means when it names none; such a port is left out of Host.
DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}

# RFC 3986 reg-name characters (percent-encoding included); IPv6 literals are checked separately.
_REG_NAME = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=%]+")

# Characters left as they are when a redirect target is re-encoded: the RFC 3986 reserved set plus
# "%" so that an already percent-encoded Location is not encoded twice.
_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"


def _authority(origin: Origin) -> str:
    host = f"[{origin.host}]" if ":" in origin.host else origin.host
    if DEFAULT_PORTS.get(origin.scheme) == origin.port:
        return host
    return f"{host}:{origin.port}"


def _host_header(origin: Origin) -> bytes:
    return _authority(origin).encode("ascii")


def _base_url(origin: Origin) -> str:
    return f"{origin.scheme}://{_authority(origin)}"


def _check_scheme(_: Origin, __: attrs.Attribute[str], value: str) -> None:
    if value not in DEFAULT_PORTS:
        raise ValueError(f"unsupported URL scheme {value!r}: use http or https")


def _check_port(_: Origin, __: attrs.Attribute[int], value: int) -> None:
    if not 0 < value < 65536:
        raise ValueError(f"port {value} is out of range")


@attrs.frozen(cache_hash=True)
class Origin:
    """Where a backend lives: the key of one connection pool.

    Usage::

        origin = Origin.parse("http://127.0.0.1:8080")
        origin.host_header  # b"127.0.0.1:8080"
        Origin.parse("https://api.example.com").port  # 443

    The hash is cached because every request looks its origin up in the pool.
    """

    scheme: str = attrs.field(validator=_check_scheme)
    # Lower-case host name, IPv4 literal, or IPv6 literal without brackets.
    host: str
    port: int = attrs.field(validator=_check_port)
    # The Host header value: the default port is left out, IPv6 literals get brackets.
    host_header: bytes = attrs.field(
        init=False, eq=False, repr=False, default=attrs.Factory(_host_header, takes_self=True)
    )
    # "scheme://authority" without a trailing slash: prefix of every response URL.
    base_url: str = attrs.field(
        init=False, eq=False, repr=False, default=attrs.Factory(_base_url, takes_self=True)
    )

    @classmethod
    def parse(cls, url: str) -> Origin:
        """Parse `scheme://host[:port]` (a trailing "/" is allowed).

        Raises:
            ValueError: not an http(s) URL, no host, bad port, or a path / query / credentials
                that an origin cannot carry.
        """
        return _parse_origin(url)


@functools.lru_cache(maxsize=512)
def _parse_origin(url: str) -> Origin:
    parts = _urlsplit(url)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{url!r} is not an origin: it has a path, query or fragment")
    return _origin_of(parts, url)


def split_url(url: str) -> tuple[Origin, bytes]:
    """Split an absolute http(s) URL into its origin and the request target.

    The fragment is dropped (it never goes on the wire) and characters that cannot appear in a
    request target (spaces, non-ASCII) are percent-encoded.

    Raises:
        ValueError: the URL is not an absolute http(s) URL with a host.
    """
    parts = _urlsplit(url)
    target = quote(parts.path or "/", safe=_TARGET_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_TARGET_SAFE)
    return _origin_of(parts, url), target.encode("ascii")


def _urlsplit(url: str) -> SplitResult:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in DEFAULT_PORTS:
        raise ValueError(f"{url!r} is not an http or https URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{url!r}: credentials in URLs are not supported")
    return parts


def _origin_of(parts: SplitResult, url: str) -> Origin:
    scheme = parts.scheme.lower()
    host = parts.hostname  # lower-cased, brackets stripped
    if not host:
        raise ValueError(f"{url!r} has no host")
    if ":" in host:
        ipaddress.IPv6Address(host)  # raises ValueError on junk
    else:
        if not host.isascii():
            host = host.encode("idna").decode("ascii")  # UnicodeError is a ValueError
        if _REG_NAME.fullmatch(host) is None:
            raise ValueError(f"{url!r} has an invalid host {host!r}")
    port = parts.port  # raises ValueError when out of range or not a number
    return Origin(scheme, host, DEFAULT_PORTS[scheme] if port is None else port)
