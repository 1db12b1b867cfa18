"""`security/cors`: rs/cors v1.11.1 as krakend-cors v2.2.1 (`mux/cors.go`) wires it in KrakenD CE.

Reference §11. CE wraps the whole server with this layer, outside routing, so a preflight for any
path is answered here and never reaches security headers, bot detection, JWT or the router.

Rule 1: a preflight is `OPTIONS` whose *first* `Access-Control-Request-Method` value is non-empty
(Go's `Header.Get`). Without `options_passthrough` it always ends in `options_success_status`
(204) with an empty body; a refused one merely lacks the `Access-Control-Allow-*` headers
(CE specs cors_2, cors_3). Every answer carries `Vary` (rs/cors issue #10).
Rule 2: everything is compiled in `from_config`; a request costs one pass over its headers.

Kept from rs/cors on purpose: origins compare case-insensitively (against the spec, as rs/cors
chose) with at most one `*` per entry; methods compare case-sensitively (v1.11 no longer
upper-cases `allow_methods`, so `"get"` never matches); requested headers must be lower-case,
sorted and unique, as browsers send them (`internal/sortedset.go`), with one byte of OWS tolerated
on each side of a name and up to 16 empty list elements; the allowed preflight echoes every
`Origin`, `Access-Control-Request-Method` and `Access-Control-Request-Headers` value it was sent;
a `max_age` below one second but above zero is dropped, a negative one is sent as `0`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import attrs

from trio_gateway.config.model import ExtraConfig, Seconds
from trio_gateway.headers import first
from trio_gateway.namespace import Layer, Level, Namespace, Rejection, Slot

__all__ = ["CORS", "GUARD", "NAMESPACE", "CORSConfig", "CORSGuard", "PreflightAnswer"]

LOGGER = logging.getLogger(__name__)

Headers = list[tuple[bytes, bytes]]

_ORIGIN = b"origin"
_REQUEST_METHOD = b"access-control-request-method"
_REQUEST_HEADERS = b"access-control-request-headers"
_REQUEST_PRIVATE_NETWORK = b"access-control-request-private-network"
_VARY = b"vary"
_ALLOW_ORIGIN = b"access-control-allow-origin"
_TRUE = b"true"
_DEFAULT_METHODS = ("GET", "POST", "HEAD")  # rs/cors: the spec's "simple" methods
_MAX_OWS = 1  # internal/sortedset.go maxOWSBytes
_MAX_EMPTY_ELEMENTS = 16  # internal/sortedset.go maxEmptyElements
_PREFLIGHT_VARY = b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
_PNA_VARY = _PREFLIGHT_VARY + b", Access-Control-Request-Private-Network"
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


@attrs.frozen
class PreflightAnswer:
    """The complete answer to a preflight: `status`, `headers` and an empty body."""

    status: int
    headers: Headers


def canonical_header_key(name: str) -> str:
    """Go's `http.CanonicalHeaderKey`: `content-length` → `Content-Length`; non-tokens unchanged."""
    if not name or any(char not in _TOKEN for char in name):
        return name
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def _trim_ows(name: bytes) -> bytes | None:
    """sortedset.go `trimOWS`: at most one SP/HTAB each side (two when nothing else is left)."""
    stripped = name.strip(b" \t")
    if not stripped:
        return stripped if len(name) <= _MAX_OWS + 1 else None
    leading = len(name) - len(name.lstrip(b" \t"))
    trailing = len(name) - len(name.rstrip(b" \t"))
    return stripped if leading <= _MAX_OWS and trailing <= _MAX_OWS else None


