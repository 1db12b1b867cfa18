"""auth/signer: signed objects verify with the public key; compact and full serializations."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import trio

from tests.auth.test_support import (
    HMAC_SECRET,
    ec_jwk,
    ec_key,
    ed_jwk,
    ed_key,
    oct_jwk,
    rsa_jwk,
    rsa_key,
    start_server,
    write_jwks,
)
from trio_gateway.auth import JWTSigner, SignerError
from trio_gateway.auth.signing import JWTSignerConfig

DATA = {"token": {"sub": "1234", "exp": 4102444800, "roles": ["a", "<b>"]}, "other": {"x": 1}}


def signer(path: str, alg: str = "RS256", **fields: Any) -> JWTSigner:
    fields.setdefault("kid", "sig")
    fields.setdefault("keys_to_sign", ("token", "missing", "text"))
    return JWTSigner.from_config(JWTSignerConfig(alg=alg, jwk_local_path=path, **fields))


@pytest.mark.parametrize(
    ("alg", "jwk", "verify_key"),
    [
        ("RS256", lambda: rsa_jwk("sig", private=True), lambda: rsa_key().public_key()),
        ("PS384", lambda: rsa_jwk("sig", private=True), lambda: rsa_key().public_key()),
        ("ES256", lambda: ec_jwk("sig", private=True), lambda: ec_key().public_key()),
        ("EdDSA", lambda: ed_jwk("sig", private=True), lambda: ed_key().public_key()),
        ("HS256", lambda: oct_jwk("sig"), lambda: HMAC_SECRET),
    ],
)
async def test_signed_tokens_verify(tmp_path: Path, alg: str, jwk: Any, verify_key: Any) -> None:
    path = write_jwks(tmp_path / "k.json", rsa_jwk("other", "other", private=True), jwk())
    out = await signer(path, alg).sign({**DATA, "text": "plain"})
    assert out["other"] == {"x": 1} and out["text"] == "plain" and "missing" not in out
    assert jwt.decode(out["token"], verify_key(), algorithms=[alg]) == DATA["token"]
    assert jwt.get_unverified_header(out["token"]) == {"alg": alg, "kid": "sig", "typ": "JWT"}


async def test_payload_is_go_json(tmp_path: Path) -> None:
    path = write_jwks(tmp_path / "k.json", oct_jwk("sig"))
    out = await signer(path, "HS256").sign(DATA)
    payload = out["token"].split(".")[1]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert raw == b'{"exp":4102444800,"roles":["a","\\u003cb\\u003e"],"sub":"1234"}'


async def test_full_serialization(tmp_path: Path) -> None:
    path = write_jwks(tmp_path / "k.json", rsa_jwk("sig", private=True))
    out = await signer(path, full=True, typ="at+jwt").sign(DATA)
    serialized = json.loads(out["token"])
    assert list(serialized) == ["payload", "protected", "signature"]
    compact = f"{serialized['protected']}.{serialized['payload']}.{serialized['signature']}"
    claims = jwt.decode(compact, rsa_key().public_key(), algorithms=["RS256"])
    assert claims == DATA["token"]
    assert jwt.get_unverified_header(compact)["typ"] == "at+jwt"


async def test_input_is_not_mutated(tmp_path: Path) -> None:
    path = write_jwks(tmp_path / "k.json", oct_jwk("sig"))
    data = {"token": {"a": 1}}
    out = await signer(path, "HS256").sign(data)
    assert data == {"token": {"a": 1}} and isinstance(out["token"], str)


@pytest.mark.parametrize(
    ("keys", "kid", "message"),
    [
        (lambda: [rsa_jwk("sig")], "sig", "public key"),
        (lambda: [rsa_jwk("sig", private=True)], "nope", "no key with kid"),
        (lambda: [oct_jwk("sig")], "sig", "cannot be used for RS256"),
    ],
)
def test_unusable_local_keys_fail_at_start(
    tmp_path: Path, keys: Any, kid: str, message: str
) -> None:
    path = write_jwks(tmp_path / "k.json", *keys())
    with pytest.raises(ValueError, match=message):
        signer(path, kid=kid)


def test_unknown_alg_fails_at_start(tmp_path: Path) -> None:
    path = write_jwks(tmp_path / "k.json", oct_jwk("sig"))
    with pytest.raises(ValueError, match="unknown algorithm"):
        signer(path, "none")


async def test_key_from_a_url_is_loaded_once(nursery: trio.Nursery) -> None:
    server = await start_server(nursery, {"keys": [ec_jwk("sig", private=True)]})
    config = JWTSignerConfig(
        alg="ES256",
        kid="sig",
        keys_to_sign=("token",),
        jwk_url=server.url,
        disable_jwk_security=True,
    )
    async with httpx.AsyncClient() as http:
        s = JWTSigner.from_config(config, http=http)
        assert server.hits == 0
        await s.warm()
        for _ in range(3):
            out = await s.sign(DATA)
            assert jwt.decode(out["token"], ec_key().public_key(), algorithms=["ES256"])
        assert server.hits == 1
        await s.aclose()


async def test_missing_remote_key_raises_signer_error(
    autojump_clock: trio.testing.MockClock,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"keys": [rsa_jwk("sig")]})  # public only

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    config = JWTSignerConfig(
        alg="RS256", kid="sig", keys_to_sign=("token",), jwk_url="https://idp.test/jwks"
    )
    s = JWTSigner.from_config(config, http=client)
    with pytest.raises(SignerError, match="public key"):
        await s.sign(DATA)
    assert await s.sign({"token": "not an object"}) == {"token": "not an object"}


async def test_ready_logs_once_per_lookup_attempt(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    calls = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        calls[0] += 1
        return httpx.Response(200, json={"keys": [rsa_jwk("other", private=True)]})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    config = JWTSignerConfig(
        alg="RS256", kid="sig", keys_to_sign=("token",), jwk_url="https://idp.test/jwks"
    )
    s = JWTSigner.from_config(config, http=client, endpoint="/token")

    def errors() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.levelname == "ERROR"]

    for _ in range(5):
        assert not await s.ready(1.0)
    assert calls == [1] and len(errors()) == 1
    assert errors()[0].getMessage() == (
        "[ENDPOINT: /token][JWTSigner] Unable to create the signer: no key with kid 'sig'"
    )
    await trio.sleep(10)  # the cooldown: one more lookup, one more line
    assert not await s.ready(1.0)
    assert calls == [2] and len(errors()) == 2


async def test_ready_gives_up_at_its_deadline(autojump_clock: trio.testing.MockClock) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await trio.sleep(3)
        return httpx.Response(200, json={"keys": [rsa_jwk("sig", private=True)]})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    config = JWTSignerConfig(
        alg="RS256", kid="sig", keys_to_sign=("token",), jwk_url="https://idp.test/jwks"
    )
    s = JWTSigner.from_config(config, http=client)
    assert not await s.ready(1.0)
    assert trio.current_time() == pytest.approx(1.0)
    await trio.sleep(1)  # the cancelled attempt is retried after the 1 s back-off
    assert await s.ready(5.0)
    assert await s.ready(0.0)  # held from now on
