"""RFC 9111 rules of the backend HTTP cache, as pure functions: no clock reads, no I/O, no state.

KrakenD's `qos/http-cache` is krakend/httpcache, a fork of gregjones/httpcache, "a mostly
RFC-compliant cache" meant to be *private*. These functions reproduce its rules; where they differ
(always towards RFC 9111) a comment says why. Times are float seconds, passed in by the caller.
As in gregjones there are no heuristics (RFC 9111 §4.2.2: without max-age or Expires a response is
stale at once), and `s-maxage`, `public`, `private`, `must-revalidate` are ignored (private cache).
"""

from __future__ import annotations

import datetime
import enum
import math
from collections.abc import Mapping, Sequence
from email.utils import parsedate_to_datetime

import attrs

from trio_gateway.headers import first_any_case
from trio_gateway.transport import BackendResponse

__all__ = [
    "CACHEABLE_METHODS",
    "SAFE_METHODS",
    "STORABLE_STATUSES",
    "CacheControl",
    "Freshness",
    "StoredResponse",
    "conditional_headers",
    "freshness",
    "freshness_lifetime",
    "header_value",
    "initial_age",
    "is_storable",
    "parse_cache_control",
    "parse_http_date",
    "stale_if_error",
    "updated_headers",
    "vary_names",
    "vary_values",
]

Fields = Sequence[tuple[bytes, bytes]]
# Directive name (lower case) -> argument (quotes removed), or None for a directive without one.
CacheControl = Mapping[str, str | None]

# gregjones caches GET and HEAD only (each under its own key).
CACHEABLE_METHODS = frozenset({b"GET", b"HEAD"})
# RFC 9110 §9.2.1: the methods that never invalidate stored responses (RFC 9111 §4.4).
SAFE_METHODS = frozenset({b"GET", b"HEAD", b"OPTIONS", b"TRACE"})
# RFC 9110 §15.1 "heuristically cacheable" statuses, minus 206 (Range requests are not cached) and
# 501: gregjones stores any status on a miss, which turns a backend hiccup into a cached 500.
STORABLE_STATUSES = frozenset({200, 203, 204, 300, 301, 308, 404, 405, 410, 414})
# RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2^31.
_MAX_DELTA = 2**31
# RFC 9111 §3.2: what a 304 does not update: hop-by-hop fields (RFC 9110 §7.6.1), Content-Length.
_NOT_UPDATED = frozenset(
    b"connection keep-alive proxy-connection proxy-authenticate proxy-authorization te trailer"
    b" transfer-encoding upgrade content-length".split()
)
_CONDITIONALS = frozenset({b"if-none-match", b"if-modified-since"})


class Freshness(enum.Enum):
    """How a stored response may be used for a request (gregjones' `getFreshness`)."""

    FRESH = "fresh"  # serve it without asking the backend
    STALE = "stale"  # revalidate it (conditional request) before serving
    TRANSPARENT = "transparent"  # ignore it: the request wants a full answer from the backend


def header_value(fields: Fields, name: bytes) -> bytes | None:
    """All lines of field `name` (lower case) joined by ", " (RFC 9110 §5.3), or None if absent."""
    values = [value.strip() for key, value in fields if key == name or key.lower() == name]
    return b", ".join(values) if values else None


def parse_cache_control(fields: Fields) -> dict[str, str | None]:
    """The Cache-Control directives of a request or response (RFC 9111 §5.2).

    Names are case-insensitive; the first occurrence of a repeated directive wins (RFC 9111 §4.2.1
    allows "the first occurrence" or "stale"); quotes around arguments are removed.
    """
    value = header_value(fields, b"cache-control")
    directives: dict[str, str | None] = {}
    for part in (value or b"").decode("latin-1").split(","):
        name, sep, argument = part.partition("=")
        name = name.strip().lower()
        if name and name not in directives:
            directives[name] = argument.strip().strip('"') if sep else None
    return directives


def delta_seconds(value: str | None) -> int | None:
    """RFC 9111 §1.2.2 delta-seconds (a non-negative integer), or None when absent or invalid."""
    if value is None or not (value.isascii() and value.isdigit()):
        return None
    return min(int(value), _MAX_DELTA)


