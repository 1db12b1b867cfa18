"""The Lua API of krakend-lua's proxy/backend scripts (`proxy/request.go`, `proxy/response.go`,
`decorator/*.go`), as a Lua prelude over a few Python accessors.

Strings cross as bytes: the state uses latin-1, so a Lua string is a Python `str` of code points
0-255, one per byte. Bodies and headers are bytes already; text (JSON data, params, query) is
UTF-8 encoded on the way in and decoded (invalid bytes replaced, as Go's json.Marshal does) on
the way out.

Scripts get the Python accessors only through the prelude's upvalues, and every Python object is
opaque to Lua (runtime.py denies attribute access), so no Python is reachable from a script.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import trio

from trio_gateway.modifier.lua.engine import lupa51
from trio_gateway.modifier.lua.http import NIL_POINTER, HttpAnswer, LuaHttp
from trio_gateway.modifier.lua.noop import read_stream
from trio_gateway.namespace import Admission
from trio_gateway.proxy.request import placeholder_key
from trio_gateway.types import Request, Response

__all__ = ["PRELUDE", "Accessors", "from_lua_text", "to_lua_text"]


def to_lua_text(text: str) -> str:
    """Python text -> a Lua byte string (UTF-8 bytes as latin-1 code points)."""
    return text.encode("utf-8").decode("latin-1")


def from_lua_text(value: str) -> str:
    return value.encode("latin-1").decode("utf-8", "replace")


def _canonical(name: str) -> str:
    """Go's textproto.CanonicalMIMEHeaderKey for plain tokens (x-foo-bar -> X-Foo-Bar)."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def _number(value: float) -> int | float:
    # gopher-lua numbers are float64; ParseToTable stores integral ones as int.
    return int(value) if isinstance(value, float) and value.is_integer() else value


