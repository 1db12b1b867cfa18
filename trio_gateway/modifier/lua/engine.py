"""Which lupa runtime runs the scripts: `lupa.lua51` (gopher-lua, KrakenD's VM, is Lua 5.1)
when the installed wheel ships it, else lupa's default runtime (Lua 5.4 in lupa 2.x)."""

from __future__ import annotations

from types import ModuleType

__all__ = ["LUA_VERSION", "lupa51"]

lupa51: ModuleType
try:
    import lupa.lua51 as _lua51  # type: ignore[import-untyped]

    lupa51 = _lua51
except ImportError:  # pragma: no cover - every lupa>=2.0 wheel we know ships lua51
    import lupa as _default

    lupa51 = _default

LUA_VERSION: str = str(lupa51.LuaRuntime().lua_implementation)
