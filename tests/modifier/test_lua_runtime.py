"""The Lua state: KrakenD's library set, the budget, errors as krakend-lua `ToError` gives them
(cases ported from krakend-lua `proxy/proxy_test.go` `TestProxyFactory_luaError`)."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

from trio_gateway.modifier.lua.layers import LuaProxyConfig, run_pre
from trio_gateway.modifier.lua.runtime import (
    BUDGET_MESSAGE,
    LUA_VERSION,
    MEMORY_MESSAGE,
    LuaError,
    LuaState,
    translate,
)
from trio_gateway.types import Request, Response

FIXTURES = Path(__file__).parent / "lua_fixtures"


def _request() -> Request:
    return Request(method="GET", path="/p", params={"Id": "42"}, query=[], headers=[], body=b"")


def _state(*, open_libs: bool = False) -> LuaState:
    state = LuaState(allow_open_libs=open_libs)
    state.api.request = _request()
    state.api.response = Response(data={}, is_complete=True)
    return state


def _eval(state: LuaState, expression: str) -> str:
    """Run `expression` and return what it evaluates to, through a custom_error message."""
    failure = state.run("pre-script", f"custom_error(tostring({expression}), 299)")
    assert failure is not None
    return str(failure)


def test_lua_51() -> None:
    # gopher-lua is Lua 5.1: float division, no integer subtype, unpack a global
    assert LUA_VERSION == "Lua 5.1"
    state = _state()
    assert _eval(state, "_VERSION") == "Lua 5.1"
    assert _eval(state, "3 / 2") == "1.5"
    assert _eval(state, "type(unpack)") == "function"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # binder.go SkipOpenLibs: package, base, table only (we drop package and file access)
        ("type(table.insert)", "function"),
        ("type(pairs)", "function"),
        ("type(pcall)", "function"),
        ("type(string)", "nil"),
        ("type(math)", "nil"),
        ("type(os)", "nil"),
        ("type(io)", "nil"),
        ("type(coroutine)", "nil"),
        ("type(debug)", "nil"),
        ("type(dofile)", "nil"),
        ("type(loadfile)", "nil"),
        ("type(require)", "nil"),
        ("type(package)", "nil"),
        ("type(python)", "nil"),
        ("pcall(function() return ('x'):upper() end)", "false"),
    ],
)
def test_closed_libraries(expression: str, expected: str) -> None:
    assert _eval(_state(), expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("type(string.find)", "function"),
        ("('x'):upper()", "X"),
        ("type(math.floor)", "function"),
        ("type(os.time)", "function"),
        ("type(io.open)", "function"),
        ("type(require)", "function"),
        ("type(debug)", "nil"),
        ("type(package.loaded.debug)", "nil"),
        ("type(package.loaded.python)", "nil"),
        ("pcall(require, 'debug')", "false"),
    ],
)
def test_allow_open_libs(expression: str, expected: str) -> None:
    assert _eval(_state(open_libs=True), expression) == expected


def test_runaway_loop_is_cut_off() -> None:
    state = _state()
    failure = state.run("pre-script", "local i = 0\nwhile true do i = i + 1 end")
    assert isinstance(failure, LuaError)
    assert str(failure) == BUDGET_MESSAGE
    assert failure.status_hint == 500
    # the budget is per phase: the state still runs the next script
    assert state.run("post-script", "local x = 1") is None


def test_runaway_memory_is_cut_off() -> None:
    state = _state()
    failure = state.run("pre-script", "local t = {}\nfor i = 1, 1e9 do t[i] = i end")
    assert failure is not None
    assert str(failure) == MEMORY_MESSAGE


def test_pcall_cannot_swallow_the_budget() -> None:
    state = _state()
    code = "for i = 1, 1e9 do pcall(function() while true do end end) end"
    failure = state.run("pre-script", code)
    assert failure is not None
    # the hook keeps firing after a caught error: the outer loop is cut off too
    assert BUDGET_MESSAGE in str(failure)


@pytest.mark.parametrize(
    ("message", "text", "status", "content_type", "custom"),
    [
        # errors.go ToError: msg || status[ || content type]
        ("expect me || -1", "expect me", 500, None, False),
        ("expect me || 404", "expect me", 404, None, True),
        ('{"msg":"expect me"} || 404', '{"msg":"expect me"}', 404, None, True),
        ("x || 404 || application/json", "x", 404, "application/json", True),
        ("x || nan", "x", 500, None, True),  # strconv.Atoi fails: 500
        ("x || 42", "x", 500, None, True),  # Go's WriteHeader refuses < 100
        ("pre-script:3: boom", "boom (pre-script:L3)", 500, None, False),
    ],
)
def test_translate(
    message: str, text: str, status: int, content_type: str | None, custom: bool
) -> None:
    error = translate(message)
    assert (str(error), error.status_hint, error.content_type, error.custom) == (
        text,
        status,
        content_type,
        custom,
    )


@pytest.mark.parametrize(
    ("code", "text", "status", "content_type"),
    [
        # proxy_test.go TestProxyFactory_error*, both phases
        ("custom_error('expect me')", "expect me", 500, None),
        ("custom_error('expect me', 404)", "expect me", 404, None),
        ('custom_error(\'{"msg":"expect me"}\', 404)', '{"msg":"expect me"}', 404, None),
        (
            "custom_error('{\"msg\":\"expect me\"}', 404, 'application/json')",
            '{"msg":"expect me"}',
            404,
            "application/json",
        ),
        ("custom_error()", "need arguments (pre-script:L1)", 500, None),
    ],
)
def test_custom_error(code: str, text: str, status: int, content_type: str | None) -> None:
    failure = _state().run("pre-script", code)
    assert failure is not None
    assert (str(failure), failure.status_hint, failure.content_type) == (
        text,
        status,
        content_type,
    )


# TestProxyFactory_luaError: gopher-lua's wording differs from PUC Lua's ("attempt to call a
# non-function object"), the location suffix KrakenD adds is the same.
@pytest.mark.parametrize(
    ("sources", "pre", "where"),
    [
        ((), "local req = request.load()\nlokal a = 1()\nlocal b = 2", "(pre-script:L2)"),
        ((), "local req = request.load();lokal a = 1();local b = 2", "(pre-script:L1)"),
        ((), "local req = request.load();method_does_not_exist();local t = 1", "(pre-script:L1)"),
        ((), "local req = request.load()\nmethod_does_not_exist()\nlocal t = 1", "(pre-script:L2)"),
        (
            (),
            'local req = request.load()\nreq:method("POST")\nreq:params("foo", "v")\n'
            'req:headers("Accept", "application/xml")\nreq:url(req:url() .. "&more=true")\n'
            'reqw:body(req:body() .. " foo") -- fat-fingered',
            "(pre-script:L6)",
        ),
        (("bad-code.lua",), 'custom_error("wont reach here")', "(bad-code.lua:L5)"),
        (("bad-func.lua",), "badfunc(1)", "(bad-func.lua:L3)"),
        (
            ("factorial.lua", "bad-code.lua", "add.lua"),
            'custom_error("wont reach here")',
            "(bad-code.lua:L5)",
        ),
        (
            ("env.lua", "factorial.lua", "bad-func.lua", "add.lua"),
            "badfunc(1)",
            "(bad-func.lua:L3)",
        ),
    ],
)
def test_error_location(sources: tuple[str, ...], pre: str, where: str) -> None:
    config = LuaProxyConfig(sources=tuple(str(FIXTURES / s) for s in sources), pre=pre)
    loaded = tuple((s, Path(s).read_text()) for s in config.sources)
    failure = run_pre(_state(), config, loaded)
    assert failure is not None
    assert str(failure).endswith(" " + where), str(failure)
    assert failure.status_hint == 500


def test_sources_share_one_chunk() -> None:
    # binder.go joins the sources: a file's locals are visible to the next file
    config = LuaProxyConfig(sources=("a.lua", "b.lua"), pre="custom_error(tostring(x), 299)")
    loaded = (("a.lua", "local y = 2"), ("b.lua", "x = y + 1"))
    failure = run_pre(_state(), config, loaded)
    assert failure is not None
    assert str(failure) == "3"


def test_invalid_header_list_value() -> None:
    failure = _state().run(
        "pre-script", 'local req = request.load(); req:headerList("X-Test", "string")'
    )
    assert failure is not None
    assert str(failure) == "invalid header value, must be a luaList (pre-script:L1)"
    failure = _state().run(
        "post-script", 'local res = response.load(); res:headerList("X-Test", "string")'
    )
    assert failure is not None
    assert str(failure) == "invalid header value, must be a luaList (post-script:L1)"


def test_globals_do_not_leak_between_states() -> None:
    assert _state().run("pre-script", "leaked = 1") is None
    assert _eval(_state(), "leaked") == "nil"


def test_a_requests_state_is_freed_when_dropped_without_the_garbage_collector() -> None:
    # A reference cycle between the Lua runtime and the API it calls kept every request's state
    # (~100 KB of Lua memory) until the next collection: 200 MiB under load.
    gc.disable()
    try:
        state = LuaState(allow_open_libs=False)
        assert state.run("x", "local a = {} for i = 1, 100 do a[i] = i end") is None
        api = weakref.ref(state.api)
        del state
        assert api() is None  # freed by reference counting alone
    finally:
        gc.enable()