class Accessors:
    """The Python side of the API for one request (one per Lua state)."""

    def __init__(self, lua: Any) -> None:
        # `lua` is not kept: the state's runtime holds these methods, and a reference back would
        # make a cycle that only the garbage collector frees (~100 KB of Lua memory a request,
        # held until the next collection)
        del lua
        self.request: Request | None = None
        self.response: Response | None = None
        self.admission: Admission | None = None
        # `modifier/lua-backend`: the request is the backend's, its URL already built by lura's
        # balancer (proxy/factory.go wraps the backend factory in it)
        self.backend_level = False
        # lua-backend: the backend URL lura's balancer built (one host picked, as lura's)
        self.backend_url: Callable[[Request], str] | None = None
        # `http_response.new` (http.py): None where no client was given (unit tests)
        self.http: LuaHttp | None = None
        # ctx:body() met a body over the endpoint's max_body: the guard answers 413
        self.body_too_large = False

    # ---- values between Lua and Python (types.go ParseToTable, luatable.go tableGet)
    def out(self, value: Any) -> tuple[str, Any]:
        """A Python value as (kind, value) for the prelude's `wrap`."""
        if value is None:
            return ("nil", None)
        if isinstance(value, bool):
            return ("value", value)
        if isinstance(value, int | float):
            return ("value", value)
        if isinstance(value, str):
            return ("value", to_lua_text(value))
        if isinstance(value, Mapping):
            return ("table", value)
        if isinstance(value, list):
            return ("list", value)
        return ("error", f"unknown type ({type(value).__name__})")

    def into(self, value: Any, nested: bool = False) -> Any:
        """A Lua value as JSON-ready Python (luatable.go `tableSet`, types.go `ParseToTable`).

        A Lua table set directly becomes an object keyed by its keys' text (`{"1": ...}`): only
        tables nested in it become arrays when all their keys are integers, and an empty nested
        table becomes null (Go's nil slice), as `ParseToTable` / `tryConvertToSlice` do."""
        if isinstance(value, bool | int | float):
            return _number(value) if not isinstance(value, bool) else value
        if isinstance(value, str):
            return from_lua_text(value)
        if isinstance(value, dict | list):  # a luaTable / luaList's own data (shared, as Go)
            return value
        if value is None:
            return None
        lua_type = lupa51.lua_type
        if lua_type(value) == "table":
            if value["_nil"] is True:  # luaNil (a forged one is just a null)
                return None
            wrapped = value["_p"]
            if isinstance(wrapped, dict | list):
                return wrapped
            result: dict[str, Any] = {}
            for key, item in value.items():
                if lua_type(item) in ("function", "thread", "userdata"):
                    continue
                name = _key(key)
                result[name] = self.into(item, nested=True)
            return _maybe_list(result) if nested else result
        return None  # functions, threads: skipped, as Go's switch does

    # ---- luaTable / luaList
    def tget(self, data: Any, key: str) -> tuple[str, Any]:
        if not isinstance(data, dict):
            return ("error", "response expected")
        name = from_lua_text(key)
        if name not in data:
            return ("none", None)
        return self.out(data[name])

    def tset(self, data: Any, key: str, value: Any) -> None:
        if isinstance(data, dict):
            data[from_lua_text(key)] = self.into(value)

    def tdel(self, data: Any, key: str) -> None:
        if isinstance(data, dict):
            data.pop(from_lua_text(key), None)

    def tkeys(self, data: Any) -> tuple[str, Any]:
        keys: list[str] = sorted(data) if isinstance(data, dict) else []
        return ("list", keys)

    def thas(self, data: Any, key: str) -> bool:
        return isinstance(data, dict) and from_lua_text(key) in data

    def size(self, data: Any) -> int:
        return len(data) if isinstance(data, dict | list) else 0

    def lget(self, data: Any, index: float) -> tuple[str, Any]:
        i = int(index)
        if not isinstance(data, list) or i < 0 or i >= len(data):
            return ("none", None)
        return self.out(data[i])

    def lset(self, data: Any, index: float, value: Any) -> None:
        i = int(index)
        if not isinstance(data, list) or i < 0:
            return
        if i >= len(data):
            data.extend([None] * (i + 1 - len(data)))
        data[i] = self.into(value)

    def ldel(self, data: Any, index: float) -> None:
        i = int(index)
        if isinstance(data, list) and 0 <= i < len(data):
            del data[i]

    def new_table(self) -> tuple[str, Any]:
        return ("table", {})

    def new_list(self) -> tuple[str, Any]:
        return ("list", [])

    # ---- http_response (decorator/http.go)
    def http_new(self, count: int, *args: Any) -> tuple[str, Any]:
        n = int(count)
        if n in (0, 2):
            return ("error", "need 1, 3 or 4 arguments")
        if self.http is None:
            return ("error", "http_response: no HTTP client")
        url = _lua_string(args[0])
        method, body = "GET", b""
        headers: list[tuple[str, str]] = []
        if n >= 3:
            method = _lua_string(args[1])
            body = _lua_string(args[2]).encode("latin-1")
        if n >= 4 and lupa51.lua_type(args[3]) == "table" and args[3]["_p"] is None:
            # a plain Lua table only (Go's `*lua.NativeTable`): strings are added, a nested
            # table's items each added; other values skipped, as http.go's switch does
            for key, value in args[3].items():
                name = _lua_string(key)
                if isinstance(value, str):
                    headers.append((name, value))
                elif lupa51.lua_type(value) == "table":
                    headers.extend((name, _lua_string(item)) for item in value.values())
        answer = self.http.call(url, method, body, headers)
        if isinstance(answer, str):
            return ("error", answer)
        return ("http", answer)

    def http_op(self, op: str, answer: Any, count: int, *args: Any) -> tuple[str, Any]:
        if not isinstance(answer, HttpAnswer):
            return ("error", "response expected")
        if op == "close":
            answer.closed = True
            return ("none", None)
        if answer.closed and op != "body":
            return ("error", NIL_POINTER)
        if op == "statusCode":
            return ("value", answer.status)
        if op == "body":
            return ("value", answer.body.decode("latin-1"))
        if int(count) != 1:
            return ("error", "need arguments")
        name = _lua_string(args[0]).lower().encode("latin-1")
        values = [v.decode("latin-1") for k, v in answer.headers if k == name]
        if op == "headers":
            return ("value", values[0] if values else "")
        return ("list", values)

    # ---- request (proxy/request.go)
    def req(self, op: str, count: int, *args: Any) -> tuple[str, Any]:
        args = args[: int(count)]
        request = self.request
        if request is None:
            return ("error", "request expected")
        if op == "method":
            if args:
                request.method = from_lua_text(str(args[0]))
                if self.backend_level:
                    # lura's HTTP proxy calls with req.Method (ToTitle): the script's one
                    request.backend_method = request.method
                # at endpoint level lura's request builder sets the backend's method afterwards
                return ("none", None)
            return ("value", request.method)
        if op == "path":
            if args:
                request.path = from_lua_text(str(args[0]))
                return ("none", None)
            return ("value", to_lua_text(request.path))
        if op == "query":
            if args:
                request.query = parse_qsl(from_lua_text(str(args[0])), keep_blank_values=True)
                return ("none", None)
            # url.Values.Encode: sorted by key, values in their order
            ordered = sorted(request.query, key=lambda pair: pair[0])
            return ("value", to_lua_text(urlencode(ordered)))
        if op == "url":
            if self.backend_level:
                # lura's balancer built req.URL before lua-backend: read it, or replace it
                # (url.Parse errors are ignored there: the call then fails on the bad URL)
                if args:
                    request.backend_url = from_lua_text(str(args[0]))
                    return ("none", None)
                if request.backend_url is None and self.backend_url is not None:
                    request.backend_url = self.backend_url(request)
                return ("value", to_lua_text(request.backend_url or ""))
            if args:
                # lura's balancer builds the URL afterwards from host + path: no effect
                return ("none", None)
            return ("value", "")  # no URL yet at endpoint level (proxy/request.go: "")
        if op == "params":
            # lura's keys: first letter upper-cased ({id} is `Id`), as proxy.Request.Params
            if not args:
                return ("table", {placeholder_key(k): v for k, v in request.params.items()})
            name = from_lua_text(str(args[0]))
            stored = next((k for k in request.params if placeholder_key(k) == name), name)
            if len(args) == 1:
                return ("value", to_lua_text(request.params.get(stored, "")))
            request.params[stored] = from_lua_text(str(args[1]))
            return ("none", None)
        if op == "body":
            if args:
                request.body = str(args[0]).encode("latin-1")
                return ("none", None)
            return ("value", request.body.decode("latin-1"))
        return _headers(request.headers, op, args)

    # ---- response (proxy/response.go)
    def resp(self, op: str, count: int, *args: Any) -> tuple[str, Any]:
        args = args[: int(count)]
        response = self.response
        if response is None:
            return ("error", "response expected")
        if op == "isComplete":
            if args:
                response.is_complete = bool(args[0])
                return ("none", None)
            return ("value", response.is_complete)
        if op == "statusCode":
            if args:
                if not isinstance(args[0], int | float):
                    return ("error", "statusCode: a number expected")
                response.status = int(args[0])
                return ("none", None)
            return ("value", response.status)
        if op == "data":
            if response.data is None:
                response.data = {}
            return ("table", response.data)
        if op == "body":
            if args:
                response.body = str(args[0]).encode("latin-1")
                return ("none", None)
            if response.body is None and response.stream is not None:
                # no-op: lura's `Io` read whole (proxy/response.go), through trio
                response.body = trio.from_thread.run(read_stream, response.stream)
            return ("value", (response.body or b"").decode("latin-1"))
        if response.headers is None:
            response.headers = []
        return _headers(response.headers, op, args)

    # ---- ctx (router/gin/lua.go, the `modifier/lua-endpoint` request, before routing's body)
    def ctx(self, op: str, count: int, *args: Any) -> tuple[str, Any]:
        args = args[: int(count)]
        admission = self.admission
        if admission is None:
            return ("error", "ginContext expected")
        scope = admission.scope
        if op == "method":
            if args:
                scope["method"] = from_lua_text(str(args[0]))
                return ("none", None)
            return ("value", scope["method"])
        if op == "url":
            if args:
                # url.Parse of a request URI: the path and the raw query
                target = str(args[0])
                path, _, query = target.partition("?")
                scope["path"] = from_lua_text(path)
                scope["query_string"] = query.encode("latin-1")
                return ("none", None)
            raw: bytes = scope.get("query_string", b"")
            url = to_lua_text(scope["path"]) + ("?" + raw.decode("latin-1") if raw else "")
            return ("value", url)
        if op == "host":
            if args:
                value = str(args[0]).encode("latin-1")
                admission.headers = [(k, v) for k, v in admission.headers if k != b"host"]
                admission.headers.append((b"host", value))
                return ("none", None)
            for key, value in admission.headers:
                if key == b"host":
                    return ("value", value.decode("latin-1"))
            return ("value", "")
        if op == "query":
            if not args:
                return ("error", "need arguments")
            pairs = parse_qsl(
                scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
            )
            name = str(args[0])
            if len(args) == 1:
                return ("value", next((v for k, v in pairs if k == name), ""))
            # url.Values.Set then Encode: the key's values replaced, keys sorted
            kept = [(k, v) for k, v in pairs if k != name] + [(name, str(args[1]))]
            ordered = sorted(kept, key=lambda pair: pair[0])
            scope["query_string"] = urlencode(ordered).encode("latin-1")
            return ("none", None)
        if op == "params":
            params = admission.params
            if not args:
                return ("table", dict(params))
            name = from_lua_text(str(args[0]))
            if len(args) == 1:
                return ("value", to_lua_text(params.get(name, "")))
            params[name] = from_lua_text(str(args[1]))
            return ("none", None)
        if op == "body":
            if args:
                admission.body = str(args[0]).encode("latin-1")
                return ("none", None)
            if admission.body is None:
                # gin's c.Request.Body read here, from the Lua thread; the endpoint then gets
                # what was read (or what the script set), as io.NopCloser(bytes) in KrakenD
                if admission.receive is None:
                    return ("value", "")
                read = trio.from_thread.run(_read_body, admission.receive, admission.max_body)
                if read is None:
                    self.body_too_large = True
                    return ("error", "http: request body too large")
                admission.body = read
            return ("value", admission.body.decode("latin-1"))
        headers = list(admission.headers)
        result = _headers(headers, op, args)
        admission.headers = headers
        return result


