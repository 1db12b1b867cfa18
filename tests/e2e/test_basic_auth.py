"""auth/basic end to end: an htpasswd file at service level, `{}` on the endpoints that need it
(KrakenD's EE playground); refused requests get 401 and never reach the backend."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import StartGateway


def _sha(password: str) -> str:
    return "{SHA}" + base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()


def _config(backend_url: str, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / ".htpasswd"
    path.write_text(f"admin:{_sha('admin')}\nbob:{_sha('file')}\n")
    return {
        "version": 3,
        "host": [backend_url],
        "extra_config": {"auth/basic": {"htpasswd_path": str(path)}},
        "endpoints": [
            {
                "endpoint": "/private",
                "backend": [{"url_pattern": "/param_forwarding/private"}],
                "extra_config": {"auth/basic": {}},
            },
            {
                "endpoint": "/bob",
                "backend": [{"url_pattern": "/param_forwarding/bob"}],
                "extra_config": {"auth/basic": {"users": {"bob": _sha("inline")}}},
            },
            {"endpoint": "/public", "backend": [{"url_pattern": "/param_forwarding/public"}]},
        ],
    }


async def test_valid_credentials_reach_the_backend(
    tmp_path: Path, backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(_config(backend_url, tmp_path))
    r = await client.get(f"{gw}/private", auth=("admin", "admin"))
    assert r.status_code == 200
    assert STATS["/param_forwarding/private"] == 1
    # the endpoint's inline user replaces the file's
    assert (await client.get(f"{gw}/bob", auth=("bob", "inline"))).status_code == 200
    assert (await client.get(f"{gw}/bob", auth=("bob", "file"))).status_code == 401
    assert (await client.get(f"{gw}/public")).status_code == 200


@pytest.mark.parametrize(
    "auth",
    [None, ("admin", "wrong"), ("nobody", "admin"), ("admin", "")],
    ids=["no credentials", "wrong password", "unknown user", "empty password"],
)
async def test_refused_requests_never_reach_the_backend(
    auth: tuple[str, str] | None,
    tmp_path: Path,
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    gw = await start_gateway(_config(backend_url, tmp_path))
    r = await client.get(f"{gw}/private", auth=auth)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Basic realm="Restricted"'
    assert r.content == b""
    assert STATS["/param_forwarding/private"] == 0
