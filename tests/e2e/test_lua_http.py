"""`http_response` from Lua (krakend-lua decorator/http.go) through the real gateway and real
loopback backends: what the called server sees, what the script gets, errors, the deadline."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from tests.e2e.backend_app import CANCELLED, STATS
from tests.e2e.conftest import StartGateway

# krakend-lua decorator/http_test.go `sampleLuaCode`, its prints stored in the response data
SAMPLE = """local d = response.load():data()
local r = http_response.new(url .. "/param_forwarding/four?dump_body=1", "POST", '{"foo":"bar"}',
  {["foo"] = "bar", ["123"] = "456", ["multi"] = {"a", "b"}})
d:set("status4", r:statusCode())
d:set("type4", r:headers("Content-Type"))
local hr = r:headerList("Set-Cookie")
d:set("cookie0", hr:get(0))
d:set("cookie1", hr:get(1))
d:set("body4", r:body())
r:close()
local r = http_response.new(url .. "/param_forwarding/three?dump_body=1", "POST", '{"foo":"bar"}')
d:set("body3", r:body())
local r = http_response.new(url .. "/param_forwarding/one?dump_body=1")
d:set("status1", r:statusCode())
d:set("body1", r:body())
r:close()"""


def _config(backend_url: str, extra: dict[str, Any], **endpoint: Any) -> dict[str, Any]:
    return {
        "version": 3,
        "host": [backend_url],
        "extra_config": {"router": {"return_error_msg": True}},
        "endpoints": [
            {
                "endpoint": "/lua",
                "backend": [{"url_pattern": "/param_forwarding/main"}],
                "extra_config": extra,
                **endpoint,
            }
        ],
    }


def _post(script: str, backend_url: str) -> dict[str, Any]:
    return {"modifier/lua-proxy": {"post": f"local url = '{backend_url}'\n{script}"}}


async def test_sample_of_krakend_lua(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(_config(backend_url, _post(SAMPLE, backend_url)))
    r = await client.get(f"{gw}/lua")
    assert r.status_code == 200, r.text
    data = r.json()
    assert (data["status4"], data["type4"]) == (200, "application/json")
    assert (data["cookie0"], data["cookie1"]) == ("test1=test1", "test2=test2")
    four = orjson.loads(data["body4"])
    assert four["method"] == "POST"
    assert four["body"] == '{"foo":"bar"}'
    headers = four["headers"]
    # Go's Header.Add: canonical names, a nested table's items each added
    assert headers["Foo"] == ["bar"]
    assert headers["123"] == ["456"]
    assert headers["Multi"] == ["a", "b"]
    assert headers["User-Agent"][0].startswith("trio-gateway/")
    assert headers["Accept-Encoding"] == ["gzip"]
    three = orjson.loads(data["body3"])
    assert (three["method"], three["body"]) == ("POST", '{"foo":"bar"}')
    assert "Foo" not in three["headers"]
    one = orjson.loads(data["body1"])
    assert (data["status1"], one["method"], one["body"]) == (200, "GET", "")
    assert STATS["/param_forwarding/one"] == 1


async def test_status_and_missing_header(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    script = """local r = http_response.new(url .. "/status/404")
local d = response.load():data()
d:set("status", r:statusCode())
d:set("missing", r:headers("X-None"))
d:set("count", r:headerList("X-None"):len())
d:set("body", r:body())"""
    gw = await start_gateway(_config(backend_url, _post(script, backend_url)))
    r = await client.get(f"{gw}/lua")
    data = r.json()
    assert (data["status"], data["missing"], data["count"]) == (404, "", 0)
    assert data["body"] == "status 404\n"


async def test_errors_reach_the_client_as_lua_errors(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    cases = {
        "http_response.new()": "need 1, 3 or 4 arguments (post-script:L2)",
        "http_response.new(url, 'GET')": "need 1, 3 or 4 arguments (post-script:L2)",
        "http_response.new('http://127.0.0.1:1/x')": 'Get "http://127.0.0.1:1/x": ',
        "http_response.new('ftp://127.0.0.1/x')": 'Get "ftp://127.0.0.1/x": ',
        "http_response.new(url):headers()": "need arguments (post-script:L2)",
        "local r = http_response.new(url); r:close(); r:statusCode()": "nil pointer",
        "local r = http_response.new(url); r.statusCode({})": "response expected",
    }
    for script, expected in cases.items():
        gw = await start_gateway(_config(backend_url, _post(script, backend_url)))
        r = await client.get(f"{gw}/lua")
        assert r.status_code == 500, (script, r.text)
        assert expected in r.text, (script, r.text)


async def test_the_endpoint_timeout_cancels_the_call(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    script = "http_response.new(url .. '/delayed/lua?ms=5000')"
    gw = await start_gateway(_config(backend_url, _post(script, backend_url), timeout="300ms"))
    r = await client.get(f"{gw}/lua")
    # the deadline answers (not a script error), and the call was abandoned, not waited for
    assert r.status_code == 500
    assert "context deadline exceeded" in r.text
    assert "/delayed/lua" in CANCELLED or STATS["/delayed/lua"] == 1


async def test_router_level(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    pre = f"""local r = http_response.new('{backend_url}/raw?body=from-lua')
ctx.load():headers('X-Fetched', r:body() .. ' ' .. r:statusCode())"""
    config = _config(backend_url, {"modifier/lua-endpoint": {"pre": pre}})
    config["endpoints"][0]["input_headers"] = ["X-Fetched"]
    gw = await start_gateway(config)
    r = await client.get(f"{gw}/lua")
    assert r.status_code == 200, r.text
    assert r.json()["headers"]["X-Fetched"] == ["from-lua 200"]


async def test_router_level_reads_and_replaces_the_body(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    # krakend-lua router/gin/lua_test.go: `req:body(req:body().."fooooooo")`
    pre = """local c = ctx.load()
