"""martian's `cookie` package (v2.1.0), with Go's `net/http` cookie rules (Go 1.25, KrakenD's).

`cookie.Modifier` adds its cookie to the request's `Cookie` header (`Request.AddCookie`:
`name=value`, joined to an existing header with `; `) and to the response as a `Set-Cookie` line
(`Cookie.String()`: `Path`, `Domain`, `Expires`, `Max-Age`, `HttpOnly`, `Secure`). Go sanitizes
on the way: bytes not allowed in a value or a path are dropped, a value with a space or a comma
is quoted, an invalid domain is left out, and a cookie whose name is not a token has an empty
`Set-Cookie` line. `cookie.Filter` runs its modifier when the request's cookies (`Cookie`) or the
response's (`Set-Cookie`) hold one named `name` (with `value`, when one is given).
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from typing import Any

from trio_gateway.config.diagnostics import Path
from trio_gateway.modifier.martian.filters import Condition, Filter
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

__all__ = ["cookie_string", "read_cookies", "read_set_cookies"]

_COOKIE, _SET_COOKIE = b"Cookie", b"Set-Cookie"
_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+\Z")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _valid_value_byte(b: int) -> bool:
    return 0x20 <= b < 0x7F and b not in b'";\\'


def _sanitize(value: bytes, valid: Any) -> bytes:
    return bytes(b for b in value if valid(b))


def _sanitize_value(value: bytes) -> bytes:
    """net/http sanitizeCookieValue (not quoted)."""
    value = _sanitize(value, _valid_value_byte)
    if value and (b" " in value or b"," in value):
        return b'"' + value + b'"'
    return value


def _name_valid(name: bytes) -> bool:
    return bool(name) and _TOKEN.match(name) is not None


def _domain_valid(domain: str) -> bool:
    """net/http validCookieDomain: a domain name, or an IPv4 address."""
    if _is_cookie_domain_name(domain):
        return True
    try:
        ipaddress.IPv4Address(domain)
    except ValueError:
        return False
    return True


def _is_cookie_domain_name(s: str) -> bool:
    if not s or len(s) > 255:
        return False
    if s[0] == ".":
        s = s[1:]
    last, ok, part = ".", False, 0
    for c in s:
        if c.isascii() and c.isalpha():
            ok = True
            part += 1
        elif c.isascii() and c.isdigit():
            part += 1
        elif c == "-":
            if last == ".":
                return False
            part += 1
        elif c == ".":
            if last in ".-" or part > 63 or part == 0:
                return False
            part = 0
        else:
            return False
        last = c
    return last != "-" and part <= 63 and ok


def cookie_string(
    name: bytes,
    value: bytes,
    *,
    path: bytes = b"",
    domain: str = "",
    expires: datetime.datetime | None = None,
    max_age: int = 0,
    http_only: bool = False,
    secure: bool = False,
) -> bytes:
    """Go's `Cookie.String()`."""
    if not _name_valid(name):
        return b""
    out = name + b"=" + _sanitize_value(value)
    if path:
        out += b"; Path=" + _sanitize(path, lambda b: 0x20 <= b < 0x7F and b != 0x3B)
    if domain and _domain_valid(domain):
        out += b"; Domain=" + domain.removeprefix(".").encode("ascii")
    if expires is not None and expires.astimezone(datetime.UTC).year >= 1601:
        t = expires.astimezone(datetime.UTC)
        out += (
            f"; Expires={_DAYS[t.weekday()]}, {t.day:02d} {_MONTHS[t.month - 1]} {t.year:04d} "
            f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} GMT"
        ).encode("ascii")
    if max_age > 0:
        out += b"; Max-Age=%d" % max_age
    elif max_age < 0:
        out += b"; Max-Age=0"
    if http_only:
        out += b"; HttpOnly"
    if secure:
        out += b"; Secure"
    return out


_OWS = b" \t"


def _parse_value(raw: bytes) -> bytes | None:
    """net/http parseCookieValue (double quotes allowed), or None when invalid."""
    if len(raw) > 1 and raw[:1] == b'"' and raw[-1:] == b'"':
        raw = raw[1:-1]
    if all(_valid_value_byte(b) for b in raw):
        return raw
    return None


