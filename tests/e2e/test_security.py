"""Security layers end to end, in KrakenD's order: CORS, security headers, bots, JWT."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import JWT_SECRET, StartGateway

SECRET = JWT_SECRET


def _token(**claims: Any) -> str:
    claims.setdefault("exp", int(time.time()) + 300)
    return jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "k1"})


async def test_jwt_validation_end_to_end(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient, jwk_file: str
) -> None:
    validator = {
        "alg": "HS256",
        "jwk_local_path": jwk_file,
        "audience": ["api", "web"],
        "roles": ["admin"],
        "propagate_claims": [["sub", "x-user"]],
    }
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "endpoints": [
                {
                    "endpoint": "/private",
                    "input_headers": ["X-User"],
                    "extra_config": {"auth/validator": validator},
                    "backend": [{"url_pattern": "/param_forwarding/{JWT.sub}"}],
                }
            ],
        }
    )
    good = _token(sub="u42", aud=["api", "web"], roles=["admin"])
    r = await client.get(
        f"{gw}/private", headers={"Authorization": f"Bearer {good}", "X-User": "spoofed"}
    )
    assert r.status_code == 200
    assert r.json()["path"] == "/param_forwarding/u42"  # {JWT.sub} reached the backend path
    assert r.json()["headers"]["X-User"] == ["u42"]  # the claim overwrote the client's header

    calls = STATS["/param_forwarding/u42"]
    for headers, status in [
        ({}, 401),
        ({"Authorization": "Bearer not.a.token"}, 401),
        ({"Authorization": "Bearer " + _token(sub="u42", aud=["api"], roles=["admin"])}, 401),
        ({"Authorization": "Bearer " + _token(sub="u42", aud=["api", "web"], roles=["x"])}, 403),
        ({"Authorization": "Bearer " + _token(sub="u42", aud=["api", "web"], exp=1)}, 401),
    ]:
        r = await client.get(f"{gw}/private", headers=headers)
        assert (r.status_code, r.content) == (status, b""), headers
        assert "x-krakend" not in r.headers
    assert STATS["/param_forwarding/u42"] == calls  # rejected requests never reached it


async def test_cors_security_headers_and_bots(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "extra_config": {
                "security/cors": {
                    "allow_origins": ["http://foo.example"],
                    "allow_methods": ["GET"],
                    "expose_headers": ["Content-Length"],
                    "max_age": "12h",
                },
                "security/http": {"frame_deny": True, "content_type_nosniff": True},
                "security/bot-detector": {
                    "deny": ["a"],
                    "patterns": ["(Pingdom.com_bot_version_).*"],
                },
            },
            "endpoints": [{"endpoint": "/page", "backend": [{"url_pattern": "/json/user"}]}],
        }
    )
    preflight = {
        "Origin": "http://foo.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "content-type",
    }
    r = await client.options(f"{gw}/anything", headers=preflight)  # answered before routing
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "http://foo.example"
    assert r.headers["access-control-max-age"] == "43200"
    r = await client.options(
        f"{gw}/page", headers={**preflight, "Access-Control-Request-Method": "PUT"}
    )
    assert r.status_code == 204 and "access-control-allow-origin" not in r.headers

    r = await client.get(f"{gw}/page", headers={"Origin": "http://foo.example"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "http://foo.example"
    assert r.headers["vary"] == "Origin"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert (await client.get(f"{gw}/nope")).headers["x-frame-options"] == "DENY"  # 404 too
    assert "x-frame-options" not in (await client.get(f"{gw}/__health")).headers

    for agent in ("a", "Pingdom.com_bot_version_1.14"):
        r = await client.get(f"{gw}/page", headers={"User-Agent": agent})
        assert (r.status_code, r.content) == (403, b"")
    assert (await client.get(f"{gw}/page", headers={"User-Agent": "b"})).status_code == 200


async def test_signer_endpoint(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient, jwk_file: str
) -> None:
    signer = {
        "alg": "HS256",
        "kid": "k1",
        "keys_to_sign": ["access_token"],
        "jwk_local_path": jwk_file,
    }
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "endpoints": [
                {
                    "endpoint": "/token",
                    "extra_config": {
                        "auth/signer": signer,
                        "proxy": {
                            "static": {"data": {"access_token": {"sub": "u1", "aud": "api"}}}
                        },
                    },
                    "backend": [{"url_pattern": "/json/user", "allow": ["id"]}],
                },
                {
                    "endpoint": "/broken-token",
                    "extra_config": {"auth/signer": signer},
                    "backend": [{"url_pattern": "/status/500"}],
                },
            ],
        }
    )
    r = await client.get(f"{gw}/token")
    assert r.status_code == 200
    assert "x-krakend-completed" not in r.headers and "cache-control" not in r.headers
    token = r.json()["access_token"]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="api")
    assert claims["sub"] == "u1"
    assert jwt.get_unverified_header(token)["kid"] == "k1"
    assert r.json()["id"] == 1
    r = await client.get(f"{gw}/broken-token")
    assert (r.status_code, r.content) == (400, b"")
