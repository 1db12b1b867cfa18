"""trio-gateway: a KrakenD-compatible API gateway on trio and hypercorn.

`app` is an ASGI application for `hypercorn trio_gateway:app --worker-class trio`: at startup it
loads the configuration named by `$TRIO_GATEWAY_CONFIG` (else `./krakend.json`, else
`/etc/krakend/krakend.json`; a broken or missing one exits with status 3).
Creating it is cheap: nothing is read or built until the server's lifespan startup.

The rest is the library API (see `docs/library.md`): load or build a configuration, then drive the
gateway from Python with `open_gateway` (no server in between), call backends ad hoc with
`aggregate`, or embed the HTTP server in your own nursery with `Gateway.serve`.
"""

from __future__ import annotations

from trio_gateway._version import __version__ as __version__
from trio_gateway.config.diagnostics import ConfigError as ConfigError
from trio_gateway.config.diagnostics import Diagnostic as Diagnostic
from trio_gateway.config.load import LoadedConfig as LoadedConfig
from trio_gateway.config.load import load_config as load_config
from trio_gateway.config.load import load_config_data as load_config_data
from trio_gateway.config.model import BackendConfig as BackendConfig
from trio_gateway.config.model import EndpointConfig as EndpointConfig
from trio_gateway.config.model import ExtraConfig as ExtraConfig
from trio_gateway.config.model import ProxyConfig as ProxyConfig
from trio_gateway.config.model import Seconds as Seconds
from trio_gateway.config.model import ServiceConfig as ServiceConfig
from trio_gateway.edge.app import GatewayApp as GatewayApp
from trio_gateway.errors import GatewayError as GatewayError
from trio_gateway.library import AggregateResult as AggregateResult
from trio_gateway.library import ConfigSource as ConfigSource
from trio_gateway.library import Gateway as Gateway
from trio_gateway.library import GatewayResponse as GatewayResponse
from trio_gateway.library import aggregate as aggregate
from trio_gateway.library import open_gateway as open_gateway
from trio_gateway.library import validate_config as validate_config
from trio_gateway.serving.tuning import exit_on_startup_failure as _exit_on_startup_failure
from trio_gateway.serving.tuning import start_entry_point as _start_entry_point

__all__ = [
    "AggregateResult",
    "BackendConfig",
    "ConfigError",
    "ConfigSource",
    "Diagnostic",
    "EndpointConfig",
    "ExtraConfig",
    "Gateway",
    "GatewayApp",
    "GatewayError",
    "GatewayResponse",
    "LoadedConfig",
    "ProxyConfig",
    "Seconds",
    "ServiceConfig",
    "__version__",
    "aggregate",
    "app",
    "load_config",
    "load_config_data",
    "open_gateway",
    "validate_config",
]

# Built now, loaded, tuned and its logging set up at its lifespan startup: importing trio_gateway
# changes nothing in hypercorn or in logging (the serving process does: serving/tuning.py).
app = GatewayApp(on_startup=_start_entry_point, on_startup_failure=_exit_on_startup_failure)
