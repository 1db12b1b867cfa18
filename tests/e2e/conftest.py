"""End-to-end fixtures: a real loopback backend and the real gateway, both on hypercorn."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from tests.e2e.backend_app import CANCELLED, STATS, backend_app
from trio_gateway.config import load_config_data
from trio_gateway.plan import compile_plan
from trio_gateway.serving.server import serve

StartGateway = Callable[[dict[str, Any]], Awaitable[str]]

# The HS256 secret of `jwk_file`'s key `k1`.
JWT_SECRET = b"a-very-secret-key-of-32-bytes!!!"


@pytest.fixture
def jwk_file(tmp_path: Path) -> str:
    """A local JWK set with one HS256 key, kid `k1`, secret `JWT_SECRET`."""
    k = base64.urlsafe_b64encode(JWT_SECRET).rstrip(b"=").decode()
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{"kty": "oct", "kid": "k1", "k": k, "alg": "HS256"}]}))
    return str(path)


@pytest.fixture
async def backend_url(nursery: trio.Nursery) -> str:
    STATS.clear()
    CANCELLED.clear()
    config = HypercornConfig()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    binds = await nursery.start(
        lambda task_status: hypercorn_serve(
            backend_app, config, mode="asgi", task_status=task_status
        )  # type: ignore[arg-type]
    )
    return str(binds[0])


@pytest.fixture
def start_gateway(nursery: trio.Nursery) -> StartGateway:
    async def start(config: dict[str, Any]) -> str:
        loaded = load_config_data(config)
        plan = compile_plan(loaded.config, port=0)
        binds = await nursery.start(
            lambda task_status: serve(plan, host="127.0.0.1", task_status=task_status)
        )
        return str(binds[0])

    return start


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10, follow_redirects=False) as c:
        yield c