class CORS:
    """The CORS layer: answers preflights and names the headers to add to actual responses."""

    __slots__ = (
        "_all_headers",
        "_all_origins",
        "_credentials",
        "_debug",
        "_expose",
        "_header_positions",
        "_max_age",
        "_method_bytes",
        "_methods",
        "_origins",
        "_passthrough",
        "_preflight_vary",
        "_private_network",
        "_status",
        "_wildcards",
    )

    def __init__(self, config: CORSConfig) -> None:
        """Compile `config`; prefer `CORS.from_config`."""
        # krakend-cors mux: empty allow_origins / allow_headers become ["*"].
        origins = [origin.lower().encode() for origin in config.allow_origins or ("*",)]
        self._all_origins = b"*" in origins
        self._origins = frozenset(o for o in origins if b"*" not in o)
        # rs/cors utils.go `wildcard`: split at the first `*`; one wildcard per entry.
        self._wildcards = tuple(
            (o[: o.index(b"*")], o[o.index(b"*") + 1 :]) for o in origins if b"*" in o and o != b"*"
        )
        allow_headers = config.allow_headers or ("*",)
        self._all_headers = "*" in allow_headers
        names = sorted({name.lower().encode() for name in allow_headers})
        self._header_positions = {name: position for position, name in enumerate(names)}
        self._methods = frozenset(config.allow_methods or _DEFAULT_METHODS)
        self._method_bytes = frozenset(m.encode() for m in self._methods)
        exposed = ", ".join(canonical_header_key(h) for h in config.expose_headers)
        self._expose: Headers = (
            [(b"access-control-expose-headers", exposed.encode())] if exposed else []
        )
        self._credentials: Headers = (
            [(b"access-control-allow-credentials", _TRUE)] if config.allow_credentials else []
        )
        self._private_network = config.allow_private_network
        self._preflight_vary = _PNA_VARY if self._private_network else _PREFLIGHT_VARY
        self._passthrough = config.options_passthrough
        self._status = config.options_success_status or 204  # rs/cors: 0 means 204
        self._max_age: Headers = []
        if config.max_age is not None and math.isfinite(config.max_age):
            # mux/cors.go `int(cfg.MaxAge.Seconds())` truncates; rs/cors sends <0 as "0".
            seconds = int(config.max_age)
            if seconds:
                value = str(seconds) if seconds > 0 else "0"
                self._max_age = [(b"access-control-max-age", value.encode())]
        self._debug = config.debug

    @classmethod
    def from_config(cls, config: CORSConfig) -> CORS:
        """Build the layer for the service's `security/cors` configuration."""
        return cls(config)

    def preflight(
        self, method: str, headers: Sequence[tuple[bytes, bytes]]
    ) -> PreflightAnswer | None:
        """Answer a preflight request completely (empty body), or None to go on.

        None for every non-preflight request and, with `options_passthrough`, for preflights too;
        `response_headers` then gives the preflight headers to add to the routed answer.
        """
        if method != "OPTIONS" or self._passthrough:
            return None
        requested = first_or_empty(headers, _REQUEST_METHOD)
        if not requested:
            return None
        return PreflightAnswer(self._status, self._preflight_headers(headers, requested))

    def response_headers(
        self, method: str, headers: Sequence[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        """The headers to add to a routed response: `Vary: Origin`, then the CORS grant if any.

        For a preflight (only routed with `options_passthrough`) these are the preflight headers.
        """
        if method == "OPTIONS":
            requested = first_or_empty(headers, _REQUEST_METHOD)
            if requested:
                return self._preflight_headers(headers, requested)
        out: Headers = [(_VARY, b"Origin")]
        origins = _values(headers, _ORIGIN)
        if not origins or not origins[0]:
            return out
        if not self._origin_allowed(origins[0]):
            self._log("actual request: origin %r not allowed", origins[0])
            return out
        # rs/cors checks the method of actual requests too (no CORS headers, still served).
        if method != "OPTIONS" and method not in self._methods:
            self._log("actual request: method %r not allowed", method)
            return out
        out += self._allow_origin(origins)
        out += self._expose
        out += self._credentials
        return out

    def _preflight_headers(
        self, headers: Sequence[tuple[bytes, bytes]], requested: bytes
    ) -> Headers:
        # rs/cors handlePreflight.
        out: Headers = [(_VARY, self._preflight_vary)]
        origins: list[bytes] = []
        methods: list[bytes] = []
        request_headers: list[bytes] = []
        private_network: bytes | None = None
        for name, value in headers:
            if name == _ORIGIN:
                origins.append(value)
            elif name == _REQUEST_METHOD:
                methods.append(value)
            elif name == _REQUEST_HEADERS:
                request_headers.append(value)
            elif name == _REQUEST_PRIVATE_NETWORK and private_network is None:
                private_network = value  # Header.Get: the first value, even when empty
        found_headers = bool(request_headers)
        if not origins or not origins[0]:
            self._log("preflight aborted: empty origin")
            return out
        if not self._origin_allowed(origins[0]):
            self._log("preflight aborted: origin %r not allowed", origins[0])
            return out
        if requested != b"OPTIONS" and requested not in self._method_bytes:
            self._log("preflight aborted: method %r not allowed", requested)
            return out
        if found_headers and not self._all_headers and not self._accepts(request_headers):
            self._log("preflight aborted: headers %r not allowed", request_headers)
            return out
        out += self._allow_origin(origins)
        out += [(b"access-control-allow-methods", method) for method in methods]
        if found_headers and request_headers[0]:
            out += [(b"access-control-allow-headers", v) for v in request_headers]
        out += self._credentials
        if self._private_network and private_network == _TRUE:
            out.append((b"access-control-allow-private-network", _TRUE))
        out += self._max_age
        return out

    def _allow_origin(self, origins: list[bytes]) -> Headers:
        if self._all_origins:
            return [(_ALLOW_ORIGIN, b"*")]
        return [(_ALLOW_ORIGIN, origin) for origin in origins]  # Go echoes r.Header["Origin"]

    def _origin_allowed(self, origin: bytes) -> bool:
        if self._all_origins:
            return True
        origin = origin.lower()
        if origin in self._origins:
            return True
        return any(
            len(origin) >= len(prefix) + len(suffix)
            and origin.startswith(prefix)
            and origin.endswith(suffix)
            for prefix, suffix in self._wildcards
        )

    def _accepts(self, values: list[bytes]) -> bool:
        # sortedset.go `Accepts`: every name allowed, in strictly increasing (sorted) order.
        last = -1
        empty = 0
        for value in values:
            for element in value.split(b","):
                name = _trim_ows(element)
                if name is None:
                    return False
                if not name:
                    empty += 1
                    if empty > _MAX_EMPTY_ELEMENTS:
                        return False
                    continue
                position = self._header_positions.get(name, -1)
                if position <= last:
                    return False
                last = position
        return True

    def _log(self, message: str, *args: object) -> None:
        if self._debug:  # krakend-cors `debug`: rs/cors log lines at DEBUG, prefixed [CORS]
            LOGGER.debug("[CORS] " + message, *args)


def _values(headers: Sequence[tuple[bytes, bytes]], wanted: bytes) -> list[bytes]:
    return [value for name, value in headers if name == wanted]


@attrs.frozen(kw_only=True)
class CORSConfig:
    """`extra_config."security/cors"` (service)."""

    NAMESPACE: ClassVar[str] = "security/cors"

    allow_origins: tuple[str, ...] = ()  # empty = ["*"] (KrakenD)
    allow_methods: tuple[str, ...] = ()  # empty = GET, POST, HEAD (rs/cors)
    allow_headers: tuple[str, ...] = ()  # empty = ["*"] (KrakenD)
    expose_headers: tuple[str, ...] = ()
    allow_credentials: bool = False
    allow_private_network: bool = False
    options_passthrough: bool = False
    options_success_status: int = 204
    max_age: Seconds | None = None
    debug: bool = False


NAMESPACE = Namespace(
    name="security/cors",
    levels=frozenset({Level.SERVICE}),
    config=CORSConfig,
    aliases=("github_com/devopsfaith/krakend-cors",),
)


class CORSGuard:
    """KrakenD wraps its whole router in CORS: preflights for any path (the health endpoint
    included) are answered before routing, and every answer gets the CORS headers."""

    __slots__ = ("_cors",)

    covers_health = True

    def __init__(self, cors: CORS) -> None:
        self._cors = cors

    def admit(self, scope: dict[str, Any]) -> Rejection | None:
        preflight = self._cors.preflight(scope["method"], scope["headers"])
        return None if preflight is None else Rejection(preflight.status, list(preflight.headers))

    def response_headers(self, scope: dict[str, Any]) -> Headers:
        return self._cors.response_headers(scope["method"], scope["headers"])


def build_guard(extra: ExtraConfig, context: Any) -> CORSGuard | None:
    config = extra.get(CORSConfig)
    return None if config is None else CORSGuard(CORS.from_config(config))


GUARD = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.SERVICE_GUARD, build=build_guard)


def first_or_empty(headers: Sequence[tuple[bytes, bytes]], wanted: bytes) -> bytes:
    """Go's `Header.Get`: the first value of `wanted`, or empty."""
    return first(headers, wanted) or b""
