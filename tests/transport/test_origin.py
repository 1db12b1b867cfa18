"""Origins and URL splitting."""

from __future__ import annotations

import pytest

from trio_gateway.transport import Origin, split_url


@pytest.mark.parametrize(
    ("url", "origin", "host_header", "base_url"),
    [
        ("http://127.0.0.1:8080", Origin("http", "127.0.0.1", 8080), b"127.0.0.1:8080", None),
        ("https://api.x.com", Origin("https", "api.x.com", 443), b"api.x.com", None),
        ("http://api.x.com/", Origin("http", "api.x.com", 80), b"api.x.com", "http://api.x.com"),
        ("HTTP://API.X.COM:80", Origin("http", "api.x.com", 80), b"api.x.com", "http://api.x.com"),
        ("https://h:8443", Origin("https", "h", 8443), b"h:8443", None),
        ("https://h:443", Origin("https", "h", 443), b"h", "https://h"),
        ("http://[::1]:8080", Origin("http", "::1", 8080), b"[::1]:8080", None),
        (
            "http://b\u00fccher.example",
            Origin("http", "xn--bcher-kva.example", 80),
            b"xn--bcher-kva.example",
            "http://xn--bcher-kva.example",
        ),
    ],
)
def test_parse(url: str, origin: Origin, host_header: bytes | None, base_url: str | None) -> None:
    parsed = Origin.parse(url)
    assert parsed == origin
    assert hash(parsed) == hash(origin)
    if host_header is not None:
        assert parsed.host_header == host_header
    assert parsed.base_url == (base_url or url)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com",
        "127.0.0.1:8080",
        "http://",
        "http://example.com/path",
        "http://example.com?query=1",
        "http://example.com#fragment",
        "http://example.com:99999",
        "http://example.com:port",
        "http://user:secret@example.com",
        "http://exa mple.com",
        "http://[zz::1]:80",
        "",
    ],
)
def test_parse_rejects_junk(url: str) -> None:
    with pytest.raises(ValueError):
        Origin.parse(url)


def test_constructor_validates() -> None:
    with pytest.raises(ValueError, match="scheme"):
        Origin("ws", "h", 80)
    with pytest.raises(ValueError, match="port"):
        Origin("http", "h", 0)


def test_derived_fields_do_not_affect_equality() -> None:
    pools = {Origin("http", "h", 80): "pool"}
    assert pools[Origin.parse("http://h")] == "pool"
    assert repr(Origin("http", "h", 80)) == "Origin(scheme='http', host='h', port=80)"


@pytest.mark.parametrize(
    ("url", "origin", "target"),
    [
        ("http://a.com/x/y?z=1#frag", Origin("http", "a.com", 80), b"/x/y?z=1"),
        ("https://a.com", Origin("https", "a.com", 443), b"/"),
        ("http://a.com:81/a b", Origin("http", "a.com", 81), b"/a%20b"),
        ("http://a.com/%7Eu/x?a=%20", Origin("http", "a.com", 80), b"/%7Eu/x?a=%20"),
    ],
)
def test_split_url(url: str, origin: Origin, target: bytes) -> None:
    assert split_url(url) == (origin, target)


def test_split_url_needs_an_absolute_url() -> None:
    with pytest.raises(ValueError):
        split_url("/relative/path")
