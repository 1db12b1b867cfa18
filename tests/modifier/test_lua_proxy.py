"""`modifier/lua-proxy` around a fake next proxy: the request/response/luaTable/luaList API
(ported from krakend-lua `proxy/proxy_test.go`), skip_next, and `check`'s load errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trio_gateway.config import load_config_data
from trio_gateway.config.diagnostics import ConfigError
from trio_gateway.modifier.lua.layers import LuaProxy, LuaProxyConfig
from trio_gateway.modifier.lua.runtime import LuaError
from trio_gateway.types import Request, Response

FIXTURES = Path(__file__).parent / "lua_fixtures"


def _request(**fields: Any) -> Request:
    base: dict[str, Any] = {
        "method": "GET",
        "path": "/some-path",
        "params": {"id": "42"},
        "query": [],
        "headers": [],
        "body": b"initial req content",
    }
    base.update(fields)
    return Request(**base)


class Recorder:
    """The next proxy: records the request it got, answers `response`."""

    def __init__(self, response: Response | None = None) -> None:
        self.seen: Request | None = None
        self.response = response or Response(data={}, is_complete=True)

    async def __call__(self, request: Request) -> Response:
        self.seen = request
        return self.response


POST_SCRIPT = """local resp = response.load()
resp:isComplete(true)
local responseData = resp:data()
responseData:set("foo", "some_new_value")

data = {}
data["bar"] = fact(5)
data["foobar"] = true
data["supu"] = {}
data["supu"]["tupu"] = "some"
data["supu"]["original"] = responseData:get("ok")

local original_collection = responseData:get("collection")
original_collection:del(2)
responseData:set("collection", original_collection)
local col = responseData:get("collection")
data["collection_size"] = col:len()

local id_list = {}
for i=0,data["collection_size"]-1 do
  local element = col:get(i)
  local id = element:get("id")
  table.insert(id_list, id)
end
data["ids"] = id_list

responseData:set("more", data)
local bar = string.find('banana', 'an')
responseData:set("bar", bar)
responseData:set("keys", responseData:keys())
responseData:del("to_be_removed")

if responseData:keyExists("to_be_removed") then custom_error("unexpected key") end
if not responseData:keyExists("bar") then custom_error("missing required key") end

resp:headers("Content-Type", "application/xml")
resp:headers("X-Not-Needed", nil)

local res_header = luaList.new()
res_header:set(0, "X")
res_header:set(1, "Y")
resp:headerList("X-Multi-Res", res_header)

resp:statusCode(200)
resp:body(resp:body() .. " bar" .. resp:headers("unknown"))"""

PRE_SCRIPT = """local req = request.load()
req:method("POST")
req:params("foo", "some_new_value")
req:headers("Accept", "application/xml")
req:headers("X-To-Delete", nil)

local multi_header = luaList.new()
multi_header:set(0, "A")
multi_header:set(1, "B")
req:headerList("X-Multi", multi_header)

req:url(req:url() .. "&more=true")
req:body(req:body() .. " foo" .. req:headers("unknown"))"""


async def test_krakend_lua_proxy_factory() -> None:
    # proxy_test.go TestProxyFactory
    answer = Response(
        data={
            "ok": True,
            "collection": [
                {"id": 1, "comment": "none"},
                {"id": 42, "comment": "some"},
                {"id": 99, "comment": "to be removed"},
                {"id": 0, "comment": "last"},
            ],
            "to_be_removed": 123456,
        },
        is_complete=False,
        headers=[(b"x-not-needed", b"deleteme"), (b"x-multi-res", b"X")],
        body=b"initial resp content",
    )
    recorder = Recorder(answer)
    config = LuaProxyConfig(
        sources=(str(FIXTURES / "factorial.lua"),),
        allow_open_libs=True,
        pre=PRE_SCRIPT,
        post=POST_SCRIPT,
    )
    proxy = LuaProxy(recorder, config, "ENDPOINT: /")
    response = await proxy(_request(headers=[(b"x-to-delete", b"deleteme")]))

    seen = recorder.seen
    assert seen is not None
    assert seen.method == "POST"
    assert seen.params["foo"] == "some_new_value"
    assert (b"accept", b"application/xml") in seen.headers
    assert [v for k, v in seen.headers if k == b"x-multi"] == [b"A", b"B"]
    assert not any(k == b"x-to-delete" for k, _ in seen.headers)
    assert seen.body == b"initial req content foo"

    assert response.status == 200
    assert response.is_complete
    headers = response.headers or []
    assert not any(k == b"x-not-needed" for k, _ in headers)
    assert (b"content-type", b"application/xml") in headers
    assert [v for k, v in headers if k == b"x-multi-res"] == [b"X", b"Y"]
    assert response.body == b"initial resp content bar"
    expected = {
        "bar": 2,
        "collection": [
            {"comment": "none", "id": 1},
            {"comment": "some", "id": 42},
            {"comment": "last", "id": 0},
        ],
        "foo": "some_new_value",
        "keys": ["bar", "collection", "foo", "more", "ok", "to_be_removed"],
        "more": {
            "bar": 120,
            "collection_size": 3,
            "foobar": True,
            "ids": [1, 42, 0],
            "supu": {"original": True, "tupu": "some"},
        },
        "ok": True,
    }
    assert json.dumps(response.data, sort_keys=True) == json.dumps(expected, sort_keys=True)


async def test_issue_7_collections() -> None:
    # proxy_test.go Test_Issue7
    data = {
        "items": [
            {"id": 1, "name": "foo", "funny_property": True, "long_name": "foo bar"},
            {"id": 2, "name": "foo2", "funny_property": False, "long_name": "foo2 bar2"},
        ]
    }
    post = """local resp = response.load()
