"""`auth/api-keys`: role-based access by API key (KrakenD Enterprise's component, configured as
its schema has it: krakend-schema v2.13 `auth/api-keys.json` and `endpoint_extra_config.json`).

The service level declares the keys (`keys`: `key` and `roles` each), where clients send them
(`strategy` `header` or `query_string`, `identifier`: default `Authorization` for a header, `key`
for the query string) and `propagate_role`. An endpoint with an `auth/api-keys` block is
protected: it lists the `roles` allowed (empty: any valid key) and may override `strategy` and
`identifier`, and limit each key to `client_max_rate` requests per second (429 past it).

A request without a key, with an unknown key, or with a key none of whose roles the endpoint
allows is answered 401 with an empty body before its body is read, and never reaches a backend
(the EE schema: "API Keys not having the right role, or unauthenticated requests, will receive a
`401 Unauthorized`"). In the `Authorization` header the key is sent as `Bearer <key>` (KrakenD's
EE playground: `curl -H'Authorization: Bearer 58427514-...'`); any other header carries the key
as it is. Keys are compared in constant time (`hmac.compare_digest` of SHA-256 digests, against
every key), so the time taken tells nothing of how much of a key was right.

`propagate_role` names a header the backends get with the key's first role the endpoint allows
(`ANY` when it allows any key); it replaces the client's header of that name, so it cannot be
spoofed, and like `propagate_claims` it reaches a backend only through its `input_headers`.

Refused by `check` (fail closed): `hash` other than `plain` (how KrakenD encodes a stored hash is
not public, so a hashed key could never match), an unknown `strategy`, an endpoint block without
`roles` or without service-level keys, empty or duplicate keys, and each level's fields at the
other level.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote_plus

import attrs
import trio

from trio_gateway.namespace import Admission, Layer, Level, Namespace, Rejection, Slot, Where
from trio_gateway.qos.ratelimit import RouterRateLimiter
from trio_gateway.qos.ratelimit_router import RateLimitRouterConfig

if TYPE_CHECKING:
    from trio_gateway.config.diagnostics import Report
    from trio_gateway.plan import EndpointPlan

__all__ = ["GUARD", "NAMESPACE", "APIKey", "APIKeysConfig", "APIKeysGuard", "KeyRing"]

HEADER = "header"
QUERY_STRING = "query_string"
STRATEGIES = (HEADER, QUERY_STRING)
# The EE schema's `hash` values; only `plain` is implemented (see the module docstring).
HASHES = ("plain", "fnv128", "sha256", "sha1")
ANY_ROLE = b"ANY"
_BEARER = b"bearer "


@attrs.frozen(kw_only=True)
class APIKey:
    """One entry of the service's `keys`."""

    key: str = ""
    roles: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class APIKeysConfig:
    """`extra_config."auth/api-keys"`: the keys at service level, the roles at endpoint level."""

    NAMESPACE: ClassVar[str] = "auth/api-keys"

    # service level
    keys: tuple[APIKey, ...] | None = None
    hash: str = "plain"
    salt: str = ""
    propagate_role: str = ""
    # both levels (the endpoint's override the service's)
    strategy: str = ""
    identifier: str = ""
    # endpoint level
    roles: tuple[str, ...] | None = None
    client_max_rate: float | None = None


_SERVICE_ONLY = ("keys", "hash", "salt", "propagate_role")
_ENDPOINT_ONLY = ("roles", "client_max_rate")


def _given(config: APIKeysConfig, field: str) -> bool:
    default = attrs.fields_dict(APIKeysConfig)[field].default
    return bool(getattr(config, field) != default)


def check(config: APIKeysConfig, where: Where, report: Report) -> None:
    path = where.path
    if config.strategy and config.strategy not in STRATEGIES:
        report.error(
            (*path, "strategy"),
            f"unknown strategy {config.strategy!r}",
            'one of "header", "query_string"',
        )
    if where.level is Level.SERVICE:
        for field in _ENDPOINT_ONLY:
            if _given(config, field):
                report.error(
                    (*path, field), f"{field} belongs in an endpoint's auth/api-keys block"
                )
        _check_keys(config, where, report)
        return
    for field in _SERVICE_ONLY:
        if _given(config, field):
            report.error((*path, field), f"{field} belongs in the service's auth/api-keys block")
    if config.roles is None:
        report.error(path, "roles is required: the roles allowed here ([] for any valid key)")
    if config.client_max_rate is not None and config.client_max_rate < 0:
        report.error((*path, "client_max_rate"), "client_max_rate cannot be negative")
    service = where.service.extra_config.get(APIKeysConfig)
    if service is None or not service.keys:
        report.error(
            path,
            "this endpoint asks for an API key but the service declares no `keys` "
            '(extra_config."auth/api-keys".keys)',
        )


def _check_keys(config: APIKeysConfig, where: Where, report: Report) -> None:
    path = where.path
    if config.hash not in HASHES:
        report.error(
            (*path, "hash"), f"unknown hash {config.hash!r}", "one of " + ", ".join(HASHES)
        )
    elif config.hash != "plain":
        report.error(
            (*path, "hash"),
            f"hash {config.hash!r} is not supported by trio-gateway: how KrakenD Enterprise "
            "encodes a hashed key is not public, so no key would ever match",
            'store the keys as they are sent ("hash": "plain")',
        )
    elif config.salt:
        report.warning((*path, "salt"), 'salt is ignored with "hash": "plain"')
    if config.keys is None:
        report.error(path, "keys is required: the API keys and their roles")
        return
    seen: set[str] = set()
    for index, entry in enumerate(config.keys):
        if not entry.key:
            report.error((*path, "keys", index, "key"), "an API key cannot be empty")
        elif entry.key in seen:
            report.error((*path, "keys", index, "key"), "this key is declared twice")
        seen.add(entry.key)


