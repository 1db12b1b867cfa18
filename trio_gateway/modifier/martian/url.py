"""martian's `martianurl` (registered as `url.*`) and `stash` packages (v2.1.0).

`url.Modifier` (requests only) replaces each of `scheme`, `host`, `path`, `query` that is not
empty. The request then goes to that scheme and host, but its `Host` header stays the one the
backend's URL gave: Go's `http.NewRequest` copied it into `Request.Host`, which the transport
sends (set the Host with `header.Modifier` on `Host`). `path` is decoded text, escaped as Go
escapes a path; `query` is sent as written. `url.Filter` runs its modifier when every non-empty
part matches the request URL (the host with `*` wildcards per label, martian's `MatchHost`);
`url.RegexFilter` when a regular expression matches the whole URL (`scheme://host/path?query`).
`url.Verifier` changes nothing. `stash.Modifier` writes the URL into `headerName` (and, on the
response, copies that request header); its response scope needs the request scope too.
"""

from __future__ import annotations

import re
from typing import Any

from trio_gateway.config.diagnostics import Path
from trio_gateway.modifier.martian.filters import Condition, Filter, compile_regex
from trio_gateway.modifier.martian.headers import RequestVerifier, sendable_name
from trio_gateway.modifier.martian.message import GoRequest, GoResponse, url_string
from trio_gateway.modifier.martian.parse import (
    Field,
    Issues,
    Result,
    child,
    fields,
    new_result,
    register,
)
from trio_gateway.transport.origin import DEFAULT_PORTS, Origin

__all__ = ["match_host"]

_URL_SPEC = {
    "scheme": Field.STRING,
    "host": Field.STRING,
    "path": Field.STRING,
    "query": Field.STRING,
    "scope": Field.SCOPE,
}
_FILTER_SPEC = {**_URL_SPEC, "modifier": Field.RAW, "else": Field.RAW}


def match_host(host: str, match: str) -> bool:
    """martianurl.MatchHost: `*` stands for one label (`*.example.com`)."""
    if not host:
        return False
    if host == match:
        return True
    hi = len(host) - 1
    for mi in range(len(match) - 1, -1, -1):
        if match[mi] == "*":
            while hi > 0 and host[hi] != ".":
                hi -= 1
            if mi == 0 and hi == 0:
                return True
            continue
        if host[hi] != match[mi]:
            return False
        if hi == 0:
            return mi == 0
        hi -= 1
    return False


def _latin1(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")


class UrlModifier:
    """`url.Modifier`."""

    __slots__ = ("host", "path", "query", "scheme")

    def __init__(self, scheme: str, host: str, path: str, query: str) -> None:
        self.scheme, self.host, self.path, self.query = scheme, host, path, query

    def modify_request(self, request: GoRequest) -> None:
        if self.scheme:
            request.scheme = self.scheme
        if self.host:
            request.host = self.host
        if self.path:
            request.path = self.path
        if self.query:
            request.raw_query = self.query


class UrlMatcher(Condition):
    """martianurl.Matcher: every non-empty part equals the request URL's."""

    __slots__ = ("host", "path", "query", "scheme")

    def __init__(self, scheme: str, host: str, path: str, query: str) -> None:
        self.scheme, self.host, self.path, self.query = scheme, host, path, query

    def match_request(self, request: GoRequest) -> bool:
        if self.scheme and self.scheme != request.scheme:
            return False
        if self.host and not match_host(request.host, self.host):
            return False
        if self.path and self.path != request.path:
            return False
        return not self.query or self.query == request.raw_query

    def match_response(self, response: GoResponse) -> bool:
        return self.match_request(response.request)


class RegexMatcher(Condition):
    """martianurl.RegexMatcher: the regex matches somewhere in `URL.String()`."""

    __slots__ = ("regex",)

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex

    def match_request(self, request: GoRequest) -> bool:
        return self.regex.search(url_string(request)) is not None

    def match_response(self, response: GoResponse) -> bool:
        return self.match_request(response.request)


class StashModifier:
    """`stash.Modifier`."""

    __slots__ = ("name",)

    def __init__(self, name: bytes) -> None:
        self.name = name

    def modify_request(self, request: GoRequest) -> None:
        request.set(self.name, url_string(request).encode("latin-1"))

    def modify_response(self, response: GoResponse) -> None:
        response.set(self.name, response.request.get(self.name))


def _url_parts(data: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        data.get("scheme", ""),
        data.get("host", ""),
        _latin1(data.get("path", "")),
        _latin1(data.get("query", "")),
    )


@register("url.Modifier")
def _modifier(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, _URL_SPEC)
    if data is None:
        return None
    scheme, host, new_path, query = _url_parts(data)
    if scheme and scheme not in DEFAULT_PORTS:
        issues.error(
            (*path, "scheme"),
            f'unsupported protocol scheme "{scheme}": Go\'s transport fails every request sent '
            "with it",
            "use http or https",
        )
    if host:
        try:
            Origin.parse(f"http://{host}")
        except ValueError as exc:
            issues.error((*path, "host"), f"`host` {host!r} is not a host[:port]: {exc}")
    return new_result(UrlModifier(scheme, host, new_path, query), data, path, issues)


@register("url.Filter")
def _filter(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, _FILTER_SPEC)
    if data is None:
        return None
    then = child(data, "modifier", path, issues, required=True)
    otherwise = child(data, "else", path, issues, required=False)
    if then is None or otherwise is None or isinstance(then, bool):
        return None
    matcher = UrlMatcher(*_url_parts(data))
    built = Filter(matcher, then, otherwise if isinstance(otherwise, Result) else None)
    return new_result(built, data, path, issues)


@register("url.RegexFilter")
def _regex_filter(value: Any, path: Path, issues: Issues) -> Result | None:
    spec = {"regex": Field.STRING, "modifier": Field.RAW, "else": Field.RAW, "scope": Field.SCOPE}
    data = fields(value, path, issues, spec)
    if data is None:
        return None
    regex = compile_regex(data.get("regex", ""), (*path, "regex"), issues)
    then = child(data, "modifier", path, issues, required=True)
    otherwise = child(data, "else", path, issues, required=False)
    if regex is None or then is None or otherwise is None or isinstance(then, bool):
        return None
    built = Filter(RegexMatcher(regex), then, otherwise if isinstance(otherwise, Result) else None)
    return new_result(built, data, path, issues)


@register("url.Verifier")
def _verifier(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, _URL_SPEC)
    if data is None:
        return None
    issues.warn(path, "url.Verifier changes nothing: KrakenD never reads what it verifies")
    return new_result(RequestVerifier(), data, path, issues)


@register("stash.Modifier")
def _stash(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, {"headerName": Field.STRING, "scope": Field.SCOPE})
    if data is None:
        return None
    name = sendable_name(data.get("headerName", ""), (*path, "headerName"), issues)
    result = new_result(StashModifier(name), data, path, issues)
    if result is not None and result.response is not None and result.request is None:
        issues.error(
            (*path, "scope"),
            "to write header on a response, specify scope as both request and response",
        )
        return None
    return result
