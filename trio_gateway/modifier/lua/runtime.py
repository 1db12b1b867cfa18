"""One sandboxed Lua 5.1 state per request (lupa.lua51), with an instruction and memory budget.

Lua 5.1 because KrakenD runs gopher-lua, a Lua 5.1 VM: `/` is float division everywhere, there
is no integer subtype, no `//`, no bit operators, no `goto`; `unpack` and `table.getn` are
globals (lupa's 5.4/5.5 would differ on each). LuaJIT is also 5.1 but adds `jit`/`bit`/FFI.

A fresh state per request, as krakend-lua (`proxy.New` makes a binder per call): globals never
leak between requests. Measured: a lupa.lua51 runtime costs ~40 µs to create; the prelude and
the scripts are compiled again each request, like KrakenD.

The safe library set (without `allow_open_libs`): krakend-lua opens no standard library at all
(binder `SkipOpenLibs`); we open the pure, stateless part (base functions without file/chunk
loading, `string`, `table`, `math`), which runs every script KrakenD runs. With
`allow_open_libs`: also `os`, `io`, `package`/`require`, `load*`/`dofile`. `debug` is never
given: it would lift the budget.

Budget: each phase (sources + pre, then post) runs under a count hook that raises after
`INSTRUCTION_BUDGET` VM instructions (~0.1-0.3 s), and the state has a `MEMORY_BUDGET`. The
phase runs in a worker thread (lupa releases the GIL while Lua runs), so a slow script never
stalls the event loop: other requests are served meanwhile.
"""

from __future__ import annotations

import re
from typing import Any

import lupa.lua51 as lupa51  # type: ignore[import-untyped]

from trio_gateway.errors import GatewayError
from trio_gateway.modifier.lua.bindings import PRELUDE, Accessors

__all__ = ["INSTRUCTION_BUDGET", "MEMORY_BUDGET", "LuaError", "LuaState"]

INSTRUCTION_BUDGET = 50_000_000
MEMORY_BUDGET = 64 * 1024 * 1024
BUDGET_MESSAGE = "lua: instruction budget exhausted"

_SAFE_BASE_REMOVED = (
    "dofile",
    "loadfile",
    "load",
    "loadstring",
    "require",
    "module",
    "getfenv",
    "setfenv",
    "collectgarbage",
    "newproxy",
    "gcinfo",
)
_POSITION = re.compile(r"^(?P<chunk>[^\n:]*):(?P<line>\d+): ")


class LuaError(GatewayError):
    """A script failed: 500 unless `custom_error` gave a status (krakend-lua errors.go
    `ToError`); the text reaches the client only with `router.return_error_msg`, as KrakenD."""

    def __init__(self, message: str, status: int = 500, content_type: str | None = None) -> None:
        super().__init__(message)
        self.status_hint = status
        self.content_type = content_type


def translate(message: str) -> LuaError:
    """A Lua error message as KrakenD answers it (errors.go `ToError`): `msg || status[ || ct]`
    from `custom_error`, else an internal error naming the script and line."""
    where = ""
    match = _POSITION.match(message)
    if match:
        message = message[match.end() :]
        where = f" ({match['chunk']}:L{match['line']})"
    parts = message.split(" || ")
    if len(parts) == 1:
        return LuaError(parts[0] + where)
    try:
        status = int(parts[1])
    except ValueError:
        status = 500
    if status == -1:
        return LuaError(parts[0])
    if not 100 <= status <= 599:
        status = 500  # Go's WriteHeader panics on such a code; answer the plain 500
    return LuaError(parts[0], status, parts[2] if len(parts) > 2 else None)


class LuaState:
    """One request's state: the prelude loaded, the sandbox applied."""

    def __init__(self, *, allow_open_libs: bool) -> None:
        lua = lupa51.LuaRuntime(
            encoding="latin-1",
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            attribute_filter=_deny,
            max_memory=MEMORY_BUDGET,
        )
        self._lua = lua
        self.api = Accessors(lua)
        api = self.api
        functions = lua.table_from(
            {
                name: getattr(api, name)
                for name in (
                    "tget",
                    "tset",
                    "tdel",
                    "tkeys",
                    "thas",
                    "size",
                    "lget",
                    "lset",
                    "ldel",
                    "new_table",
                    "new_list",
                    "req",
                    "resp",
                )
            }
        )
        g = lua.globals()
        sethook = g.debug.sethook
        self._guard = lua.eval(
            """function(sethook, pcall, error, budget, message)
              return function(f)
                sethook(function() error(message, 0) end, "", budget)
                local ok, err = pcall(f)
                sethook()
                return ok, err
              end
            end"""
        )(sethook, g.pcall, g.error, INSTRUCTION_BUDGET, BUDGET_MESSAGE)
        nil_value = lua.table_from({"_nil": True})
        lua.execute(PRELUDE, functions, nil_value)
        g.python = None
        g.debug = None
        if not allow_open_libs:
            for name in ("os", "io", "package", *_SAFE_BASE_REMOVED):
                g[name] = None

    def run(self, chunks: tuple[tuple[str, str], ...]) -> LuaError | None:
        """Run each (name, code) in order under the budget; the first failure, or None.
        Called in a worker thread."""
        for name, code in chunks:
            if not code:
                continue
            try:
                compiled = self._lua.compile(code, "=" + name)
            except lupa51.LuaSyntaxError as exc:
                return translate(_text(exc))
            except lupa51.LuaMemoryError:
                return LuaError("lua: not enough memory")
            try:
                ok, err = self._guard(compiled)
            except lupa51.LuaMemoryError:
                return LuaError("lua: not enough memory")
            except Exception as exc:  # an error inside the error handler itself
                return LuaError(f"lua: {type(exc).__name__}")
            if not ok:
                return translate(err if isinstance(err, str) else _lua_tostring(self._lua, err))
        return None


def _text(exc: Exception) -> str:
    text = str(exc)
    # lupa prefixes the chunk name as '[string "name"]:3:' for compile errors
    return re.sub(r'^\[string "(?P<name>[^"]*)"\]', lambda m: m["name"], text)


def _lua_tostring(lua: Any, value: Any) -> str:
    if value is None:
        return "nil"
    try:
        return str(lua.globals().tostring(value))
    except Exception:
        return "lua error"


def _deny(obj: Any, name: Any, setting: bool) -> Any:
    raise AttributeError("not accessible from Lua")
