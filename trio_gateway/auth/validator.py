"""`auth/validator`: the endpoint guard that checks the request's JWT (krakend-jose `validator`).

A request without a valid token is answered 401 (403 for missing roles or scopes) with an empty
body, before its body is read and before the router rate limit spends a token. A valid token's
`propagate_claims` overwrite the client's headers of the same name (so they cannot be spoofed),
and its `{JWT.claim}` values join the path parameters for the backends' url_patterns. The
validator itself (keys, JWKS, claims) is `auth/jwt.py`, imported only when a config uses it:
pyjwt and cryptography cost startup time and memory.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from trio_gateway.auth.claims import AuthRejection, claim_params
from trio_gateway.config.diagnostics import Path, Report
from trio_gateway.config.model import Seconds
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
from trio_gateway.routing.params import PARAM_ERROR_CONTENT_TYPE, bad_params

if TYPE_CHECKING:
    from trio_gateway.auth.jwt import JWTValidator
    from trio_gateway.plan import EndpointPlan

__all__ = [
    "GUARD",
    "JWT_ALGORITHMS",
    "NAMESPACE",
    "JWKSourceConfig",
    "JWTGuard",
    "JWTValidatorConfig",
    "check_jwk_source",
]

LOGGER = logging.getLogger(__name__)

JWT_ALGORITHMS = frozenset(
    {
        "EdDSA",
        "HS256",
        "HS384",
        "HS512",
        "RS256",
        "RS384",
        "RS512",
        "ES256",
        "ES384",
        "ES512",
        "PS256",
        "PS384",
        "PS512",
    }
)


@attrs.frozen(kw_only=True)
class JWKSourceConfig:
    """Where the keys come from, shared by `auth/validator` and `auth/signer` (krakend-jose's
    `SignatureConfig` and `SignerConfig` carry the same fields)."""

    alg: str = ""
    jwk_url: str = ""
    jwk_local_path: str = ""
    jwk_local_ca: str = ""
    secret_url: str = ""
    cypher_key: str = ""
    jwk_fingerprints: tuple[str, ...] = ()
    cipher_suites: tuple[int, ...] = ()
    disable_jwk_security: bool = False


@attrs.frozen(kw_only=True)
class JWTValidatorConfig(JWKSourceConfig):
    """`extra_config."auth/validator"` (endpoint; at service level only `shared_cache_duration`)."""

    NAMESPACE: ClassVar[str] = "auth/validator"

    cache: bool = False
    cache_duration: int = 0  # seconds; 0 = 900 when `cache` is on
    key_identify_strategy: str = "kid"
    failed_jwk_key_cooldown: Seconds | None = None
    issuer: str = ""
    audience: tuple[str, ...] = ()
    leeway: Seconds | None = None  # default 1 s, and never less
    roles_key: str = "roles"
    roles_key_is_nested: bool = False
    roles: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    scopes_key: str = ""
    scopes_matcher: str = "any"
    propagate_claims: tuple[tuple[str, str], ...] = ()
    propagate_claims_preserve_array: bool = False
    cookie_key: str = "access_token"
    auth_header_name: str = "Authorization"
    operation_debug: bool = False
    shared_cache_duration: int = 0  # service level


def check_jwk_source(config: JWKSourceConfig, path: Path, report: Report) -> None:
    """What the validator and the signer share: where the keys come from, and the algorithm."""
    if config.secret_url:
        report.error(
            (*path, "secret_url"),
            "secret_url (a KMS-encrypted JWK file) is not supported by trio-gateway",
            "decrypt the JWK set beforehand and point jwk_local_path at it",
        )
    if not config.jwk_url and not config.jwk_local_path:
        report.error(path, "a JWK source is required: set `jwk_url` or `jwk_local_path`")
    elif (
        config.jwk_url
        and not config.jwk_url.startswith("https://")
        and not config.disable_jwk_security
    ):
        report.error(
            (*path, "jwk_url"),
            "jwk_url must be https:// (KrakenD answers 401 to every request otherwise)",
            "set `disable_jwk_security: true` to allow http:// (tests, local identity providers)",
        )
    if config.alg not in JWT_ALGORITHMS:
        report.error(
            (*path, "alg"),
            f'unknown algorithm "{config.alg}" (KrakenD exits at start)',
            "one of " + ", ".join(sorted(JWT_ALGORITHMS)),
        )


def check(config: JWTValidatorConfig, where: Where, report: Report) -> None:
    if where.level is Level.SERVICE:
        return  # only `shared_cache_duration` is read there
    check_jwk_source(config, where.path, report)
    if config.cache and config.jwk_local_path:
        report.error(where.path, "cache could not be used with jwk_local_path (KrakenD exits)")
    if config.scopes_matcher not in ("any", "all"):
        report.error((*where.path, "scopes_matcher"), 'scopes_matcher must be "any" or "all"')


NAMESPACE = Namespace(
    name="auth/validator",
    levels=frozenset({Level.SERVICE, Level.ENDPOINT}),
    config=JWTValidatorConfig,
    aliases=("github.com/devopsfaith/krakend-jose/validator",),
    check=check,
)


class JWTGuard:
    """Validates the token, then hands the claims on to the backends."""

    __slots__ = ("_jwt", "_params")

    def __init__(self, jwt: JWTValidator, params: tuple[str, ...]) -> None:
        self._jwt = jwt
        self._params = params

    @property
    def validator(self) -> JWTValidator:
        return self._jwt

    async def __call__(self, admission: Admission) -> Rejection | None:
        outcome = await self._jwt.validate(admission.headers)
        if isinstance(outcome, AuthRejection):
            return Rejection(outcome.status)  # empty, as KrakenD
        propagated = self._jwt.propagated_headers(outcome)
        if propagated:
            names = {name for name, _ in propagated}
            admission.headers = [h for h in admission.headers if h[0] not in names] + propagated
        if self._params:
            claims = claim_params(outcome, self._params)
            # A claim lands in the backend path like a path param: same rules (routing/params).
            problem = bad_params(claims)
            if problem is not None:
                return Rejection(400, [(b"content-type", PARAM_ERROR_CONTENT_TYPE)], problem)
            admission.params = {**admission.params, **claims}
        return None


def build_guard(plan: EndpointPlan, context: Any) -> JWTGuard | RejectAll | None:
    config = plan.extra.get(JWTValidatorConfig)
    if config is None:
        return None
    from trio_gateway.auth.jwt import JWTValidator  # pyjwt and cryptography, only when used

    try:
        jwt = JWTValidator.from_config(
            config,
            http=context.httpx(),
            endpoint=plan.path,
            key_wait=plan.timeout,  # krakend-jose: a key that cannot be fetched is a 401
            spawner=context.background,
            rejecter=context.jwt_rejecter(plan),
        )
    except ValueError as exc:
        # krakend-jose `gin/jose.go`: the endpoint answers 401 to everything, the rest serve.
        LOGGER.error(
            "[ENDPOINT: %s][JWTValidator] Unable to create the validator: %s", plan.path, exc
        )
        return RejectAll(Rejection(401))
    return JWTGuard(jwt, plan.jwt_params)


GUARD = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.ENDPOINT_GUARD, build=build_guard)
