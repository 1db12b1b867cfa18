"""martian's `querystring` package (v2.1.0).

`querystring.Modifier` (requests only) parses the query as Go's `URL.Query()`, sets `name` to the
one `value`, and writes the query back with `url.Values.Encode()`: keys sorted, every key and
value query-escaped. So the whole query is re-encoded (`a=1&b=%7E` -> `a=1&b=~`), and pairs Go's
parser drops (a `;` in them, a bad `%` escape) are gone. `querystring.Filter` runs its modifier
when the query has `name` (with `value`, when one is given), on responses the request's query.
`querystring.Verifier` changes nothing (KrakenD never reads what it verifies).

Text is kept as latin-1 `str`: each byte one character, so what Go keeps byte for byte is kept.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from trio_gateway.config.diagnostics import Path
from trio_gateway.modifier.martian.filters import Condition, Filter
from trio_gateway.modifier.martian.headers import RequestVerifier
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

__all__ = ["encode_values", "parse_values"]

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# What QueryEscape leaves as it is (the usual case, checked before the slow quote_plus).
_UNESCAPED = re.compile(r"[A-Za-z0-9_.~-]*\Z")
_NAME_VALUE = {"name": Field.STRING, "value": Field.STRING, "scope": Field.SCOPE}


def _to_latin1(text: str) -> str:
    """A config string as the bytes Go holds (UTF-8), one character per byte."""
    return text.encode("utf-8").decode("latin-1")


def parse_values(raw: str) -> dict[str, list[str]]:
    """Go's `url.ParseQuery` (errors ignored, as `URL.Query()` ignores them)."""
    values: dict[str, list[str]] = {}
    if not raw:
        return values
    for pair in raw.split("&"):
        if not pair or ";" in pair or _BAD_ESCAPE.search(pair):
            continue
        key, _, value = pair.partition("=")
        if "%" in pair or "+" in pair:
            key, value = unquote_plus(key, "latin-1"), unquote_plus(value, "latin-1")
        values.setdefault(key, []).append(value)
    return values


def encode_values(values: dict[str, list[str]]) -> str:
    """Go's `url.Values.Encode()`."""
    return "&".join(
        _escape(key) + "=" + _escape(value) for key in sorted(values) for value in values[key]
    )


def _escape(text: str) -> str:
    """Go's `url.QueryEscape` of latin-1 text."""
    if _UNESCAPED.match(text):
        return text
    return quote_plus(text, safe="", encoding="latin-1")


class QueryModifier:
    """`querystring.Modifier`."""

    __slots__ = ("key", "value")

    def __init__(self, key: str, value: str) -> None:
        self.key, self.value = key, value

    def modify_request(self, request: GoRequest) -> None:
        values = parse_values(request.raw_query)
        values[self.key] = [self.value]
        request.raw_query = encode_values(values)


class QueryMatcher(Condition):
    """querystring.Matcher: the query has `name`, with `value` among its values if one is set."""

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value

    def match_request(self, request: GoRequest) -> bool:
        found = parse_values(request.raw_query).get(self.name)
        if found is None:
            return False
        return not self.value or self.value in found

    def match_response(self, response: GoResponse) -> bool:
        return self.match_request(response.request)


@register("querystring.Modifier")
def _modifier(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, _NAME_VALUE)
    if data is None:
        return None
    built = QueryModifier(_to_latin1(data.get("name", "")), _to_latin1(data.get("value", "")))
    return new_result(built, data, path, issues)


@register("querystring.Filter")
def _filter(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, {**_NAME_VALUE, "modifier": Field.RAW, "else": Field.RAW})
    if data is None:
        return None
    matcher = QueryMatcher(_to_latin1(data.get("name", "")), _to_latin1(data.get("value", "")))
    then = child(data, "modifier", path, issues, required=True)
    otherwise = child(data, "else", path, issues, required=False)
    if then is None or otherwise is None or isinstance(then, bool):
        return None
    built = Filter(matcher, then, otherwise if isinstance(otherwise, Result) else None)
    return new_result(built, data, path, issues)


@register("querystring.Verifier")
def _verifier(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, _NAME_VALUE)
    if data is None:
        return None
    if not data.get("name"):
        issues.error((*path, "name"), "no key provided to param verifier")
        return None
    issues.warn(path, "querystring.Verifier changes nothing: KrakenD never reads what it verifies")
    return new_result(RequestVerifier(), data, path, issues)
