"""KrakenD's Lua scripting (krakend-lua) on lupa's Lua 5.1: `modifier/lua-proxy` (around the
merged proxy), `modifier/lua-backend` (around one backend call) and `modifier/lua-endpoint` (on
the routed request). See docs/lua.md.

config.py (the namespace object, its check, md5, the source loader), runtime.py (one sandboxed
Lua 5.1 state per request, the instruction budget, error translation), bindings.py (the
`request`/`response`/`ctx`/`luaTable`/`luaList`/`luaNil`/`custom_error` API), layers.py (the
proxy and backend layers), router.py (the lua-endpoint guard), engine.py (which lupa runtime).
"""