local responseData = resp:data()
local col = responseData:get("items")
local size = col:len()
responseData:set("total", size)
local names = {}
for i=0,size-1 do
  local element = col:get(i)
  table.insert(names, element:get("long_name"))
end
responseData:set("names", names)
responseData:del("items")"""
    proxy = LuaProxy(Recorder(Response(data=data)), LuaProxyConfig(post=post), "E")
    response = await proxy(_request())
    # luatable.go tableSet: a Lua table set directly keeps its keys as text (no array)
    assert response.data == {"total": 2, "names": {"1": "foo bar", "2": "foo2 bar2"}}


async def test_nested_tables_become_arrays() -> None:
    # types.go ParseToTable / tryConvertToSlice: only nested tables, an empty one is null
    post = """local d = response.load():data()
d:set("t", {list = {"a", "b"}, empty = {}, obj = {k = 1}, sparse = {[1] = "x", [5] = "y"}})
d:set("list", luaList.new())"""
    proxy = LuaProxy(Recorder(Response(data={})), LuaProxyConfig(post=post), "E")
    response = await proxy(_request())
    assert response.data == {
        "t": {"list": ["a", "b"], "empty": None, "obj": {"k": 1}, "sparse": ["x", "y"]},
        "list": [],
    }


async def test_json_number_and_nulls() -> None:
    # Test_jsonNumber, Test_keyValConverter
    data = {
        "id": 1,
        "data": [
            {"key": "name", "value": "Impala"},
            {"key": "IBU", "value": None},
            {"key": "type", "value": "IPA"},
        ],
    }
    post = """local responseData = response.load():data()
responseData:set("id", responseData:get("id") + 1)
local items = responseData:get("data")
for i=0,items:len()-1 do
  local element = items:get(i)
  responseData:set(element:get("key"), element:get("value"))
end
responseData:del("data")"""
    proxy = LuaProxy(Recorder(Response(data=data)), LuaProxyConfig(post=post), "E")
    response = await proxy(_request())
    assert response.data == {"id": 2, "name": "Impala", "IBU": None, "type": "IPA"}
    assert "IBU" in response.data


async def test_list_grows_when_upper_index_out_of_bound() -> None:
    # Test_listGrowsWhenUpperIndexOutOfBound
    post = """local responseData = response.load():data()
local growingList = luaList.new()
growingList:set(0, "foo")
growingList:set(2, "bar")
responseData:set("grow_list", growingList)"""
    proxy = LuaProxy(Recorder(Response(data={})), LuaProxyConfig(post=post), "E")
    response = await proxy(_request())
    assert response.data == {"grow_list": ["foo", None, "bar"]}


async def test_table_get_of_a_missing_key_is_nil() -> None:
    post = """local d = response.load():data()
d:set("missing_is_nil", d:get("nope") == nil)
d:set("null_is_luaNil", d:get("null") ~= nil)"""
    proxy = LuaProxy(Recorder(Response(data={"null": None})), LuaProxyConfig(post=post), "E")
    response = await proxy(_request())
    assert response.data == {"null": None, "missing_is_nil": True, "null_is_luaNil": True}


async def test_request_query_params_and_path() -> None:
    pre = """local r = request.load()
