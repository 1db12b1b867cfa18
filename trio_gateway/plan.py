"""Compile a validated `ServiceConfig` into what runs: plans with every default filled in.

Rule 1: this is the one place where KrakenD's derived values are applied (port 0 -> 8080,
timeout -> 2 s, service -> endpoint -> backend inheritance of timeout, cache_ttl, output_encoding,
host and method, `no-op` output forcing `no-op` decoding) and where URL templates, header filters
and manipulation steps are compiled, so the request path only substitutes and filters.

Rule 2: plans are pure data plus pure functions; nothing here opens a socket. The ASGI edge turns
plans into proxies bound to an HTTP client.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import attrs

from trio_gateway._version import __version__
from trio_gateway.auth.claims import jwt_params
from trio_gateway.config.hosts import clean_host
from trio_gateway.config.model import (
    SUPPORTED_METHODS,
    BackendConfig,
    EndpointConfig,
    ExtraConfig,
    FlatmapOperation,
    ProxyConfig,
    RouterConfig,
    ServiceConfig,
    StaticConfig,
)
from trio_gateway.config.placeholders import clean_path, endpoint_params
from trio_gateway.encoding import OUTPUT_ENCODINGS, RENDERERS, get_decoder
from trio_gateway.proxy.backend import BackendCall
from trio_gateway.proxy.dnssrv import DnsDiscovery, dns_ttl
from trio_gateway.proxy.flatmap import compile_flatmap
from trio_gateway.proxy.formatter import Formatter, compile_formatter
from trio_gateway.proxy.graphql import GraphQLConfig, compile_graphql
from trio_gateway.proxy.request import ALL, HeaderForwarder, UrlTemplate, placeholder_key
from trio_gateway.proxy.sequential import Replacement, replacements_for
from trio_gateway.routing.clientip import ClientIPResolver
from trio_gateway.routing.router import RouterOptions
from trio_gateway.transport import Origin, split_url

__all__ = ["DEFAULT_PORT", "DEFAULT_TIMEOUT", "EndpointPlan", "GatewayPlan", "compile_plan"]

DEFAULT_PORT = 8080  # lura: port 0 -> 8080
DEFAULT_TIMEOUT = 2.0  # lura DefaultTimeout
DEFAULT_MAX_IDLE_PER_HOST = 250  # lura: max_idle_connections_per_host 0 -> 250
# Ours (KrakenD CE has no body limit): big enough for ordinary uploads, small enough that a
# flood of large bodies cannot exhaust memory. `router.max_payload` changes it (0 = no limit).
DEFAULT_MAX_BODY = 32 * 1024 * 1024
DEFAULT_MAX_HEADER_BYTES = 1024 * 1024  # Go's http.DefaultMaxHeaderBytes, as KrakenD
USER_AGENT = f"trio-gateway/{__version__}".encode()


@attrs.frozen(kw_only=True)
class EndpointPlan:
    """One endpoint, ready to serve."""

    method: str
    path: str  # the endpoint as written (with {params}), cleaned
    timeout: float
    cache_ttl: float
    output_encoding: str
    headers: HeaderForwarder
    # endpoint input_query_strings: None forwards everything ("*"); empty forwards nothing
    query_strings: frozenset[str] | None
    backends: tuple[BackendCall, ...]
    params: tuple[str, ...] = ()
    sequential: bool = False
    sequential_replacements: tuple[tuple[Replacement, ...], ...] = ()
    # endpoint-level flatmap_filter (applied after a complete merge of >1 backend)
    flatmap: Formatter | None = None
    static: StaticConfig | None = None
    # shadow backends, removed from `backends`, with their timeouts
    shadows: tuple[BackendCall, ...] = ()
    shadow_timeouts: tuple[float, ...] = ()
    # `JWT.<claim>` params the backends' url_patterns use (filled from a validated token)
    jwt_params: tuple[str, ...] = ()
    # The endpoint's `extra_config`: its namespaces' layers read their configs from it
    # (trio_gateway/stack.py).
    extra: ExtraConfig = attrs.field(factory=ExtraConfig)

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


@attrs.frozen(kw_only=True)
class ServerTLS:
    """HTTPS for the gateway itself (the service's `tls` block)."""

    certfile: str
    keyfile: str
    client_ca: str | None = None  # `enable_mtls`: clients must present a certificate from these


def server_tls(tls: Mapping[str, Any] | None) -> ServerTLS | None:
    """KrakenD's `tls` block: `public_key`/`private_key` (or the first of `keys`); `disabled`
    turns it off; `enable_mtls` with `ca_certs` requires client certificates. `check` reports
    a block without keys (KrakenD fails at start: `public key not defined`)."""
    if not tls or tls.get("disabled") is True:
        return None
    public, private = tls.get("public_key"), tls.get("private_key")
    if not (public and private) and tls.get("keys"):
        first = tls["keys"][0]
        public, private = first.get("public_key"), first.get("private_key")
    if not (isinstance(public, str) and isinstance(private, str) and public and private):
        return None
    ca_certs = tls.get("ca_certs") or ()
    client_ca = ca_certs[0] if tls.get("enable_mtls") is True and ca_certs else None
    return ServerTLS(certfile=public, keyfile=private, client_ca=client_ca)


@attrs.frozen(kw_only=True)
class GatewayPlan:
    """The whole gateway: endpoints plus the service-level options the edge needs."""

    name: str
    port: int
    listen_ip: str
    endpoints: tuple[EndpointPlan, ...]
    router: RouterOptions
    return_error_msg: bool
    version_header: bytes
    health_path: str | None
    debug_endpoint: bool
    echo_endpoint: bool
    error_body: Mapping[str, Any] | None
    auto_options: bool
    path_decoding: bool
    client_ip: ClientIPResolver
    max_idle_per_host: int
    max_idle_total: int
    idle_timeout: float
    max_body: int = 0
    max_header_bytes: int = 0
    # Server timings (None = hypercorn's defaults): idle keep-alive, graceful shutdown.
    keep_alive_timeout: float | None = None
    shutdown_wait: float | None = None
    # Go's http.Server read/write limits (None = not set; serving/limits.py says what applies).
    read_timeout: float | None = None
    read_header_timeout: float | None = None
    write_timeout: float | None = None
    # Cleartext HTTP/2 (root `use_h2c`, or the router's older key).
    use_h2c: bool = False
    tls: ServerTLS | None = None
    client_tls: Mapping[str, Any] | None = None
    allow_insecure_connections: bool = False
    # The service's `extra_config` (the service guards read it).
    extra: ExtraConfig = attrs.field(factory=ExtraConfig)
    disable_access_log: bool = False
    logger_skip_paths: frozenset[str] = frozenset()


def _origins(hosts: tuple[str, ...], sanitize: bool) -> tuple[tuple[Origin, str], ...]:
    if sanitize:
        return tuple((Origin.parse(clean_host(h)), "") for h in hosts)
    # Verbatim hosts may carry a path (`http://h/prefix`), prepended to the url_pattern.
    origins = []
    for host in hosts:
        origin, target = split_url(host if "://" in host else "http://" + host)
        origins.append((origin, target.decode("ascii").rstrip("/")))
    return tuple(origins)


def _discovery(
    service: ServiceConfig, backend: BackendConfig, hosts: tuple[str, ...], sanitize: bool
) -> DnsDiscovery | None:
    """`"sd": "dns"`: lura's dnssrv looks up `Host[0]` after the config's host cleaning, so a
    sanitized host (`http://name`) is no DNS name and never resolves (`check` warns)."""
    if backend.sd != "dns" or not hosts:
        return None
    name = hosts[0]
    if sanitize:
        # `check` refuses a host that does not clean; its lookup fails like any invalid name
        with contextlib.suppress(ValueError):
            name = clean_host(name)
    return DnsDiscovery(
        name=name, scheme=backend.sd_scheme or "http", ttl=dns_ttl(service.dns_cache_ttl)
    )


def _backend(
    service: ServiceConfig, endpoint: EndpointConfig, backend: BackendConfig, output_encoding: str
) -> BackendCall:
    method = (backend.method or endpoint.method).upper()
    hosts = backend.host or service.host
    # The service host list is always sanitized, even when a backend disables sanitizing.
    sanitize = not backend.disable_host_sanitize or not backend.host
    discovery = _discovery(service, backend, hosts, sanitize)
    encoding = "no-op" if output_encoding == "no-op" else (backend.encoding or "json").lower()
    url_pattern = clean_path(backend.url_pattern or "/")
    names = {
        placeholder_key(p): p
        for p in endpoint_params(clean_path(endpoint.endpoint), service.disable_rest)
    }
    extra = backend.extra_config
    http = extra.backend_http
    graphql_config = extra.get(GraphQLConfig)
    graphql = compile_graphql(graphql_config, names) if graphql_config is not None else None
    if graphql is not None:
        method = graphql.method  # lura's GraphQL middleware sets the backend request's method
    formatter = None
    if encoding != "no-op":
        flatmap = _flatmap(extra.proxy.flatmap_filter if extra.proxy else ())
        formatter = compile_formatter(
            target=backend.target,
            allow=backend.allow,
            deny=backend.deny,
            mapping=backend.mapping,
            group=backend.group,
            flatmap=flatmap,
        )
    return BackendCall(
        name=f"{method} {url_pattern}",
        method=method,
        url=UrlTemplate(url_pattern, names),
        origins=() if discovery is not None else _origins(hosts, sanitize),
        discovery=discovery,
        decoder=get_decoder(encoding),
        is_collection=backend.is_collection,
        formatter=formatter,
        input_headers=(
            frozenset(h.lower().encode("utf-8") for h in backend.input_headers)
            if backend.input_headers
            else None
        ),
        input_query_strings=frozenset(backend.input_query_strings)
        if backend.input_query_strings
        else None,
        return_error_code=http.return_error_code if http else False,
        return_error_details=http.return_error_details if http else None,
        concurrent_calls=max(endpoint.concurrent_calls, 1),
        keep_body=encoding == "no-op",
        extra=extra,
        graphql=graphql,
    )


def _render_name(output_encoding: str, endpoint: EndpointConfig) -> str:
    """lura's `getRender`: an unknown output encoding of a single-backend endpoint falls back to
    the renderer named like the backend's encoding (`string`, `xml`), else to JSON."""
    if output_encoding in OUTPUT_ENCODINGS or len(endpoint.backend) != 1:
        return output_encoding
    backend_encoding = endpoint.backend[0].encoding
    return backend_encoding if backend_encoding in RENDERERS else output_encoding


def _flatmap(operations: tuple[FlatmapOperation, ...]) -> Formatter | None:
    if not operations:
        return None
    return compile_flatmap([(op.type, op.args) for op in operations])


def _endpoint(service: ServiceConfig, endpoint: EndpointConfig) -> EndpointPlan:
    path = clean_path(endpoint.endpoint)
    timeout = endpoint.timeout or service.timeout or DEFAULT_TIMEOUT
    cache_ttl = endpoint.cache_ttl or service.cache_ttl or 0.0
    output_encoding = endpoint.output_encoding or service.output_encoding or "json"
    output_encoding = _render_name(output_encoding, endpoint)
    queries = endpoint.input_query_strings
    proxy = endpoint.extra_config.proxy or ProxyConfig()
    active = [b for b in endpoint.backend if not b.is_shadow]
    shadows = [b for b in endpoint.backend if b.is_shadow]
    return EndpointPlan(
        method=endpoint.method.upper(),
        path=path,
        timeout=timeout,
        cache_ttl=cache_ttl,
        output_encoding=output_encoding,
        headers=HeaderForwarder(endpoint.input_headers, USER_AGENT),
        query_strings=None if ALL in queries else frozenset(queries),
        backends=tuple(_backend(service, endpoint, b, output_encoding) for b in active),
        params=endpoint_params(path, service.disable_rest),
        sequential=(proxy.sequential or endpoint.sequential_start) and len(active) > 1,
        sequential_replacements=replacements_for(
            [clean_path(b.url_pattern or "/") for b in active], proxy.sequential_propagated_params
        ),
        flatmap=_flatmap(proxy.flatmap_filter),
        static=proxy.static,
        shadows=tuple(_backend(service, endpoint, b, output_encoding) for b in shadows),
        shadow_timeouts=tuple(
            (b.extra_config.proxy.shadow_timeout if b.extra_config.proxy else None) or timeout
            for b in shadows
        ),
        jwt_params=jwt_params(b.url_pattern for b in active),
        extra=endpoint.extra_config,
    )


def compile_plan(
    service: ServiceConfig, *, debug: bool = False, port: int | None = None
) -> GatewayPlan:
    """Compile a config that `validate` accepted.

    Args:
        debug: `run -d`: turns the `/__debug/` endpoint on, as KrakenD's flag does.
        port: `run -p`: overrides the configured port.
    """
    router = service.extra_config.router or RouterConfig()
    endpoints = tuple(
        _endpoint(service, e) for e in service.endpoints if e.method.upper() in SUPPORTED_METHODS
    )
    version = b"Version undefined" if router.hide_version_header else b"Version " + USER_AGENT
    return GatewayPlan(
        name=service.name,
        port=port if port is not None else (service.port or DEFAULT_PORT),
        listen_ip=service.listen_ip,
        endpoints=endpoints,
        router=RouterOptions(
            redirect_trailing_slash=not router.disable_redirect_trailing_slash,
            redirect_fixed_path=not router.disable_redirect_fixed_path,
            handle_method_not_allowed=not router.disable_handle_method_not_allowed,
            remove_extra_slash=router.remove_extra_slash,
        ),
        return_error_msg=router.return_error_msg,
        version_header=version,
        health_path=None if router.disable_health else (router.health_path or "/__health"),
        debug_endpoint=debug or service.debug_endpoint,
        echo_endpoint=service.echo_endpoint,
        error_body=router.error_body,
        auto_options=router.auto_options,
        path_decoding=not router.disable_path_decoding,
        client_ip=ClientIPResolver(
            forwarded_by_client_ip=(
                True if router.forwarded_by_client_ip is None else router.forwarded_by_client_ip
            ),
            remote_ip_headers=(
                ("X-Forwarded-For", "X-Real-IP")
                if router.remote_ip_headers is None
                else router.remote_ip_headers
            ),
            trusted_proxies=router.trusted_proxies or None,
        ),
        max_idle_per_host=service.max_idle_connections_per_host or DEFAULT_MAX_IDLE_PER_HOST,
        max_idle_total=service.max_idle_connections,
        idle_timeout=service.idle_connection_timeout or 90.0,
        max_body=router.max_payload if router.max_payload is not None else DEFAULT_MAX_BODY,
        max_header_bytes=service.max_header_bytes or DEFAULT_MAX_HEADER_BYTES,
        keep_alive_timeout=service.idle_timeout or None,
        shutdown_wait=service.max_shutdown_wait_time or None,
        read_timeout=service.read_timeout or None,
        read_header_timeout=service.read_header_timeout or None,
        write_timeout=service.write_timeout or None,
        use_h2c=service.use_h2c or router.use_h2c,
        tls=server_tls(service.tls),
        client_tls=service.client_tls,
        allow_insecure_connections=service.allow_insecure_connections,
        extra=service.extra_config,
        disable_access_log=router.disable_access_log,
        logger_skip_paths=frozenset(router.logger_skip_paths),
    )
