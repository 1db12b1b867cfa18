"""Building what a backend receives: URL from `url_pattern`, forwarded headers and query.

Everything here is compiled once per endpoint or backend at startup; the per-request functions only
substitute and filter. Behaviour follows the reference §2 (lura `NewRequest`, `GeneratePath`,
`balancing.go`, the header and query-string filters).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, quote_plus, unquote_plus

from trio_gateway.config.placeholders import PLACEHOLDER
from trio_gateway.routing.gourl import ParsedTarget, UrlParseError, parse_target
from trio_gateway.types import Headers

__all__ = [
    "ALL",
    "HeaderForwarder",
    "UrlTemplate",
    "canonical_header",
    "encode_query",
    "filter_headers",
    "filter_query",
    "param_lookup",
    "parse_query",
    "placeholder_key",
]

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_GATEWAY_PARAM = re.compile(r"Resp\d+|JWT\.")
_PLACEHOLDER = PLACEHOLDER
# Bytes that cannot appear raw in an HTTP request target (RFC 9112 §3.2); anything else that a
# param put into the url_pattern's query is sent as KrakenD sends it (raw).
_QUERY_SAFE = "!$&'()*+,;=:@/?%[]-._~"
# What `quote(query, safe=_QUERY_SAFE)` would change: anything but letters, digits and those.
_QUERY_UNSAFE = re.compile(r"[^A-Za-z0-9" + re.escape(_QUERY_SAFE) + "]")

# Replaced by the gateway's own values (X-Forwarded-*), never part of Go's header map (Host), or
# hop-by-hop (RFC 9110 §7.6.1): the body is re-framed for each backend, so its framing headers
# are the client's business only.
_NOT_FORWARDED = frozenset(
    {
        b"host",
        b"x-forwarded-for",
        b"x-forwarded-host",
        b"content-length",
        b"transfer-encoding",
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"upgrade",
    }
)

# `input_headers: ["*"]` / `input_query_strings: ["*"]`
ALL = "*"


def placeholder_key(name: str) -> str:
    """lura's parameter key: first character upper-cased (`{id}` and `{Id}` are the same)."""
    return name[:1].upper() + name[1:]


def param_lookup(key: str, names: Mapping[str, str], written: str | None = None) -> str:
    """The request-param name that fills lura's param `key`: endpoint params keep their
    endpoint spelling (`names`), values the gateway puts in the params itself (sequential
    `RespN_…`, `JWT.…`) are stored under lura's key, anything else under how it was written."""
    if key in names:
        return names[key]
    if _GATEWAY_PARAM.match(key):
        return key
    return key if written is None else written


class UrlTemplate:
    """A compiled backend `url_pattern`.

    Rendering is lura's: `GeneratePath` pastes every param into the pattern as it is, then the
    balancer parses `host + path` with Go's `url.Parse` (trio_gateway/routing/gourl.py), so a
    value may add a query (`a?b=1`), cut the URL (`a#b`), or fail the call (`100%`). Only the
    sequential proxy's `{respN_…}` values and params under `router.disable_path_decoding` can
    still hold such characters: path params and `{JWT.…}` claims are refused before
    (trio_gateway/routing/params.py).

    Args:
        pattern: the url_pattern as written (`/users/{id}?fields={fields}`).
        names: maps a placeholder's lura key to the request-param name that fills it (endpoint
            params keep their endpoint spelling); other placeholders are looked up by their lura
            key, as the sequential proxy stores them (`{resp0_id}` -> `Resp0_id`, `JWT.sub`).
    """

    __slots__ = ("_parts", "_static", "pattern")

    def __init__(self, pattern: str, names: Mapping[str, str] | None = None) -> None:
        self.pattern = pattern
        self._parts = self._compile(pattern, names or {})
        # A pattern with no placeholders parses to the same target (or error) every time.
        self._static: ParsedTarget | UrlParseError | None = None
        if len(self._parts) == 1:
            try:
                self._static = parse_target(self._fill({}))
            except UrlParseError as exc:
                self._static = exc

    @staticmethod
    def _compile(text: str, names: Mapping[str, str]) -> tuple[str | tuple[str, str], ...]:
        parts: list[str | tuple[str, str]] = []
        last = 0
        for found in _PLACEHOLDER.finditer(text):
            parts.append(text[last : found.start()])
            key = placeholder_key(found.group(1))
            # (param name to look up, literal to leave when the param is missing: Go's template
            # keeps the rewritten `{{.Key}}`, which is then percent-encoded on the wire)
            # Endpoint params are looked up by their endpoint spelling; values the gateway puts in
            # the params itself (sequential `RespN_…`, `JWT.…`) by lura's key.
            lookup = param_lookup(key, names, found.group(1))
            parts.append((lookup, "{{." + key + "}}"))
            last = found.end()
        parts.append(text[last:])
        return tuple(p for p in parts if p != "") or ("",)

    def _fill(self, params: Mapping[str, str]) -> str:
        out = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
            else:
                out.append(params.get(part[0], part[1]))
        return "".join(out)

    def fill(self, params: Mapping[str, str]) -> str:
        """lura's `Request.GeneratePath`: the pattern with the params pasted in, its own query
        kept, a missing param left as `{{.Key}}` (what `validation/cel` sees as `req_path`)."""
        return self._fill(params)

    def render(self, params: Mapping[str, str], forwarded_query: str = "") -> str:
        """The request target Go sends for this pattern filled with `params`.

        Args:
            params: the request params (endpoint params, `RespN_…`, `JWT.…`).
            forwarded_query: the client's query, already filtered and encoded; lura's balancer
                appends it to the pattern's own query with `&`, or makes it the query.

        Raises:
            UrlParseError: Go's `url.Parse` refuses the filled URL (the backend is not called).
        """
        parsed = self._static
        if parsed is None:
            parsed = parse_target(self._fill(params))
        elif isinstance(parsed, UrlParseError):
            raise parsed
        path = parsed.path if parsed.path.startswith("/") else "/" + parsed.path
        query = parsed.query
        if forwarded_query:
            query = query + "&" + forwarded_query if query else forwarded_query
        if query is None:
            return path
        # Go writes RawQuery as it is; bytes that cannot be in a request line (RFC 9112 §3.2)
        # are encoded instead of sent raw.
        if _QUERY_UNSAFE.search(query) is None:  # the usual query: nothing to encode
            return path + "?" + query
        return path + "?" + quote(query, safe=_QUERY_SAFE)