def read_cookies(lines: list[bytes]) -> list[tuple[bytes, bytes]]:
    """net/http readCookies: the (name, value) pairs of `Cookie` header lines."""
    out: list[tuple[bytes, bytes]] = []
    for line in lines:
        for part in line.strip(_OWS).split(b";"):
            part = part.strip(_OWS)
            if not part:
                continue
            name, _, raw = part.partition(b"=")
            name = name.strip(_OWS)
            if not _name_valid(name):
                continue
            value = _parse_value(raw)
            if value is not None:
                out.append((name, value))
    return out


def read_set_cookies(lines: list[bytes]) -> list[tuple[bytes, bytes]]:
    """net/http readSetCookies (ParseSetCookie): the (name, value) of each `Set-Cookie` line."""
    out: list[tuple[bytes, bytes]] = []
    for line in lines:
        first = line.strip(_OWS).split(b";", 1)[0].strip(_OWS)
        name, equals, raw = first.partition(b"=")
        name = name.strip(_OWS)
        if not equals or not _name_valid(name):
            continue
        value = _parse_value(raw)
        if value is not None:
            out.append((name, value))
    return out


class CookieModifier:
    """`cookie.Modifier`."""

    __slots__ = ("pair", "set_cookie")

    def __init__(self, pair: bytes, set_cookie: bytes) -> None:
        self.pair = pair  # what Request.AddCookie appends
        self.set_cookie = set_cookie  # Cookie.String()

    def modify_request(self, request: GoRequest) -> None:
        existing = request.get(_COOKIE)
        request.set(_COOKIE, existing + b"; " + self.pair if existing else self.pair)

    def modify_response(self, response: GoResponse) -> None:
        response.add(_SET_COOKIE, self.set_cookie)


class CookieMatcher(Condition):
    """cookie.Matcher: a cookie named `name`, with `value` when one is set."""

    __slots__ = ("name", "value")

    def __init__(self, name: bytes, value: bytes) -> None:
        self.name, self.value = name, value

    def _match(self, cookies: list[tuple[bytes, bytes]]) -> bool:
        return any(n == self.name and (not self.value or v == self.value) for n, v in cookies)

    def match_request(self, request: GoRequest) -> bool:
        return self._match(read_cookies(request.all(_COOKIE) or []))

    def match_response(self, response: GoResponse) -> bool:
        return self._match(read_set_cookies(response.all(_SET_COOKIE) or []))


_COOKIE_SPEC = {
    "name": Field.STRING,
    "value": Field.STRING,
    "path": Field.STRING,
    "domain": Field.STRING,
    "expires": Field.TIME,
    "secure": Field.BOOL,
    "httpOnly": Field.BOOL,
    "maxAge": Field.INT,
    "scope": Field.SCOPE,
}


@register("cookie.Modifier")
def _modifier(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, _COOKIE_SPEC)
    if data is None:
        return None
    name = data.get("name", "").encode("utf-8")
    text = data.get("value", "").encode("utf-8")
    # Request.AddCookie: sanitizeCookieName (CR/LF -> "-") and sanitizeCookieValue
    pair = name.replace(b"\n", b"-").replace(b"\r", b"-") + b"=" + _sanitize_value(text)
    if not _TOKEN.match(pair.split(b"=", 1)[0] or b"-"):
        issues.warn(
            (*path, "name"),
            "the cookie name is not an HTTP token: responses get an empty Set-Cookie line, as "
            "Go's Cookie.String() gives",
        )
    set_cookie = cookie_string(
        name,
        text,
        path=data.get("path", "").encode("utf-8"),
        domain=data.get("domain", ""),
        expires=data.get("expires"),
        max_age=data.get("maxAge", 0),
        http_only=data.get("httpOnly", False),
        secure=data.get("secure", False),
    )
    return new_result(CookieModifier(pair, set_cookie), data, path, issues)


@register("cookie.Filter")
def _filter(value: Any, path: Path, issues: Issues) -> Result | None:
    spec = {
        "name": Field.STRING,
        "value": Field.STRING,
        "modifier": Field.RAW,
        "else": Field.RAW,
        "scope": Field.SCOPE,
    }
    data = fields(value, path, issues, spec)
    if data is None:
        return None
    matcher = CookieMatcher(
        data.get("name", "").encode("utf-8"), data.get("value", "").encode("utf-8")
    )
    then = child(data, "modifier", path, issues, required=True)
    otherwise = child(data, "else", path, issues, required=False)
    if then is None or otherwise is None or isinstance(then, bool):
        return None
    built = Filter(matcher, then, otherwise if isinstance(otherwise, Result) else None)
    return new_result(built, data, path, issues)
