"""TLS for JWK set downloads: `jwk_local_ca`, `disable_jwk_security`, `cipher_suites`, pinning.

krakend-jose `jwk.go` builds a Go `tls.Config` per JWK client (TLS >= 1.2, system roots plus the
optional PEM CA, `InsecureSkipVerify` under `disable_jwk_security`) and, with `jwk_fingerprints`,
checks the SHA-256 of a peer certificate's SubjectPublicKeyInfo after the handshake. Here the
same is an `ssl.SSLContext` for an httpx client, and the pin check runs on the response's TLS
stream. Python 3.11 exposes only the leaf certificate, so pins must be of the leaf's public key
(KrakenD also accepts a pin of any certificate in the chain).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import ssl
from collections.abc import Sequence

import certifi
import httpx
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = ["decode_fingerprints", "needs_own_client", "pin_matches", "ssl_context"]

LOGGER = logging.getLogger(__name__)

# Go crypto/tls ids -> OpenSSL names, for the TLS 1.2 suites KrakenD enables by default. TLS 1.3
# suites (4865-4867) cannot be restricted with Python's ssl module: OpenSSL's defaults stay.
_CIPHERS = {
    49195: "ECDHE-ECDSA-AES128-GCM-SHA256",
    49196: "ECDHE-ECDSA-AES256-GCM-SHA384",
    49199: "ECDHE-RSA-AES128-GCM-SHA256",
    49200: "ECDHE-RSA-AES256-GCM-SHA384",
    52392: "ECDHE-RSA-CHACHA20-POLY1305",
    52393: "ECDHE-ECDSA-CHACHA20-POLY1305",
}
_TLS13_SUITES = frozenset({4865, 4866, 4867})


def decode_fingerprints(values: Sequence[str]) -> tuple[bytes, ...]:
    """`jwk_fingerprints`: base64url SHA-256 digests (padding optional).

    Raises:
        ValueError: one is not base64url or not 32 bytes long.
    """
    decoded = []
    for index, value in enumerate(values):
        try:
            raw = base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
        except (binascii.Error, ValueError):
            raise ValueError(f"jwk_fingerprints[{index}] is not base64url") from None
        if len(raw) != 32:
            raise ValueError(f"jwk_fingerprints[{index}] is not a SHA-256 digest (32 bytes)")
        decoded.append(raw)
    return tuple(decoded)


def needs_own_client(
    url: str, *, local_ca: str, insecure: bool, pins: Sequence[bytes], ciphers: Sequence[int]
) -> bool:
    """Whether the download needs TLS settings a shared httpx client does not have."""
    return url.startswith("https://") and bool(local_ca or insecure or pins or ciphers)


def ssl_context(*, local_ca: str, insecure: bool, ciphers: Sequence[int]) -> ssl.SSLContext:
    """The client context krakend-jose would build (system roots + certifi + `jwk_local_ca`).

    Raises:
        ValueError: the CA file cannot be read or holds no certificate.
    """
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=certifi.where())
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if local_ca:
        try:
            context.load_verify_locations(cafile=local_ca)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"jwk_local_ca: cannot load {local_ca!r}: {exc}") from None
    if insecure:  # KrakenD: InsecureSkipVerify under disable_jwk_security
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    names = [_CIPHERS[c] for c in ciphers if c in _CIPHERS]
    unknown = [c for c in ciphers if c not in _CIPHERS and c not in _TLS13_SUITES]
    if unknown:
        LOGGER.warning("cipher_suites: ids %s are not supported here and are ignored", unknown)
    if names:
        context.set_ciphers(":".join(names))
    return context


def pin_matches(response: httpx.Response, pins: Sequence[bytes]) -> bool:
    """Whether the TLS peer of `response` presents a pinned public key (plain HTTP: no pinning,
    as KrakenD pins only in its TLS dialer)."""
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return True
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return False
    spki = (
        x509.load_der_x509_certificate(der)
        .public_key()
        .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    )
    return hashlib.sha256(spki).digest() in pins