r:params("Id", r:params("Id") .. "0")
r:query(r:query() .. "&added=1")
r:path("/changed")"""
    recorder = Recorder()
    proxy = LuaProxy(recorder, LuaProxyConfig(pre=pre), "E")
    await proxy(_request(query=[("b", "2"), ("a", "1")]))
    assert recorder.seen is not None
    assert recorder.seen.params == {"id": "420"}
    # url.Values.Encode sorts by key, then the script's text is parsed back
    assert recorder.seen.query == [("a", "1"), ("b", "2"), ("added", "1")]
    assert recorder.seen.path == "/changed"


async def test_skip_next() -> None:
    recorder = Recorder()
    post = """local resp = response.load()
resp:data():set("complete", resp:isComplete())
resp:data():set("status", resp:statusCode())"""
    proxy = LuaProxy(recorder, LuaProxyConfig(skip_next=True, post=post), "E")
    response = await proxy(_request())
    assert recorder.seen is None
    assert response.data == {"complete": False, "status": 0}


async def test_pre_error_stops_the_pipe() -> None:
    recorder = Recorder()
    proxy = LuaProxy(recorder, LuaProxyConfig(pre="custom_error('nope', 418)"), "E")
    with pytest.raises(LuaError) as caught:
        await proxy(_request())
    assert recorder.seen is None
    assert (str(caught.value), caught.value.status_hint) == ("nope", 418)


async def test_post_error_replaces_the_response() -> None:
    proxy = LuaProxy(Recorder(), LuaProxyConfig(post="custom_error('late', 503, 'a/b')"), "E")
    with pytest.raises(LuaError) as caught:
        await proxy(_request())
    error = caught.value
    assert (str(error), error.status_hint, error.content_type) == ("late", 503, "a/b")


async def test_partial_response_skips_post() -> None:
    from trio_gateway.errors import BackendUnavailable, MergeError

    partial = Response(data={"a": 1}, error=MergeError([BackendUnavailable("down")]))
    proxy = LuaProxy(Recorder(partial), LuaProxyConfig(post="custom_error('ran')"), "E")
    assert await proxy(_request()) is partial


# ---- check: load errors are configuration errors with the file and line


def _config(extra: dict[str, Any], level: str = "endpoint") -> dict[str, Any]:
    backend: dict[str, Any] = {"url_pattern": "/b", "host": ["http://127.0.0.1:8080"]}
    endpoint: dict[str, Any] = {"endpoint": "/e", "backend": [backend]}
    if level == "endpoint":
        endpoint["extra_config"] = extra
    elif level == "backend":
        backend["extra_config"] = extra
    config: dict[str, Any] = {"version": 3, "endpoints": [endpoint]}
    if level == "service":
        config["extra_config"] = extra
    return config


def _errors(extra: dict[str, Any], level: str = "endpoint") -> list[str]:
    try:
        load_config_data(_config(extra, level))
    except ConfigError as exc:
        return [str(d) for d in exc.errors]
    return []


def test_check_accepts_good_scripts() -> None:
    extra = {
        "modifier/lua-proxy": {
            "sources": [str(FIXTURES / "factorial.lua")],
            "pre": "local r = request.load()",
            "post": "local r = response.load()",
        }
    }
    assert _errors(extra) == []


@pytest.mark.parametrize(
    ("extra", "level", "expected"),
    [
        (
            {"modifier/lua-proxy": {"pre": "local r = request.load()\nlokal a = 1()"}},
            "endpoint",
            "(pre-script:L2)",
        ),
        ({"modifier/lua-proxy": {"post": "end"}}, "endpoint", "(post-script:L1)"),
        (
            {"modifier/lua-backend": {"sources": ["FIXTURES/factorial.lua", "SYNTAX"]}},
            "backend",
            "(syntax.lua:L2)",
        ),
        (
            {"modifier/lua-proxy": {"sources": ["/nonexistent/x.lua"]}},
            "endpoint",
            "lua: unable to load required source /nonexistent/x.lua",
        ),
        (
            {
                "modifier/lua-proxy": {
                    "sources": ["FIXTURES/add.lua"],
                    "md5": {"FIXTURES/add.lua": "00"},
                }
            },
            "endpoint",
            "lua: wrong cheksum for source",
        ),
    ],
)
def test_check_errors(tmp_path: Path, extra: dict[str, Any], level: str, expected: str) -> None:
    syntax = tmp_path / "syntax.lua"
    syntax.write_text("local x = 1\nlocal = 2\n")
    text = json.dumps(extra).replace("FIXTURES", str(FIXTURES)).replace("SYNTAX", str(syntax))
    errors = _errors(json.loads(text), level)
    assert any(expected in e for e in errors), errors
