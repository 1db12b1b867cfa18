"""SRV lookups on dnspython's trio backend against a loopback responder (tests/dns_server.py)."""

from __future__ import annotations

import pytest

from tests.dns_server import DnsZone, dns_zone
from trio_gateway.transport.srv import (
    NAMESERVER_ENV,
    SrvLookupError,
    SrvRecord,
    _nameserver,
    is_domain_name,
    lookup_srv,
)

__all__ = ["dns_zone"]


# Go's net.isDomainName (net/dnsname_test.go cases and the all-numeric rule).
@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("_api._tcp.example.com", True),
        ("_api._tcp.example.com.", True),
        ("localhost", True),
        (".", True),
        ("a.b-c.d", True),
        ("", False),
        ("a..b", False),
        ("-a.b", False),
        ("a-.b", False),
        ("a.b-", False),
        ("127.0.0.1", False),  # all-numeric: not a host name
        ("127.0.0.1.", False),
        ("http://api.example.com", False),  # what host sanitizing makes of a name
        ("api.example.com:8080", False),
        ("a b.com", False),
        ("x" * 63 + ".com", True),
        ("x" * 64 + ".com", False),
        (".".join(["abc"] * 63) + "ab", True),  # 253 characters
        (".".join(["abc"] * 63) + "abc", False),  # 254 without the root dot
        (".".join(["abc"] * 63) + "ab.", True),  # 254 with it
        (".".join(["abc"] * 63) + "abc.", False),
    ],
)
def test_is_domain_name(name: str, valid: bool) -> None:
    assert is_domain_name(name) is valid


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("[::1]:5353", ("::1", 5353)),
        ("[::1]", ("::1", 53)),
        ("::1", ("::1", 53)),
    ],
)
def test_nameserver_override(value: str, expected: tuple[str, int]) -> None:
    assert _nameserver(value) == expected


@pytest.mark.parametrize("value", ["127.0.0.1:", "127.0.0.1:0", "127.0.0.1:x", "[::1]x", ":53"])
def test_nameserver_override_refused(value: str) -> None:
    with pytest.raises(SrvLookupError, match=NAMESERVER_ENV):
        _nameserver(value)


async def test_answer_in_order_with_absolute_targets(dns_zone: DnsZone) -> None:
    dns_zone.srv["_api._tcp.test."] = [(10, 5, 8080, "a.test."), (20, 1, 8081, "b.test.")]
    records = await lookup_srv("_api._tcp.test")
    assert sorted(records, key=lambda r: r.port) == [
        SrvRecord("a.test.", 8080, 10, 5),
        SrvRecord("b.test.", 8081, 20, 1),
    ]


@pytest.mark.parametrize("name", ["_missing._tcp.test", "_missing._tcp.test."])
async def test_nxdomain_is_an_error(dns_zone: DnsZone, name: str) -> None:
    with pytest.raises(SrvLookupError, match=r"_missing\._tcp\.test"):
        await lookup_srv(name)


async def test_no_records_is_an_error(dns_zone: DnsZone) -> None:
    dns_zone.srv["_api._tcp.test."] = []
    with pytest.raises(SrvLookupError, match=r"lookup _api\._tcp\.test"):
        await lookup_srv("_api._tcp.test")


async def test_servfail_is_an_error(dns_zone: DnsZone) -> None:
    dns_zone.srv["_api._tcp.test."] = [(0, 1, 80, "a.test.")]
    dns_zone.failing = True
    with pytest.raises(SrvLookupError, match=r"lookup _api\._tcp\.test"):
        await lookup_srv("_api._tcp.test")


async def test_ip_literal_target_fails_the_lookup(dns_zone: DnsZone) -> None:
    # Go's LookupSRV drops records whose target is no domain name and returns an error, which
    # lura treats as a failed lookup (the last good list stays).
    dns_zone.srv["_api._tcp.test."] = [(0, 1, 80, "a.test."), (0, 1, 81, "127.0.0.1.")]
    with pytest.raises(SrvLookupError, match="invalid names"):
        await lookup_srv("_api._tcp.test")


async def test_invalid_name_is_not_queried(dns_zone: DnsZone) -> None:
    with pytest.raises(SrvLookupError, match="no such host"):
        await lookup_srv("http://_api._tcp.test")
    assert dns_zone.queries == []


async def test_bad_override_is_a_lookup_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAMESERVER_ENV, "not a server:x")
    with pytest.raises(SrvLookupError, match=NAMESERVER_ENV):
        await lookup_srv("_api._tcp.test")
