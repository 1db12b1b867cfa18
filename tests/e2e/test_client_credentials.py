"""auth/client-credentials end to end: a real loopback token server, the real gateway, a real
backend. The backend call carries the token; one token serves concurrent calls; a token that
cannot be had fails the backend call (oauth2.Transport's RoundTrip error), which the endpoint
answers as for any failed backend."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import parse_qs

import attrs
import httpx
import orjson
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import StartGateway


@attrs.define
class TokenServer:
    """A loopback OAuth 2.0 token endpoint: token `tok-N` for the N-th request."""

    status: int = 200
    expires_in: int = 3600
    delay: float = 0.0
    url: str = ""
    forms: list[dict[str, list[str]]] = attrs.field(factory=list)
    authorizations: list[str] = attrs.field(factory=list)

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.forms.append(parse_qs(body.decode(), keep_blank_values=True))
        headers = dict(scope["headers"])
        self.authorizations.append(headers.get(b"authorization", b"").decode())
        if self.delay:
            await trio.sleep(self.delay)  # let concurrent callers pile up behind the fetch
        if self.status == 200:
            document = {
                "access_token": f"tok-{len(self.forms)}",
                "token_type": "bearer",
                "expires_in": self.expires_in,
            }
        else:
            document = {"error": "invalid_client", "error_description": "go away"}
        content = orjson.dumps(document)
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": content})


async def start_token_server(nursery: trio.Nursery, server: TokenServer) -> TokenServer:
    config = HypercornConfig()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    config.errorlog = None
    binds = await nursery.start(
        lambda task_status: hypercorn_serve(
            server.app,  # type: ignore[arg-type]
            config,
            mode="asgi",
            task_status=task_status,
        )
    )
    server.url = binds[0] + "/oauth/token"
    return server


def _gateway(backend_url: str, token_url: str, **service: Any) -> dict[str, Any]:
    credentials = {
        "client_id": "gw",
        "client_secret": "s3cret",
        "token_url": token_url,
        "scopes": "read,write",
        "endpoint_params": {"audience": ["backend"]},
    }
    return {
        "version": 3,
        "host": [backend_url],
        "endpoints": [
            {
                "endpoint": "/protected",
                "backend": [
                    {
                        "url_pattern": "/param_forwarding/cc",
                        "extra_config": {"auth/client-credentials": credentials},
                    }
                ],
            },
            {"endpoint": "/open", "backend": [{"url_pattern": "/param_forwarding/open"}]},
        ],
        **service,
    }


async def test_the_backend_gets_the_token(
    nursery: trio.Nursery,
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    tokens = await start_token_server(nursery, TokenServer())
    gw = await start_gateway(_gateway(backend_url, tokens.url))
    r = await client.get(f"{gw}/protected", headers={"Authorization": "Basic Y2xpZW50"})
    assert r.status_code == 200
    # the client's own Authorization is replaced (token.SetAuthHeader: Header.Set)
    assert r.json()["headers"]["Authorization"] == ["Bearer tok-1"]
    assert tokens.forms == [
        {"audience": ["backend"], "grant_type": ["client_credentials"], "scope": ["read write"]}
    ]
    assert tokens.authorizations[0].startswith("Basic ")
    # a backend without the namespace gets no token
    r = await client.get(f"{gw}/open")
    assert "Authorization" not in r.json()["headers"]
    assert len(tokens.forms) == 1


async def test_one_token_for_a_hundred_concurrent_requests(
    nursery: trio.Nursery, backend_url: str, start_gateway: StartGateway
) -> None:
    tokens = await start_token_server(nursery, TokenServer(delay=0.2))
    gw = await start_gateway(_gateway(backend_url, tokens.url))
    seen: list[tuple[int, list[str]]] = []

    async def call(many: httpx.AsyncClient) -> None:
        r = await many.get(f"{gw}/protected")
        seen.append((r.status_code, r.json()["headers"]["Authorization"]))

    limits = httpx.Limits(max_connections=100)
    async with (
        httpx.AsyncClient(timeout=30, limits=limits) as many,
        trio.open_nursery() as callers,
    ):
        for _ in range(100):
            callers.start_soon(call, many)
    assert seen == [(200, ["Bearer tok-1"])] * 100
    assert len(tokens.forms) == 1
    assert STATS["/param_forwarding/cc"] == 100


async def test_an_expired_token_is_fetched_again(
    nursery: trio.Nursery,
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    # x/oauth2 treats a token as expired 10 s before it is: expires_in 10 is stale at once, so
    # every call fetches a new one (the reuse window itself is a unit test, on a fake clock)
    tokens = await start_token_server(nursery, TokenServer(expires_in=10))
    gw = await start_gateway(_gateway(backend_url, tokens.url))
    first = await client.get(f"{gw}/protected")
    second = await client.get(f"{gw}/protected")
    assert first.json()["headers"]["Authorization"] == ["Bearer tok-1"]
    assert second.json()["headers"]["Authorization"] == ["Bearer tok-2"]
    assert len(tokens.forms) == 2


async def test_a_refused_token_fails_the_backend_call(
    nursery: trio.Nursery,
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    tokens = await start_token_server(nursery, TokenServer(status=401))
    gw = await start_gateway(_gateway(backend_url, tokens.url))
    r = await client.get(f"{gw}/protected")
    # as for any failed single backend: 500, empty body, not completed
    assert r.status_code == 500
    assert r.content == b""
    assert r.headers["x-krakend-completed"] == "false"
    assert STATS["/param_forwarding/cc"] == 0
    # AuthStyleAutoDetect: Basic first, then the credentials in the body
    assert len(tokens.forms) == 2
    assert tokens.authorizations[1] == ""
    assert tokens.forms[1]["client_id"] == ["gw"]
    assert tokens.forms[1]["client_secret"] == ["s3cret"]


async def test_the_token_error_text_with_return_error_msg(
    nursery: trio.Nursery,
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    tokens = await start_token_server(nursery, TokenServer(status=400))
    gw = await start_gateway(
        _gateway(backend_url, tokens.url, extra_config={"router": {"return_error_msg": True}})
    )
    r = await client.get(f"{gw}/protected")
    assert r.status_code == 500
    # http.Client.Do's url.Error around x/oauth2's RetrieveError
    assert r.text == (
        f'Get "{backend_url}/param_forwarding/cc": oauth2: "invalid_client" "go away"'
    )
    assert STATS["/param_forwarding/cc"] == 0


async def test_an_unreachable_token_server_fails_the_backend_call(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: every connection is refused
    port = closed.getsockname()[1]
    try:
        gw = await start_gateway(
            _gateway(
                backend_url,
                f"http://127.0.0.1:{port}/token",
                extra_config={"router": {"return_error_msg": True}},
            )
        )
        r = await client.get(f"{gw}/protected")
    finally:
        closed.close()
    assert r.status_code == 500
    assert r.text.startswith(
        f'Get "{backend_url}/param_forwarding/cc": oauth2: cannot fetch token: '
        f'Post "http://127.0.0.1:{port}/token": '
    )
    assert STATS["/param_forwarding/cc"] == 0
