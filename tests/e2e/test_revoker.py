"""`auth/revoker` end to end: the real gateway with `auth/validator` on a local JWK set and the
revocation API on a loopback port. A revoked token is refused (401) and a fresh one accepted;
the API refuses a missing or wrong secret; `check` refuses a configuration without the secret;
with `connection_name` the filters are in a real redis-server, shared by two gateways and by
the workers of `run --workers 2`; Redis down: the revoking process still refuses the token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import coredis
import httpx
import jwt
import pytest
import trio

from tests.e2e.conftest import JWT_SECRET, StartGateway
from tests.e2e.processes import ROOT, free_port, free_port_pair, serving
from tests.redis_server import RedisServer, redis_server
from trio_gateway.auth.revoker import SECRET_ENV

__all__ = ["redis_server"]

SECRET = "revoker-secret-for-the-e2e-tests"
AUTH = {"Authorization": f"Bearer {SECRET}"}


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)


def _token(**claims: Any) -> str:
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256", headers={"kid": "k1"})


def _config(
    backend_url: str, jwk_file: str, port: int, *, redis_address: str = "", **endpoint: Any
) -> dict[str, Any]:
    revoker: dict[str, Any] = {
        "N": 10000,
        "P": 0.0000001,
        "hash_name": "optimal",
        "TTL": 1500,
        "port": port,
        "host": "127.0.0.1",
        "token_keys": ["jti", "sub"],
    }
    extra: dict[str, Any] = {"auth/revoker": revoker}
    if redis_address:
        revoker["connection_name"] = "shared"
        extra["redis"] = {
            "connection_pools": [{"name": "shared", "address": redis_address, "max_retries": -1}]
        }
    return {
        "version": 3,
        "listen_ip": "127.0.0.1",
        "host": [backend_url],
        "extra_config": extra,
        "endpoints": [
            {
                "endpoint": "/private",
                "extra_config": {
                    "auth/validator": {
                        "alg": "HS256",
                        "jwk_local_path": jwk_file,
                        "disable_jwk_security": True,
                    },
                    **endpoint,
                },
                "backend": [{"url_pattern": "/json/user"}],
            }
        ],
    }


async def _get(client: httpx.AsyncClient, url: str, token: str) -> int:
    return (await client.get(url, headers={"Authorization": f"Bearer {token}"})).status_code


async def test_a_revoked_token_is_refused_and_a_fresh_one_accepted(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient, jwk_file: str
) -> None:
    port = free_port()
    gw = await start_gateway(_config(backend_url, jwk_file, port))
    api = f"http://127.0.0.1:{port}"
    old, fresh = _token(jti="session-1", sub="ann"), _token(jti="session-2", sub="bob")
    assert await _get(client, f"{gw}/private", old) == 200
    revoked = await client.post(f"{api}/revoke", json={"jti": "session-1"}, headers=AUTH)
    assert (revoked.status_code, revoked.json()) == (200, {"added": 1})
    refused = await client.get(f"{gw}/private", headers={"Authorization": f"Bearer {old}"})
    assert (refused.status_code, refused.content) == (401, b"")  # the validator's answer
    assert await _get(client, f"{gw}/private", fresh) == 200
    # KrakenD's RPC elements, `key-value`: every token of a subject
    assert (await client.post(f"{api}/revoke", json=["sub-bob"], headers=AUTH)).status_code == 200
    assert await _get(client, f"{gw}/private", fresh) == 401
    assert await _get(client, f"{gw}/private", _token(jti="session-3", sub="cy")) == 200
    checked = await client.post(f"{api}/check", json={"jti": ["session-1", "x"]}, headers=AUTH)
    assert checked.json() == {"checks": [True, False]}


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-secret", f"Basic {SECRET}"])
async def test_the_api_refuses_a_missing_or_wrong_secret(
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    jwk_file: str,
    authorization: str | None,
) -> None:
    port = free_port()
    gw = await start_gateway(_config(backend_url, jwk_file, port))
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = await client.post(
        f"http://127.0.0.1:{port}/revoke", json={"jti": "session-1"}, headers=headers
    )
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert await _get(client, f"{gw}/private", _token(jti="session-1")) == 200  # not revoked


async def test_the_revoker_runs_before_the_cel_token_checks(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient, jwk_file: str
) -> None:
    """krakend-ce executor.go: the bloom filter, then CEL's `JWT` expressions; either refuses."""
    port = free_port()
    cel = {"validation/cel": [{"check_expr": "JWT.sub != 'mallory'"}]}
    gw = await start_gateway(_config(backend_url, jwk_file, port, **cel))
    await client.post(f"http://127.0.0.1:{port}/revoke", json={"jti": "gone"}, headers=AUTH)
    assert await _get(client, f"{gw}/private", _token(jti="gone", sub="ann")) == 401
    assert await _get(client, f"{gw}/private", _token(jti="ok", sub="mallory")) == 401
    assert await _get(client, f"{gw}/private", _token(jti="ok", sub="ann")) == 200


