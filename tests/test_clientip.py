"""Client IP resolution, gin's rules (reference §2.1)."""

from __future__ import annotations

import pytest

from trio_gateway.routing.clientip import ClientIPResolver


@pytest.mark.parametrize(
    ("resolver", "peer", "headers", "expected"),
    [
        (ClientIPResolver(), "127.0.0.1", [], "127.0.0.1"),
        # everything trusted by default: the left-most valid address wins
        (ClientIPResolver(), "127.0.0.1", [(b"x-forwarded-for", b"1.1.1.1, 2.2.2.2")], "1.1.1.1"),
        (ClientIPResolver(), "127.0.0.1", [(b"x-real-ip", b"3.3.3.3")], "3.3.3.3"),
        # an invalid entry ends the walk: fall back to the peer
        (ClientIPResolver(), "127.0.0.1", [(b"x-forwarded-for", b"1.1.1.1, junk")], "127.0.0.1"),
        # with trusted proxies, the first untrusted address from the right is the client
        (
            ClientIPResolver(trusted_proxies=["127.0.0.1/32", "10.0.0.0/8"]),
            "127.0.0.1",
            [(b"x-forwarded-for", b"6.6.6.6, 1.1.1.1, 10.1.1.1")],
            "1.1.1.1",
        ),
        # a peer that is not a trusted proxy cannot spoof its address
        (
            ClientIPResolver(trusted_proxies=["10.0.0.0/8"]),
            "127.0.0.1",
            [(b"x-forwarded-for", b"6.6.6.6")],
            "127.0.0.1",
        ),
        (
            ClientIPResolver(forwarded_by_client_ip=False),
            "127.0.0.1",
            [(b"x-forwarded-for", b"6.6.6.6")],
            "127.0.0.1",
        ),
        (
            ClientIPResolver(remote_ip_headers=["X-Client"]),
            "::1",
            [(b"x-forwarded-for", b"6.6.6.6"), (b"x-client", b"::2")],
            "::2",
        ),
    ],
)
def test_client_ip(
    resolver: ClientIPResolver, peer: str, headers: list[tuple[bytes, bytes]], expected: str
) -> None:
    assert resolver.resolve(peer, headers) == expected
