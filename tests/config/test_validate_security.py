"""`check` catches security configs that KrakenD would refuse at start."""

from __future__ import annotations

from typing import Any

import pytest

from trio_gateway.auth.validator import JWTValidatorConfig
from trio_gateway.config import ConfigError, load_config_data


def _endpoint(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": 3,
        "host": ["localhost:8000"],
        "endpoints": [{"endpoint": "/x", "extra_config": extra, "backend": [{"url_pattern": "/"}]}],
    }


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"auth/validator": {"alg": "HS256"}}, "a JWK source is required"),
        (
            {"auth/validator": {"alg": "none", "jwk_local_path": "k.json"}},
            'unknown algorithm "none"',
        ),
        (
            {"auth/validator": {"alg": "RS256", "jwk_url": "http://idp/jwks"}},
            "jwk_url must be https://",
        ),
        (
            {"auth/validator": {"alg": "RS256", "jwk_local_path": "k.json", "cache": True}},
            "cache could not be used with jwk_local_path",
        ),
        (
            {"auth/validator": {"alg": "RS256", "jwk_local_path": "k", "secret_url": "awskms://x"}},
            "secret_url",
        ),
        ({"auth/signer": {"alg": "HS256", "jwk_local_path": "k.json"}}, "kid is required"),
        ({"security/bot-detector": {"patterns": ["("]}}, "invalid regular expression"),
    ],
)
def test_refused_configs(extra: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_data(_endpoint(extra))
    assert any(expected in str(d) for d in caught.value.diagnostics)


def test_a_good_validator_passes() -> None:
    extra = {
        "auth/validator": {"alg": "RS256", "jwk_url": "https://idp.example/jwks", "roles": ["a"]}
    }
    loaded = load_config_data(_endpoint(extra))
    assert loaded.config.endpoints[0].extra_config.get(JWTValidatorConfig) is not None
    assert not [w for w in loaded.warnings if "auth/validator" in w.path]
