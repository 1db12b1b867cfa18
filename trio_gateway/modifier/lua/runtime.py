"""One sandboxed Lua 5.1 state per request (lupa.lua51), with an instruction and memory budget.

Lua 5.1 because KrakenD runs gopher-lua, a Lua 5.1 VM: `/` is float division everywhere, there
is no integer subtype, no `//`, no bit operators, no `goto`; `unpack` is a global. lupa's
`lua51` module is used when the installed lupa wheel has it; otherwise lupa's default runtime
(`LUA_VERSION` says which, docs/lua.md explains the differences).

A fresh state per request, as krakend-lua (`proxy.New` makes a binder per call): globals never
leak between requests. The prelude and the scripts are compiled again each request, like KrakenD.

Libraries: without `allow_open_libs` krakend-lua opens gopher-lua's package, base and table
libraries only (krakend/binder `New` with `SkipOpenLibs`): no `string` (so no string methods
either), `math`, `io`, `os`, `coroutine`. We open base and table the same way, minus what reads
files or loads modules (`dofile`, `loadfile`, `require`, `module`, `package`), on purpose: a
script must not reach the file system unless the operator says so. With `allow_open_libs`:
every standard library. `debug` is never given: it would lift the budget.

Budget: each phase (sources, pre, post) runs under a count hook that raises after
`INSTRUCTION_BUDGET` VM instructions (~0.1 s here), and the state has a `MEMORY_BUDGET`; both
end the request with a 500 naming the budget. The phase runs in a worker thread (lupa releases
the GIL while Lua runs), so even a slow script never stalls the event loop.
"""

from __future__ import annotations

import re
from typing import Any

from trio_gateway.errors import GatewayError
from trio_gateway.modifier.lua.bindings import PRELUDE, Accessors
from trio_gateway.modifier.lua.engine import LUA_VERSION, lupa51

__all__ = [
    "INSTRUCTION_BUDGET",
    "LUA_VERSION",
    "MEMORY_BUDGET",
    "LuaError",
    "LuaState",
    "SourceMap",
    "compile_error",
]

INSTRUCTION_BUDGET = 50_000_000
MEMORY_BUDGET = 64 * 1024 * 1024
BUDGET_MESSAGE = "lua: script exceeded its instruction budget"
MEMORY_MESSAGE = "lua: script exceeded its memory budget"

# Base functions that read files or load modules: removed unless `allow_open_libs`.
_FILE_ACCESS = ("dofile", "loadfile", "require", "module")
# Libraries krakend-lua does not open without `allow_open_libs` (binder.go: package, base, table).
_NOT_OPENED = ("string", "math", "io", "os", "coroutine", "package")
_POSITION = re.compile(r"^(?P<chunk>[^\n:]*):(?P<line>\d+): ")


class LuaError(GatewayError):
    """A script failed: 500 unless `custom_error` gave a status (krakend-lua errors.go
    `ToError`); the text reaches the client only with `router.return_error_msg`, as KrakenD."""

    def __init__(self, message: str, status: int = 500, content_type: str | None = None) -> None:
        super().__init__(message)
        self.status_hint = status
        self.content_type = content_type
        # True for custom_error(msg, status[, ct]) (krakend-lua's ErrInternalHTTP)
        self.custom = False


class SourceMap:
    """The `sources` run as one chunk, joined by newlines (binder.go `WithConfig`): which file a
    line of that chunk belongs to (sourcemap.go `AffectedSource`, counting the file's real lines;
    KrakenD's trims trailing newlines first and so drifts by one after such a file)."""

    NAME = "sources"

    def __init__(self, sources: tuple[tuple[str, str], ...]) -> None:
        self._spans: list[tuple[int, str]] = []
        for path, code in sources:
            self._spans.append((code.count("\n") + 1, path.rsplit("/", 1)[-1]))
        self.code = "\n".join(code for _, code in sources)

    def locate(self, line: int) -> tuple[str, int]:
        count = 0
        for lines, name in self._spans:
            if line <= count + lines:
                return name, line - count
            count += lines
        return self.NAME, line


def translate(message: str, sources: SourceMap | None = None) -> LuaError:
    """A Lua error message as KrakenD answers it (errors.go `ToError`): `msg || status[ || ct]`
    from `custom_error`, else an internal error naming the script and line (`msg (file:Ln)`)."""
    where = ""
    match = _POSITION.match(message)
    if match:
        message = message[match.end() :]
        chunk, line = match["chunk"], int(match["line"])
        if sources is not None and chunk == SourceMap.NAME:
            chunk, line = sources.locate(line)
        where = f" ({chunk}:L{line})"
    parts = message.split(" || ")
    if len(parts) == 1:
        return LuaError(parts[0] + where)
    try:
        status = int(parts[1])
    except ValueError:
        status = 500
    if status == -1:
        return LuaError(parts[0])
    if not 100 <= status <= 999:
        # Go's WriteHeader panics below 100 or above 999: answer the plain 500 instead.
        status = 500
    error = LuaError(parts[0], status, parts[2] if len(parts) > 2 else None)
    error.custom = True
    return error


