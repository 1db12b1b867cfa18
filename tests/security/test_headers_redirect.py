"""`security/http`: the HTTPS redirect (unrolled/secure v1.15.0, Go's http.Redirect)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.test_headers import Headers, as_dict, check, secure
from trio_gateway.security import EarlyAnswer

# --- ssl_redirect ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "scheme", "host", "headers", "location"),
    [
        ({}, "http", "api.test", [], "https://api.test/a?b=1"),
        ({}, "https", "api.test", [], None),
        ({"ssl_host": "secure.test"}, "http", "api.test", [], "https://secure.test/a?b=1"),
        (
            {"ssl_host": "secure.test:8443"},
            "http",
            "api.test:8080",
            [],
            "https://secure.test:8443/a?b=1",
        ),
        ({}, "http", "api.test:8080", [], "https://api.test:8080/a?b=1"),
        ({"is_development": True}, "http", "api.test", [], None),
        (
            {"ssl_proxy_headers": {"X-Forwarded-Proto": "https"}},
            "http",
            "api.test",
            [(b"x-forwarded-proto", b"https")],
            None,
        ),
        (
            {"ssl_proxy_headers": {"X-Forwarded-Proto": "https"}},
            "http",
            "api.test",
            [(b"x-forwarded-proto", b"http")],
            "https://api.test/a?b=1",
        ),
        (
            {"host_proxy_headers": ("X-Forwarded-Host",)},
            "http",
            "internal",
            [(b"x-forwarded-host", b"public.test")],
            "https://public.test/a?b=1",
        ),
    ],
)
def test_ssl_redirect(
    options: dict[str, Any], scheme: str, host: str, headers: Headers, location: str | None
) -> None:
    result = check(secure(ssl_redirect=True, **options), host, scheme=scheme, headers=headers)
    if location is None:
        assert result is None
        return
    assert result == EarlyAnswer(
        301,
        [(b"location", location.encode()), (b"content-type", b"text/html; charset=utf-8")],
        b'<a href="' + location.encode().replace(b"&", b"&amp;") + b'">Moved Permanently</a>.\n\n',
    )


@pytest.mark.parametrize(
    ("method", "content_type", "body"),
    [("GET", True, True), ("HEAD", True, False), ("POST", False, False), ("PUT", False, False)],
)
def test_redirect_body_follows_go_http_redirect(
    method: str, content_type: bool, body: bool
) -> None:
    result = check(secure(ssl_redirect=True), method=method)
    assert result is not None and result.status == 301
    assert ("content-type" in as_dict(result.headers)) is content_type
    assert bool(result.body) is body


def test_redirect_escapes_non_ascii_and_html() -> None:
    result = check(secure(ssl_redirect=True), target="/caf\u00e9?q=<a>&r='\"")
    assert result is not None
    assert as_dict(result.headers)["location"] == "https://api.test/caf%c3%a9?q=<a>&r='\""
    assert result.body == (
        b'<a href="https://api.test/caf\xc3\xa9?q=&lt;a&gt;&amp;r=&#39;&#34;">'
        b"Moved Permanently</a>.\n\n"
    )


def test_no_checks_configured_means_no_early_answer() -> None:
    assert (
        check(secure(frame_deny=True, sts_seconds=10), None, headers=[(b"\xff", b"\xff")]) is None
    )
