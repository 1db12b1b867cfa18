"""KrakenD v3 configuration: the model, loading and checking.

`load_config(path)` reads a `krakend.json` (or `.yaml` / `.toml`), applies `FC_*` flexible
configuration and `KRAKEND_*` overrides, and returns a `LoadedConfig` or raises a `ConfigError`
listing every problem with its JSON path. See `docs/configuration.md`.
"""

from __future__ import annotations

from trio_gateway.config.diagnostics import ConfigError as ConfigError
from trio_gateway.config.diagnostics import Diagnostic as Diagnostic
from trio_gateway.config.durations import format_duration as format_duration
from trio_gateway.config.durations import parse_duration as parse_duration
from trio_gateway.config.load import LoadedConfig as LoadedConfig
from trio_gateway.config.load import load_config as load_config
from trio_gateway.config.load import load_config_data as load_config_data
from trio_gateway.config.model import BackendConfig as BackendConfig
from trio_gateway.config.model import BackendHTTPClientConfig as BackendHTTPClientConfig
from trio_gateway.config.model import BackendHTTPConfig as BackendHTTPConfig
from trio_gateway.config.model import EndpointConfig as EndpointConfig
from trio_gateway.config.model import ExtraConfig as ExtraConfig
from trio_gateway.config.model import FlatmapOperation as FlatmapOperation
from trio_gateway.config.model import ProxyConfig as ProxyConfig
from trio_gateway.config.model import RouterConfig as RouterConfig
from trio_gateway.config.model import Seconds as Seconds
from trio_gateway.config.model import ServiceConfig as ServiceConfig
from trio_gateway.config.model import StaticConfig as StaticConfig

__all__ = [
    "BackendConfig",
    "BackendHTTPClientConfig",
    "BackendHTTPConfig",
    "ConfigError",
    "Diagnostic",
    "EndpointConfig",
    "ExtraConfig",
    "FlatmapOperation",
    "LoadedConfig",
    "ProxyConfig",
    "RouterConfig",
    "Seconds",
    "ServiceConfig",
    "StaticConfig",
    "format_duration",
    "load_config",
    "load_config_data",
    "parse_duration",
]
