"""`auth/signer`: the endpoint's answer with `keys_to_sign` turned into JWTs (krakend-jose
`signer`), as a responder: it replaces KrakenD's rendering of the endpoint's answer, and runs
inside the endpoint guards, so a signer endpoint that also has `auth/validator` answers 401 to a
request without a valid token and calls no backend (KrakenD nests the signer in the validator).

The signing itself (keys, JWK sets) is `auth/signer.py`, imported only when a config uses it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from trio_gateway.auth.validator import JWKSourceConfig, check_jwk_source
from trio_gateway.config.diagnostics import Report
from trio_gateway.namespace import Layer, Level, Namespace, Rejection, Slot, Where

if TYPE_CHECKING:
    from trio_gateway.auth.signer import JWTSigner
    from trio_gateway.plan import EndpointPlan

__all__ = ["NAMESPACE", "RESPONDER", "JWTSignerConfig"]

LOGGER = logging.getLogger(__name__)


@attrs.frozen(kw_only=True)
class JWTSignerConfig(JWKSourceConfig):
    """`extra_config."auth/signer"` (endpoint): sign `keys_to_sign` of the response as JWTs."""

    NAMESPACE: ClassVar[str] = "auth/signer"

    kid: str = ""
    keys_to_sign: tuple[str, ...] = ()
    full: bool = False
    typ: str = "JWT"


def check(config: JWTSignerConfig, where: Where, report: Report) -> None:
    check_jwk_source(config, where.path, report)
    if not config.kid:
        report.error((*where.path, "kid"), "kid is required")
    if not config.keys_to_sign:
        report.error((*where.path, "keys_to_sign"), "keys_to_sign is required")


NAMESPACE = Namespace(
    name="auth/signer",
    levels=frozenset({Level.ENDPOINT}),
    config=JWTSignerConfig,
    aliases=("github.com/devopsfaith/krakend-jose/signer",),
    check=check,
)


def build_responder(plan: EndpointPlan, context: Any) -> JWTSigner | Rejection | None:
    """The signer, or the `Rejection` every request gets when it cannot be built."""
    config = plan.extra.get(JWTSignerConfig)
    if config is None:
        return None
    from trio_gateway.auth.signer import JWTSigner  # pyjwt and cryptography, only when used

    try:
        return JWTSigner.from_config(
            config, http=context.httpx(), endpoint=plan.path, spawner=context.background
        )
    except ValueError as exc:
        # krakend-jose `gin/jose.go`: `erroredHandler`, 401 to everything; the rest serve.
        LOGGER.error("[ENDPOINT: %s][JWTSigner] Unable to create the signer: %s", plan.path, exc)
        return Rejection(401)


RESPONDER = Layer(
    name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.RESPONDER, build=build_responder
)
