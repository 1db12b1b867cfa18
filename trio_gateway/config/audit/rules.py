"""The predicates of KrakenD's audit rules, over a loaded `ServiceConfig`.

Each predicate answers "does this recommendation apply?" the way krakend-audit does
(github.com/krakend/krakend-audit, rules.go over the bitsets parser.go builds). krakend-audit runs
on the configuration after lura's `Init` (`krakend audit` parses with `parser.Parse`, which calls
`Init`, then `Normalize`), so the defaults `Init` fills in count: an endpoint without `timeout`
has the service's (2 s when unset), an endpoint without `output_encoding` the service's (`json`
when unset), a backend without `method` its endpoint's.

Namespaces are read from `ExtraConfig.raw`, keyed by their v3 names exactly as KrakenD's
`Normalize` renames the legacy aliases (krakend-ce `cmd/krakend-ce/main.go`); values are read as
krakend-audit reads them from the decoded JSON: a flag counts only when it is the boolean `true`,
a size only when it is a number above zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from trio_gateway.config.model import BackendConfig, EndpointConfig, ServiceConfig

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "Predicate", "endpoint_timeout_ms"]

Predicate = Callable[[ServiceConfig], bool]

# lura config.DefaultTimeout: the service timeout when `timeout` is unset or zero.
DEFAULT_TIMEOUT_SECONDS = 2.0

# Server plugins krakend-audit tells apart (parser.go parseServerPlugin); any other name is bit 0.
SERVER_PLUGIN = "plugin/http-server"
CLIENT_PLUGIN = "plugin/http-client"
REQ_RESP_PLUGIN = "plugin/req-resp-modifier"
# The components that count as metrics for 4.1.1 / 4.1.3 (rules.go hasNoMetrics): OpenTelemetry
# is not among them (it only counts for 4.1.3 through its exporters, and for 4.2.1).
METRICS_COMPONENTS = (
    "telemetry/opencensus",
    "telemetry/metrics",
    "telemetry/newrelic",
    "telemetry/ganalytics",
    "telemetry/instana",
)


def _mapping(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _is_true(value: Any) -> bool:
    """Go's `v, ok := x.(bool); ok && v`."""
    return value is True


