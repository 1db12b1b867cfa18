"""What a verified token's claims mean: registered-claim checks, roles, scopes, propagation.

Everything here is a pure function of the claims, copied from krakend-jose `jose.go` and go-jose v3
`jwt/claims.go` / `jwt/validation.go`, with the differences below chosen on purpose:

* Non-string entries in a roles / scopes array never match (KrakenD panics: a 500).
* A dotted `scopes_key` starting with `http` is a literal claim name, as for roles and propagation
  (KrakenD splits it on dots, so such a key can never match).
* Whole numbers that JSON wrote as integers are formatted exactly (Go goes through float64).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from trio_gateway.config.placeholders import JWT_PLACEHOLDER
from trio_gateway.encoding.gostr import float64_text, go_sprint
from trio_gateway.encoding.render import dumps_go

__all__ = [
    "AuthRejection",
    "Claims",
    "check_registered",
    "claim_params",
    "format_claim",
    "format_claim_list",
    "has_roles",
    "has_scopes",
    "jwt_params",
    "lookup",
]

_JWT_PARAM = JWT_PLACEHOLDER
_EPSILON = 1e-6  # krakend-jose Claims.Get: a float this close to an integer prints as one


def check_registered(
    claims: Mapping[str, Any],
    *,
    now: float,
    leeway: float,
    issuer: str,
    audience: Sequence[str],
) -> str | None:
    """go-jose `Claims.ValidateWithLeeway` (plus its decoding rules); the failure, or None.

    `iss`/`sub`/`jti` must be strings, `aud` a string or an array of strings, `exp`/`nbf`/`iat`
    numbers (go-jose refuses the token otherwise); `null` means absent. Tokens without `exp` are
    accepted, as in KrakenD. Every configured audience must be present (all-of, unlike pyjwt).
    """
    for name in ("iss", "sub", "jti"):
        value = claims.get(name)
        if value is not None and not isinstance(value, str):
            return f"claim {name} is not a string"
    aud = claims.get("aud")
    if isinstance(aud, str):
        aud = [aud]
    elif aud is None:
        aud = []
    elif not isinstance(aud, list) or not all(isinstance(a, str) for a in aud):
        return "claim aud is not a string or an array of strings"
    times: dict[str, int] = {}
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"claim {name} is not a number"
        times[name] = int(value)  # go-jose NumericDate: whole seconds, truncated
    if issuer and claims.get("iss") != issuer:
        return "invalid issuer"
    for wanted in audience:
        if wanted not in aud:
            return "invalid audience"
    if "nbf" in times and now + leeway < times["nbf"]:
        return "token not valid yet (nbf)"
    if "exp" in times and now - leeway > times["exp"]:
        return "token expired"
    if "iat" in times and now + leeway < times["iat"]:
        return "token issued in the future (iat)"
    return None


def _is_nested(key: str) -> bool:
    # krakend-jose: a dotted key is a path unless it starts with "http" (a URL-like claim name).
    return "." in key and not key.startswith("http")


def lookup(claims: Mapping[str, Any], key: str, *, nested: bool) -> tuple[bool, Any]:
    """Find a claim, following dots through objects when `nested` (krakend `getNestedClaim`)."""
    if not (nested and _is_nested(key)):
        return (key in claims, claims.get(key))
    *path, last = key.split(".")
    current: Any = claims
    for part in path:
        current = current.get(part) if isinstance(current, dict) else None
        if current is None:
            return (False, None)
    if not isinstance(current, dict) or last not in current:
        return (False, None)
    return (True, current[last])


def _words(value: Any) -> list[str] | None:
    """A roles / scopes claim as strings: an array (non-strings dropped) or a space-separated
    string; None when it is neither. An empty array is None, as in krakend-jose's matchers."""
    if isinstance(value, list) and value:
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, str):
        return value.split(" ")
    return None


def has_roles(claims: Mapping[str, Any], key: str, nested: bool, required: Sequence[str]) -> bool:
    """krakend-jose `CanAccess` / `CanAccessNested`: any one required role is enough."""
    if not required:
        return True
    found, value = lookup(claims, key, nested=nested)
    words = _words(value) if found else None
    return words is not None and any(role in words for role in required)


def has_scopes(
    claims: Mapping[str, Any], key: str, required: Sequence[str], *, match_all: bool
) -> bool:
    """krakend-jose `ScopesAnyMatcher` / `ScopesAllMatcher` (a dotted key is a path)."""
    if not required or not key:
        return True
    found, value = lookup(claims, key, nested=True)
    words = _words(value) if found else None
    if words is None:
        return False
    if match_all:
        return all(scope in words for scope in required)
    return any(scope in words for scope in required)


def _scalar(value: Any) -> str:
    """krakend-jose `Claims.Get` for a non-array value."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        rounded = math.copysign(math.floor(abs(value) + 0.5), value)  # Go math.Round
        if math.isfinite(value) and abs(value - rounded) <= _EPSILON:
            return str(int(rounded))
        return f"{value:f}"
    # json.Marshal: objects (sorted keys, HTML-safe escapes), true/false, null
    return dumps_go(value).decode()


def format_claim(value: Any) -> str:
    """A claim as one header value: arrays comma-joined (elements as Go `%v`)."""
    if isinstance(value, list):
        return ",".join(go_sprint(v, float64_text) for v in value)
    return _scalar(value)


def format_claim_list(value: Any) -> list[str]:
    """A claim as header values for `propagate_claims_preserve_array`: one per array element."""
    if isinstance(value, list):
        return [go_sprint(v, float64_text) for v in value]
    return [_scalar(value)]


def jwt_params(url_patterns: Iterable[str]) -> tuple[str, ...]:
    """The `JWT.<claim>` placeholders of backend url_patterns, in order, without duplicates."""
    seen: dict[str, None] = {}
    for pattern in url_patterns:
        for claim in _JWT_PARAM.findall(pattern):
            seen.setdefault("JWT." + claim, None)
    return tuple(seen)


@attrs.frozen
class AuthRejection:
    """A request the validator refuses: 401 (authentication) or 403 (authorization)."""

    status: int
    reason: str  # for operation_debug logs only; never sent to the client


@attrs.frozen
class Claims:
    """The claims of a validated token (the decoded JWT payload)."""

    values: Mapping[str, Any]


def claim_params(claims: Claims, names: Iterable[str]) -> dict[str, str]:
    """`{JWT.<claim>}` values for the backends' url_patterns (top-level claims only, as KrakenD;
    a missing claim is left out, so its placeholder stays literal)."""
    params: dict[str, str] = {}
    for name in names:
        claim = name.removeprefix("JWT.")
        if claim in claims.values:
            params[name] = format_claim(claims.values[claim])
    return params
