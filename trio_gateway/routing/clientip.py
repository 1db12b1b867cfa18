"""The client's IP address, by gin's rules as KrakenD configures them (reference §2.1).

With `forwarded_by_client_ip` on (the default) and the peer a trusted proxy (by default every
address is trusted), each of `remote_ip_headers` (default `X-Forwarded-For`, `X-Real-IP`) is walked
right to left and the first address that is not a trusted proxy is the client; an unparsable entry
ends the walk of that header. Otherwise, and as a fallback, the peer address is the client.
Setting `trusted_proxies` is what makes the header impossible to spoof from outside.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

from trio_gateway.headers import first

__all__ = ["ClientIPResolver"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse_network(text: str) -> _Network:
    return ipaddress.ip_network(text.strip(), strict=False)


@functools.lru_cache(maxsize=4096)
def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """`ipaddress.ip_address`, remembered: the same few peers and proxies come back."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class ClientIPResolver:
    """Resolve the client IP from the peer address and the request headers."""

    __slots__ = ("_enabled", "_headers", "_trust_all", "_trusted")

    def __init__(
        self,
        *,
        forwarded_by_client_ip: bool = True,
        remote_ip_headers: Sequence[str] = ("X-Forwarded-For", "X-Real-IP"),
        trusted_proxies: Sequence[str] | None = None,
    ) -> None:
        self._enabled = forwarded_by_client_ip and bool(remote_ip_headers)
        self._headers = tuple(h.lower().encode("latin-1") for h in remote_ip_headers)
        self._trust_all = trusted_proxies is None
        self._trusted = tuple(_parse_network(t) for t in trusted_proxies or ())

    def _is_trusted(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return self._trust_all or any(ip in net for net in self._trusted)

    def resolve(self, peer: str, headers: Sequence[tuple[bytes, bytes]]) -> str:
        if not self._enabled:
            return peer
        peer_ip = _parse_ip(peer)
        if peer_ip is None or not self._is_trusted(peer_ip):
            return peer
        for wanted in self._headers:
            value = first(headers, wanted)
            if value is not None:
                found = self._walk(value.decode("latin-1"))
                if found is not None:
                    return found
        return peer

    def _walk(self, header: str) -> str | None:
        items = header.split(",")
        for i in range(len(items) - 1, -1, -1):
            text = items[i].strip()
            ip = _parse_ip(text)
            if ip is None:
                return None
            if i == 0 or not self._is_trusted(ip):
                return text
        return None