def parse_http_date(value: bytes | None) -> float | None:
    """An HTTP date (RFC 9110 §5.6.7, with the obsolete forms) as a POSIX timestamp, or None."""
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(value.decode("latin-1"))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000": UTC without the promise, still UTC
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.timestamp()


def freshness_lifetime(fields: Fields, cc: CacheControl) -> float:
    """RFC 9111 §4.2.1: `max-age` (wins even over an earlier Expires, §5.3), else `Expires - Date`,
    else 0 (no heuristics). An invalid Expires (`0`) or Date means "already expired" (§5.3)."""
    if "max-age" in cc:
        return float(delta_seconds(cc["max-age"]) or 0)
    expires = parse_http_date(first_any_case(fields, b"expires"))
    date = parse_http_date(first_any_case(fields, b"date"))
    if expires is None or date is None:
        return 0.0
    return max(0.0, expires - date)


def initial_age(fields: Fields, *, wall_time: float, response_delay: float = 0.0) -> float:
    """RFC 9111 §4.2.3 `corrected_initial_age` of a response received at `wall_time`.

    `wall_time` (POSIX seconds) is the only wall-clock reading the cache makes: the age it grows
    by afterwards is measured on trio's clock. Without a valid Date the age is infinite, so the
    response is never fresh (gregjones: "Date required"); its validators still serve to revalidate.
    Unlike gregjones, the Age field of a response that went through another cache counts.
    """
    date = parse_http_date(first_any_case(fields, b"date"))
    if date is None:
        return math.inf
    apparent_age = max(0.0, wall_time - date)
    age_value = delta_seconds((first_any_case(fields, b"age") or b"").decode("latin-1")) or 0
    return max(apparent_age, age_value + response_delay)


def freshness(
    response_cc: CacheControl, lifetime: float, age: float, request_cc: CacheControl
) -> Freshness:
    """gregjones' `getFreshness`: how a stored response of `age` seconds may answer a request."""
    if "no-cache" in request_cc:  # RFC 9111 §5.2.1.4
        return Freshness.TRANSPARENT
    if "no-cache" in response_cc:  # §5.2.2.4: always revalidate (field-qualified form included)
        return Freshness.STALE
    if "only-if-cached" in request_cc:  # §5.2.1.7: whatever is stored, stale or not
        return Freshness.FRESH
    if math.isinf(age):
        return Freshness.STALE
    if "max-age" in request_cc:  # §5.2.1.1
        lifetime = float(delta_seconds(request_cc["max-age"]) or 0)
    age += delta_seconds(request_cc.get("min-fresh")) or 0  # §5.2.1.3
    if "max-stale" in request_cc:  # §5.2.1.2: without a value, any staleness is accepted
        max_stale = delta_seconds(request_cc["max-stale"])
        if max_stale is None:
            return Freshness.FRESH
        age -= max_stale
    return Freshness.FRESH if lifetime > age else Freshness.STALE


def stale_if_error(
    response_cc: CacheControl, lifetime: float, age: float, request_cc: CacheControl
) -> bool:
    """RFC 5861 §4: may a stale response answer a request whose backend call failed?

    The request's directive wins over the response's, and one without a value allows any age
    (both gregjones). A value N allows N seconds *past the freshness lifetime* (RFC 5861; gregjones
    compares N with the whole age).
    """
    argument = request_cc.get("stale-if-error", response_cc.get("stale-if-error", "absent"))
    if argument is None:
        return True
    seconds = delta_seconds(argument)
    return seconds is not None and age < lifetime + seconds


def is_storable(
    method: bytes, status: int, request_cc: CacheControl, response_cc: CacheControl
) -> bool:
    """RFC 9111 §3 as gregjones applies it, plus the status check (see STORABLE_STATUSES)."""
    no_store = "no-store" in request_cc or "no-store" in response_cc  # §5.2.1.5, §5.2.2.5
    return method in CACHEABLE_METHODS and status in STORABLE_STATUSES and not no_store


def vary_names(fields: Fields) -> tuple[bytes, ...] | None:
    """The fields a response varies on (lower case); None for `Vary: *` (matches nothing, §4.1)."""
    value = header_value(fields, b"vary")
    names = {name.strip().lower() for name in (value or b"").split(b",")} - {b""}
    return None if b"*" in names else tuple(sorted(names))


