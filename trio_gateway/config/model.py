"""The KrakenD v3 configuration, as frozen attrs classes.

Rule 1: these classes mirror the JSON file, key for key (field name == KrakenD key), and hold what
the user wrote. Defaults that KrakenD derives (port 0 -> 8080, timeout 0 -> 2 s, inheritance
service -> endpoint -> backend) are *not* applied here: the compiled plan (`trio_gateway.plan`) does
that, so `check -d` can show both what was written and what will run.

Rule 2: durations are Go duration strings in the file (`"1500ms"`, `"1m30s"`) and floats of seconds
here (`Seconds`). `None` means "not set" wherever KrakenD distinguishes unset from zero.

Every `extra_config` is an `ExtraConfig`: the namespaces trio-gateway implements are structured into
their own classes (`router`, `proxy`, `backend/http`, ...), and every namespace, known or not, is
kept raw in `ExtraConfig.raw` under its canonical name so later layers and `check -d` can see it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NewType, TypeVar

import attrs

T = TypeVar("T")

# The methods KrakenD serves endpoints for (lura router/gin); others are dropped at start.
SUPPORTED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

__all__ = [
    "SUPPORTED_METHODS",
    "BackendConfig",
    "BackendHTTPClientConfig",
    "BackendHTTPConfig",
    "EndpointConfig",
    "ExtraConfig",
    "FlatmapOperation",
    "ProxyConfig",
    "RouterConfig",
    "Seconds",
    "ServiceConfig",
    "StaticConfig",
]

# A Go duration string (`"2s"`, `"1m30s"`, `"150us"`) converted to float seconds by the converter.
Seconds = NewType("Seconds", float)


def frozen_dict() -> Mapping[str, Any]:
    return {}


@attrs.frozen(kw_only=True)
class RouterConfig:
    """`extra_config.router` (service level): the gin engine options of KrakenD (reference §7.4)."""

    return_error_msg: bool = False
    disable_health: bool = False
    health_path: str = "/__health"
    hide_version_header: bool = False
    auto_options: bool = False
    disable_access_log: bool = False
    logger_skip_paths: tuple[str, ...] = ()
    # None = KrakenD's (gin's) default, which is "on" / "all proxies trusted".
    forwarded_by_client_ip: bool | None = None
    remote_ip_headers: tuple[str, ...] | None = None
    trusted_proxies: tuple[str, ...] | None = None
    app_engine: bool = False
    max_multipart_memory: int = 0
    remove_extra_slash: bool = False
    disable_redirect_trailing_slash: bool = False
    disable_redirect_fixed_path: bool = False
    disable_handle_method_not_allowed: bool = False
    disable_path_decoding: bool = False
    use_h2c: bool = False
    # CE only: {"404": <any JSON>, "405": <any JSON>} replaces the plain-text bodies.
    error_body: Mapping[str, Any] | None = None
    # An Enterprise key that trio-gateway supports: the largest request body in bytes (413
    # beyond it); None = our default of 32 MiB, 0 = no limit.
    max_payload: int | None = None


@attrs.frozen(kw_only=True)
class StaticConfig:
    """`extra_config.proxy.static`: data injected into the response by `strategy`."""

    strategy: str = "always"
    data: Mapping[str, Any] = attrs.field(factory=frozen_dict)


@attrs.frozen(kw_only=True)
class FlatmapOperation:
    """One `flatmap_filter` item: `{"type": "move", "args": ["a.b", "c"]}`."""

    type: str
    args: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class ProxyConfig:
    """`extra_config.proxy` (endpoint and backend level)."""

    # endpoint level
    sequential: bool = False
    sequential_propagated_params: tuple[str, ...] = ()
    static: StaticConfig | None = None
    flatmap_filter: tuple[FlatmapOperation, ...] = ()
    combiner: str = ""
    # backend level
    shadow: bool = False
    shadow_timeout: Seconds | None = None


@attrs.frozen(kw_only=True)
class BackendHTTPConfig:
    """`extra_config."backend/http"` (backend level): how backend errors reach the client."""

    return_error_code: bool = False
    # None = key absent. KrakenD consults `return_error_code` only when this key is absent.
    return_error_details: str | None = None


@attrs.frozen(kw_only=True)
class BackendHTTPClientConfig:
    """`extra_config."backend/http/client"` (backend level)."""

    send_body_on_redirect: bool = False


@attrs.frozen(kw_only=True)
class ExtraConfig:
    """An `extra_config` object: KrakenD's core namespaces as fields, every other implemented
    namespace structured in `namespaces`, and everything as written in `raw`.

    `raw` and `namespaces` are keyed by canonical namespace name (aliases such as
    `github.com/devopsfaith/krakend/proxy` are renamed to `proxy`). A component namespace is read
    with `get(ItsConfigClass)`: each class names the namespace it is read from (`NAMESPACE`), so
    the model needs no field per component (see trio_gateway/namespace.py).
    """

    router: RouterConfig | None = None
    proxy: ProxyConfig | None = None
    backend_http: BackendHTTPConfig | None = None
    backend_http_client: BackendHTTPClientConfig | None = None
    namespaces: Mapping[str, Any] = attrs.field(factory=frozen_dict)
    raw: Mapping[str, Any] = attrs.field(factory=frozen_dict)

    @classmethod
    def of(cls, *configs: Any, **core: Any) -> ExtraConfig:
        """An ExtraConfig holding these component configs (and core ones by keyword):
        `ExtraConfig.of(CircuitBreakerConfig(max_errors=1), proxy=ProxyConfig(shadow=True))`."""
        return cls(namespaces={type(c).NAMESPACE: c for c in configs}, **core)

    def get(self, config_class: type[T]) -> T | None:
        """The structured config of the namespace `config_class` is read from, or None."""
        value = self.namespaces.get(config_class.NAMESPACE)  # type: ignore[attr-defined]
        return value if isinstance(value, config_class) else None


@attrs.frozen(kw_only=True)
class BackendConfig:
    """One entry of an endpoint's `backend` list (reference §1.4)."""

    url_pattern: str = ""
    host: tuple[str, ...] = ()
    disable_host_sanitize: bool = False
    method: str = ""
    encoding: str = ""
    is_collection: bool = False
    target: str = ""
    group: str = ""
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    mapping: Mapping[str, str] = attrs.field(factory=frozen_dict)
    sd: str = ""
    sd_scheme: str = ""
    input_headers: tuple[str, ...] = ()
    input_query_strings: tuple[str, ...] = ()
    # Accepted for compatibility; KrakenD overwrites both with the endpoint's values.
    timeout: Seconds | None = None
    concurrent_calls: int | None = None
    extra_config: ExtraConfig = attrs.field(factory=ExtraConfig)

    @property
    def is_shadow(self) -> bool:
        """A shadow backend: called, its answer ignored (`extra_config.proxy.shadow`)."""
        proxy = self.extra_config.proxy
        return proxy is not None and proxy.shadow