NAMESPACE = Namespace(
    name="auth/api-keys",
    levels=frozenset({Level.SERVICE, Level.ENDPOINT}),
    config=APIKeysConfig,
    check=check,
)


def _digest(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()


@attrs.frozen
class _Entry:
    digest: bytes
    roles: tuple[str, ...]


class KeyRing:
    """The service's keys, looked up in constant time."""

    __slots__ = ("_entries",)

    def __init__(self, keys: Sequence[APIKey]) -> None:
        self._entries = tuple(_Entry(_digest(k.key.encode()), k.roles) for k in keys if k.key)

    def lookup(self, presented: bytes) -> tuple[int, tuple[str, ...]] | None:
        """(index, roles) of the key presented, or None. Every key is compared, found or not."""
        digest = _digest(presented)
        found: tuple[int, tuple[str, ...]] | None = None
        for index, entry in enumerate(self._entries):
            if hmac.compare_digest(digest, entry.digest) and found is None:
                found = (index, entry.roles)
        return found


def _header(headers: Sequence[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value  # Go's Header.Get: the first
    return None


def _query_value(query: bytes, name: str) -> bytes | None:
    """url.Values.Get of the raw query: the first value (`+` is a space, %-escapes decoded)."""
    for pair in query.split(b"&"):
        raw_key, _, raw_value = pair.partition(b"=")
        try:
            key = unquote_plus(raw_key.decode("ascii"), errors="strict")
            if key == name:
                return unquote_plus(raw_value.decode("ascii"), errors="strict").encode()
        except UnicodeError:
            continue  # not a pair Go's ParseQuery would read
    return None


class APIKeysGuard:
    """One endpoint's check: a known key, one of the allowed roles, within its rate."""

    __slots__ = ("_keys", "_limiter", "_propagate", "_roles", "identifier", "strategy")

    def __init__(
        self,
        keys: KeyRing,
        *,
        strategy: str,
        identifier: str,
        roles: tuple[str, ...],
        propagate_role: str,
        limiter: RouterRateLimiter | None,
    ) -> None:
        self._keys = keys
        self.strategy = strategy
        self.identifier = identifier
        self._roles = roles
        self._propagate = propagate_role.lower().encode("latin-1")
        self._limiter = limiter

    def presented(self, admission: Admission) -> bytes | None:
        """The key the request carries, or None."""
        if self.strategy == QUERY_STRING:
            return _query_value(admission.scope.get("query_string", b""), self.identifier)
        name = self.identifier.lower().encode("latin-1")
        value = _header(admission.headers, name)
        if value is None or name != b"authorization":
            return value or None
        # RFC 6750 §2.1: `Bearer <key>`, the scheme in any case
        if value[:7].lower() != _BEARER:
            return None
        return value[7:].strip(b" \t") or None

    def _role(self, roles: tuple[str, ...]) -> bytes | None:
        if not self._roles:
            return ANY_ROLE
        allowed = self._roles
        for role in roles:  # the key's first role the endpoint allows
            if role in allowed:
                return role.encode()
        return None

    async def __call__(self, admission: Admission) -> Rejection | None:
        presented = self.presented(admission)
        found = None if presented is None else self._keys.lookup(presented)
        if found is None:
            return Rejection(401)
        index, roles = found
        role = self._role(roles)
        if role is None:
            return Rejection(401)  # EE schema: a key without the right role is a 401 too
        if self._limiter is not None:
            refused = self._limiter.check(str(index), trio.current_time())
            if refused is not None:
                return Rejection(429)
        if self._propagate:
            kept = [h for h in admission.headers if h[0].lower() != self._propagate]
            admission.headers = [*kept, (self._propagate, role)]
        return None


def _now() -> float:
    try:
        return trio.current_time()
    except RuntimeError:  # built outside trio (a plain test)
        return 0.0


def build_guard(plan: EndpointPlan, context: Any) -> APIKeysGuard | None:
    config = plan.extra.get(APIKeysConfig)
    if config is None:
        return None
    service = getattr(context, "service", None)
    declared = None if service is None else service.get(APIKeysConfig)
    if declared is None:
        declared = APIKeysConfig(keys=())  # check refuses it; built anyway, nobody gets in
    service_strategy = declared.strategy or HEADER
    service_identifier = declared.identifier or (
        "key" if service_strategy == QUERY_STRING else "Authorization"
    )
    # the EE schema: an endpoint that changes the strategy keeps the service's identifier
    # unless it sets its own (`?Authorization=<key>`)
    strategy = config.strategy or service_strategy
    identifier = config.identifier or service_identifier
    limiter = None
    if config.client_max_rate:
        limits = RateLimitRouterConfig(
            client_max_rate=config.client_max_rate, strategy="header", key="api-key"
        )
        limiter = RouterRateLimiter.from_config(limits, _now(), label=plan.path)
    return APIKeysGuard(
        KeyRing(declared.keys or ()),
        strategy=strategy,
        identifier=identifier,
        roles=config.roles or (),
        propagate_role=declared.propagate_role,
        limiter=limiter,
    )


GUARD = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.ENDPOINT_GUARD, build=build_guard)
