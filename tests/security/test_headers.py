"""`security/http` with unrolled/secure v1.15.0 semantics (reference §12)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_gateway.security import EarlyAnswer, SecurityHeaders
from trio_gateway.security.http import HTTPSecureConfig

Headers = list[tuple[bytes, bytes]]


def secure(**kwargs: Any) -> SecurityHeaders:
    return SecurityHeaders.from_config(HTTPSecureConfig(**kwargs))


def as_dict(headers: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers:
        assert name == name.lower() and name.decode() not in out, name
        out[name.decode()] = value.decode()
    return out


def check(
    layer: SecurityHeaders,
    host: str | None = "api.test",
    *,
    scheme: str = "http",
    target: str = "/a?b=1",
    headers: Headers | None = None,
    method: str = "GET",
) -> EarlyAnswer | None:
    return layer.check(scheme, host, target, headers or [], method=method)


# --- response headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, {}),
        ({"frame_deny": True}, {"x-frame-options": "DENY"}),
        ({"custom_frame_options_value": "SAMEORIGIN"}, {"x-frame-options": "SAMEORIGIN"}),
        (
            {"frame_deny": True, "custom_frame_options_value": "SAMEORIGIN"},
            {"x-frame-options": "SAMEORIGIN"},
        ),
        ({"content_type_nosniff": True}, {"x-content-type-options": "nosniff"}),
        ({"browser_xss_filter": True}, {"x-xss-protection": "1; mode=block"}),
        (
            {"content_security_policy": "default-src 'self'"},
            {"content-security-policy": "default-src 'self'"},
        ),
        ({"referrer_policy": "same-origin"}, {"referrer-policy": "same-origin"}),
        ({"hpkp_public_key": "pin-sha256=abc"}, {}),  # ignored, as in KrakenD
        ({"is_development": True, "frame_deny": True}, {"x-frame-options": "DENY"}),
        # STS is only for TLS: these run over plain http.
        ({"sts_seconds": 300}, {}),
        (
            {"sts_seconds": 300, "force_sts_header": True},
            {"strict-transport-security": "max-age=300"},
        ),
        (
            {"sts_seconds": 300, "force_sts_header": True, "sts_include_subdomains": True},
            {"strict-transport-security": "max-age=300; includeSubDomains"},
        ),
        ({"sts_seconds": 300, "force_sts_header": True, "is_development": True}, {}),
        ({"sts_seconds": 0, "force_sts_header": True}, {}),
    ],
)
def test_each_header_option(options: dict[str, Any], expected: dict[str, str]) -> None:
    layer = secure(**options)
    assert as_dict(layer.response_headers("http", [])) == expected


@pytest.mark.parametrize(
    ("scheme", "headers", "options", "sts"),
    [
        ("https", [], {}, True),
        ("HTTPS", [], {}, True),
        ("wss", [], {}, True),
        ("http", [], {}, False),
        ("http", [(b"x-forwarded-proto", b"https")], {}, True),
        ("http", [(b"x-forwarded-proto", b"http")], {}, False),
        ("http", [(b"x-forwarded-proto", b"HTTPS")], {}, False),  # the value is compared exactly
        # Header.Get: only the first value counts.
        ("http", [(b"x-forwarded-proto", b"http"), (b"x-forwarded-proto", b"https")], {}, False),
        ("http", [(b"x-forwarded-proto", b"https")], {"is_development": True}, False),
        ("https", [], {"sts_include_subdomains": True}, True),
    ],
)
def test_sts_only_on_tls(scheme: str, headers: Headers, options: dict[str, Any], sts: bool) -> None:
    layer = secure(
        sts_seconds=31536000, ssl_proxy_headers={"X-Forwarded-Proto": "https"}, **options
    )
    got = as_dict(layer.response_headers(scheme, headers))
    assert ("strict-transport-security" in got) is sts
    if sts:
        suffix = "; includeSubDomains" if options.get("sts_include_subdomains") else ""
        assert got["strict-transport-security"] == "max-age=31536000" + suffix


def test_missing_ssl_proxy_header_reads_as_empty() -> None:
    # Go's Header.Get returns "" for a missing header, so an empty expected value always matches.
    layer = secure(sts_seconds=60, ssl_proxy_headers={"X-Never-Sent": ""})
    assert "strict-transport-security" in as_dict(layer.response_headers("http", []))


def test_csp_nonce_is_fresh_per_response() -> None:
    layer = secure(content_security_policy="script-src $NONCE 'self'")
    first = as_dict(layer.response_headers("https", []))["content-security-policy"]
    second = as_dict(layer.response_headers("https", []))["content-security-policy"]
    pattern = r"script-src 'nonce-[A-Za-z0-9+/]{22}' 'self'"  # 16 bytes, unpadded base64
    assert re.fullmatch(pattern, first) and re.fullmatch(pattern, second)
    assert first != second


def test_response_headers_lists_are_fresh() -> None:
    layer = secure(frame_deny=True)
    layer.response_headers("http", []).append((b"x", b"y"))
    assert as_dict(layer.response_headers("http", [])) == {"x-frame-options": "DENY"}


# --- allowed hosts ------------------------------------------------------------------------------

BAD_HOST = EarlyAnswer(
    500,
    [(b"content-type", b"text/plain; charset=utf-8"), (b"x-content-type-options", b"nosniff")],
    b"Bad Host\n",
)


@pytest.mark.parametrize(
    ("options", "host", "headers", "good"),
    [
        ({}, "anything", [], True),
        ({"allowed_hosts": ("api.test",)}, "api.test", [], True),
        ({"allowed_hosts": ("api.test",)}, "API.Test", [], True),  # EqualFold
        ({"allowed_hosts": ("api.test",)}, "api.test:8080", [], False),  # the port counts
        ({"allowed_hosts": ("api.test:8080",)}, "api.test:8080", [], True),
        ({"allowed_hosts": ("api.test",)}, "other.test", [], False),
        ({"allowed_hosts": ("api.test",)}, None, [], False),
        ({"allowed_hosts": ("api.test",), "is_development": True}, "other.test", [], True),
        # regular expressions, wrapped as ^…$
        (
            {"allowed_hosts": (r".*\.api\.test",), "allowed_hosts_are_regex": True},
            "v1.api.test",
            [],
            True,
        ),
        (
            {"allowed_hosts": (r".*\.api\.test",), "allowed_hosts_are_regex": True},
            "api.test",
            [],
            False,
        ),
        (
            {"allowed_hosts": (r"api\.test",), "allowed_hosts_are_regex": True},
            "api.test.evil",
            [],
            False,
        ),
        # no group around the entry: "a|b" is "^a" or "b$", as in Go
        ({"allowed_hosts": ("good|bad",), "allowed_hosts_are_regex": True}, "goodness", [], True),
        ({"allowed_hosts": ("good|bad",), "allowed_hosts_are_regex": True}, "very-bad", [], True),
        ({"allowed_hosts": ("API",), "allowed_hosts_are_regex": True}, "api", [], False),
        # host_proxy_headers: the first one with a non-empty value replaces Host
        (
            {"allowed_hosts": ("public.test",), "host_proxy_headers": ("X-Forwarded-Host",)},
            "internal:8080",
            [(b"x-forwarded-host", b"public.test")],
            True,
        ),
        (
            {"allowed_hosts": ("public.test",), "host_proxy_headers": ("X-Forwarded-Host",)},
            "public.test",
            [(b"x-forwarded-host", b"evil.test")],
            False,
        ),
        (
            {"allowed_hosts": ("public.test",), "host_proxy_headers": ("X-Empty", "X-Host")},
            "internal",
            [(b"x-empty", b""), (b"x-host", b"public.test")],
            True,
        ),
        (
            {"allowed_hosts": ("internal",), "host_proxy_headers": ("X-Host",)},
            "internal",
            [],
            True,
        ),
    ],
)
def test_allowed_hosts(
    options: dict[str, Any], host: str | None, headers: Headers, good: bool
) -> None:
    result = check(secure(**options), host, headers=headers)
    assert result == (None if good else BAD_HOST)


def test_bad_host_wins_over_ssl_redirect_and_skips_security_headers() -> None:
    layer = secure(allowed_hosts=("api.test",), ssl_redirect=True, frame_deny=True)
    assert check(layer, "evil.test") == BAD_HOST  # no X-Frame-Options in the early answer
    redirect = check(layer, "api.test")
    assert redirect is not None and redirect.status == 301
    assert b"x-frame-options" not in dict(redirect.headers)
    assert check(layer, "api.test", scheme="https") is None


def test_invalid_host_regex_fails_like_krakend_panics() -> None:
    with pytest.raises(ValueError, match="Error parsing AllowedHost"):
        secure(allowed_hosts=("(",), allowed_hosts_are_regex=True)
    with pytest.raises(ValueError, match="Error parsing AllowedHost"):
        secure(allowed_hosts=("(",), allowed_hosts_are_regex=True, is_development=True)


TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from(["\udcff", "\ud800"]), max_size=20)


@given(
    scheme=st.sampled_from(["http", "https"]) | TEXT,
    host=st.none() | TEXT,
    target=TEXT,
    method=st.sampled_from(["GET", "HEAD", "POST"]),
    headers=st.lists(
        st.tuples(
            st.sampled_from([b"x-forwarded-host", b"x-forwarded-proto"]) | st.binary(max_size=8),
            st.binary(max_size=40),
        ),
        max_size=6,
    ),
)
def test_arbitrary_input_never_raises(
    scheme: str, host: str | None, target: str, method: str, headers: Headers
) -> None:
    layer = secure(
        allowed_hosts=(r"[a-z.]+", "api.test"),
        allowed_hosts_are_regex=True,
        host_proxy_headers=("X-Forwarded-Host",),
        ssl_redirect=True,
        ssl_proxy_headers={"X-Forwarded-Proto": "https"},
        sts_seconds=10,
        content_security_policy="default-src $NONCE",
    )
    result = layer.check(scheme, host, target, headers, method=method)
    assert result is None or result.status in (301, 500)
    if result is not None and result.status == 301:
        location = as_dict(result.headers)["location"]
        assert location.isascii() and "\n" not in location and "\r" not in location
    added = layer.response_headers(scheme, headers)
    assert any(name == b"content-security-policy" for name, _ in added)
