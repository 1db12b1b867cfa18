"""martian's `header` package (v2.1.0) and krakend-martian's `header.Id`.

`header.Modifier` sets, `header.Append` adds, `header.Blacklist` deletes, `header.Copy` copies
the first value (an absent header copies as an empty one), all through martian's proxyutil view
(`Host` is the request's Host, `Content-Length` its length). `header.Filter` runs its `modifier`
when a header has exactly the given value (else its `else`), `header.RegexFilter` when the
*request's* header value matches a regular expression (on responses too: it reads
`res.Request.Header`). `header.Verifier` records failures that KrakenD never reads: it changes
nothing. `header.Id` is krakend-martian's (it replaces martian's): a random UUID in `header`
(default `X-Krakend-Id`) unless the request has one.

A name that would be sent must be an HTTP token and a value must have no control characters:
Go's transport refuses every such request (`net/http: invalid header field ...`), so the
configuration is refused instead.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from trio_gateway.config.diagnostics import Path
from trio_gateway.modifier.martian.filters import Condition, Filter, compile_regex
from trio_gateway.modifier.martian.message import GoRequest, GoResponse
from trio_gateway.modifier.martian.parse import (
    Field,
    Issues,
    Result,
    child,
    fields,
    new_result,
    register,
)
from trio_gateway.transport.fields import BAD_VALUE, is_token

__all__ = ["go_canonical", "sendable_name", "sendable_value"]

_F = Field
_NAME_VALUE = {"name": _F.STRING, "value": _F.STRING, "scope": _F.SCOPE}
_TOKEN_TABLE = re.compile(r"[-!#$%&'*+.^_`|~0-9A-Za-z]+\Z")


def go_canonical(name: str) -> bytes:
    """textproto.CanonicalMIMEHeaderKey: a name with a byte that is no token byte is unchanged."""
    raw = name.encode("utf-8")
    if not _TOKEN_TABLE.match(name):
        return raw
    return b"-".join(part[:1].upper() + part[1:].lower() for part in raw.split(b"-"))


def sendable_name(name: str, path: Path, issues: Issues) -> bytes:
    raw = name.encode("utf-8")
    if not is_token(raw):
        issues.error(
            path,
            f"header name {name!r} is not an HTTP token: Go's transport refuses every request "
            f'with it (net/http: invalid header field name "{name}")',
        )
    return go_canonical(name)


def sendable_value(value: str, path: Path, issues: Issues) -> bytes:
    raw = value.encode("utf-8")
    if BAD_VALUE.search(raw):
        issues.error(
            path,
            "header value has a control character: Go's transport refuses every request with it "
            "(net/http: invalid header field value)",
        )
    return raw


class HeaderModifier:
    """`header.Modifier`: proxyutil Set on requests and responses."""

    __slots__ = ("name", "value")

    def __init__(self, name: bytes, value: bytes) -> None:
        self.name, self.value = name, value

    def modify_request(self, request: GoRequest) -> None:
        request.pset(self.name, self.value)

    def modify_response(self, response: GoResponse) -> None:
        response.pset(self.name, self.value)


class AppendModifier(HeaderModifier):
    """`header.Append`: proxyutil Add."""

    __slots__ = ()

    def modify_request(self, request: GoRequest) -> None:
        request.padd(self.name, self.value)

    def modify_response(self, response: GoResponse) -> None:
        response.padd(self.name, self.value)


class BlacklistModifier:
    """`header.Blacklist`: proxyutil Del of each name."""

    __slots__ = ("names",)

    def __init__(self, names: tuple[bytes, ...]) -> None:
        self.names = names

    def modify_request(self, request: GoRequest) -> None:
        for name in self.names:
            request.pdel(name)

    def modify_response(self, response: GoResponse) -> None:
        for name in self.names:
            response.pdel(name)


class CopyModifier:
    """`header.Copy`: `h.Set(to, h.Get(from))` in the proxyutil view."""

    __slots__ = ("source", "target")

    def __init__(self, source: bytes, target: bytes) -> None:
        self.source, self.target = source, target

    def modify_request(self, request: GoRequest) -> None:
        request.pset(self.target, request.pget(self.source))

    def modify_response(self, response: GoResponse) -> None:
        response.pset(self.target, response.pget(self.source))


class IdModifier:
    """krakend-martian `header.Id`: request only."""

    __slots__ = ("name",)

    def __init__(self, name: bytes) -> None:
        self.name = name

    def modify_request(self, request: GoRequest) -> None:
        if not request.get(self.name):
            request.set(self.name, str(uuid.uuid4()).encode("ascii"))


class Verifier:
    """`header.Verifier` (and the other verifiers): martian keeps their failures for its API,
    which KrakenD never calls, so they change nothing."""

    __slots__ = ()

    def modify_request(self, request: GoRequest) -> None:
        return None

    def modify_response(self, response: GoResponse) -> None:
        return None


class RequestVerifier:
    """A verifier of requests only (`querystring.Verifier`, `url.Verifier`)."""

    __slots__ = ()

    def modify_request(self, request: GoRequest) -> None:
        return None


class HeaderMatcher(Condition):
    """header.Matcher: some value of the header is exactly `value` (proxyutil All)."""

    __slots__ = ("name", "value")

    def __init__(self, name: bytes, value: bytes) -> None:
        self.name, self.value = name, value

    def match_request(self, request: GoRequest) -> bool:
        return self.value in (request.pall(self.name) or ())

    def match_response(self, response: GoResponse) -> bool:
        return self.value in (response.pall(self.name) or ())


class RegexFilter:
    """`header.RegexFilter`: runs its modifier when the request's header value (Go's
    `Header.Get`, so the first one; an empty one never matches) matches `regex`; no `else`."""

    __slots__ = ("name", "regex", "request_modifier", "response_modifier")

    def __init__(self, regex: re.Pattern[str], name: bytes, result: Result) -> None:
        self.regex, self.name = regex, name
        self.request_modifier = result.request
        self.response_modifier = result.response

    def modify_request(self, request: GoRequest) -> None:
        value = request.get(self.name)
        # Go matches the bytes as UTF-8, a bad byte as U+FFFD: what "replace" decodes to
        if (
            value
            and self.request_modifier is not None
            and self.regex.search(value.decode("utf-8", "replace"))
        ):
            self.request_modifier.modify_request(request)

    def modify_response(self, response: GoResponse) -> None:
        value = response.request.get(self.name)
        if (
            value
            and self.response_modifier is not None
            and self.regex.search(value.decode("utf-8", "replace"))
        ):
            self.response_modifier.modify_response(response)


@register("header.Modifier")
def _modifier(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, _NAME_VALUE)
    if data is None:
        return None
    name = sendable_name(data.get("name", ""), (*path, "name"), issues)
    text = sendable_value(data.get("value", ""), (*path, "value"), issues)
    return new_result(HeaderModifier(name, text), data, path, issues)


@register("header.Append")
def _append(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, _NAME_VALUE)
    if data is None:
        return None
    name = sendable_name(data.get("name", ""), (*path, "name"), issues)
    text = sendable_value(data.get("value", ""), (*path, "value"), issues)
    return new_result(AppendModifier(name, text), data, path, issues)


@register("header.Blacklist")
def _blacklist(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, {"names": _F.STRINGS, "scope": _F.SCOPE})
    if data is None:
        return None
    names = tuple(go_canonical(n) for n in data.get("names", ()))
    return new_result(BlacklistModifier(names), data, path, issues)


@register("header.Copy")
def _copy(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, {"from": _F.STRING, "to": _F.STRING, "scope": _F.SCOPE})
    if data is None:
        return None
    target = sendable_name(data.get("to", ""), (*path, "to"), issues)
    return new_result(CopyModifier(go_canonical(data.get("from", "")), target), data, path, issues)


@register("header.Id")
def _id(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, {"header": _F.STRING, "scope": _F.SCOPE})
    if data is None:
        return None
    name = sendable_name(data.get("header") or "X-Krakend-Id", (*path, "header"), issues)
    return new_result(IdModifier(name), data, path, issues)


@register("header.Verifier")
def _verifier(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, _NAME_VALUE)
    if data is None:
        return None
    issues.warn(path, "header.Verifier changes nothing: KrakenD never reads what it verifies")
    return new_result(Verifier(), data, path, issues)


@register("header.Filter")
def _filter(value: Any, path: Path, issues: Issues) -> Result | None:
    spec = {**_NAME_VALUE, "modifier": _F.RAW, "else": _F.RAW}
    data = fields(value, path, issues, spec)
    if data is None:
        return None
    matcher = HeaderMatcher(go_canonical(data.get("name", "")), data.get("value", "").encode())
    then = child(data, "modifier", path, issues, required=True)
    otherwise = child(data, "else", path, issues, required=False)
    if then is None or otherwise is None or isinstance(then, bool):
        return None
    built = Filter(matcher, then, otherwise if isinstance(otherwise, Result) else None)
    return new_result(built, data, path, issues)


@register("header.RegexFilter")
def _regex_filter(value: Any, path: Path, issues: Issues) -> Result | None:
    spec = {"regex": _F.STRING, "header": _F.STRING, "modifier": _F.RAW, "scope": _F.SCOPE}
    data = fields(value, path, issues, spec)
    if data is None:
        return None
    regex = compile_regex(data.get("regex", ""), (*path, "regex"), issues)
    then = child(data, "modifier", path, issues, required=True)
    if regex is None or then is None or isinstance(then, bool):
        return None
    built = RegexFilter(regex, go_canonical(data.get("header", "")), then)
    return new_result(built, data, path, issues)
