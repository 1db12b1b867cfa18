"""`check -d`: the parsed configuration with KrakenD's derived defaults filled in, as JSON data.

`model.py` keeps what the user wrote; this shows what KrakenD would run (lura `initGlobalParams`,
`initEndpointDefaults`, `initBackendDefaults`, reference §1.5): port 0 -> 8080, timeout -> 2s,
service -> endpoint -> backend inheritance of timeout, cache_ttl, output_encoding, host, method and
concurrent_calls (a backend's timeout and concurrent_calls are the endpoint's, so they are shown
there only), `no-op` output forcing `no-op` decoding, sanitized hosts, cleaned paths.
Durations are shown as Go duration strings. It is a pure function of a valid `ServiceConfig`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from trio_gateway.config.converter import duration_fields
from trio_gateway.config.durations import format_duration
from trio_gateway.config.hosts import clean_host
from trio_gateway.config.model import BackendConfig, EndpointConfig, ExtraConfig, ServiceConfig
from trio_gateway.config.placeholders import clean_path

__all__ = [
    "DEFAULT_MAX_IDLE_CONNECTIONS_PER_HOST",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "effective_config",
]

DEFAULT_PORT = 8080
DEFAULT_TIMEOUT = 2.0  # lura DefaultTimeout
DEFAULT_MAX_IDLE_CONNECTIONS_PER_HOST = 250


def effective_config(config: ServiceConfig) -> dict[str, Any]:
    """Return the configuration as JSON-ready data, with every derived default applied.

    `config` must have passed validation (hosts are sanitized here and must be valid).
    """
    written = _fields(config, skip="endpoints")
    result = {"$schema": written.pop("schema"), **written}
    timeout = config.timeout or DEFAULT_TIMEOUT
    result["port"] = config.port or DEFAULT_PORT
    result["timeout"] = format_duration(timeout)
    result["cache_ttl"] = format_duration(config.cache_ttl or 0.0)
    result["output_encoding"] = config.output_encoding or "json"
    result["host"] = [clean_host(h) for h in config.host]
    result["max_idle_connections_per_host"] = (
        config.max_idle_connections_per_host or DEFAULT_MAX_IDLE_CONNECTIONS_PER_HOST
    )
    result["endpoints"] = [_endpoint(config, e, timeout) for e in config.endpoints]
    return result


def _endpoint(config: ServiceConfig, endpoint: EndpointConfig, default_timeout: float) -> Any:
    result = _fields(endpoint, skip="backend")
    timeout = endpoint.timeout or default_timeout
    output = endpoint.output_encoding or config.output_encoding or "json"
    result["endpoint"] = clean_path(endpoint.endpoint)
    result["method"] = endpoint.method.upper()
    result["timeout"] = format_duration(timeout)
    result["cache_ttl"] = format_duration(endpoint.cache_ttl or config.cache_ttl or 0.0)
    result["output_encoding"] = output
    result["concurrent_calls"] = endpoint.concurrent_calls or 1
    result["backend"] = [_backend(config, endpoint, b, output) for b in endpoint.backend]
    return result


def _backend(
    config: ServiceConfig,
    endpoint: EndpointConfig,
    backend: BackendConfig,
    output: str,
) -> Any:
    result = _fields(backend)
    if backend.host:
        hosts = (
            list(backend.host) if backend.disable_host_sanitize else map(clean_host, backend.host)
        )
    else:
        hosts = map(clean_host, config.host)  # service hosts are always sanitized
    result["host"] = list(hosts)
    result["url_pattern"] = clean_path(backend.url_pattern)
    result["method"] = (backend.method or endpoint.method).upper()
    result["encoding"] = "no-op" if output == "no-op" else backend.encoding or "json"
    # KrakenD overwrites both with the endpoint's values (shown there), whatever the backend says;
    # written here they would be warnings, and the dump must pass `check --strict` again.
    del result["timeout"], result["concurrent_calls"]
    result["sd_scheme"] = backend.sd_scheme or "http"
    return result


def _fields(obj: Any, skip: str = "") -> dict[str, Any]:
    """An attrs instance as a dict (durations as Go strings); `skip` is filled in by the caller."""
    durations = duration_fields(type(obj))
    result: dict[str, Any] = {}
    for field in attrs.fields(type(obj)):
        value = getattr(obj, field.name)
        if field.name == skip:
            result[field.name] = None
        elif field.name in durations and value is not None:
            result[field.name] = format_duration(value)
        else:
            result[field.name] = _plain(value)
    return result


def _plain(obj: Any) -> Any:
    """attrs instances -> dicts, tuples -> lists, extra_config -> its raw namespaces."""
    if isinstance(obj, ExtraConfig):
        return _plain(obj.raw)
    if attrs.has(type(obj)):
        return _fields(obj)
    if isinstance(obj, Mapping):
        return {key: _plain(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(value) for value in obj]
    return obj