c:headers('X-Seen', c:body())
c:body(c:body() .. ' fooooooo')"""
    config = _config(backend_url, {"modifier/lua-endpoint": {"pre": pre}}, method="POST")
    endpoint = config["endpoints"][0]
    endpoint["input_headers"] = ["X-Seen"]
    endpoint["backend"][0]["url_pattern"] = "/param_forwarding/main?dump_body=1"
    endpoint["input_query_strings"] = ["dump_body"]
    gw = await start_gateway(config)
    r = await client.post(f"{gw}/lua?dump_body=1", content=b"client body")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["body"] == "client body fooooooo"
    assert body["headers"]["X-Seen"] == ["client body"]


async def test_router_level_body_over_max_body(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    config = _config(backend_url, {"modifier/lua-endpoint": {"pre": "ctx.load():body()"}})
    config["endpoints"][0]["method"] = "POST"
    config["extra_config"]["router"]["max_payload"] = 8
    gw = await start_gateway(config)
    r = await client.post(f"{gw}/lua", content=b"x" * 64)
    assert r.status_code == 413
    assert STATS["/param_forwarding/main"] == 0


async def test_lua_backend_url_and_method(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    # krakend-lua proxy/proxy.go at backend level: req.URL is the balancer's, set it and the
    # call goes there; req.Method set is the call's method
    pre = """local r = request.load()
