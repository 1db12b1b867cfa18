"""KrakenD Lua scripting through the real gateway and a real loopback backend: what the
backend sees, what the client gets (krakend-lua proxy, backend and router levels)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import StartGateway


def _endpoint(
    path: str, backend: str, extra: dict[str, Any] | None = None, method: str = "GET"
) -> dict[str, Any]:
    endpoint: dict[str, Any] = {
        "endpoint": path,
        "method": method,
        "backend": [{"url_pattern": backend, "method": method}],
    }
    if extra:
        endpoint["extra_config"] = extra
    return endpoint


def _config(backend_url: str, *endpoints: dict[str, Any], **service: Any) -> dict[str, Any]:
    return {"version": 3, "host": [backend_url], "endpoints": list(endpoints), **service}


PRE = """local r = request.load()
r:headers("X-Lua", "pre " .. r:params("Id"))
r:params("Id", "9")
r:query("dump_body=1&from=lua")
r:body(r:body() .. " +lua")"""
POST = """local resp = response.load()
local d = resp:data()
d:set("seen_foo", d:get("foo"))
d:del("headers")
local l = luaList.new()
l:set(0, "a")
l:set(1, 2)
d:set("list", l)
resp:headers("X-Lua-Post", "yes")"""


async def test_lua_proxy_pre_and_post(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            _endpoint(
                "/lua/{id}",
                "/param_forwarding/{id}",
                {"modifier/lua-proxy": {"pre": PRE, "post": POST}},
                "POST",
            ),
        )
    )
    r = await client.post(f"{gw}/lua/7?dropped=1", content=b"client body")
    assert r.status_code == 200, r.text
    body = r.json()
    # what the backend saw: the script's param, query, body (headers dropped by post)
    assert body["path"] == "/param_forwarding/9"
    assert body["query"] == {"dump_body": ["1"], "from": ["lua"]}
    assert body["body"] == "client body +lua"
    assert body["method"] == "POST"
    assert "headers" not in body
    assert body["seen_foo"] == 42
    assert body["list"] == ["a", 2]
    assert r.headers["x-lua-post"] == "yes"


async def test_lua_proxy_header_reaches_the_backend(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            _endpoint("/lua/{id}", "/param_forwarding/{id}", {"modifier/lua-proxy": {"pre": PRE}}),
        )
    )
    r = await client.get(f"{gw}/lua/7")
    assert r.status_code == 200
    assert r.json()["headers"]["X-Lua"] == ["pre 7"]


async def test_lua_backend_pre_and_post(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    pre = """local r = request.load()
r:headers("X-Backend-Lua", r:path())
r:params("Id", "ignored")"""
    post = 'response.load():data():set("backend_lua", true)'
    backend = {
        "url_pattern": "/param_forwarding/{id}",
        "extra_config": {"modifier/lua-backend": {"pre": pre, "post": post}},
    }
    gw = await start_gateway(_config(backend_url, {"endpoint": "/b/{id}", "backend": [backend]}))
    r = await client.get(f"{gw}/b/5")
    assert r.status_code == 200
    body = r.json()
    # the backend's own path (lura built it before lua-backend); params come too late
    assert body["headers"]["X-Backend-Lua"] == ["/param_forwarding/5"]
    assert body["path"] == "/param_forwarding/5"
    assert body["backend_lua"] is True


async def test_custom_error(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            _endpoint(
                "/pre",
                "/param_forwarding/pre",
                {"modifier/lua-proxy": {"pre": "custom_error('teapot', 418)"}},
            ),
            _endpoint(
                "/post",
                "/param_forwarding/post",
                {
                    "modifier/lua-proxy": {
                        "post": 'custom_error(\'{"msg":"no"}\', 403, "application/json")'
                    }
                },
            ),
            _endpoint(
                "/plain",
                "/param_forwarding/plain",
                {"modifier/lua-proxy": {"pre": "custom_error('only a message')"}},
            ),
        )
    )
    # lura's endpoint handler: the error's status, the body only with return_error_msg
    r = await client.get(f"{gw}/pre")
    assert (r.status_code, r.content) == (418, b"")
    assert STATS["/param_forwarding/pre"] == 0
    r = await client.get(f"{gw}/post")
    assert (r.status_code, r.content) == (403, b"")
    assert STATS["/param_forwarding/post"] == 1
    r = await client.get(f"{gw}/plain")
    assert (r.status_code, r.content) == (500, b"")


async def test_custom_error_text_with_return_error_msg(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            _endpoint(
                "/post",
                "/param_forwarding/post",
                {
                    "modifier/lua-proxy": {
                        "post": 'custom_error(\'{"msg":"no"}\', 403, "application/json")'
                    }
                },
            ),
            _endpoint(
                "/pre",
                "/param_forwarding/pre",
                {"modifier/lua-proxy": {"pre": "custom_error('teapot', 418)"}},
            ),
            _endpoint(
                "/bug",
                "/param_forwarding/bug",
                {"modifier/lua-proxy": {"pre": "local x = nil\nx.y = 1"}},
            ),
            extra_config={"router": {"return_error_msg": True}},
        )
    )
    r = await client.get(f"{gw}/post")
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"msg": "no"}
    r = await client.get(f"{gw}/pre")
    assert (r.status_code, r.text) == (418, "teapot")
    assert r.headers["content-type"].startswith("text/plain")
    r = await client.get(f"{gw}/bug")
    assert r.status_code == 500
    assert r.text.endswith("(pre-script:L2)")


async def test_runaway_loop_is_cut_off(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            _endpoint(
                "/loop",
                "/param_forwarding/loop",
                {"modifier/lua-proxy": {"pre": "while true do end"}},
            ),
            _endpoint("/plain", "/param_forwarding/plain"),
            extra_config={"router": {"return_error_msg": True}},
        )
    )
    async with httpx.AsyncClient(timeout=30) as other:
        r = await other.get(f"{gw}/loop")
    assert r.status_code == 500
    assert "instruction budget" in r.text
    assert STATS["/param_forwarding/loop"] == 0
    # the gateway still serves
    r = await client.get(f"{gw}/plain")
    assert r.status_code == 200


ENDPOINT_PRE = """local c = ctx.load()
c:headers("X-Router-Lua", c:method() .. " " .. c:url())
c:query("added", "1")
c:params("id", c:params("id") .. "0")
if c:headers("X-Deny") ~= "" then custom_error("denied", 451, "text/x-denied") end
if c:headers("X-Break") ~= "" then local x = nil; x.y = 1 end"""


async def test_lua_endpoint_at_router_level(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    endpoint = _endpoint(
        "/router/{id}",
        "/param_forwarding/{id}",
        {"modifier/lua-endpoint": {"pre": ENDPOINT_PRE}},
    )
    endpoint["input_query_strings"] = ["*"]
    endpoint["input_headers"] = ["X-Router-Lua"]
    gw = await start_gateway(
        _config(backend_url, endpoint, extra_config={"router": {"return_error_msg": True}})
    )
    r = await client.get(f"{gw}/router/3?q=1")
    assert r.status_code == 200, r.text
    body = r.json()
    # the router-level script edits the request before the endpoint reads it
    assert body["headers"]["X-Router-Lua"] == ["GET /router/3?q=1"]
    assert body["query"] == {"added": ["1"], "q": ["1"]}
    assert body["path"] == "/param_forwarding/30"

    # gin's AbortWithError: the status (and content type), no body, even with return_error_msg
    r = await client.get(f"{gw}/router/3", headers={"X-Deny": "1"})
    assert (r.status_code, r.content) == (451, b"")
    assert r.headers["content-type"] == "text/x-denied"
    r = await client.get(f"{gw}/router/3", headers={"X-Break": "1"})
    assert (r.status_code, r.content) == (500, b"")
    assert STATS["/param_forwarding/30"] == 1
