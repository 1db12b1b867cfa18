"""trio-gateway: a KrakenD-compatible API gateway on trio and hypercorn.

`app` is an ASGI application for `hypercorn trio_gateway:app --worker-class trio`: at startup it
loads the configuration named by `$TRIO_GATEWAY_CONFIG` (the shipped demo config when unset).
Creating it is cheap: nothing is read or built until the server's lifespan startup.
"""

from __future__ import annotations

from trio_gateway import hypercorn_tuning
from trio_gateway._version import __version__ as __version__
from trio_gateway.asgi import GatewayApp as GatewayApp

__all__ = ["GatewayApp", "__version__", "app"]

app = GatewayApp()

# Cheaper response writing in hypercorn's trio worker (see hypercorn_tuning's docstring); this
# import is what `hypercorn trio_gateway:app` runs, so it is applied here.
hypercorn_tuning.apply()
