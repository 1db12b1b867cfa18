"""KrakenD's Lua scripting (krakend-lua) on lupa's Lua 5.1: `modifier/lua-proxy` (around the
merged proxy) and `modifier/lua-backend` (around one backend call). See docs/lua.md.

config.py (the namespace object, its check, md5, the source loader), runtime.py (one sandboxed
Lua 5.1 state per request, the instruction budget, error translation), bindings.py (the
`request`/`response`/`luaTable`/`luaList`/`luaNil`/`custom_error` API), layers.py (the layers).
"""
