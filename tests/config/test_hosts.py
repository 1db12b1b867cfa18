"""`clean_host` reproduces KrakenD's `SafeCleanHost` (reference §1.6)."""

from __future__ import annotations

import pytest

from trio_gateway.config.hosts import clean_host


@pytest.mark.parametrize(
    ("host", "cleaned"),
    [
        ("localhost:8080", "http://localhost:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("https://api.example.com", "https://api.example.com"),
        ("https://x:443/", "https://x:443"),
        ("example.com", "http://example.com"),
        ("http://a_b-c.d:123456", "http://a_b-c.d:123456"),
        ("http://a.com//", "http://a.com"),  # the lone trailing "/" cannot start a second match
        ("a.com?", "http://a.com"),  # text outside the single match is dropped, as in KrakenD
        # IPv6 without a port: only "1" matches, once, so KrakenD keeps "http://1" (sic)
        ("[::1]", "http://1"),
    ],
)
def test_valid_hosts_are_rebuilt_like_krakend(host: str, cleaned: str) -> None:
    assert clean_host(host) == cleaned


@pytest.mark.parametrize(
    "host",
    [
        "http://a.com/api",  # path
        "HTTP://a.com",  # upper-case scheme
        "http://user@a.com",  # user-info
        "http://a.com:8",  # one-digit port
        "http://a.com:1234567",  # seven-digit port
        "http://[::1]:8080",  # IPv6 literal
        "ftp://a.com",
        "",
        "   ",
    ],
)
def test_invalid_hosts_are_rejected_with_krakends_message(host: str) -> None:
    with pytest.raises(ValueError) as info:
        clean_host(host)
    assert str(info.value) == f"host {host} not valid: invalid host"