def _positive(value: Any) -> bool:
    """Go's `v, ok := x.(float64); ok && v > 0` (every JSON number decodes to float64)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _backends(config: ServiceConfig) -> Iterator[tuple[EndpointConfig, BackendConfig]]:
    for endpoint in config.endpoints:
        for backend in endpoint.backend:
            yield endpoint, backend


def _server_plugin_names(config: ServiceConfig) -> list[str] | None:
    """The names of `plugin/http-server` (a string or a list), or None when it gives none."""
    plugin = _mapping(config.extra_config.raw.get(SERVER_PLUGIN))
    if plugin is None:
        return None
    name = plugin.get("name")
    if isinstance(name, str):
        return [name]
    if isinstance(name, list | tuple):
        return [item for item in name if isinstance(item, str)]
    return None


def server_plugin(name: str) -> Predicate:
    """Rules 7.1.1-7.1.4 (and part of 1.1.1): the service loads the server plugin `name`."""

    def has(config: ServiceConfig) -> bool:
        return name in (_server_plugin_names(config) or ())

    return has


def client_plugin(name: str) -> Predicate:
    """Rules 7.1.5-7.1.7: `plugin/http-client` with this `name`. krakend-audit looks for it in
    the ENDPOINTS' extra_config (rules.go hasDeprecatedClientPlugin), not the backends' where
    KrakenD reads it: kept as KrakenD does, so a backend-level plugin is not reported."""

    def has(config: ServiceConfig) -> bool:
        for endpoint in config.endpoints:
            plugin = _mapping(endpoint.extra_config.raw.get(CLIENT_PLUGIN))
            if plugin is not None and plugin.get("name") == name:
                return True
        return False

    return has


def req_resp_plugin(name: str) -> Predicate:
    """Rules 7.1.8-7.1.9: `plugin/req-resp-modifier` whose `name` LIST holds `name`, on an
    endpoint or a backend (parser.go reads only a list here)."""

    def listed(raw: Mapping[str, Any]) -> bool:
        plugin = _mapping(raw.get(REQ_RESP_PLUGIN))
        names = plugin.get("name") if plugin is not None else None
        return isinstance(names, list | tuple) and name in names

    def has(config: ServiceConfig) -> bool:
        return any(
            listed(endpoint.extra_config.raw)
            or any(listed(backend.extra_config.raw) for backend in endpoint.backend)
            for endpoint in config.endpoints
        )

    return has


def has_basic_auth(config: ServiceConfig) -> bool:
    """1.1.1. krakend-audit also looks at `auth/basic`, but its parser keeps no detail of that
    namespace (parseComponents' default: an empty list), so only the `basic-auth` server plugin
    ever triggers the rule in KrakenD CE; kept so."""
    return server_plugin("basic-auth")(config)


def has_api_keys(config: ServiceConfig) -> bool:
    return "auth/api-keys" in config.extra_config.raw


def has_no_jwt(config: ServiceConfig) -> bool:
    return not any("auth/validator" in e.extra_config.raw for e in config.endpoints)


def has_insecure_connections(config: ServiceConfig) -> bool:
    client_tls = _mapping(config.client_tls) or {}
    return config.allow_insecure_connections or _is_true(
        client_tls.get("allow_insecure_connections")
    )


def has_no_tls(config: ServiceConfig) -> bool:
    return config.tls is None


def has_tls_disabled(config: ServiceConfig) -> bool:
    return config.tls is not None and _is_true(config.tls.get("disabled"))


def has_no_http_secure(config: ServiceConfig) -> bool:
    return "security/http" not in config.extra_config.raw


def has_h2c(config: ServiceConfig) -> bool:
    """2.1.8: `use_h2c` at the root, or the deprecated `router.use_h2c`."""
    router = _mapping(config.extra_config.raw.get("router")) or {}
    return config.use_h2c or _is_true(router.get("use_h2c"))


def has_backend_insecure_connections(config: ServiceConfig) -> bool:
    for _, backend in _backends(config):
        client = _mapping(backend.extra_config.raw.get("backend/http/client")) or {}
        client_tls = _mapping(client.get("client_tls")) or {}
        if _is_true(client_tls.get("allow_insecure_connections")):
            return True
    return False


def has_no_obfuscated_version_header(config: ServiceConfig) -> bool:
    router = _mapping(config.extra_config.raw.get("router"))
    return router is None or not _is_true(router.get("hide_version_header"))


def has_no_cors(config: ServiceConfig) -> bool:
    return "security/cors" not in config.extra_config.raw


def has_headers_wildcard(config: ServiceConfig) -> bool:
    return any("*" in e.input_headers for e in config.endpoints)


def has_query_string_wildcard(config: ServiceConfig) -> bool:
    return any("*" in e.input_query_strings for e in config.endpoints)


def has_empty_grpc_server(config: ServiceConfig) -> bool:
    """2.2.5: `grpc.server` is an object whose `services` list is missing or empty."""
    grpc = _mapping(config.extra_config.raw.get("grpc")) or {}
    server = _mapping(grpc.get("server"))
    if server is None:
        return False
    services = server.get("services")
    return not (isinstance(services, list | tuple) and services)


def has_unlimited_cache(config: ServiceConfig) -> bool:
    """2.3.1: a backend's `qos/http-cache` lacks a positive `max_items` or `max_size`."""
    for _, backend in _backends(config):
        if "qos/http-cache" not in backend.extra_config.raw:
            continue
        cache = _mapping(backend.extra_config.raw["qos/http-cache"]) or {}
        if not (_positive(cache.get("max_items")) and _positive(cache.get("max_size"))):
            return True
    return False


def has_botdetector_disabled(config: ServiceConfig) -> bool:
    return "security/bot-detector" not in config.extra_config.raw


def has_no_ratelimit(config: ServiceConfig) -> bool:
    """3.1.2: no rate limit anywhere: router (service or endpoint), proxy (endpoint or backend),
    `qos/ratelimit/service`, or the `redis-ratelimit` server plugin."""
    service = config.extra_config.raw
    if "qos/ratelimit/router" in service or "qos/ratelimit/service" in service:
        return False
    for endpoint in config.endpoints:
        raw = endpoint.extra_config.raw
        if "qos/ratelimit/router" in raw or "qos/ratelimit/proxy" in raw:
            return False
        if any("qos/ratelimit/proxy" in b.extra_config.raw for b in endpoint.backend):
            return False
    return "redis-ratelimit" not in (_server_plugin_names(config) or ())


def has_no_circuit_breaker(config: ServiceConfig) -> bool:
    for endpoint in config.endpoints:
        if "qos/circuit-breaker" in endpoint.extra_config.raw:
            return False
        if any("qos/circuit-breaker" in b.extra_config.raw for b in endpoint.backend):
            return False
    return True


def endpoint_timeout_ms(config: ServiceConfig, endpoint: EndpointConfig) -> int:
    """The endpoint's timeout after lura's Init, in whole milliseconds (Go's `d / time.Millisecond`
    truncates): its own, else the service's, else 2 s."""
    seconds = endpoint.timeout or config.timeout or DEFAULT_TIMEOUT_SECONDS
    if not math.isfinite(seconds):  # the loader bounds durations; never crash on one anyway
        return 0 if seconds < 0 else 2**63 - 1
    return round(seconds * 1_000_000_000) // 1_000_000


def timeout_above(limit_ms: int) -> Predicate:
    """Rules 3.3.1-3.3.4: an endpoint's timeout is strictly above `limit_ms`."""

    def has(config: ServiceConfig) -> bool:
        return any(endpoint_timeout_ms(config, e) > limit_ms for e in config.endpoints)

    return has


def has_no_metrics(config: ServiceConfig) -> bool:
    return not any(name in config.extra_config.raw for name in METRICS_COMPONENTS)


def has_telemetry_missing_name(_: ServiceConfig) -> bool:
    """4.1.2: listed by krakend-audit but never evaluated there (`// TODO: implement this
    check`, it returns false): so here too."""
    return False


def _opentelemetry_exporters(config: ServiceConfig) -> tuple[int, int, int] | None:
    """(OTLP exporters with metrics, OTLP exporters with traces, Prometheus exporters with
    metrics) of `telemetry/opentelemetry`, or None when it is absent or not an object."""
    otel = _mapping(config.extra_config.raw.get("telemetry/opentelemetry"))
    if otel is None:
        return None
    exporters = _mapping(otel.get("exporters")) or {}

    def entries(key: str) -> list[Mapping[str, Any]]:
        items = exporters.get(key)
        if not isinstance(items, list | tuple):
            return []
        return [item for item in items if isinstance(item, Mapping)]

    otlp = entries("otlp")
    metrics = sum(1 for o in otlp if not _is_true(o.get("disable_metrics")))
    traces = sum(1 for o in otlp if not _is_true(o.get("disable_traces")))
    prometheus = sum(1 for p in entries("prometheus") if not _is_true(p.get("disable_metrics")))
    return metrics, traces, prometheus


def has_several_telemetry_components(config: ServiceConfig) -> bool:
    total = sum(1 for name in METRICS_COMPONENTS if name in config.extra_config.raw)
    otel = _opentelemetry_exporters(config)
    if otel is not None:
        total += otel[0] + otel[2]
    return total > 1


def has_no_tracing(config: ServiceConfig) -> bool:
    raw = config.extra_config.raw
    if any(name in raw for name in ("telemetry/opencensus", "telemetry/newrelic")):
        return False
    if "telemetry/instana" in raw:
        return False
    otel = _opentelemetry_exporters(config)
    return otel is None or otel[1] < 1


def has_no_logging(config: ServiceConfig) -> bool:
    raw = config.extra_config.raw
    return not any(n in raw for n in ("telemetry/logging", "telemetry/gelf", "telemetry/logstash"))


def has_restful_disabled(config: ServiceConfig) -> bool:
    return config.disable_rest


def has_debug_enabled(config: ServiceConfig) -> bool:
    return config.debug_endpoint


def has_echo_enabled(config: ServiceConfig) -> bool:
    return config.echo_endpoint


def has_endpoint_wildcard(config: ServiceConfig) -> bool:
    return any(e.endpoint.endswith("*") for e in config.endpoints)


def has_endpoint_catch_all(config: ServiceConfig) -> bool:
    return any(e.endpoint == "/__catchall" for e in config.endpoints)


def _unsafe_backends(endpoint: EndpointConfig) -> int:
    """Backends whose method (their own, else the endpoint's) is not GET or HEAD; a GET/HEAD
    backend with `backend/grpc` counts too (parser.go: "we consider a gRPC call an unsafe
    method")."""
    count = 0
    for backend in endpoint.backend:
        method = backend.method or endpoint.method
        if method not in ("GET", "HEAD") or "backend/grpc" in backend.extra_config.raw:
            count += 1
    return count


def has_multiple_unsafe_methods(config: ServiceConfig) -> bool:
    return any(_unsafe_backends(e) > 1 for e in config.endpoints)


def has_sequential_proxy(config: ServiceConfig) -> bool:
    for endpoint in config.endpoints:
        proxy = _mapping(endpoint.extra_config.raw.get("proxy")) or {}
        if _is_true(proxy.get("sequential")):
            return True
    return False


def has_endpoint_without_backends(config: ServiceConfig) -> bool:
    return any(not e.backend for e in config.endpoints)


def has_a_single_backend_per_endpoint(config: ServiceConfig) -> bool:
    """5.2.2: no endpoint aggregates two backends (true as well for no endpoint at all)."""
    return not any(len(e.backend) > 1 for e in config.endpoints)


def has_all_endpoints_as_noop(config: ServiceConfig) -> bool:
    """5.2.3: every endpoint's effective output encoding is `no-op` (true for no endpoint)."""
    default = config.output_encoding or "json"
    return all((e.output_encoding or default) == "no-op" for e in config.endpoints)


def has_sequential_start(config: ServiceConfig) -> bool:
    return config.sequential_start and len(config.async_agent) >= 10


def component(name: str) -> Predicate:
    """Rules 7.2.x: the service-level namespace `name` is declared."""

    def has(config: ServiceConfig) -> bool:
        return name in config.extra_config.raw

    return has


def has_deprecated_tls_keys(config: ServiceConfig) -> bool:
    """7.3.1: `tls.public_key` or `tls.private_key` is a non-empty string."""
    if config.tls is None:
        return False
    return any(
        isinstance(config.tls.get(key), str) and config.tls.get(key) != ""
        for key in ("public_key", "private_key")
    )
