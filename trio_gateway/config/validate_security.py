"""`check` rules for the security namespaces: what KrakenD refuses at start (it exits, or answers
401 to every request) is an error here, found before deployment (krakend-components §8–§13)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from trio_gateway.config.model import (
    BotDetectorConfig,
    EndpointConfig,
    JWTSignerConfig,
    JWTValidatorConfig,
)
from trio_gateway.config.validate_extra import Path, Report

__all__ = ["JWT_ALGORITHMS", "check_bot_detector", "check_endpoint_security", "check_server_tls"]

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


def _check_jwk_source(
    config: JWTValidatorConfig | JWTSignerConfig, path: Path, report: Report
) -> None:
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


def check_server_tls(tls: Mapping[str, Any] | None, report: Report) -> None:
    """KrakenD fails at start on a `tls` block without keys (unless `disabled`)."""
    if not tls or tls.get("disabled") is True:
        return
    keys = tls.get("keys") or [{}]
    first = keys[0] if isinstance(keys, list) and keys and isinstance(keys[0], dict) else {}
    if not (tls.get("public_key") or first.get("public_key")):
        report.error(("tls",), "public key not defined", "set tls.public_key (a PEM certificate)")
    if not (tls.get("private_key") or first.get("private_key")):
        report.error(("tls",), "private key not defined", "set tls.private_key (a PEM key)")


def check_endpoint_security(endpoint: EndpointConfig, path: Path, report: Report) -> None:
    extra = endpoint.extra_config
    validator = extra.jwt_validator
    if validator is not None:
        where = (*path, "extra_config", "auth/validator")
        _check_jwk_source(validator, where, report)
        if validator.cache and validator.jwk_local_path:
            report.error(where, "cache could not be used with jwk_local_path (KrakenD exits)")
        if validator.scopes_matcher not in ("any", "all"):
            report.error((*where, "scopes_matcher"), 'scopes_matcher must be "any" or "all"')
    signer = extra.jwt_signer
    if signer is not None:
        where = (*path, "extra_config", "auth/signer")
        _check_jwk_source(signer, where, report)
        if not signer.kid:
            report.error((*where, "kid"), "kid is required")
        if not signer.keys_to_sign:
            report.error((*where, "keys_to_sign"), "keys_to_sign is required")
    if extra.bot_detector is not None:
        check_bot_detector(extra.bot_detector, (*path, "extra_config"), report)


def check_bot_detector(config: BotDetectorConfig, path: Path, report: Report) -> None:
    for index, pattern in enumerate(config.patterns):
        try:
            re.compile(pattern)
        except re.error as exc:
            report.error(
                (*path, "security/bot-detector", "patterns", index),
                f"invalid regular expression: {exc} (KrakenD then installs no bot detector)",
            )
