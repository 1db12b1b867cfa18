"""Configurations for the library API: validate one built in Python, or coerce any accepted form."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from trio_gateway.config.diagnostics import ConfigError
from trio_gateway.config.load import LoadedConfig, load_config, load_config_data
from trio_gateway.config.model import ServiceConfig
from trio_gateway.config.validate import validate

__all__ = ["ConfigSource", "coerce_config", "validate_config"]

ConfigSource = str | os.PathLike[str] | Mapping[str, Any] | ServiceConfig | LoadedConfig
"""What `open_gateway` accepts: a file path, a JSON-shaped mapping, a `ServiceConfig` built in
Python, or an already loaded configuration."""


def validate_config(config: ServiceConfig, *, source: str = "<ServiceConfig>") -> LoadedConfig:
    """Check a configuration built in Python from the `trio_gateway.config` attrs classes.

    The semantic checks are those of `load_config` and `trio-gateway check` (undefined
    placeholders, bad hosts, conflicting routes, ...), with the same messages and JSON paths.

    Args:
        source: the name diagnostics and the `ConfigError` carry.

    Raises:
        ConfigError: every error found, plus the warnings.
    """
    diagnostics = validate(config)
    if any(d.is_error for d in diagnostics):
        raise ConfigError(diagnostics, source)
    return LoadedConfig(config=config, warnings=tuple(diagnostics), source=source)


def coerce_config(config: ConfigSource) -> LoadedConfig:
    """Load, check or pass through `config`, whatever form it comes in (see `ConfigSource`), to
    serve it: what KrakenD tolerates at start (an endpoint's unreadable JWK file: 401 there) is
    a warning, as for `trio-gateway run`."""
    if isinstance(config, LoadedConfig):
        return config
    if isinstance(config, ServiceConfig):
        return validate_config(config)
    if isinstance(config, Mapping):
        return load_config_data(config, for_serving=True)
    return load_config(config, for_serving=True)
