"""Shared helpers for the auth tests: keys, token minting, a real loopback JWK set server.

(Named test_*.py so it may live in tests/auth/; its own tests check the helpers themselves.)
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import attrs
import httpx
import jwt
import orjson
import trio
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve
from jwt.algorithms import ECAlgorithm, HMACAlgorithm, OKPAlgorithm, RSAAlgorithm

from trio_gateway.auth.validator import JWTValidatorConfig

HMAC_SECRET = b"an HMAC secret that is long enough for HS512, really: 64 bytes!!"
assert len(HMAC_SECRET) == 64


def rsa_key(name: str = "main") -> rsa.RSAPrivateKey:
    return _rsa_key(name)  # one cache entry per name (functools.cache tells f() from f("main"))


@functools.cache
def _rsa_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key(name: str = "main") -> ec.EllipticCurvePrivateKey:
    return _ec_key(name)


@functools.cache
def _ec_key(name: str) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@functools.cache
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def rsa_jwk(kid: str, name: str = "main", *, private: bool = False) -> dict[str, Any]:
    key = rsa_key(name)
    jwk = RSAAlgorithm.to_jwk(key if private else key.public_key(), as_dict=True)
    return {**jwk, "kid": kid}


def ec_jwk(kid: str, name: str = "main", *, private: bool = False) -> dict[str, Any]:
    key = ec_key(name)
    jwk = ECAlgorithm.to_jwk(key if private else key.public_key(), as_dict=True)
    return {**jwk, "kid": kid}


def ed_jwk(kid: str, *, private: bool = False) -> dict[str, Any]:
    key = ed_key()
    return {**OKPAlgorithm.to_jwk(key if private else key.public_key(), as_dict=True), "kid": kid}


def oct_jwk(kid: str, secret: bytes = HMAC_SECRET) -> dict[str, Any]:
    return {**HMACAlgorithm.to_jwk(secret, as_dict=True), "kid": kid}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(alg: str, key: Any, claims: dict[str, Any], **headers: Any) -> str:
    """A token signed by pyjwt's JWS layer: any claims, header fields as keyword arguments."""
    return jwt.api_jws.encode(json.dumps(claims).encode(), key, algorithm=alg, headers=headers)


def hs_raw(secret: bytes, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """An HMAC-SHA256 token with any header and any secret (pyjwt refuses PEM secrets)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def future(seconds: float = 300) -> int:
    return int(time.time() + seconds)


def bearer(token: str) -> list[tuple[bytes, bytes]]:
    return [(b"host", b"gateway"), (b"authorization", b"Bearer " + token.encode())]


def write_jwks(path: Path, *keys: dict[str, Any]) -> str:
    path.write_bytes(orjson.dumps({"keys": list(keys)}))
    return str(path)


def config(**fields: Any) -> JWTValidatorConfig:
    fields.setdefault("alg", "RS256")
    fields.setdefault("disable_jwk_security", True)
    return JWTValidatorConfig(**fields)


@attrs.define(eq=False)
class JWKSServer:
    """A JWK set served by hypercorn on 127.0.0.1; `hits` counts the downloads."""

    document: Any
    content_type: bytes = b"application/json"
    status: int = 200
    delay: float = 0.0
    hits: int = 0
    url: str = ""
    scope: trio.CancelScope = attrs.field(factory=trio.CancelScope)

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        self.hits += 1
        if self.delay:
            await trio.sleep(self.delay)
        body = orjson.dumps(self.document)
        headers = [(b"content-type", self.content_type), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def stop(self) -> None:
        self.scope.cancel()


async def start_server(
    nursery: trio.Nursery, document: Any, *, certfile: str = "", keyfile: str = ""
) -> JWKSServer:
    server = JWKSServer(document)
    hyper = HypercornConfig()
    hyper.bind = ["127.0.0.1:0"]
    hyper.accesslog = None
    hyper.errorlog = None
    if certfile:
        hyper.certfile, hyper.keyfile = certfile, keyfile

    async def run(task_status: trio.TaskStatus[list[str]]) -> None:
        with server.scope:
            await hypercorn_serve(
                server.app,  # type: ignore[arg-type]
                hyper,
                mode="asgi",
                task_status=task_status,
            )

    binds = await nursery.start(run)
    server.url = binds[0] + "/jwks.json"
    return server


async def test_server_serves_and_counts(nursery: trio.Nursery) -> None:
    server = await start_server(nursery, {"keys": [rsa_jwk("k1")]})
    async with httpx.AsyncClient() as client:
        response = await client.get(server.url)
    assert response.headers["content-type"] == "application/json"
    assert response.json()["keys"][0]["kid"] == "k1"
    assert server.hits == 1


async def test_server_stops(nursery: trio.Nursery) -> None:
    server = await start_server(nursery, {"keys": []})
    server.stop()
    await trio.sleep(0.05)
    async with httpx.AsyncClient() as client:
        try:
            await client.get(server.url)
        except httpx.ConnectError:
            return
    raise AssertionError("the server still answers after stop()")


def test_hs_raw_matches_pyjwt() -> None:
    claims = {"sub": "x"}
    token = hs_raw(HMAC_SECRET, {"alg": "HS256", "typ": "JWT"}, claims)
    assert jwt.decode(token, HMAC_SECRET, algorithms=["HS256"]) == claims
