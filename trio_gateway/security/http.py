"""`security/http`: unrolled/secure v1.15.0 as krakend-httpsecure v2.2.1 configures it.

Reference §12. KrakenD registers it with gin's `engine.Use`, so it covers every route and the
404/405 answers but not `/__health` and not CORS preflights (answered further out).

Rule 1: `check` runs unrolled/secure's `processRequest` order: allowed hosts (500 `Bad Host`),
then the SSL redirect (301). Neither early answer carries the security headers, as
`processRequest` returns no headers with its error.
Rule 2: `response_headers` is what unrolled/secure sets on the response *before* the handler, so
the lead adds it to every routed answer, whatever its status. All constant header lists are built
in `from_config`; per request only the TLS test for `Strict-Transport-Security` and the `$NONCE`
of a Content-Security-Policy are worked out.

Kept from KrakenD on purpose: code defaults are all off (the schema's `ssl_redirect: true` and
`referrer_policy: same-origin` are not what KrakenD does); `allowed_hosts` compare with the port
(`Host` as sent) and, as regular expressions, are wrapped as `^<entry>$` without a group, so
`a|b` means `^a` or `b$`; a missing `ssl_proxy_headers` header reads as "" (Go's `Header.Get`);
`hpkp_public_key` is ignored.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import attrs

from trio_gateway.config.model import ExtraConfig, frozen_dict
from trio_gateway.encoding.html import html_escape
from trio_gateway.headers import first
from trio_gateway.namespace import Layer, Level, Namespace, Rejection, Slot

__all__ = [
    "GUARD",
    "NAMESPACE",
    "EarlyAnswer",
    "HTTPSecureConfig",
    "SecurityHeaders",
    "SecurityHeadersGuard",
]

Headers = list[tuple[bytes, bytes]]

# Go's http.Error: text/plain, nosniff and the message plus "\n" (fmt.Fprintln).
_BAD_HOST_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"x-content-type-options", b"nosniff"),
)
_BAD_HOST_BODY = b"Bad Host\n"
_HTML_UTF8 = b"text/html; charset=utf-8"
_TLS_SCHEMES = frozenset({"https", "wss"})
_NONCE = "$NONCE"
_NONCE_SIZE = 16  # unrolled/secure cspNonceSize


@attrs.frozen
class EarlyAnswer:
    """An answer that ends the request before routing: `status`, `headers` and `body`."""

    status: int
    headers: Headers
    body: bytes


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def _hex_escape_non_ascii(location: bytes) -> bytes:
    """net/http `hexEscapeNonASCII`, plus the CR/LF→space net/http applies to header values."""
    if location.isascii():
        escaped = location
    else:
        escaped = b"".join(b"%%%x" % byte if byte >= 0x80 else bytes((byte,)) for byte in location)
    return escaped.replace(b"\r", b" ").replace(b"\n", b" ")


class SecurityHeaders:
    """Host allow-list, HTTPS redirect and the security response headers."""

    __slots__ = (
        "_allowed_hosts",
        "_csp_template",
        "_host_headers",
        "_host_patterns",
        "_ssl_headers",
        "_ssl_host",
        "_ssl_redirect",
        "_sts_mode",
        "_with_sts",
        "_without_sts",
    )

    def __init__(self, config: HTTPSecureConfig) -> None:
        """Compile `config`; prefer `SecurityHeaders.from_config`.

        Raises:
            ValueError: `allowed_hosts_are_regex` is set and an entry does not compile (KrakenD
                panics at startup with "Error parsing AllowedHost").
        """
        dev = config.is_development
        # Go compiles the host patterns even in development mode, so a bad one always fails.
        patterns = []
        if config.allowed_hosts_are_regex:
            for host in config.allowed_hosts:
                try:
                    patterns.append(re.compile(f"^{host}$"))
                except re.error as exc:
                    raise ValueError(f"Error parsing AllowedHost: {exc}") from exc
        self._host_patterns: tuple[re.Pattern[str], ...] | None = None
        self._allowed_hosts: frozenset[str] | None = None
        if config.allowed_hosts and not dev:
            if config.allowed_hosts_are_regex:
                self._host_patterns = tuple(patterns)
            else:  # strings.EqualFold
                self._allowed_hosts = frozenset(host.lower() for host in config.allowed_hosts)
        self._host_headers = tuple(name.lower().encode() for name in config.host_proxy_headers)
        self._ssl_headers = tuple(
            (name.lower().encode(), _utf8(value))
            for name, value in config.ssl_proxy_headers.items()
        )
        self._ssl_redirect = config.ssl_redirect and not dev
        self._ssl_host = config.ssl_host

        # Everything but STS and a $NONCE policy is constant (unrolled/secure processRequest).
        common: Headers = []
        if config.custom_frame_options_value:
            common.append((b"x-frame-options", _utf8(config.custom_frame_options_value)))
        elif config.frame_deny:
            common.append((b"x-frame-options", b"DENY"))
        if config.content_type_nosniff:
            common.append((b"x-content-type-options", b"nosniff"))
        if config.browser_xss_filter:
            common.append((b"x-xss-protection", b"1; mode=block"))
        self._csp_template = ""
        if _NONCE in config.content_security_policy:
            self._csp_template = config.content_security_policy
        elif config.content_security_policy:
            common.append((b"content-security-policy", _utf8(config.content_security_policy)))
        if config.referrer_policy:
            common.append((b"referrer-policy", _utf8(config.referrer_policy)))
        self._without_sts = common
        sts = f"max-age={config.sts_seconds}"
        if config.sts_include_subdomains:
            sts += "; includeSubDomains"
        self._with_sts: Headers = [(b"strict-transport-security", sts.encode()), *common]
        # STS: sts_seconds != 0, on TLS (or forced), never in development (RFC 6797 §7.2).
        if config.sts_seconds == 0 or dev:
            self._sts_mode = "never"
        elif config.force_sts_header:
            self._sts_mode = "always"
        else:
            self._sts_mode = "tls"

    @classmethod
    def from_config(cls, config: HTTPSecureConfig) -> SecurityHeaders:
        """Build the layer for the service's `security/http` configuration (see `__init__`)."""
        return cls(config)

    def check(
        self,
        scheme: str,
        host: str | None,
        path_and_query: str,
        headers: Sequence[tuple[bytes, bytes]],
        *,
        method: str = "GET",
    ) -> EarlyAnswer | None:
        """The early answer for a bad host or a plain-HTTP request to redirect; None to go on.

        Args:
            scheme: the ASGI scope's scheme (`https`/`wss` mean TLS).
            host: the request's `Host` (with its port, as sent), None when absent.
            path_and_query: the request target as sent (`/a/b?x=1`), used for the redirect.
            headers: the request headers (lower-case names).
            method: the request method: Go's http.Redirect sends its HTML body only for GET and
                its Content-Type only for GET and HEAD.
        """
        if self._allowed_hosts is None and self._host_patterns is None and not self._ssl_redirect:
            return None
        resolved = host or ""
        for wanted in self._host_headers:  # the first non-empty host_proxy_headers value wins
            value = first(headers, wanted)
            if value:
                resolved = value.decode("latin-1")
                break
        if self._allowed_hosts is not None and resolved.lower() not in self._allowed_hosts:
            return EarlyAnswer(500, list(_BAD_HOST_HEADERS), _BAD_HOST_BODY)
        if self._host_patterns is not None and not any(
            pattern.search(resolved) for pattern in self._host_patterns
        ):
            return EarlyAnswer(500, list(_BAD_HOST_HEADERS), _BAD_HOST_BODY)
        if self._ssl_redirect and not self._is_tls(scheme, headers):
            url = f"https://{self._ssl_host or resolved}{path_and_query}"
            location = _utf8(url)
            out: Headers = [(b"location", _hex_escape_non_ascii(location))]
            if method in ("GET", "HEAD"):
                out.append((b"content-type", _HTML_UTF8))
            body = b""
            if method == "GET":
                body = b'<a href="' + html_escape(location) + b'">Moved Permanently</a>.\n\n'
            return EarlyAnswer(301, out, body)
        return None

    def response_headers(
        self, scheme: str, headers: Sequence[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        """The headers to add to every response that went through `check`."""
        mode = self._sts_mode
        if mode == "always" or (mode == "tls" and self._is_tls(scheme, headers)):
            out = list(self._with_sts)
        else:
            out = list(self._without_sts)
        if self._csp_template:
            # unrolled/secure: `$NONCE` → 'nonce-<16 random bytes, unpadded base64>' per request.
            nonce = base64.b64encode(os.urandom(_NONCE_SIZE)).rstrip(b"=").decode()
            policy = self._csp_template.replace(_NONCE, f"'nonce-{nonce}'")
            out.append((b"content-security-policy", _utf8(policy)))
        return out

    def _is_tls(self, scheme: str, headers: Sequence[tuple[bytes, bytes]]) -> bool:
        # unrolled/secure isSSL: the URL scheme or the connection, then ssl_proxy_headers.
        if scheme.lower() in _TLS_SCHEMES:
            return True
        # Go's Header.Get: a missing header reads as "", which an empty value matches.
        return any((first(headers, name) or b"") == value for name, value in self._ssl_headers)


@attrs.frozen(kw_only=True)
class HTTPSecureConfig:
    """`extra_config."security/http"` (service): unrolled/secure's options."""

    NAMESPACE: ClassVar[str] = "security/http"

    allowed_hosts: tuple[str, ...] = ()
    allowed_hosts_are_regex: bool = False
    host_proxy_headers: tuple[str, ...] = ()
    ssl_redirect: bool = False
    ssl_host: str = ""
    ssl_proxy_headers: Mapping[str, str] = attrs.field(factory=frozen_dict)
    sts_seconds: int = 0
    sts_include_subdomains: bool = False
    force_sts_header: bool = False
    frame_deny: bool = False
    custom_frame_options_value: str = ""
    content_type_nosniff: bool = False
    browser_xss_filter: bool = False
    content_security_policy: str = ""
    referrer_policy: str = ""
    is_development: bool = False
    hpkp_public_key: str = ""  # accepted and ignored, as KrakenD (HPKP is gone)


NAMESPACE = Namespace(
    name="security/http",
    levels=frozenset({Level.SERVICE}),
    config=HTTPSecureConfig,
    aliases=("github_com/devopsfaith/krakend-httpsecure",),
)


class SecurityHeadersGuard:
    """KrakenD registers `security/http` with gin's `engine.Use` after the health route: it
    covers every endpoint and the 404/405 answers, not `/__health` (krakend-components §1.3)."""

    __slots__ = ("_secure",)

    covers_health = False

    def __init__(self, secure: SecurityHeaders) -> None:
        self._secure = secure

    def admit(self, scope: dict[str, Any]) -> Rejection | None:
        headers: Headers = scope["headers"]
        # Go redirects to the path as it was sent, not its decoded form.
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        query = scope["query_string"]
        target = (raw_path + (b"?" + query if query else b"")).decode("latin-1")
        host_value = first(headers, b"host")
        host = host_value.decode("latin-1") if host_value is not None else None
        early = self._secure.check(
            scope.get("scheme", "http"), host, target, headers, method=scope["method"]
        )
        return None if early is None else Rejection(early.status, list(early.headers), early.body)

    def response_headers(self, scope: dict[str, Any]) -> Headers:
        return self._secure.response_headers(scope.get("scheme", "http"), scope["headers"])


def build_guard(extra: ExtraConfig, context: Any) -> SecurityHeadersGuard | None:
    config = extra.get(HTTPSecureConfig)
    return None if config is None else SecurityHeadersGuard(SecurityHeaders.from_config(config))


GUARD = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.SERVICE_GUARD, build=build_guard)