def test_check_refuses_a_revoker_without_the_secret(
    tmp_path: Path, jwk_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "krakend.json"
    path.write_text(json.dumps(_config("http://127.0.0.1:8000", jwk_file, 9999)))
    env = {k: v for k, v in os.environ.items() if k != SECRET_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "trio_gateway", "check", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 1
    assert f"set the environment variable {SECRET_ENV}" in done.stdout + done.stderr
    env[SECRET_ENV] = SECRET
    done = subprocess.run(
        [sys.executable, "-m", "trio_gateway", "check", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# ---- shared through Redis ---------------------------------------------------------------------


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[coredis.Redis[bytes]]:
    async with coredis.Redis(redis_server.host, redis_server.port) as client:
        await client.flushdb()  # each test starts with empty filters
        yield client


async def test_two_gateways_share_the_filter_in_redis(
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    jwk_file: str,
    redis_server: RedisServer,
    redis: coredis.Redis[bytes],
) -> None:
    one, two = free_port(), free_port()
    gw1 = await start_gateway(
        _config(backend_url, jwk_file, one, redis_address=redis_server.address)
    )
    gw2 = await start_gateway(
        _config(backend_url, jwk_file, two, redis_address=redis_server.address)
    )
    token = _token(jti="shared-1")
    assert [await _get(client, f"{gw}/private", token) for gw in (gw1, gw2)] == [200, 200]
    answer = await client.post(
        f"http://127.0.0.1:{one}/revoke", json={"jti": "shared-1"}, headers=AUTH
    )
    assert answer.status_code == 200
    assert [await _get(client, f"{gw}/private", token) for gw in (gw1, gw2)] == [401, 401]
    fresh = _token(jti="shared-2")
    assert [await _get(client, f"{gw}/private", fresh) for gw in (gw1, gw2)] == [200, 200]
    keys = await redis.keys("trio-gateway:revoker:*")
    assert len(keys) == 2  # the current and the next generation
    assert all(k.startswith(b"trio-gateway:revoker:{optimal:") for k in keys)
    ttls = [await redis.ttl(k) for k in keys]
    assert all(0 < ttl <= 4 * 1500 for ttl in ttls)  # EXPIREAT (g + 3) and (g + 4) * TTL


async def test_the_workers_share_the_filter_in_redis(
    backend_url: str, jwk_file: str, tmp_path: Path, redis_server: RedisServer, redis: Any
) -> None:
    port, api = free_port(), free_port_pair()
    path = tmp_path / "krakend.json"
    path.write_text(
        json.dumps(_config(backend_url, jwk_file, api, redis_address=redis_server.address))
    )
    command = [sys.executable, "-m", "trio_gateway", "run", "-c", str(path), "-p", str(port)]
    token = _token(jti="worker-1")
    url = f"http://127.0.0.1:{port}/private"
    async with serving([*command, "--workers", "2"], port):
        with trio.fail_after(30):  # worker 0's API (worker 1 listens on api + 1)
            while True:
                try:
                    async with httpx.AsyncClient(timeout=5) as one:
                        answer = await one.post(
                            f"http://127.0.0.1:{api}/revoke", json={"jti": "worker-1"}, headers=AUTH
                        )
                    break
                except httpx.TransportError:
                    await trio.sleep(0.1)
        assert answer.status_code == 200
        statuses = []
        for _ in range(16):  # fresh connections: SO_REUSEPORT spreads them over both workers
            async with httpx.AsyncClient(timeout=10) as one:
                statuses.append(await _get(one, url, token))
        async with httpx.AsyncClient(timeout=10) as one:
            fresh = await _get(one, url, _token(jti="worker-2"))
            second_api = await one.post(
                f"http://127.0.0.1:{api + 1}/check", json={"jti": "worker-1"}, headers=AUTH
            )
    assert statuses == [401] * 16
    assert fresh == 200
    assert second_api.json() == {"checks": [True]}  # worker 1 sees worker 0's revocation


async def test_redis_down_the_revoking_process_still_refuses(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient, jwk_file: str
) -> None:
    """No Redis: the revocation reaches only the receiving process (a 503 says so), whose own
    filter refuses the token (KrakenD's per-node filter)."""
    port = free_port()
    nowhere = f"127.0.0.1:{free_port()}"
    gw = await start_gateway(_config(backend_url, jwk_file, port, redis_address=nowhere))
    with trio.fail_after(10):
        answer = await client.post(
            f"http://127.0.0.1:{port}/revoke", json={"jti": "down-1"}, headers=AUTH
        )
        assert answer.status_code == 503 and answer.json()["added"] == 1
        assert await _get(client, f"{gw}/private", _token(jti="down-1")) == 401
        assert await _get(client, f"{gw}/private", _token(jti="down-2")) == 200


async def test_a_reload_that_restarts_the_services_keeps_the_revocations(
    tmp_path: Path, backend_url: str, jwk_file: str, nursery: trio.Nursery
) -> None:
    """KrakenD has no reload (a restart forgets the filter); here a reload must not un-revoke
    a token: a filter of the same N, P, hash_name and TTL is carried over."""
    from trio_gateway.config import load_config_data
    from trio_gateway.plan import compile_plan
    from trio_gateway.serving.reload import Reloader
    from trio_gateway.serving.server import serve

    port = free_port()
    path = tmp_path / "krakend.json"
    config = _config(backend_url, jwk_file, port)
    path.write_text(json.dumps(config))
    reloader = Reloader(str(path), port=0)
    plan = compile_plan(load_config_data(config).config, port=0)
    binds = await nursery.start(
        lambda task_status: serve(
            plan, host="127.0.0.1", reloader=reloader, task_status=task_status
        )
    )
    url = f"{binds[0]}/private"
    token = _token(jti="reload-1")
    async with httpx.AsyncClient(timeout=10) as client:
        await client.post(f"http://127.0.0.1:{port}/revoke", json={"jti": "reload-1"}, headers=AUTH)
        assert await _get(client, url, token) == 401
        # the service extra_config changes (another token key): the services restart
        config["extra_config"]["auth/revoker"]["token_keys"] = ["jti", "sub", "did"]
        path.write_text(json.dumps(config))
        before = reloader.completed
        reloader.request("test")
        with trio.fail_after(10):
            while reloader.completed == before:  # noqa: ASYNC110 - a counter, not an event
                await trio.sleep(0.01)
        assert await _get(client, url, token) == 401
        assert await _get(client, url, _token(jti="reload-2")) == 200
        with trio.fail_after(10):  # the new listener, on the same port
            while True:
                try:
                    answer = await client.post(
                        f"http://127.0.0.1:{port}/revoke", json={"did": "phone"}, headers=AUTH
                    )
                    break
                except httpx.TransportError:
                    await trio.sleep(0.05)
        assert answer.status_code == 200  # the new token key is accepted
        assert await _get(client, url, _token(jti="reload-3", did="phone")) == 401