r:headers("X-Built", r:url())
r:url(r:url() .. "&dump_body=1")
r:method("PUT")"""
    backend = {
        "url_pattern": "/param_forwarding/{id}?a=1",
        "extra_config": {"modifier/lua-backend": {"pre": pre}},
    }
    config = {
        "version": 3,
        "host": [backend_url],
        "endpoints": [{"endpoint": "/b/{id}", "backend": [backend]}],
    }
    gw = await start_gateway(config)
    r = await client.get(f"{gw}/b/5")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["headers"]["X-Built"] == [f"{backend_url}/param_forwarding/5?a=1"]
    assert body["query"] == {"a": ["1"], "dump_body": ["1"]}
    assert body["method"] == "PUT"
    assert body["body"] == ""


async def test_lua_backend_url_elsewhere(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    pre = f'request.load():url("{backend_url}/json/user")'
    backend = {
        "url_pattern": "/param_forwarding/x",
        "extra_config": {"modifier/lua-backend": {"pre": pre}},
    }
    config = {
        "version": 3,
        "host": [backend_url],
        "endpoints": [{"endpoint": "/b", "backend": [backend]}],
    }
    gw = await start_gateway(config)
    r = await client.get(f"{gw}/b")
    assert r.status_code == 200, r.text
    assert STATS["/param_forwarding/x"] == 0
    assert STATS["/json/user"] == 1


async def test_service_level_runs_before_every_endpoint(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    # krakend-ce router_engine.go: the service-level script is a gin middleware, before the
    # endpoint's own (handler_factory.go) script
    service = "local c = ctx.load()\nc:headers('X-Svc', 'svc ' .. c:params('id'))"
    endpoint = "local c = ctx.load()\nc:headers('X-Both', c:headers('X-Svc') .. ' + endpoint')"
    config = _config(backend_url, {"modifier/lua-endpoint": {"pre": endpoint}})
    config["extra_config"]["modifier/lua-endpoint"] = {"pre": service}
    config["endpoints"][0]["endpoint"] = "/lua/{id}"
    config["endpoints"][0]["input_headers"] = ["X-Svc", "X-Both"]
    config["endpoints"].append(
        {
            "endpoint": "/other",
            "input_headers": ["X-Svc"],
            "backend": [{"url_pattern": "/param_forwarding/other"}],
        }
    )
    gw = await start_gateway(config)
    r = await client.get(f"{gw}/lua/3")
    assert r.status_code == 200, r.text
    headers = r.json()["headers"]
    assert headers["X-Svc"] == ["svc 3"]
    assert headers["X-Both"] == ["svc 3 + endpoint"]
    r = await client.get(f"{gw}/other")
    assert r.json()["headers"]["X-Svc"] == ["svc"]  # no {id} there; values trimmed


async def test_service_level_errors_are_500(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    # router/gin/lua.go Register: c.AbortWithError(500, err), custom_error's status ignored
    config = _config(backend_url, {})
    config["extra_config"]["modifier/lua-endpoint"] = {"pre": "custom_error('no', 418)"}
    gw = await start_gateway(config)
    r = await client.get(f"{gw}/lua")
    assert (r.status_code, r.content) == (500, b"")
    assert STATS["/param_forwarding/main"] == 0


async def test_lua_on_a_no_op_endpoint(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    # krakend-lua proxy.go wraps the no-op proxy too: pre on the request, post on lura's
    # metadata and `Io` (response:body() reads it whole)
    pre = 'request.load():headers("X-Pre", "yes")'
    post = """local r = response.load()
r:headers("X-Post", r:headers("Content-Type"))
r:statusCode(203)
r:body("[" .. r:body() .. "]")"""
    config = _config(backend_url, {"modifier/lua-proxy": {"pre": pre, "post": post}})
    endpoint = config["endpoints"][0]
    endpoint["output_encoding"] = "no-op"
    endpoint["input_headers"] = ["X-Pre"]
    endpoint["backend"][0]["encoding"] = "no-op"
    endpoint["backend"][0]["url_pattern"] = "/param_forwarding/noop"
    gw = await start_gateway(config)
    r = await client.get(f"{gw}/lua")
    assert r.status_code == 203, r.text
    assert r.headers["x-post"] == "application/json"
    assert r.content.startswith(b"[{") and r.content.endswith(b"}]")
    assert orjson.loads(r.content)[0]["headers"]["X-Pre"] == ["yes"]
    # headers only: the stream is relayed untouched
    config["endpoints"][0]["extra_config"] = {
        "modifier/lua-backend": {"post": 'response.load():headers("X-B", "1")'}
    }
    config["endpoints"][0]["backend"][0]["extra_config"] = config["endpoints"][0].pop(
        "extra_config"
    )
    gw = await start_gateway(config)
    r = await client.get(f"{gw}/lua")
    assert (r.status_code, r.headers["x-b"]) == (200, "1")
    assert orjson.loads(r.content)["path"] == "/param_forwarding/noop"
