"""`auth/basic`: HTTP Basic authentication of the endpoints that ask for it (KrakenD
Enterprise's component, configured as its schema has it: krakend-schema v2.13 `auth/basic.json`).

An endpoint is protected when its `extra_config` has an `auth/basic` block (`{}` is enough, as
in KrakenD's EE playground). The users are those of the service's block and of the endpoint's
own, each an `htpasswd_path` file (read once, at start: the check needs no I/O) and inline
`users` (name: hash); later ones replace earlier ones user by user: service file, service
users, endpoint file, endpoint users (the EE docs: inline users "overwrite users already defined
in the htpasswd file"). Hashes: see `htpasswd.py`.

A request without valid credentials is answered 401 (the EE docs: "When a user fails to provide
valid credentials, a 401 Unauthorized status code is returned"), with an empty body and
`WWW-Authenticate: Basic realm="Restricted"` (RFC 7235 §3.1 asks a 401 for one; the realm is
ours), before its body is read; the backend is never hit. The `Authorization` header is parsed
as Go's `Request.BasicAuth` does (scheme in any case, standard base64, split at the first `:`).
A bcrypt check runs in a worker thread, so a slow hash does not stall the other requests.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import trio

from trio_gateway.auth.htpasswd import (
    BCRYPT_PREFIXES,
    HtpasswdError,
    merged,
    parse_htpasswd,
    unsupported_reason,
    verify,
)
from trio_gateway.namespace import (
    Admission,
    Layer,
    Level,
    Namespace,
    RejectAll,
    Rejection,
    Slot,
    Where,
)

if TYPE_CHECKING:
    from trio_gateway.config.diagnostics import Report
    from trio_gateway.plan import EndpointPlan

__all__ = ["GUARD", "NAMESPACE", "BasicAuthConfig", "BasicAuthGuard", "parse_basic"]

LOGGER = logging.getLogger(__name__)

CHALLENGE = (b"www-authenticate", b'Basic realm="Restricted"')
# A hash no password matches, checked for unknown users so that they take as long as known ones.
_NO_USER = "{SHA}" + base64.b64encode(b"\0" * 20).decode()


@attrs.frozen(kw_only=True)
class BasicAuthConfig:
    """`extra_config."auth/basic"` (service: shared users; endpoint: protects it)."""

    NAMESPACE: ClassVar[str] = "auth/basic"

    htpasswd_path: str = ""
    users: Mapping[str, str] = attrs.field(factory=dict)


def _users_of(config: BasicAuthConfig) -> dict[str, str]:
    """The file's users, then the inline ones. Raises HtpasswdError."""
    from_file = parse_htpasswd(config.htpasswd_path) if config.htpasswd_path else {}
    return merged(from_file, config.users)


def check(config: BasicAuthConfig, where: Where, report: Report) -> None:
    path = where.path
    try:
        users = _users_of(config)
    except HtpasswdError as exc:
        report.error((*path, "htpasswd_path"), str(exc))
        return
    for user, hashed in users.items():
        reason = unsupported_reason(hashed)
        if reason is not None:
            inline = user in config.users
            at = (*path, "users", user) if inline else (*path, "htpasswd_path")
            hint = (
                "install `bcrypt` in the gateway's environment"
                if hashed.startswith(BCRYPT_PREFIXES)
                else None
            )
            report.error(at, f"user {user!r}: {reason}", hint)
    if where.level is Level.ENDPOINT and not users:
        service = where.service.extra_config.get(BasicAuthConfig)
        if service is None or not (service.users or service.htpasswd_path):
            report.error(
                path,
                "this endpoint asks for Basic authentication but no users are declared "
                "(htpasswd_path or users, here or at the service level)",
            )


NAMESPACE = Namespace(
    name="auth/basic",
    levels=frozenset({Level.SERVICE, Level.ENDPOINT}),
    config=BasicAuthConfig,
    check=check,
)


def parse_basic(value: bytes | None) -> tuple[bytes, bytes] | None:
    """(user, password) from an `Authorization` value, as Go's `parseBasicAuth`; else None."""
    if value is None or value[:6].lower() != b"basic ":
        return None
    try:
        decoded = base64.b64decode(value[6:], validate=True)
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(b":")
    return (user, password) if sep else None


class BasicAuthGuard:
    """Checks the request's Basic credentials against the users."""

    __slots__ = ("_users",)

    def __init__(self, users: Mapping[str, str]) -> None:
        self._users = {user.encode(): hashed for user, hashed in users.items()}

    async def __call__(self, admission: Admission) -> Rejection | None:
        authorization = None
        for name, value in admission.headers:
            if name.lower() == b"authorization":
                authorization = value  # Header.Get: the first
                break
        credentials = parse_basic(authorization)
        if credentials is not None and await self._valid(*credentials):
            return None
        return Rejection(401, [CHALLENGE])

    async def _valid(self, user: bytes, password: bytes) -> bool:
        hashed = None
        for known, known_hash in self._users.items():
            if hmac.compare_digest(known, user):  # every name compared: no early exit
                hashed = known_hash
        if hashed is None:
            verify(password, _NO_USER)
            return False
        if hashed.startswith(BCRYPT_PREFIXES):
            return await trio.to_thread.run_sync(verify, password, hashed)
        return verify(password, hashed)


def build_guard(plan: EndpointPlan, context: Any) -> BasicAuthGuard | RejectAll | None:
    config = plan.extra.get(BasicAuthConfig)
    if config is None:
        return None
    service_extra = getattr(context, "service", None)
    service = None if service_extra is None else service_extra.get(BasicAuthConfig)
    try:
        users = merged(
            _users_of(service) if service is not None else {},
            _users_of(config),
        )
    except HtpasswdError as exc:
        # checked at load; a file gone since: this endpoint refuses everyone, the rest serve
        LOGGER.error("[ENDPOINT: %s][auth/basic] %s", plan.path, exc)
        return RejectAll(Rejection(401, [CHALLENGE]))
    return BasicAuthGuard(users)


GUARD = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.ENDPOINT_GUARD, build=build_guard)
