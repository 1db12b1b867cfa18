"""auth/api-keys end to end: the real gateway, a real backend; refused requests get 401 (429
past the key's rate) and never reach the backend."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import StartGateway

ACME = "4d2c61e1-34c4-e96c-9456-15bd983c5019"
ADMIN = "58427514-be32-0b52-b7c6-d01fada30497"


def _config(backend_url: str) -> dict[str, Any]:
    # KrakenD's EE playground: the service declares the keys, each endpoint its roles
    return {
        "version": 3,
        "host": [backend_url],
        "extra_config": {
            "auth/api-keys": {
                "propagate_role": "X-Krakend-Role",
                "keys": [
                    {"@description": "ACME Inc.", "key": ACME, "roles": ["role1", "role2"]},
                    {"key": ADMIN, "roles": ["admin", "user"]},
                ],
            }
        },
        "endpoints": [
            {
                "endpoint": "/admin",
                "input_headers": ["X-Krakend-Role"],
                "backend": [{"url_pattern": "/param_forwarding/admin"}],
                "extra_config": {"auth/api-keys": {"roles": ["admin"]}},
            },
            {
                "endpoint": "/limited",
                "backend": [{"url_pattern": "/param_forwarding/limited"}],
                "extra_config": {
                    "auth/api-keys": {
                        "roles": [],
                        "client_max_rate": 1,
                        "strategy": "query_string",
                        "identifier": "key",
                    }
                },
            },
            {"endpoint": "/public", "backend": [{"url_pattern": "/param_forwarding/public"}]},
        ],
    }


async def test_a_key_with_the_role_reaches_the_backend(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(_config(backend_url))
    r = await client.get(
        f"{gw}/admin",
        headers={"Authorization": f"Bearer {ADMIN}", "X-Krakend-Role": "forged"},
    )
    assert r.status_code == 200
    # the matched role, not the client's forged header
    assert r.json()["headers"]["X-Krakend-Role"] == ["admin"]
    assert STATS["/param_forwarding/admin"] == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": f"Bearer {ACME}"},  # a valid key without the role
        {"Authorization": ADMIN},  # not a Bearer credential
    ],
    ids=["no key", "unknown key", "wrong role", "no Bearer scheme"],
)
async def test_refused_requests_never_reach_the_backend(
    headers: dict[str, str],
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    gw = await start_gateway(_config(backend_url))
    r = await client.get(f"{gw}/admin", headers=headers)
    assert r.status_code == 401
    assert r.content == b""
    assert STATS["/param_forwarding/admin"] == 0


async def test_query_string_key_and_client_max_rate(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(_config(backend_url))
    first = await client.get(f"{gw}/limited", params={"key": ACME})
    second = await client.get(f"{gw}/limited", params={"key": ACME})
    other = await client.get(f"{gw}/limited", params={"key": ADMIN})
    assert (first.status_code, second.status_code, other.status_code) == (200, 429, 200)
    assert STATS["/param_forwarding/limited"] == 2
    public = await client.get(f"{gw}/public")
    assert public.status_code == 200
