"""`auth/validator`: JWT validation at the edge, as krakend-jose's `TokenSignatureValidator`.

Rule 1 (order and status, krakend-components §8): extract the token (header, then cookie) ->
header `alg` must equal the configured one -> key by id -> signature -> registered claims
(`iss`, every `aud`, `nbf`/`exp`/`iat` with leeway): any failure is **401**. Then roles, then
scopes: failure is **403**. A rejection carries a reason for `operation_debug` logs only.

Rule 2 (secrets): tokens, Authorization and Cookie values are never logged, and reasons are fixed
texts (pyjwt messages can quote token content, so none reaches a log).

Rule 3 (cost): keys are decoded and prepared when the set is loaded; a request with a known key
id does no I/O and one signature check (well under 100 µs for HS256).

Rule 4 (an identity provider that hangs): a request waits for the JWK set at most `key_wait`
seconds (the endpoint timeout), then gets a 401, as KrakenD answers a key it cannot fetch. The
download itself goes on for the requests still waiting (`auth/jwks.py` Rule 2b).
"""

from __future__ import annotations

import binascii
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import httpx
import orjson
import trio

from trio_gateway.auth.claims import (
    AuthRejection,
    Claims,
    check_registered,
    claim_params,
    format_claim,
    format_claim_list,
    has_roles,
    has_scopes,
    jwt_params,
    lookup,
)
from trio_gateway.auth.jwks import (
    DEFAULT_COOLDOWN,
    UNCACHED_TTL,
    KeySet,
    KeySetStatistics,
    Spawner,
)
from trio_gateway.auth.keys import ALGORITHMS, token_key_id
from trio_gateway.auth.validator import JWTValidatorConfig
from trio_gateway.headers import first

__all__ = ["AuthRejection", "Claims", "JWTValidator", "claim_params", "jwt_params"]

LOGGER = logging.getLogger(__name__)

_B64_TRANSLATE = bytes.maketrans(b"-_", b"+/")
_DEFAULT_CACHE_DURATION = 900  # krakend-jose: cache without cache_duration = 15 min
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # CTLs but HTAB (RFC 9110 §5.5)
# Go `validCookieValueByte`: printable ASCII but `"`, `;` and `\`.
_COOKIE_VALUE = re.compile(rb'[^\x00-\x1f\x7f-\xff"\\;]*')


class _Malformed(Exception):
    """The token is not a JWS compact serialization we can read."""


def _b64url(segment: bytes) -> bytes:
    # Strict alphabet, optional padding (go-jose strips it before decoding).
    segment = segment.rstrip(b"=")
    if b"+" in segment or b"/" in segment or len(segment) % 4 == 1:
        raise _Malformed
    padded = segment.translate(_B64_TRANSLATE) + b"=" * (-len(segment) % 4)
    try:
        return binascii.a2b_base64(padded, strict_mode=True)
    except binascii.Error:
        raise _Malformed from None


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise _Malformed from None
    if not isinstance(value, dict):
        raise _Malformed
    return value


