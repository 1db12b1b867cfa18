"""JWT validation (`auth/validator`) and signing (`auth/signer`), as krakend-jose does them."""

from __future__ import annotations

from trio_gateway.auth.jwt import AuthRejection as AuthRejection
from trio_gateway.auth.jwt import Claims as Claims
from trio_gateway.auth.jwt import JWTValidator as JWTValidator
from trio_gateway.auth.jwt import claim_params as claim_params
from trio_gateway.auth.jwt import jwt_params as jwt_params
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
