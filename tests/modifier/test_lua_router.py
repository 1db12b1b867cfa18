"""`modifier/lua-endpoint`'s `ctx` (krakend-lua `router/gin/lua.go`) on a routed request."""

from __future__ import annotations

from typing import Any

from trio_gateway.modifier.lua.router import LuaEndpointConfig, LuaEndpointGuard
from trio_gateway.namespace import Admission


def _admission() -> Admission:
    scope: dict[str, Any] = {"method": "GET", "path": "/r/1", "query_string": b"b=2&a=1&a=3"}
    headers = [(b"host", b"gw.example"), (b"x-a", b"1"), (b"x-a", b"2")]
    return Admission(scope, headers, {"id": "1"}, None)


async def _run(pre: str, admission: Admission) -> Any:
    guard = LuaEndpointGuard(LuaEndpointConfig(pre=pre), "ENDPOINT: /r/{id}")
    return await guard(admission)


async def test_reads() -> None:
    pre = """local c = ctx.load()
custom_error(table.concat({c:method(), c:url(), c:host(), c:query("a"), c:params("id"),
  c:headers("X-A"), c:headerList("x-a"):len(), c:params():get("id")}, "|"), 299)"""
    rejection = await _run(pre, _admission())
    assert rejection is not None
    assert rejection.status == 299
    # the text went to the log only; check it through a second run that writes it to a header
    admission = _admission()
    pre = """local c = ctx.load()
c:headers("X-Out", table.concat({c:method(), c:url(), c:host(), c:query("a"),
  c:params("id"), c:headers("X-A"), c:headerList("x-a"):len()}, "|"))"""
    assert await _run(pre, admission) is None
    out = dict(admission.headers)[b"x-out"]
    assert out == b"GET|/r/1?b=2&a=1&a=3|gw.example|1|1|1|2"


async def test_writes() -> None:
    admission = _admission()
    pre = """local c = ctx.load()
c:method("POST")
c:query("a", "9")
c:params("id", "7")
c:params("new", "n")
c:host("other.example")
c:headers("X-A", nil)
local l = luaList.new(); l:set(0, "p"); l:set(1, "q")
c:headerList("X-L", l)"""
    assert await _run(pre, admission) is None
    assert admission.scope["method"] == "POST"
    # url.Values.Set + Encode: the key replaced, keys sorted
    assert admission.scope["query_string"] == b"a=9&b=2"
    assert admission.params == {"id": "7", "new": "n"}
    assert (b"host", b"other.example") in admission.headers
    assert not any(k == b"x-a" for k, _ in admission.headers)
    assert [v for k, v in admission.headers if k == b"x-l"] == [b"p", b"q"]


async def test_url_set() -> None:
    admission = _admission()
    assert await _run('ctx.load():url("/elsewhere?z=1")', admission) is None
    assert (admission.scope["path"], admission.scope["query_string"]) == ("/elsewhere", b"z=1")


async def test_errors() -> None:
    rejection = await _run("custom_error('no', 403, 'application/json')", _admission())
    assert rejection is not None
    assert (rejection.status, rejection.headers, rejection.body) == (
        403,
        [(b"content-type", b"application/json")],
        b"",
    )
    rejection = await _run("custom_error('no')", _admission())
    assert rejection is not None
    assert (rejection.status, rejection.body) == (500, b"")
    rejection = await _run("ctx.load():query()", _admission())
    assert rejection is not None
    assert rejection.status == 500
    rejection = await _run("while true do end", _admission())
    assert rejection is not None
    assert rejection.status == 500