@attrs.frozen(kw_only=True)
class EndpointConfig:
    """One entry of `endpoints` (reference §1.3)."""

    endpoint: str
    method: str = "GET"
    backend: tuple[BackendConfig, ...] = ()
    concurrent_calls: int = 1
    timeout: Seconds | None = None
    cache_ttl: Seconds | None = None
    input_query_strings: tuple[str, ...] = ()
    input_headers: tuple[str, ...] = ()
    output_encoding: str = ""
    # Not a KrakenD endpoint key: accepted as an alias of `extra_config.proxy.sequential: true`.
    sequential_start: bool = False
    extra_config: ExtraConfig = attrs.field(factory=ExtraConfig)


@attrs.frozen(kw_only=True)
class ServiceConfig:
    """The whole file (reference §1.2)."""

    version: int
    schema: str | None = None  # "$schema" in the file
    name: str = ""
    port: int = 0
    listen_ip: str = ""
    host: tuple[str, ...] = ()
    timeout: Seconds | None = None
    cache_ttl: Seconds | None = None
    output_encoding: str = ""
    endpoints: tuple[EndpointConfig, ...] = ()
    extra_config: ExtraConfig = attrs.field(factory=ExtraConfig)
    # HTTP server
    read_timeout: Seconds | None = None
    write_timeout: Seconds | None = None
    idle_timeout: Seconds | None = None
    read_header_timeout: Seconds | None = None
    max_header_bytes: int = 0
    use_h2c: bool = False
    tls: Mapping[str, Any] | None = None
    max_shutdown_wait_time: Seconds | None = None
    # backend transport
    disable_keep_alives: bool = False
    disable_compression: bool = False
    max_idle_connections: int = 0
    max_idle_connections_per_host: int = 0
    idle_connection_timeout: Seconds | None = None
    response_header_timeout: Seconds | None = None
    expect_continue_timeout: Seconds | None = None
    dialer_timeout: Seconds | None = None
    dialer_fallback_delay: Seconds | None = None
    dialer_keep_alive: Seconds | None = None
    client_tls: Mapping[str, Any] | None = None
    allow_insecure_connections: bool = False
    dns_cache_ttl: Seconds | None = None
    # routing and built-in endpoints
    disable_rest: bool = False
    debug_endpoint: bool = False
    echo_endpoint: bool = False
    # not implemented yet; accepted so that KrakenD files load (check warns)
    async_agent: tuple[Mapping[str, Any], ...] = ()
    sequential_start: bool = False
    plugin: Mapping[str, Any] | None = None
