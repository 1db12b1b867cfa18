"""Following redirects the way Go's `http.Client` does (KrakenD's backends are called with it).

- 301, 302, 303: the next request is a GET without a body; HEAD stays HEAD
  (Go's `redirectBehavior`: "we still restrict other methods to GET to maintain compatibility").
- 307, 308: method and body are kept.
- A 3xx without `Location` is not followed: it is returned as the response (Go does the same).
- `Location` is resolved against the current URL; the Host header follows the new origin.
- `Referer` is set to the previous URL, except from https to http, unless the caller set one.
- Authorization, cookies and friends are dropped for good once a hop leaves the host and its
  subdomains (Go's `shouldCopyHeaderOnRedirect`, sticky since CVE-2023-45289).

This runs only when a backend answers with a redirect, so it may allocate and use `urllib`.
"""

from __future__ import annotations

from urllib.parse import quote_from_bytes, urljoin

import attrs

from .errors import RemoteProtocolError
from .origin import Origin, split_url

__all__ = ["REDIRECT_STATUSES", "Hop", "next_hop"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_SENSITIVE = frozenset(
    {
        b"authorization",
        b"www-authenticate",
        b"cookie",
        b"cookie2",
        b"proxy-authorization",
        b"proxy-authenticate",
    }
)
# Describe a body that a 301/302/303 hop drops (RFC 9110 §15.4: remove content-specific fields).
_BODY_HEADERS = frozenset({b"content-length", b"content-type", b"content-encoding"})
# Bytes kept as-is when a raw Location is made ASCII: reserved characters and "%".
_LOCATION_SAFE = "!#$%&'()*+,/:;=?@[]~"


@attrs.frozen(kw_only=True)
class Hop:
    """One request of a redirect chain.

    Attributes:
        headers: The caller's headers as they apply to this hop (no Host, no added Referer).
        referer: The Referer this client adds, or None.
    """

    origin: Origin
    method: bytes
    target: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    url: str
    referer: bytes | None = None

    def wire_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers to send for this hop."""
        if self.referer is None:
            return self.headers
        return [*self.headers, (b"referer", self.referer)]


def _same_site(host: str, initial: str) -> bool:
    return host == initial or host.endswith("." + initial)


def next_hop(hop: Hop, status: int, location: bytes) -> Hop:
    """The request that follows `hop` after a `status` redirect to `location`.

    Raises:
        RemoteProtocolError: `location` is not a usable http(s) URL.
    """
    try:
        url = urljoin(hop.url, quote_from_bytes(location.strip(), safe=_LOCATION_SAFE))
        origin, target = split_url(url)
    except ValueError as exc:
        raise RemoteProtocolError(f"failed to parse Location header {location!r}: {exc}") from exc
    url = origin.base_url + target.decode("ascii")
    headers = hop.headers
    if status in (307, 308):
        method, body = hop.method, hop.body
    else:
        method = hop.method if hop.method in (b"GET", b"HEAD") else b"GET"
        body = b""
        headers = [item for item in headers if item[0].lower() not in _BODY_HEADERS]
    if not _same_site(origin.host, hop.origin.host):
        headers = [item for item in headers if item[0].lower() not in _SENSITIVE]
    explicit = any(name.lower() == b"referer" for name, _ in headers)
    referer = None
    if not explicit and not (hop.origin.scheme == "https" and origin.scheme == "http"):
        referer = hop.url.encode("latin-1")
    return Hop(
        origin=origin,
        method=method,
        target=target,
        headers=headers,
        body=body,
        url=url,
        referer=referer,
    )
