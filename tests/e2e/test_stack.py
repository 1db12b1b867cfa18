"""Issue 11's bugs, end to end: every endpoint passes the same stack, whatever answers it."""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx
import jwt
import pytest

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import JWT_SECRET, StartGateway

SECRET = JWT_SECRET


def _service(backend_url: str, *endpoints: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"version": 3, "host": [backend_url], "endpoints": list(endpoints), **extra}


async def test_signer_inside_the_validator(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient, jwk_file: str
) -> None:
    # KrakenD nests the signer in the validator: no token, no backend call, no signed data.
    validator = {"alg": "HS256", "jwk_local_path": jwk_file}
    signer = {"alg": "HS256", "kid": "k1", "keys_to_sign": ["token"], "jwk_local_path": jwk_file}
    gw = await start_gateway(
        _service(
            backend_url,
            {
                "endpoint": "/sign",
                "extra_config": {
                    "auth/validator": validator,
                    "auth/signer": signer,
                    "proxy": {"static": {"data": {"token": {"sub": "u1"}}}},
                },
                "backend": [{"url_pattern": "/json/user", "allow": ["id"]}],
            },
        )
    )
    r = await client.get(f"{gw}/sign")
    assert (r.status_code, r.content) == (401, b"")
    r = await client.get(f"{gw}/sign", headers={"Authorization": "Bearer not.a.token"})
    assert r.status_code == 401
    assert STATS["/json/user"] == 0
    good = jwt.encode(
        {"exp": int(time.time()) + 300}, SECRET, algorithm="HS256", headers={"kid": "k1"}
    )
    r = await client.get(f"{gw}/sign", headers={"Authorization": f"Bearer {good}"})
    assert r.status_code == 200
    assert STATS["/json/user"] == 1
    signed = r.json()["token"]
    assert jwt.get_unverified_header(signed)["kid"] == "k1"


@pytest.mark.parametrize("encoding", ["json", "no-op"])
async def test_backend_rate_limit_applies_to_noop_as_to_json(
    encoding: str, backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    limited = {"qos/ratelimit/proxy": {"max_rate": 1, "every": "1m", "capacity": 1}}
    gw = await start_gateway(
        _service(
            backend_url,
            {
                "endpoint": "/one",
                "output_encoding": encoding,
                "backend": [{"url_pattern": "/json/user", "extra_config": limited}],
            },
            extra_config={"router": {"return_error_msg": True}},
        )
    )
    assert (await client.get(f"{gw}/one")).status_code == 200
    for _ in range(3):
        r = await client.get(f"{gw}/one")
        assert (r.status_code, r.text) == (500, "rate limit exceded")
    assert STATS["/json/user"] == 1


@pytest.mark.parametrize("encoding", ["json", "no-op"])
async def test_circuit_breaker_applies_to_noop_as_to_json(
    encoding: str, backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    # A no-op backend's status is never an error (it is relayed), so its breaker counts
    # transport failures: a backend that refuses connections.
    breaker = {"qos/circuit-breaker": {"interval": 60, "timeout": 60, "max_errors": 1}}
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: every connection is refused
    port = closed.getsockname()[1]
    gw = await start_gateway(
        _service(
            f"http://127.0.0.1:{port}",
            {
                "endpoint": "/cb",
                "output_encoding": encoding,
                "backend": [{"url_pattern": "/x", "extra_config": breaker}],
            },
            extra_config={"router": {"return_error_msg": True}},
        )
    )
    for _ in range(2):  # max_errors + 1 consecutive failures open the breaker
        r = await client.get(f"{gw}/cb")
        assert r.status_code == 500
        assert r.text != "circuit breaker is open"
    for _ in range(3):
        r = await client.get(f"{gw}/cb")
        assert (r.status_code, r.text) == (500, "circuit breaker is open")
    closed.close()


@pytest.mark.parametrize("encoding", ["json", "no-op"])
async def test_http_cache_applies_to_noop_as_to_json(
    encoding: str, backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    cache = {"qos/http-cache": {"max_items": 100, "max_size": 1_000_000}}
    gw = await start_gateway(
        _service(
            backend_url,
            {
                "endpoint": "/cached/{id}",
                "output_encoding": encoding,
                "backend": [{"url_pattern": "/cacheable/{id}", "extra_config": cache}],
            },
        )
    )
    for _ in range(3):
        r = await client.get(f"{gw}/cached/1")
        assert r.status_code == 200
        assert r.json()["path"] == "/cacheable/1"
    assert STATS["/cacheable/1"] == 1  # the cache answered the second and third


async def test_noop_stream_is_released_when_the_breaker_rejects(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    # The streamed leaf under layers: a normal no-op answer is relayed whole and in order.
    gw = await start_gateway(
        _service(
            backend_url,
            {
                "endpoint": "/raw",
                "output_encoding": "no-op",
                "backend": [
                    {
                        "url_pattern": "/raw",
                        "extra_config": {"qos/circuit-breaker": {"max_errors": 5}},
                    }
                ],
            },
        )
    )
    for _ in range(3):
        r = await client.get(f"{gw}/raw")
        assert r.status_code == 200
        assert r.headers["x-krakend-completed"] == "false"
    assert STATS["/raw"] == 3
