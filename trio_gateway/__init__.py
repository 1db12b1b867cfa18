"""trio-gateway: a KrakenD-compatible API gateway on trio and hypercorn.

`app` is an ASGI application for `hypercorn trio_gateway:app --worker-class trio`: at startup it
loads the configuration named by `$TRIO_GATEWAY_CONFIG` (the shipped demo config when unset).
Names are imported lazily so that `import trio_gateway.config` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trio_gateway._version import __version__ as __version__

if TYPE_CHECKING:
    from trio_gateway.asgi import GatewayApp as GatewayApp

__all__ = ["GatewayApp", "__version__", "app"]

_app: Any = None


def __getattr__(name: str) -> Any:
    global _app
    if name == "GatewayApp":
        from trio_gateway.asgi import GatewayApp

        return GatewayApp
    if name == "app":
        if _app is None:
            from trio_gateway.asgi import GatewayApp

            _app = GatewayApp()
        return _app
    raise AttributeError(f"module 'trio_gateway' has no attribute {name!r}")