def _cookie(headers: Sequence[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """Go `Request.Cookie(name)`: the first well-formed cookie of that name, unquoted."""
    for header, value in headers:
        if header != b"cookie":
            continue
        for part in value.split(b";"):
            key, eq, raw = part.strip(b" \t").partition(b"=")
            if not eq or key != name:
                continue
            if len(raw) > 1 and raw[:1] == raw[-1:] == b'"':
                raw = raw[1:-1]
            if _COOKIE_VALUE.fullmatch(raw):
                return raw
    return None


class JWTValidator:
    """Validates the token of a request against one endpoint's `auth/validator` block."""

    def __init__(
        self,
        config: JWTValidatorConfig,
        keys: KeySet,
        endpoint: str = "",
        *,
        key_wait: float = math.inf,
        rejecter: Callable[[Mapping[str, Any]], bool | Awaitable[bool]] | None = None,
    ) -> None:
        self._config = config
        # krakend-jose's Rejecter (krakend-ce executor.go: the CEL `JWT` expressions): consulted
        # after the registered claims, before roles and scopes; True is a 401.
        self._rejecter = rejecter
        self._keys = keys
        self._key_wait = key_wait
        self._prefix = f"[ENDPOINT: {endpoint}][JWTValidator]" if endpoint else "[JWTValidator]"
        self._header = config.auth_header_name.lower().encode("latin-1")
        self._cookie = (config.cookie_key or "access_token").encode("latin-1")
        self._leeway = max(1.0, config.leeway if config.leeway is not None else 1.0)
        self._match_all_scopes = config.scopes_matcher == "all"
        self._propagate = tuple(
            (claim, header.lower().encode("latin-1")) for claim, header in config.propagate_claims
        )

    @classmethod
    def from_config(
        cls,
        config: JWTValidatorConfig,
        *,
        http: httpx.AsyncClient | None = None,
        endpoint: str = "",
        key_wait: float = math.inf,
        spawner: Spawner | None = None,
        rejecter: Callable[[Mapping[str, Any]], bool | Awaitable[bool]] | None = None,
    ) -> JWTValidator:
        """Build a validator; keys load lazily on first use (or with `warm` / `run`).

        Args:
            config: the endpoint's `auth/validator` block.
            http: a shared client for JWK downloads; not used (a private one is made) when the
                block needs its own TLS settings (`jwk_local_ca`, `disable_jwk_security` with
                https, `jwk_fingerprints`, `cipher_suites`).
            endpoint: the endpoint path, for log lines.
            key_wait: how long a request may wait for the JWK set (the endpoint timeout).
            spawner: where downloads run so that a request giving up does not cancel them.
            rejecter: called with a valid token's claims; True rejects it with a 401.

        Raises:
            ValueError: a configuration KrakenD refuses (exits, or answers 401 to everything).
        """
        if config.alg not in ALGORITHMS:
            raise ValueError(f"unknown algorithm {config.alg!r}: one of {', '.join(ALGORITHMS)}")
        if config.cache and config.jwk_local_path:
            raise ValueError("cache could not be used with jwk_local_path")
        if config.scopes_matcher not in ("any", "all"):
            raise ValueError('scopes_matcher must be "any" or "all"')
        for pair in config.propagate_claims:
            if len(pair) != 2 or not pair[1] or not pair[1].isascii() or " " in pair[1]:
                raise ValueError(f"propagate_claims: {list(pair)!r} is not [claim, header name]")
        cooldown = config.failed_jwk_key_cooldown
        keys = KeySet.from_config(
            config,
            http=http,
            strategy=config.key_identify_strategy,
            ttl=float(config.cache_duration or _DEFAULT_CACHE_DURATION)
            if config.cache
            else UNCACHED_TTL,
            cooldown=DEFAULT_COOLDOWN if cooldown is None else max(1.0, cooldown),
            spawner=spawner,
        )
        return cls(config, keys, endpoint, key_wait=key_wait, rejecter=rejecter)

    async def warm(self) -> None:
        """Download the JWK set now (at start-up) instead of on the first request."""
        await self._keys.refresh()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Keep the JWK set fresh in the background (start it in a long-lived nursery)."""
        await self._keys.run(task_status=task_status)

    def statistics(self) -> KeySetStatistics:
        return self._keys.statistics()

    async def aclose(self) -> None:
        """Close the httpx client the validator created for its JWK set, if any."""
        await self._keys.aclose()

    def _extract(self, headers: Sequence[tuple[bytes, bytes]]) -> bytes | None:
        """The token: the auth header (a `Bearer ` prefix stripped when present), else the cookie.

        As krakend-jose, only an absent / empty header falls back to the cookie.
        """
        value = first(headers, self._header)
        if value is not None and len(value) > 7 and value[:7].lower() == b"bearer ":
            value = value[7:]
        return value or _cookie(headers, self._cookie)

    async def validate(self, headers: Sequence[tuple[bytes, bytes]]) -> Claims | AuthRejection:
        """Validate the request's token.

        Args:
            headers: the request headers as ASGI gives them (lower-case names).

        Returns:
            The claims, or the rejection (logged at ERROR when `operation_debug` is on).
        """
        outcome = await self._validate(headers)
        if isinstance(outcome, AuthRejection) and self._config.operation_debug:
            LOGGER.error("%s %s (%d)", self._prefix, outcome.reason, outcome.status)
        return outcome

    async def _validate(self, headers: Sequence[tuple[bytes, bytes]]) -> Claims | AuthRejection:
        token = self._extract(headers)
        if token is None:
            return AuthRejection(401, "token not found")
        parts = token.split(b".")
        if len(parts) != 3:
            return AuthRejection(401, "malformed token: not a JWS compact serialization")
        try:
            header = _json_object(_b64url(parts[0]))
        except _Malformed:
            return AuthRejection(401, "malformed token header")
        config = self._config
        if header.get("alg") != config.alg:
            return AuthRejection(401, f"token alg is not {config.alg}")
        if "crit" in header or "b64" in header:  # no JWS extension is understood here
            return AuthRejection(401, "unsupported critical header")
        key_id = token_key_id(header, config.key_identify_strategy)
        if key_id is None:
            return AuthRejection(401, "malformed token header: kid is not a string")
        with trio.move_on_after(self._key_wait) as waited:
            key = await self._keys.get(key_id)
        if waited.cancelled_caught:
            return AuthRejection(401, "JWK set not available within the endpoint timeout")
        if key is None:
            known = self._keys.has_id(key_id)
            return AuthRejection(401, "key type does not fit alg" if known else "unknown key id")
        try:
            payload, signature = _b64url(parts[1]), _b64url(parts[2])
        except _Malformed:
            return AuthRejection(401, "malformed token payload or signature")
        if not key.verify(parts[0] + b"." + parts[1], signature):
            return AuthRejection(401, "invalid signature")
        try:
            claims = _json_object(payload)
        except _Malformed:
            return AuthRejection(401, "malformed token payload")
        problem = check_registered(
            claims,
            now=time.time(),
            leeway=self._leeway,
            issuer=config.issuer,
            audience=config.audience,
        )
        if problem is not None:
            return AuthRejection(401, problem)
        if self._rejecter is not None:
            rejected = self._rejecter(claims)
            if not isinstance(rejected, bool):  # a revocation filter in Redis answers later
                rejected = await rejected
            if rejected:
                return AuthRejection(401, "token rejected")
        if not has_roles(claims, config.roles_key, config.roles_key_is_nested, config.roles):
            return AuthRejection(403, "insufficient roles")
        if config.scopes_key and not has_scopes(
            claims, config.scopes_key, config.scopes, match_all=self._match_all_scopes
        ):
            return AuthRejection(403, "missing required scopes")
        return Claims(claims)

    def propagated_headers(self, claims: Claims) -> list[tuple[bytes, bytes]]:
        """`propagate_claims` as headers that must replace the client's of the same names.

        A missing claim gives an empty value (KrakenD's code, not its docs). A value with
        control characters (a header injection) is sent empty instead.
        """
        out: list[tuple[bytes, bytes]] = []
        preserve = self._config.propagate_claims_preserve_array
        for claim, header in self._propagate:
            found, value = lookup(claims.values, claim, nested=True)
            if not found:
                out.append((header, b""))
                continue
            values = format_claim_list(value) if preserve else [format_claim(value)]
            # An empty array: Go removes the header; here it is sent empty so that a client's
            # header of that name is still overwritten (claim-header spoofing, krakend-ce#309).
            for text in values or [""]:
                out.append((header, self._header_value(claim, text)))
        return out

    def _header_value(self, claim: str, text: str) -> bytes:
        raw = text.encode("utf-8")
        if _CONTROL_BYTES.search(raw):
            LOGGER.warning("%s claim %r has control characters: sent empty", self._prefix, claim)
            return b""
        return raw
