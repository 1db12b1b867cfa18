"""JWT validation (`auth/validator`) and signing (`auth/signer`), as krakend-jose does them.

The validator and signer (pyjwt, cryptography, httpx) are imported on first use: a gateway
whose config has no JWT block never loads them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trio_gateway.auth.claims import AuthRejection as AuthRejection
from trio_gateway.auth.claims import Claims as Claims
from trio_gateway.auth.claims import claim_params as claim_params
from trio_gateway.auth.claims import jwt_params as jwt_params

if TYPE_CHECKING:
    from trio_gateway.auth.jwt import JWTValidator as JWTValidator
    from trio_gateway.auth.signer import JWTSigner as JWTSigner
    from trio_gateway.auth.signer import SignerError as SignerError

__all__ = [
    "AuthRejection",
    "Claims",
    "JWTSigner",
    "JWTValidator",
    "SignerError",
    "claim_params",
    "jwt_params",
]


def __getattr__(name: str) -> Any:
    if name == "JWTValidator":
        from trio_gateway.auth.jwt import JWTValidator

        return JWTValidator
    if name in ("JWTSigner", "SignerError"):
        from trio_gateway.auth import signer

        return getattr(signer, name)
    raise AttributeError(f"module 'trio_gateway.auth' has no attribute {name!r}")