async def _read_body(receive: Any, limit: int) -> bytes | None:
    """The whole request body (what arrived, if the client left), None past `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit and size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _lua_string(value: Any) -> str:
    """gopher-lua's `LValue.String()` for what a script passes (numbers as `%.14g`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.14g}"
    if value is None:
        return "nil"
    return str(lupa51.lua_type(value) or type(value).__name__)


def _key(key: Any) -> str:
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    if isinstance(key, str):
        return from_lua_text(key)
    return str(key)


_ATOI = re.compile(r"[+-]?[0-9]+")


def _maybe_list(result: dict[str, Any]) -> Any:
    """types.go tryConvertToSlice: a table whose keys are all integers (strconv.Atoi) becomes a
    list sorted by key (holes closed up); an empty one becomes Go's nil slice (JSON null)."""
    if not all(_ATOI.fullmatch(k) for k in result):
        return result
    if not result:
        return None
    return [result[k] for k in sorted(result, key=int)]


def _headers(headers: Any, op: str, args: tuple[Any, ...]) -> tuple[str, Any]:
    if op == "headers":
        if not args:
            grouped: dict[str, list[str]] = {}
            for key, value in headers:
                grouped.setdefault(_canonical(key.decode("latin-1")), []).append(
                    value.decode("latin-1")
                )
            return ("table", grouped)
        name = str(args[0]).lower().encode("latin-1")
        if len(args) == 1:
            for key, value in headers:
                if key.lower() == name:
                    return ("value", value.decode("latin-1"))
            return ("value", "")
        kept = [(k, v) for k, v in headers if k.lower() != name]
        if args[1] is not None:
            kept.append((name, str(args[1]).encode("latin-1")))
        headers[:] = kept
        return ("none", None)
    if op == "headerList":
        if not args:
            return ("error", "need arguments")
        name = str(args[0]).lower().encode("latin-1")
        if len(args) == 1:
            return ("list", [v.decode("latin-1") for k, v in headers if k.lower() == name])
        values = args[1]
        if not isinstance(values, list):
            return ("error", "invalid header value, must be a luaList")
        kept = [(k, v) for k, v in headers if k.lower() != name]
        kept.extend((name, str(v).encode("utf-8")) for v in values)
        headers[:] = kept
        return ("none", None)
    return ("error", f"unknown method {op}")


