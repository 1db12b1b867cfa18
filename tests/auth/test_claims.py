"""Claim propagation, `{JWT.claim}` params, key-id strategies and the config errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.auth.test_support import (
    b64,
    bearer,
    config,
    mint,
    oct_jwk,
    rsa_jwk,
    rsa_key,
    write_jwks,
)
from trio_gateway.auth import Claims, JWTValidator, claim_params, jwt_params
from trio_gateway.auth.claims import format_claim
from trio_gateway.auth.keys import jwk_key_id, token_key_id

CLAIMS = Claims(
    {
        "sub": "1234567890",
        "int": 42,
        "whole": 7.0,
        "float": 1.5,
        "list": ["a", "b", 3, 1.5, 1e6, True],
        "empty": [],
        "obj": {"b": [1, 2], "a": "<x>"},
        "flag": False,
        "nothing": None,
        "realm": {"access": {"roles": ["admin", "ops"]}},
        "https://example.com/tenant": "acme",
        "crlf": "ok\r\nx-admin: true",
        "unicode": "Zoë",
    }
)


def propagator(tmp_path: Path, pairs: list[tuple[str, str]], preserve: bool = False) -> Any:
    path = write_jwks(tmp_path / "k.json", rsa_jwk("k1"))
    return JWTValidator.from_config(
        config(
            jwk_local_path=path,
            propagate_claims=tuple(pairs),
            propagate_claims_preserve_array=preserve,
        )
    )


def test_propagated_claims_are_formatted_as_krakend(tmp_path: Path) -> None:
    pairs = [
        ("sub", "X-User"),
        ("int", "x-int"),
        ("whole", "x-whole"),
        ("float", "x-float"),
        ("list", "x-list"),
        ("obj", "x-obj"),
        ("flag", "x-flag"),
        ("nothing", "x-nothing"),
        ("missing", "x-missing"),
        ("realm.access.roles", "x-roles"),
        ("realm.nope.roles", "x-nope"),
        ("https://example.com/tenant", "x-tenant"),
        ("unicode", "x-unicode"),
    ]
    assert propagator(tmp_path, pairs).propagated_headers(CLAIMS) == [
        (b"x-user", b"1234567890"),
        (b"x-int", b"42"),
        (b"x-whole", b"7"),
        (b"x-float", b"1.500000"),
        (b"x-list", b"a,b,3,1.5,1e+06,true"),
        (b"x-obj", b'{"a":"\\u003cx\\u003e","b":[1,2]}'),
        (b"x-flag", b"false"),
        (b"x-nothing", b"null"),
        (b"x-missing", b""),
        (b"x-roles", b"admin,ops"),
        (b"x-nope", b""),
        (b"x-tenant", b"acme"),
        (b"x-unicode", "Zoë".encode()),
    ]


def test_preserve_array_gives_one_header_per_element(tmp_path: Path) -> None:
    pairs = [("list", "x-list"), ("sub", "x-sub"), ("empty", "x-empty"), ("missing", "x-m")]
    assert propagator(tmp_path, pairs, preserve=True).propagated_headers(CLAIMS) == [
        (b"x-list", b"a"),
        (b"x-list", b"b"),
        (b"x-list", b"3"),
        (b"x-list", b"1.5"),
        (b"x-list", b"1e+06"),
        (b"x-list", b"true"),
        (b"x-sub", b"1234567890"),
        (b"x-empty", b""),  # still named, so the client's own x-empty is overwritten
        (b"x-m", b""),
    ]


def test_header_injection_through_a_claim_is_neutralised(tmp_path: Path) -> None:
    headers = propagator(tmp_path, [("crlf", "x-note")]).propagated_headers(CLAIMS)
    assert headers == [(b"x-note", b"")]


def test_nested_go_values_in_arrays() -> None:
    value = [{"b": 1, "a": [True, None]}, [1.25, "x"], 0.00001]
    assert format_claim(value) == "map[a:[true <nil>] b:1],[1.25 x],1e-05"


def test_jwt_params_from_url_patterns() -> None:
    patterns = [
        "/users/{JWT.sub}/orders/{id}",
        "/t/{JWT.https://example.com/tenant}?u={JWT.sub}",
        "/x/{JWT}/{jwt.sub}/{resp0_JWT.x}",
    ]
    assert jwt_params(patterns) == ("JWT.sub", "JWT.https://example.com/tenant")
    assert jwt_params(["/plain/{id}"]) == ()


def test_claim_params_are_top_level_only() -> None:
    names = ("JWT.sub", "JWT.int", "JWT.list", "JWT.missing", "JWT.realm.access.roles")
    assert claim_params(CLAIMS, names) == {
        "JWT.sub": "1234567890",
        "JWT.int": "42",
        "JWT.list": "a,b,3,1.5,1e+06,true",
    }
    assert claim_params(CLAIMS, ["JWT.https://example.com/tenant"]) == {
        "JWT.https://example.com/tenant": "acme"
    }


def test_key_id_strategies() -> None:
    digest = bytes(range(20))
    jwk = {"kid": "k1", "x5t": b64(digest), "x5t#S256": b64(bytes(32))}
    assert jwk_key_id(jwk, "kid") == "k1"
    assert jwk_key_id(jwk, "x5t") == b64(digest)
    assert jwk_key_id({"x5t": b64(digest.hex().encode())}, "x5t") == b64(digest)  # hex form
    assert jwk_key_id(jwk, "x5t#S256") == b64(bytes(32))
    assert jwk_key_id(jwk, "kid_x5t") == "k1" + b64(digest)
    assert jwk_key_id(jwk, "whatever") == "k1"
    assert token_key_id({"kid": "k1", "x5t": "T"}, "x5t") == "T"
    assert token_key_id({"kid": "k1"}, "x5t") == "k1"
    assert token_key_id({"kid": "k1"}, "kid_x5t") == "k1k1"
    assert token_key_id({"kid": 3}, "kid") is None
    assert token_key_id({}, "kid") == ""


async def test_x5t_strategy_end_to_end(tmp_path: Path) -> None:
    thumb = b64(bytes(range(20)))
    path = write_jwks(tmp_path / "k.json", {**rsa_jwk("ignored"), "x5t": thumb})
    v = JWTValidator.from_config(
        config(jwk_local_path=path, key_identify_strategy="x5t"),
    )
    token = mint("RS256", rsa_key(), {"sub": "x"}, kid="other", x5t=thumb)
    assert isinstance(await v.validate(bearer(token)), Claims)
    token = mint("RS256", rsa_key(), {"sub": "x"}, kid="ignored")
    assert not isinstance(await v.validate(bearer(token)), Claims)


async def test_keyless_jwk_matches_tokens_without_kid(tmp_path: Path) -> None:
    jwk = rsa_jwk("x")
    del jwk["kid"]
    v = JWTValidator.from_config(config(jwk_local_path=write_jwks(tmp_path / "k.json", jwk)))
    assert isinstance(await v.validate(bearer(mint("RS256", rsa_key(), {"a": 1}))), Claims)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"alg": "none", "jwk_url": "https://x"}, "unknown algorithm"),
        ({"alg": "HS1", "jwk_url": "https://x"}, "unknown algorithm"),
        ({"alg": "", "jwk_url": "https://x"}, "unknown algorithm"),
        ({"jwk_url": "http://idp/jwks", "disable_jwk_security": False}, "https"),
        ({"jwk_url": "ftp://idp/jwks"}, "http(s)"),
        ({}, "jwk_url or jwk_local_path"),
        ({"jwk_url": "https://x", "secret_url": "base64key://abc"}, "secret_url"),
        ({"jwk_url": "https://x", "scopes_matcher": "some"}, "scopes_matcher"),
        ({"jwk_url": "https://x", "jwk_fingerprints": ("!!",)}, "jwk_fingerprints[0]"),
        ({"jwk_url": "https://x", "jwk_fingerprints": ("YWJj",)}, "SHA-256"),
        ({"jwk_url": "https://x", "jwk_local_ca": "/nonexistent/ca.pem"}, "jwk_local_ca"),
        ({"jwk_local_path": "/nonexistent/jwks.json"}, "jwk_local_path"),
        ({"jwk_url": "https://x", "propagate_claims": (("sub", "bad header"),)}, "propagate"),
    ],
)
def test_configs_krakend_refuses(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        JWTValidator.from_config(config(**fields))


def test_cache_with_local_path_is_refused(tmp_path: Path) -> None:
    path = write_jwks(tmp_path / "k.json", oct_jwk("s"))
    with pytest.raises(ValueError, match="cache could not be used with jwk_local_path"):
        JWTValidator.from_config(config(jwk_local_path=path, cache=True))


@pytest.mark.parametrize("content", [b"not json", b"{}", b'{"keys": []}', b'{"keys": {}}'])
def test_invalid_local_jwk_files_are_refused(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "k.json").write_bytes(content)
    with pytest.raises(ValueError, match="jwk_local_path"):
        JWTValidator.from_config(config(jwk_local_path=str(tmp_path / "k.json")))


def test_local_path_needs_no_disable_jwk_security(tmp_path: Path) -> None:
    path = write_jwks(tmp_path / "k.json", oct_jwk("s"))
    assert JWTValidator.from_config(config(jwk_local_path=path, disable_jwk_security=False))
