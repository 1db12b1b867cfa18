"""Property tests: whatever a client sends, the validator answers, and never raises; plus cost."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.auth.test_support import HMAC_SECRET, b64, oct_jwk, rsa_jwk
from trio_gateway.auth import AuthRejection, Claims, JWTValidator
from trio_gateway.auth.jwks import KeySet
from trio_gateway.auth.keys import parse_key_set
from trio_gateway.auth.validator import JWTValidatorConfig

CONFIG = JWTValidatorConfig(
    alg="HS256",
    jwk_local_path="(in memory)",
    audience=("api",),
    roles=("admin",),
    scopes=("read",),
    scopes_key="scope",
    propagate_claims=(("sub", "x-user"), ("roles", "x-roles")),
)


def make_validator() -> JWTValidator:
    keys = parse_key_set({"keys": [oct_jwk("s1"), rsa_jwk("r1")]}, "HS256", "kid")
    return JWTValidator(CONFIG, KeySet(alg="HS256", strategy="kid", keys=keys))


VALIDATOR = make_validator()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
claim_dicts = st.dictionaries(
    st.sampled_from(["sub", "aud", "exp", "nbf", "iat", "iss", "roles", "scope", "jti"])
    | st.text(max_size=5),
    json_values,
    max_size=8,
)


def hs256(header: Any, payload: Any) -> bytes:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = hmac.new(HMAC_SECRET, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}".encode()


def assert_401(outcome: Claims | AuthRejection) -> None:
    assert isinstance(outcome, AuthRejection) and outcome.status == 401, outcome


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
async def test_arbitrary_authorization_bytes_are_401(value: bytes) -> None:
    assert_401(await VALIDATOR.validate([(b"authorization", value)]))
    assert_401(await VALIDATOR.validate([(b"authorization", b"Bearer " + value)]))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
async def test_arbitrary_token_strings_are_401(token: str) -> None:
    raw = token.encode("utf-8")
    assert_401(await VALIDATOR.validate([(b"authorization", raw)]))
    assert_401(await VALIDATOR.validate([(b"cookie", b"access_token=" + raw)]))


@settings(max_examples=300, deadline=None)
@given(
    header=st.dictionaries(st.text(max_size=5), json_values, max_size=4),
    payload=json_values,
    signature=st.binary(max_size=64),
    alg=st.sampled_from(["HS256", "RS256", "none", "HS512"]),
    kid=st.sampled_from(["s1", "r1", "zz", ""]) | json_values,
)
async def test_forged_signatures_are_401(
    header: dict[str, Any], payload: Any, signature: bytes, alg: str, kid: Any
) -> None:
    header = {**header, "alg": alg, "kid": kid}
    body = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    assert_401(await VALIDATOR.validate([(b"authorization", f"{body}.{b64(signature)}".encode())]))


@settings(max_examples=300, deadline=None)
@given(claims=claim_dicts | json_values)
async def test_validly_signed_arbitrary_claims_never_raise(claims: Any) -> None:
    outcome = await VALIDATOR.validate(
        [(b"authorization", hs256({"alg": "HS256", "kid": "s1"}, claims))]
    )
    if isinstance(outcome, Claims):
        assert claims["aud"] == "api" or "api" in claims["aud"]
        VALIDATOR.propagated_headers(outcome)  # formatting never raises either
    else:
        assert outcome.status in (401, 403)
        if not isinstance(claims, dict):
            assert outcome.status == 401