def vary_values(names: tuple[bytes, ...], fields: Fields) -> tuple[bytes | None, ...]:
    """The request's values for `names`, normalised as RFC 9111 §4.1 allows (lines combined,
    whitespace around values removed); None marks an absent field, which matches only absence."""
    return tuple(header_value(fields, name) for name in names)


def conditional_headers(request: Fields, stored: Fields) -> list[tuple[bytes, bytes]] | None:
    """RFC 9111 §4.3.1: the request with If-None-Match: <ETag> and If-Modified-Since:
    <Last-Modified> of `stored`, or None if it has neither. The caller's own conditionals are
    replaced (gregjones' `Header.Set` does too), so that a 304 is known to be ours."""
    etag = first_any_case(stored, b"etag")
    last_modified = first_any_case(stored, b"last-modified")
    if etag is None and last_modified is None:
        return None
    fields = [(name, value) for name, value in request if name.lower() not in _CONDITIONALS]
    if etag is not None:
        fields.append((b"if-none-match", etag))
    if last_modified is not None:
        fields.append((b"if-modified-since", last_modified))
    return fields


def updated_headers(stored: Fields, not_modified: Fields) -> list[tuple[bytes, bytes]]:
    """RFC 9111 §3.2 / §4.3.4: the stored fields, each replaced by the 304's lines of that name,
    except hop-by-hop fields, those the 304 lists in Connection, and Content-Length."""
    skip = set(_NOT_UPDATED)
    connection = header_value(not_modified, b"connection") or b""
    skip.update(name.strip().lower() for name in connection.split(b","))
    fresh = [(name.lower(), value) for name, value in not_modified if name.lower() not in skip]
    replaced = {name for name, _ in fresh}
    return [(name, value) for name, value in stored if name.lower() not in replaced] + fresh


@attrs.frozen(kw_only=True)
class StoredResponse:
    """A response as the cache keeps it: its age is `initial_age` (from the wall clock, once) plus
    the trio time since `stored_at` (Rule 1 of `httpcache`)."""

    response: BackendResponse
    cc: CacheControl
    lifetime: float
    initial_age: float
    stored_at: float  # trio time
    vary: tuple[bytes, ...] | None  # None: `Vary: *`
    varied: tuple[bytes | None, ...]  # the storing request's values of the `vary` fields
    size: int  # body + header names and values

    @classmethod
    def of(
        cls, response: BackendResponse, request: Fields, *, now: float, wall: float, delay: float
    ) -> StoredResponse:
        """`response` to `request`, received `delay` s after sending, at trio `now`, wall `wall`."""
        fields = response.headers
        cc = parse_cache_control(fields)
        vary = vary_names(fields)
        return cls(
            response=response,
            cc=cc,
            lifetime=freshness_lifetime(fields, cc),
            initial_age=initial_age(fields, wall_time=wall, response_delay=delay),
            stored_at=now,
            vary=vary,
            varied=vary_values(vary or (), request),
            size=len(response.body) + sum(len(name) + len(value) for name, value in fields),
        )

    def age(self, now: float) -> float:
        """RFC 9111 §4.2.3 `current_age` at trio time `now`."""
        return self.initial_age + (now - self.stored_at)

    def matches(self, request: Fields) -> bool:
        """RFC 9111 §4.1: does a request with fields `request` select this response?"""
        return self.vary is not None and vary_values(self.vary, request) == self.varied

    def same_variant(self, request: Fields, other: Fields) -> bool:
        """Would two requests select the same response, if it varies as this one does?"""
        return self.vary is not None and vary_values(self.vary, request) == vary_values(
            self.vary, other
        )

    def freshness(self, now: float, request_cc: CacheControl) -> Freshness:
        """`freshness()` of this response for a request with directives `request_cc`."""
        return freshness(self.cc, self.lifetime, self.age(now), request_cc)

    def stale_if_error(self, now: float, request_cc: CacheControl) -> bool:
        """`stale_if_error()` of this response for a request with directives `request_cc`."""
        return stale_if_error(self.cc, self.lifetime, self.age(now), request_cc)

    def reusable(self) -> bool:
        """Fresh when stored, for a request without directives: worth collapsing requests for."""
        fresh = freshness(self.cc, self.lifetime, self.initial_age, {}) is Freshness.FRESH
        return fresh and self.vary is not None
