"""JWK sets that cannot be had, end to end: a signer without its key, an identity provider that
hangs. KrakenD answers 401 to both (krakend-jose `gin/jose.go`: `erroredHandler` for a signer
whose key lookup failed; the validator's 401 for a key it cannot fetch)."""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

import attrs
import httpx
import pytest
import trio

from tests.auth.test_support import bearer, ec_jwk, mint, rsa_jwk, rsa_key, start_server
from tests.e2e.backend_app import STATS
from tests.e2e.conftest import StartGateway

ENDPOINT_TIMEOUT = 1.0


@attrs.define
class HangingIdP:
    """A loopback 'identity provider' that accepts connections and never answers."""

    url: str = ""
    connections: int = 0


async def start_hanging_idp(nursery: trio.Nursery) -> HangingIdP:
    idp = HangingIdP()

    async def handle(stream: trio.SocketStream) -> None:
        idp.connections += 1
        async with stream:
            while await stream.receive_some():  # read the request, answer nothing
                pass

    listeners = await nursery.start(functools.partial(trio.serve_tcp, handle, 0, host="127.0.0.1"))
    port = listeners[0].socket.getsockname()[1]
    idp.url = f"http://127.0.0.1:{port}/.well-known/jwks.json"
    return idp


def _signer(jwk_url: str) -> dict[str, Any]:
    return {
        "alg": "ES256",
        "kid": "sig",
        "keys_to_sign": ["access_token"],
        "jwk_url": jwk_url,
        "disable_jwk_security": True,
    }


def _signer_gateway(backend_url: str, jwk_url: str) -> dict[str, Any]:
    return {
        "version": 3,
        "host": [backend_url],
        "timeout": f"{ENDPOINT_TIMEOUT:g}s",
        "endpoints": [
            {
                "endpoint": "/token",
                "extra_config": {
                    "auth/signer": _signer(jwk_url),
                    "proxy": {"static": {"data": {"access_token": {"sub": "u1"}}}},
                },
                "backend": [{"url_pattern": "/json/user"}],
            }
        ],
    }


@pytest.mark.parametrize(
    "document",
    [
        {"keys": [ec_jwk("other", private=True)]},  # kid not in the set
        {"keys": [ec_jwk("sig")]},  # a public key only
    ],
    ids=["unknown-kid", "public-key"],
)
async def test_signer_without_its_key_is_401_with_one_log_line(
    nursery: trio.Nursery,
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    document: dict[str, Any],
) -> None:
    idp = await start_server(nursery, document)
    gw = await start_gateway(_signer_gateway(backend_url, idp.url))
    caplog.clear()
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            r = await client.get(f"{gw}/token")
            assert (r.status_code, r.content) == (401, b"")
    assert STATS["/json/user"] == 0  # erroredHandler calls no backend
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert len(errors) == 1, caplog.text  # once per lookup attempt, not per request
    assert (
        errors[0]
        .getMessage()
        .startswith("[ENDPOINT: /token][JWTSigner] Unable to create the signer: ")
    )
    assert "'sig'" in errors[0].getMessage()
    assert "Traceback" not in caplog.text
    assert not any(rec.exc_info for rec in caplog.records)
    assert idp.hits == 1  # the retry waits for the cooldown


async def test_signer_with_an_unreachable_jwk_set_is_401(
    nursery: trio.Nursery,
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    idp = await start_server(nursery, {"error": "boom"})
    idp.status = 500
    gw = await start_gateway(_signer_gateway(backend_url, idp.url))
    r = await client.get(f"{gw}/token")
    assert (r.status_code, r.content) == (401, b"")
    assert STATS["/json/user"] == 0
    assert "Unable to create the signer: the JWK set could not be loaded" in caplog.text
    assert "Traceback" not in caplog.text


async def test_signer_with_a_hanging_idp_is_401_by_the_endpoint_timeout(
    nursery: trio.Nursery,
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    idp = await start_hanging_idp(nursery)
    gw = await start_gateway(_signer_gateway(backend_url, idp.url))
    started = time.monotonic()
    r = await client.get(f"{gw}/token")
    assert (r.status_code, r.content) == (401, b"")
    assert time.monotonic() - started < ENDPOINT_TIMEOUT + 2  # not the 5 s download
    assert idp.connections == 1


async def test_a_hanging_idp_costs_one_connection_and_requests_end_by_their_timeout(
    nursery: trio.Nursery, backend_url: str, start_gateway: StartGateway
) -> None:
    idp = await start_hanging_idp(nursery)
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "endpoints": [
                {
                    "endpoint": "/private",
                    "timeout": f"{ENDPOINT_TIMEOUT:g}s",
                    "extra_config": {
                        "auth/validator": {
                            "alg": "RS256",
                            "jwk_url": idp.url,
                            "disable_jwk_security": True,
                        }
                    },
                    "backend": [{"url_pattern": "/json/user"}],
                }
            ],
        }
    )
    headers = dict(bearer(mint("RS256", rsa_key(), {"sub": "u"}, kid="k1")))
    answers: list[tuple[int, float]] = []

    async def one(client: httpx.AsyncClient) -> None:
        started = time.monotonic()
        r = await client.get(f"{gw}/private", headers=headers)
        answers.append((r.status_code, time.monotonic() - started))

    limits = httpx.Limits(max_connections=None)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        for _ in range(2):  # the second wave arrives while the first download still hangs
            async with trio.open_nursery() as requests:
                for _ in range(10):
                    requests.start_soon(one, client)
    assert len(answers) == 20
    assert {status for status, _ in answers} == {401}
    assert max(elapsed for _, elapsed in answers) < ENDPOINT_TIMEOUT + 2
    assert idp.connections == 1  # one download for everyone, not one per request
    assert STATS["/json/user"] == 0


async def test_a_validator_serves_once_a_slow_idp_answers(
    nursery: trio.Nursery, backend_url: str, start_gateway: StartGateway
) -> None:
    # The download started by a request that gave up keeps going; a later request uses it.
    idp = await start_server(nursery, {"keys": [rsa_jwk("k1")]})
    idp.delay = ENDPOINT_TIMEOUT + 0.5
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "timeout": f"{ENDPOINT_TIMEOUT:g}s",
            "endpoints": [
                {
                    "endpoint": "/private",
                    "extra_config": {
                        "auth/validator": {
                            "alg": "RS256",
                            "jwk_url": idp.url,
                            "disable_jwk_security": True,
                        }
                    },
                    "backend": [{"url_pattern": "/json/user"}],
                }
            ],
        }
    )
    headers = dict(bearer(mint("RS256", rsa_key(), {"sub": "u"}, kid="k1")))
    async with httpx.AsyncClient(timeout=30) as client:
        assert (await client.get(f"{gw}/private", headers=headers)).status_code == 401
        for _ in range(50):
            r = await client.get(f"{gw}/private", headers=headers)
            if r.status_code == 200:
                break
            await trio.sleep(0.2)
    assert r.status_code == 200
    assert idp.hits == 1