# The API, in Lua. `py` is the Accessors (callable fields), `NIL` the luaNil value; both stay
# upvalues here, never globals. Methods are called with `:` (obj:get(k)), as in KrakenD.
PRELUDE = r"""
local py, NIL = ...
local tonumber, ipairs, math = tonumber, ipairs, math
local setmetatable, getmetatable = setmetatable, getmetatable
local tostring, error, select = tostring, error, select
local T, L, R, S = {}, {}, {}, {}
T.__index = T; L.__index = L; R.__index = R; S.__index = S
local function wrap(kind, v)
  if kind == "table" then return setmetatable({_p = v}, T)
  elseif kind == "list" then return setmetatable({_p = v}, L)
  elseif kind == "nil" then return NIL
  elseif kind == "value" then return v
  elseif kind == "error" then error(v, 3)
  end
  return nil
end
local function data(self, what)
  local mt = getmetatable(self)
  if mt ~= what then error(what == T and "luaTable expected" or "luaList expected", 3) end
  return self._p
end
local function unwrap(v)
  if v == NIL then return nil end
  local mt = getmetatable(v)
  if mt == T or mt == L then return v._p end
  return v
end
local function args(n, want)
  if n ~= want then error("need arguments", 3) end
end
function T:get(k)
  args(select("#", self, k), 2)
  return wrap(py.tget(data(self, T), tostring(k)))
end
function T:set(k, v)
  args(select("#", self, k, v), 3)
  py.tset(data(self, T), tostring(k), unwrap(v))
end
function T:del(k) args(select("#", self, k), 2); py.tdel(data(self, T), tostring(k)) end
function T:len() return py.size(data(self, T)) end
function T:keys() return wrap(py.tkeys(data(self, T))) end
function T:keyExists(k)
  args(select("#", self, k), 2)
  return py.thas(data(self, T), tostring(k))
end
function L:get(i)
  args(select("#", self, i), 2)
  return wrap(py.lget(data(self, L), tonumber(i) or -1))
end
function L:set(i, v)
  args(select("#", self, i, v), 3)
  py.lset(data(self, L), tonumber(i) or -1, unwrap(v))
end
function L:del(i) args(select("#", self, i), 2); py.ldel(data(self, L), tonumber(i) or -1) end
function L:len() return py.size(data(self, L)) end
luaTable = {new = function() return wrap(py.new_table()) end}
luaList = {new = function() return wrap(py.new_list()) end}
luaNil = {new = function() return NIL end}
local C = {}
C.__index = C
local CALLS = {[R] = py.req, [S] = py.resp, [C] = py.ctx}
local EXPECTED = {[R] = "request expected", [S] = "response expected", [C] = "ginContext expected"}
local function method(which, name)
  local call = CALLS[which]
  return function(self, ...)
    if getmetatable(self) ~= which then
      error(EXPECTED[which], 2)
    end
    local n = select("#", ...)
    local a, b = ...
    return wrap(call(name, n, unwrap(a), unwrap(b)))
  end
end
local REQUEST_METHODS = {
  "method", "path", "query", "url", "params", "headers", "headerList", "body"
}
for _, name in ipairs(REQUEST_METHODS) do
  R[name] = method(R, name)
end
for _, name in ipairs({"isComplete", "statusCode", "data", "headers", "headerList", "body"}) do
  S[name] = method(S, name)
end
for _, name in ipairs({
  "method", "url", "host", "query", "params", "headers", "headerList", "body"
}) do
  C[name] = method(C, name)
end
local the_request, the_response = setmetatable({}, R), setmetatable({}, S)
local the_ctx = setmetatable({}, C)
request = {load = function() return the_request end}
response = {load = function() return the_response end}
ctx = {load = function() return the_ctx end}
function custom_error(...)
  local n = select("#", ...)
  local msg, status, ct = ...
  if n == 0 then error("need arguments", 2) end
  if n == 1 then error(tostring(msg) .. " || -1", 0) end
  local text = tostring(msg) .. " || " .. tostring(math.floor(tonumber(status) or 0))
  if n == 2 then error(text, 0) end
  error(text .. " || " .. tostring(ct), 0)
end
local H = {}
H.__index = H
http_response = {new = function(...)
  local kind, v = py.http_new(select("#", ...), ...)
  if kind == "http" then return setmetatable({_p = v}, H) end
  if kind == "error" then error(v, 2) end
  return nil
end}
for _, name in ipairs({"statusCode", "headers", "headerList", "body", "close"}) do
  H[name] = function(self, ...)
    if getmetatable(self) ~= H then error("response expected", 2) end
    return wrap(py.http_op(name, self._p, select("#", ...), ...))
  end
end
"""
