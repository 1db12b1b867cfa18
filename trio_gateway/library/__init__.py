"""The gateway as a library: the same pipeline that serves HTTP, driven from Python.

- `validate_config`: check a `ServiceConfig` built in Python, as `trio-gateway check` would.
- `open_gateway`: `async with open_gateway(config) as gw: await gw.handle("GET", "/path")`.
- `aggregate`: ad-hoc backend calls merged with the gateway's building blocks.
- `Gateway.serve`: embed the HTTP server in your own nursery.

See `docs/library.md`.
"""

from __future__ import annotations

from trio_gateway.library.aggregate import AggregateResult as AggregateResult
from trio_gateway.library.aggregate import aggregate as aggregate
from trio_gateway.library.aggregate import aggregate_config as aggregate_config
from trio_gateway.library.config import ConfigSource as ConfigSource
from trio_gateway.library.config import validate_config as validate_config
from trio_gateway.library.gateway import Gateway as Gateway
from trio_gateway.library.gateway import GatewayResponse as GatewayResponse
from trio_gateway.library.gateway import open_gateway as open_gateway

__all__ = [
    "AggregateResult",
    "ConfigSource",
    "Gateway",
    "GatewayResponse",
    "aggregate",
    "aggregate_config",
    "open_gateway",
    "validate_config",
]
