"""auth/validator: extraction, signature, algorithm rules, registered claims, roles, scopes."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed448
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import OKPAlgorithm

import trio_gateway.auth.jwt as auth_jwt
from tests.auth.test_support import (
    HMAC_SECRET,
    b64,
    bearer,
    config,
    ec_jwk,
    ec_key,
    ed_jwk,
    ed_key,
    future,
    hs_raw,
    mint,
    oct_jwk,
    rsa_jwk,
    rsa_key,
    write_jwks,
)
from trio_gateway.auth import AuthRejection, Claims, JWTValidator

NOW = 1_800_000_000.0


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(auth_jwt, "time", SimpleNamespace(time=lambda: NOW))
    return NOW


@pytest.fixture
def rsa_file(tmp_path: Path) -> str:
    return write_jwks(tmp_path / "rsa.json", rsa_jwk("r1"), oct_jwk("s1"))


def rs256(claims: dict[str, Any] | None = None, *, kid: str = "r1", name: str = "main") -> str:
    claims = {"sub": "1234", "exp": future()} if claims is None else claims
    return mint("RS256", rsa_key(name), claims, kid=kid)


def validator(path: str, **fields: Any) -> JWTValidator:
    return JWTValidator.from_config(config(jwk_local_path=path, **fields))


async def rejected(v: JWTValidator, headers: list[tuple[bytes, bytes]]) -> AuthRejection:
    outcome = await v.validate(headers)
    assert isinstance(outcome, AuthRejection), outcome
    return outcome


async def test_valid_rs256_returns_the_claims(rsa_file: str) -> None:
    token = rs256({"sub": "1234", "exp": future(), "name": "Ann"})
    outcome = await validator(rsa_file).validate(bearer(token))
    assert isinstance(outcome, Claims)
    assert outcome.values["sub"] == "1234" and outcome.values["name"] == "Ann"


@pytest.mark.parametrize(
    ("alg", "jwk", "key"),
    [
        ("ES256", lambda: ec_jwk("e1"), ec_key),
        ("HS256", lambda: oct_jwk("e1"), lambda: HMAC_SECRET),
        ("HS512", lambda: oct_jwk("e1"), lambda: HMAC_SECRET),
        ("PS256", lambda: rsa_jwk("e1"), rsa_key),
        ("EdDSA", lambda: ed_jwk("e1"), ed_key),
    ],
)
async def test_other_algorithms(tmp_path: Path, alg: str, jwk: Any, key: Any) -> None:
    v = validator(write_jwks(tmp_path / "k.json", jwk()), alg=alg)
    outcome = await v.validate(bearer(mint(alg, key(), {"sub": "x"}, kid="e1")))
    assert isinstance(outcome, Claims) and outcome.values["sub"] == "x"


async def test_private_jwk_verifies_with_its_public_half(tmp_path: Path) -> None:
    v = validator(write_jwks(tmp_path / "k.json", rsa_jwk("r1", private=True)))
    assert isinstance(await v.validate(bearer(rs256())), Claims)


async def test_token_without_exp_is_accepted(rsa_file: str) -> None:
    assert isinstance(await validator(rsa_file).validate(bearer(rs256({"sub": "x"}))), Claims)


async def test_missing_token_is_401(rsa_file: str) -> None:
    outcome = await rejected(validator(rsa_file), [(b"host", b"x")])
    assert outcome == AuthRejection(401, "token not found")


@pytest.mark.parametrize(
    "token",
    [
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.e30.sig",
        b64(b"[1]") + ".e30.c2ln",
        b64(b"not json") + ".e30.c2ln",
        "",
    ],
)
async def test_malformed_token_is_401(rsa_file: str, token: str) -> None:
    headers = [(b"authorization", token.encode())]
    assert (await rejected(validator(rsa_file), headers)).status == 401


async def test_bad_signature_is_401(rsa_file: str) -> None:
    token = rs256(name="other")  # same kid, another RSA key
    assert (await rejected(validator(rsa_file), bearer(token))).reason == "invalid signature"


async def test_tampered_payload_is_401(rsa_file: str) -> None:
    header, _, signature = rs256().split(".")
    forged = f"{header}.{b64(json.dumps({'sub': 'admin'}).encode())}.{signature}"
    assert (await rejected(validator(rsa_file), bearer(forged))).reason == "invalid signature"


async def test_alg_mismatch_is_401(tmp_path: Path) -> None:
    path = write_jwks(tmp_path / "k.json", rsa_jwk("k"), ec_jwk("e"))
    token = mint("ES256", ec_key(), {"sub": "x"}, kid="e")
    outcome = await rejected(validator(path), bearer(token))  # configured RS256
    assert outcome.reason == "token alg is not RS256"
    ps = mint("PS256", rsa_key(), {"sub": "x"}, kid="k")  # same key, another RSA alg
    assert (await rejected(validator(path), bearer(ps))).status == 401


@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
async def test_alg_none_is_401(rsa_file: str, alg: str) -> None:
    header = b64(json.dumps({"alg": alg, "kid": "r1"}).encode())
    token = f"{header}.{b64(json.dumps({'sub': 'admin'}).encode())}."
    assert (await rejected(validator(rsa_file), bearer(token))).status == 401


def _public_pem() -> bytes:
    return rsa_key().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


async def test_hs_token_signed_with_the_rsa_public_key_is_401(rsa_file: str) -> None:
    token = hs_raw(_public_pem(), {"alg": "HS256", "kid": "r1"}, {"sub": "admin"})
    outcome = await rejected(validator(rsa_file), bearer(token))
    assert outcome.reason == "token alg is not RS256"


async def test_rsa_key_never_serves_as_hmac_secret(tmp_path: Path) -> None:
    # Configured HS256 and the set holds an RSA key under the token's kid: the RSA key is not
    # turned into an HMAC secret, whatever bytes the attacker used.
    path = write_jwks(tmp_path / "k.json", rsa_jwk("r1"), oct_jwk("s1"))
    v = validator(path, alg="HS256")
    for secret in (_public_pem(), json.dumps(rsa_jwk("r1")).encode()):
        token = hs_raw(secret, {"alg": "HS256", "kid": "r1"}, {"sub": "admin"})
        assert (await rejected(v, bearer(token))).reason == "key type does not fit alg"
    good = hs_raw(HMAC_SECRET, {"alg": "HS256", "kid": "s1"}, {"sub": "ok"})
    assert isinstance(await v.validate(bearer(good)), Claims)


async def test_oct_key_never_verifies_rs256(tmp_path: Path) -> None:
    path = write_jwks(tmp_path / "k.json", oct_jwk("s1"))
    header = b64(json.dumps({"alg": "RS256", "kid": "s1"}).encode())
    token = f"{header}.{b64(b'{}')}.{b64(b'x' * 256)}"
    assert (await rejected(validator(path), bearer(token))).reason == "key type does not fit alg"


async def test_es256_needs_a_p256_key(tmp_path: Path) -> None:
    jwk = {**ec_jwk("e1"), "crv": "P-384"}
    v = validator(write_jwks(tmp_path / "k.json", jwk), alg="ES256")
    token = mint("ES256", ec_key(), {"sub": "x"}, kid="e1")
    assert (await rejected(v, bearer(token))).reason == "key type does not fit alg"


async def test_eddsa_is_ed25519_only(tmp_path: Path) -> None:
    key = ed448.Ed448PrivateKey.generate()  # go-jose v3 knows no Ed448: neither do we
    jwk = {**OKPAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "e1"}
    v = validator(write_jwks(tmp_path / "k.json", jwk), alg="EdDSA")
    token = mint("EdDSA", key, {"sub": "x"}, kid="e1")
    assert (await rejected(v, bearer(token))).reason == "key type does not fit alg"


async def test_unknown_kid_is_401(rsa_file: str) -> None:
    outcome = await rejected(validator(rsa_file), bearer(rs256(kid="nope")))
    assert outcome.reason == "unknown key id"


async def test_non_string_kid_is_401(rsa_file: str) -> None:
    token = hs_raw(HMAC_SECRET, {"alg": "RS256", "kid": 7}, {})
    assert (await rejected(validator(rsa_file), bearer(token))).status == 401


async def test_crit_header_is_401(tmp_path: Path) -> None:
    path = write_jwks(tmp_path / "k.json", oct_jwk("s1"))
    token = hs_raw(HMAC_SECRET, {"alg": "HS256", "kid": "s1", "crit": ["exp"], "exp": 1}, {})
    assert (await rejected(validator(path, alg="HS256"), bearer(token))).status == 401


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": NOW - 5}, "token expired"),
        ({"nbf": NOW + 5}, "token not valid yet (nbf)"),
        ({"iat": NOW + 5}, "token issued in the future (iat)"),
        ({"exp": "never"}, "claim exp is not a number"),
        ({"exp": True}, "claim exp is not a number"),
        ({"sub": 12}, "claim sub is not a string"),
        ({"aud": ["a", 1]}, "claim aud is not a string or an array of strings"),
    ],
)
async def test_registered_claims_are_401(
    rsa_file: str, frozen_now: float, claims: dict[str, Any], reason: str
) -> None:
    assert await rejected(validator(rsa_file), bearer(rs256(claims))) == AuthRejection(401, reason)


async def test_leeway_defaults_to_one_second_and_is_never_less(
    rsa_file: str, frozen_now: float
) -> None:
    just_expired = bearer(rs256({"exp": NOW - 1}))
    assert isinstance(await validator(rsa_file).validate(just_expired), Claims)
    assert isinstance(await validator(rsa_file, leeway=0.1).validate(just_expired), Claims)
    assert (await rejected(validator(rsa_file), bearer(rs256({"exp": NOW - 2})))).status == 401


async def test_configured_leeway(rsa_file: str, frozen_now: float) -> None:
    v = validator(rsa_file, leeway=30.0)
    assert isinstance(await v.validate(bearer(rs256({"exp": NOW - 29, "nbf": NOW + 29}))), Claims)
    assert (await rejected(v, bearer(rs256({"exp": NOW - 31})))).reason == "token expired"


async def test_null_registered_claims_count_as_absent(rsa_file: str) -> None:
    token = rs256({"exp": None, "iss": None, "aud": None, "sub": "x"})
    assert isinstance(await validator(rsa_file).validate(bearer(token)), Claims)


async def test_issuer(rsa_file: str) -> None:
    v = validator(rsa_file, issuer="https://idp.example")
    assert isinstance(await v.validate(bearer(rs256({"iss": "https://idp.example"}))), Claims)
    for claims in ({"iss": "https://evil.example"}, {"sub": "no iss"}):
        assert (await rejected(v, bearer(rs256(claims)))).reason == "invalid issuer"


async def test_every_configured_audience_is_required(rsa_file: str) -> None:
    v = validator(rsa_file, audience=("api", "billing"))
    assert isinstance(await v.validate(bearer(rs256({"aud": ["billing", "x", "api"]}))), Claims)
    for aud in (["api"], "api", ["billing"], []):
        outcome = await rejected(v, bearer(rs256({"aud": aud})))
        assert outcome == AuthRejection(401, "invalid audience")


async def test_audience_string_and_unconfigured_audience(rsa_file: str) -> None:
    one = validator(rsa_file, audience=("api",))
    assert isinstance(await one.validate(bearer(rs256({"aud": "api"}))), Claims)
    # pyjwt would refuse a token with `aud` when no audience is expected; KrakenD ignores it.
    assert isinstance(await validator(rsa_file).validate(bearer(rs256({"aud": "x"}))), Claims)


async def test_roles_any_of_is_403(rsa_file: str) -> None:
    v = validator(rsa_file, roles=("admin", "ops"))
    for roles in (["user", "ops"], "user admin"):
        assert isinstance(await v.validate(bearer(rs256({"roles": roles}))), Claims)
    refused: list[dict[str, Any]] = [
        {"roles": ["user"]},
        {"roles": "user guest"},
        {},
        {"roles": []},
        {"roles": 3},
    ]
    for claims in refused:
        assert await rejected(v, bearer(rs256(claims))) == AuthRejection(403, "insufficient roles")


async def test_non_string_roles_never_match(rsa_file: str) -> None:
    v = validator(rsa_file, roles=("admin",))
    assert isinstance(await v.validate(bearer(rs256({"roles": [1, None, "admin"]}))), Claims)
    assert (await rejected(v, bearer(rs256({"roles": [1, {"a": "admin"}]})))).status == 403


async def test_nested_roles(rsa_file: str) -> None:
    claims = {"realm_access": {"roles": ["admin"]}, "realm_access.roles": ["user"]}
    nested = validator(
        rsa_file, roles=("admin",), roles_key="realm_access.roles", roles_key_is_nested=True
    )
    assert isinstance(await nested.validate(bearer(rs256(claims))), Claims)
    flat = validator(rsa_file, roles=("admin",), roles_key="realm_access.roles")
    assert (await rejected(flat, bearer(rs256(claims)))).status == 403  # literal key: "user"
    missing = bearer(rs256({"realm_access": "admin"}))
    assert (await rejected(nested, missing)).status == 403


async def test_url_like_roles_key_is_literal_even_when_nested(rsa_file: str) -> None:
    key = "https://example.com/roles"
    v = validator(rsa_file, roles=("admin",), roles_key=key, roles_key_is_nested=True)
    assert isinstance(await v.validate(bearer(rs256({key: ["admin"]}))), Claims)


@pytest.mark.parametrize(
    ("matcher", "scopes", "ok"),
    [
        ("any", ["read"], True),
        ("any", "write other", True),
        ("any", ["other"], False),
        ("all", ["write", "read", "x"], True),
        ("all", "read write", True),
        ("all", ["read"], False),
        ("all", [], False),
        ("any", None, False),
    ],
)
async def test_scopes(rsa_file: str, matcher: str, scopes: Any, ok: bool) -> None:
    v = validator(rsa_file, scopes=("read", "write"), scopes_key="scope", scopes_matcher=matcher)
    claims = {} if scopes is None else {"scope": scopes}
    outcome = await v.validate(bearer(rs256(claims)))
    if ok:
        assert isinstance(outcome, Claims)
    else:
        assert outcome == AuthRejection(403, "missing required scopes")


async def test_nested_scopes_and_inactive_check(rsa_file: str) -> None:
    v = validator(rsa_file, scopes=("read",), scopes_key="auth.scp")
    assert isinstance(await v.validate(bearer(rs256({"auth": {"scp": ["read"]}}))), Claims)
    assert (await rejected(v, bearer(rs256({"auth.scp": ["read"]})))).status == 403
    # scopes without scopes_key: KrakenD does not check them at all
    assert isinstance(await validator(rsa_file, scopes=("read",)).validate(bearer(rs256())), Claims)


async def test_roles_are_checked_before_scopes(rsa_file: str) -> None:
    v = validator(rsa_file, roles=("admin",), scopes=("read",), scopes_key="scope")
    assert (await rejected(v, bearer(rs256({"scope": "none"})))).reason == "insufficient roles"


async def test_bearer_prefix_is_optional_and_case_insensitive(rsa_file: str) -> None:
    v = validator(rsa_file)
    token = rs256().encode()
    for value in (token, b"Bearer " + token, b"bearer " + token, b"BEARER " + token):
        assert isinstance(await v.validate([(b"authorization", value)]), Claims), value[:7]
    assert (await rejected(v, [(b"authorization", b"Bearer ")])).status == 401
    assert (await rejected(v, [(b"authorization", b"Basic " + token)])).status == 401


async def test_cookie_fallback(rsa_file: str) -> None:
    v = validator(rsa_file)
    token = rs256().encode()
    cookie = b"theme=dark; access_token=" + token + b"; other=1"
    assert isinstance(await v.validate([(b"cookie", cookie)]), Claims)
    assert isinstance(await v.validate([(b"cookie", b'access_token="' + token + b'"')]), Claims)
    # an empty auth header falls through to the cookie...
    assert isinstance(await v.validate([(b"authorization", b""), (b"cookie", cookie)]), Claims)
    # ...a malformed one does not
    headers = [(b"authorization", b"garbage"), (b"cookie", cookie)]
    assert (await rejected(v, headers)).reason.startswith("malformed")
    assert (await rejected(v, [(b"cookie", b"token=" + token)])).reason == "token not found"


async def test_custom_cookie_key_and_header_name(rsa_file: str) -> None:
    v = validator(rsa_file, cookie_key="jwt", auth_header_name="X-Token")
    token = rs256().encode()
    assert isinstance(await v.validate([(b"x-token", token)]), Claims)
    assert isinstance(await v.validate([(b"cookie", b"jwt=" + token)]), Claims)
    rejected_header = [(b"authorization", b"Bearer " + token)]
    assert (await rejected(v, rejected_header)).reason == "token not found"


async def test_operation_debug_logs_reasons_but_never_tokens(
    rsa_file: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = rs256({"exp": time.time() - 60})
    caplog.set_level(logging.DEBUG)
    quiet = validator(rsa_file)
    await quiet.validate(bearer(token))
    assert "token expired" not in caplog.text
    loud = JWTValidator.from_config(
        config(jwk_local_path=rsa_file, operation_debug=True), endpoint="/orders"
    )
    await loud.validate(bearer(token))
    await loud.validate([(b"cookie", b"access_token=" + token.encode())])
    assert "[ENDPOINT: /orders][JWTValidator] token expired (401)" in caplog.text
    for secret_part in token.split("."):
        assert secret_part not in caplog.text
