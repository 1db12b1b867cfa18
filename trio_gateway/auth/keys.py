"""JWK sets -> keys prepared once for one algorithm, and the ids tokens find them by.

Rule 1 (algorithm confusion): a key is built for the *configured* `alg` only, from the JWK's own
type, and is refused when that type cannot serve the algorithm: an `oct` secret never verifies an
RS256 token, an RSA public key never becomes an HMAC secret (RFC 8725 §2.1 and §3.1). Together
with the exact `alg` header match in `auth/jwt.py` this closes the `none` / HS-vs-RS attacks.

Rule 2 (no secrets in messages): `KeySetError` texts name key positions and ids, never key
material; pyjwt's own messages can quote a whole JWK (an HMAC secret included), so they are
dropped.

Key ids follow krakend-jose `key_identify_strategy` (`kid`, `x5t`, `x5t#S256`, `kid_x5t`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import attrs
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import Algorithm, get_default_algorithms
from jwt.api_jwk import PyJWK
from jwt.exceptions import PyJWTError

__all__ = [
    "ALGORITHMS",
    "KeySetError",
    "PreparedKey",
    "jwk_key_id",
    "parse_key_set",
    "token_key_id",
]

# alg -> (JWK kty, required crv): krakend-jose's `supportedAlgorithms`, go-jose v3 key rules.
ALGORITHMS: Mapping[str, tuple[str, str | None]] = {
    "HS256": ("oct", None),
    "HS384": ("oct", None),
    "HS512": ("oct", None),
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "PS512": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", "Ed25519"),  # go-jose v3 has no Ed448
}
_PYJWT_ALGORITHMS = get_default_algorithms()
_PRIVATE_TYPES = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)


class KeySetError(ValueError):
    """A JWK set that cannot be used at all (its message never holds key material)."""


@attrs.frozen(kw_only=True)
class PreparedKey:
    """One JWK, decoded and prepared for the configured algorithm (done once, not per token)."""

    key_id: str
    algorithm: Algorithm
    key: Any
    can_sign: bool

    def verify(self, signing_input: bytes, signature: bytes) -> bool:
        """Check a JWS signature. Attacker-controlled bytes never raise: they fail."""
        try:
            return bool(self.algorithm.verify(signing_input, self.key, signature))
        except Exception:  # third-party parsing of hostile input (DER, lengths): not a bug here
            return False

    def sign(self, signing_input: bytes) -> bytes:
        return self.algorithm.sign(signing_input, self.key)


def _b64url_thumbprint(value: Any, size: int) -> str:
    """A JWK `x5t`/`x5t#S256` as krakend-jose compares it: the raw digest, base64url unpadded.

    As go-jose, a hex-encoded digest (RFC 7517 §4.8 is ambiguous) is accepted too.
    """
    if not isinstance(value, str) or not value:
        return ""
    try:
        raw = base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
        if len(raw) == 2 * size:
            raw = bytes.fromhex(raw.decode("ascii"))
    except (binascii.Error, ValueError):
        return ""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def jwk_key_id(jwk: Mapping[str, Any], strategy: str) -> str:
    """The id a JWK is stored under for `key_identify_strategy` (unknown strategies: `kid`)."""
    kid = jwk.get("kid")
    kid = kid if isinstance(kid, str) else ""
    if strategy == "x5t":
        return _b64url_thumbprint(jwk.get("x5t"), 20)
    if strategy == "x5t#S256":
        return _b64url_thumbprint(jwk.get("x5t#S256"), 32)
    if strategy == "kid_x5t":
        return kid + _b64url_thumbprint(jwk.get("x5t"), 20)
    return kid


def token_key_id(header: Mapping[str, Any], strategy: str) -> str | None:
    """The id a token header asks for; None when the header is malformed (non-string `kid`).

    krakend-jose falls back to `kid` when the token carries no string `x5t` / `x5t#S256`.
    """
    kid = header.get("kid", "")
    if not isinstance(kid, str):
        return None
    if strategy in ("x5t", "x5t#S256", "kid_x5t"):
        thumb = header.get("x5t#S256" if strategy == "x5t#S256" else "x5t")
        if strategy == "kid_x5t":
            return kid + (thumb if isinstance(thumb, str) else kid)
        return thumb if isinstance(thumb, str) else kid
    return kid


def _prepare(jwk: Mapping[str, Any], alg: str, *, for_signing: bool) -> tuple[Any, bool] | None:
    """Build the key for `alg` from a JWK, or None when the JWK's type cannot serve `alg`."""
    kty, crv = ALGORITHMS[alg]
    if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv):
        return None
    try:
        built = PyJWK(dict(jwk), algorithm=alg)
        prepared = built.Algorithm.prepare_key(built.key)
    except (PyJWTError, ValueError, TypeError):
        return None
    can_sign = isinstance(prepared, (bytes, *_PRIVATE_TYPES))
    if not for_signing and isinstance(prepared, _PRIVATE_TYPES):
        # A private JWK also verifies (go-jose refuses it); only its public half is kept.
        prepared = prepared.public_key()
    return prepared, can_sign


def parse_key_set(
    document: Any, alg: str, strategy: str, *, for_signing: bool = False
) -> dict[str, PreparedKey | None]:
    """Decode a JWK set for one algorithm.

    Returns:
        id -> key; None marks an id whose JWK exists but cannot serve `alg` (so a token naming it
        is refused at once instead of triggering a refetch). A usable key wins over an unusable
        one with the same id; otherwise, as krakend-jose's cacher, the last one wins.

    Raises:
        KeySetError: not a `{"keys": [...]}` object, or no key in it at all. Single keys that
        cannot be decoded are skipped (go-jose rejects the whole set for one unknown key type).
    """
    if alg not in ALGORITHMS:
        raise KeySetError(f"unknown algorithm {alg!r}")
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not keys:
        raise KeySetError('not a JWK set: a non-empty "keys" array is required')
    algorithm = _PYJWT_ALGORITHMS[alg]
    result: dict[str, PreparedKey | None] = {}
    for jwk in keys:
        if not isinstance(jwk, dict):
            continue
        key_id = jwk_key_id(jwk, strategy)
        prepared = _prepare(jwk, alg, for_signing=for_signing)
        if prepared is None:
            result.setdefault(key_id, None)
            continue
        result[key_id] = PreparedKey(
            key_id=key_id, algorithm=algorithm, key=prepared[0], can_sign=prepared[1]
        )
    return result