@functools.lru_cache(maxsize=4096)
def canonical_header(name: bytes) -> bytes:
    """Go's CanonicalMIMEHeaderKey: `x-test-1` -> `X-Test-1` (bounded cache: names are few)."""
    return b"-".join(part[:1].upper() + part[1:].lower() for part in name.split(b"-"))


class HeaderForwarder:
    """The endpoint-level `input_headers` filter plus the headers the gateway always adds.

    Args:
        input_headers: the endpoint's list; empty means only `Content-Type` (KrakenD's default).
        user_agent: the gateway's own product token, sent as User-Agent unless the client's
            User-Agent is forwarded, then as X-Forwarded-Via.
    """

    __slots__ = ("_all", "_names", "_via", "spellings")

    def __init__(self, input_headers: Sequence[str], user_agent: bytes) -> None:
        # A name beyond latin-1 cannot be a request header's (h11 admits only tokens): KrakenD
        # accepts it and it never matches; encoded as UTF-8 it never matches here either.
        names = [h.lower().encode("utf-8") for h in input_headers] or [b"content-type"]
        self._all = ALL.encode() in names
        self._names = frozenset(names)
        self._via = user_agent
        # lura keys its request's header map by the names as written in `input_headers`
        # (router/gin NewRequest; canonical with `*`): `validation/cel` sees them so.
        self.spellings: dict[bytes, tuple[str, ...]] | None = None
        if not self._all:
            spellings: dict[bytes, tuple[str, ...]] = {}
            for written in input_headers or ["Content-Type"]:
                key = canonical_header(written.encode("utf-8"))
                spellings[key] = (*spellings.get(key, ()), written)
            self.spellings = spellings

    def build(
        self, client_headers: Iterable[tuple[bytes, bytes]], client_ip: str, host: bytes
    ) -> Headers:
        """Headers for the backends, from the client's (lower-case names, as ASGI gives them)."""
        out: Headers = []
        forwarded_ua = False
        for name, value in client_headers:
            if self._all or name in self._names:
                if name in _NOT_FORWARDED:
                    continue
                if name == b"user-agent":
                    forwarded_ua = True
                out.append((canonical_header(name), value))
        out.append((b"X-Forwarded-For", client_ip.encode("latin-1")))
        out.append((b"X-Forwarded-Host", host))
        if forwarded_ua:
            out.append((b"X-Forwarded-Via", self._via))
        else:
            out.append((b"User-Agent", self._via))
        return out


def filter_headers(headers: Headers, allowed: frozenset[bytes]) -> Headers:
    """The backend-level `input_headers` filter: only the listed names (lower-case) survive, the
    gateway's own headers included; `*` has no special meaning at this level (reference §2.4)."""
    return [(n, v) for n, v in headers if n.lower() in allowed]


def parse_query(raw: bytes) -> list[tuple[str, str]]:
    """Go's `URL.Query()`: `&`-separated, `+` is a space, blank values kept; a pair with `;` or a
    bad `%` escape is dropped, as Go's ParseQuery drops it."""
    out: list[tuple[str, str]] = []
    if not raw:
        return out
    for pair in raw.decode("utf-8", "replace").split("&"):
        if not pair or ";" in pair or _BAD_ESCAPE.search(pair):
            continue
        key, _, value = pair.partition("=")
        out.append((unquote_plus(key), unquote_plus(value)))
    return out


def filter_query(
    query: list[tuple[str, str]], allowed: frozenset[str] | None
) -> list[tuple[str, str]]:
    """Keep the listed keys (exact, case-sensitive); `None` keeps everything (`"*"`)."""
    if allowed is None:
        return query
    return [(k, v) for k, v in query if k in allowed]


def encode_query(query: list[tuple[str, str]]) -> str:
    """Go's `url.Values.Encode()`: keys sorted, values in order, QueryEscape (space -> `+`)."""
    ordered = sorted(query, key=lambda kv: kv[0])  # stable: values of one key keep their order
    return "&".join(quote_plus(k, safe="") + "=" + quote_plus(v, safe="") for k, v in ordered)