def compile_error(name: str, code: str, sources: SourceMap | None = None) -> str | None:
    """The syntax error of `code` as `msg (file:Ln)`, or None: for `check` (no state kept)."""
    lua = lupa51.LuaRuntime(register_eval=False, register_builtins=False, encoding="latin-1")
    try:
        lua.compile(code, "=" + name)
    except lupa51.LuaSyntaxError as exc:
        return str(translate(_text(exc), sources))
    return None


# Runs a compiled script under the instruction budget (its hook is set in LuaState).
_GUARD = """return function(sethook, pcall, error, budget, message)
  local function stop() error(message, 0) end
  return function(f)
    local spent = false
    sethook(function()
      spent = true
      sethook(stop, "", 1)
      error(message, 0)
    end, "", budget)
    local ok, err = pcall(f)
    sethook()
    if spent then return false, message end
    return ok, err
  end
end"""

_NO_STRING_METHODS = 'getmetatable("").__index = nil'

_BYTECODE: dict[str, bytes] = {}


def _load_ours(lua: Any, source: str) -> Any:
    """Our own Lua code (the prelude, the budget guard) as a function of `lua`, compiled once
    (`string.dump`): loading bytecode into each request's new state takes a quarter of the time
    compiling the source did. Loaded before the sandbox is applied; scripts are compiled from
    their source as before."""
    code = _BYTECODE.get(source)
    if code is None:
        code = _BYTECODE[source] = lua.globals().string.dump(lua.compile(source))
    return lua.globals().loadstring(code)


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
        # the sources' map, once they ran: a function of theirs failing later names its file
        self.sources: SourceMap | None = None
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
                    "ctx",
                    "http_new",
                    "http_op",
                )
            }
        )
        g = lua.globals()
        # Once the budget is spent, the hook fires on every instruction: a script cannot catch
        # the error with pcall and go on. Hooks are per coroutine and inherited by new ones.
        self._sethook = g.debug.sethook
        self._guard = _load_ours(lua, _GUARD)()(
            self._sethook, g.pcall, g.error, INSTRUCTION_BUDGET, BUDGET_MESSAGE
        )
        nil_value = lua.table_from({"_nil": True})
        _load_ours(lua, PRELUDE)(functions, nil_value)
        # lupa's `python` module and `debug` stay in package.loaded (so in `require`) otherwise
        loaded = g.package.loaded
        loaded.python = None
        loaded.debug = None
        g.python = None
        g.debug = None
        if not allow_open_libs:
            # no string library means no string methods either ("x"):upper() fails, as gopher-lua
            _load_ours(lua, _NO_STRING_METHODS)()
            for name in (*_NOT_OPENED, *_FILE_ACCESS):
                g[name] = None

    def run(self, name: str, code: str, sources: SourceMap | None = None) -> LuaError | None:
        """Run one chunk under the budget: its failure, or None. Called in a worker thread."""
        if not code:
            return None
        if sources is None:
            sources = self.sources
        try:
            compiled = self._lua.compile(code, "=" + name)
        except lupa51.LuaSyntaxError as exc:
            return translate(_text(exc), sources)
        except lupa51.LuaMemoryError:
            return LuaError(MEMORY_MESSAGE)
        try:
            ok, err = self._guard(compiled)
        except lupa51.LuaMemoryError:
            return LuaError(MEMORY_MESSAGE)
        except lupa51.LuaError as exc:
            # the spent budget's hook fired in the guard itself (a C call from here runs no VM
            # instruction, so the hook can be taken off), or an error while handling an error
            self._sethook()
            if BUDGET_MESSAGE in str(exc):
                return LuaError(BUDGET_MESSAGE)
            return LuaError(f"lua: {exc}")
        if ok:
            return None
        if not isinstance(err, str):
            err = _lua_tostring(self._lua, err)
        if err == "not enough memory":
            return LuaError(MEMORY_MESSAGE)
        return translate(err, sources)


def _text(exc: Exception) -> str:
    text = str(exc)
    # lupa prefixes compile errors with 'error loading code: ' on some versions
    text = text.removeprefix("error loading code: ")
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
