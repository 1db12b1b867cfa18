"""Semantic checks of a structured `ServiceConfig` (krakend-core-semantics.md §1.7–1.8, and more).

Rule 1: everything `krakend check` rejects is an error here too, with the same message where KrakenD
has a useful one (`unsupported version: 2 (want: 3)`, `host X not valid: invalid host`).

Rule 2: we are stricter where KrakenD accepts a config that can never work: routes gin would panic
on at start-up (duplicates, conflicting parameter names), methods KrakenD silently drops, endpoints
whose backends are all shadows, flatmap operations that panic per request. Those are errors.
Things KrakenD quietly ignores or replaces (a backend `timeout`, an unknown encoding) are warnings.

Rule 3: one pass, linear in the size of the config (a 1,000-endpoint file checks in milliseconds).
"""

from __future__ import annotations

import ipaddress

import attrs

from trio_gateway.config.diagnostics import (
    Diagnostic,
    PathSegment,
    Report,
    did_you_mean,
    format_path,
)
from trio_gateway.config.hosts import clean_host
from trio_gateway.config.model import (
    SUPPORTED_METHODS,
    BackendConfig,
    EndpointConfig,
    ServiceConfig,
)
from trio_gateway.config.placeholders import (
    backend_placeholders,
    clean_path,
    endpoint_params,
    gin_path,
    is_invalid_endpoint_path,
    is_sequential_or_jwt,
)
from trio_gateway.config.routes import Route, route_diagnostics
from trio_gateway.config.validate_extra import (
    check_backend_proxy,
    check_endpoint_proxy,
    negative_durations,
    sequential_placeholder,
)
from trio_gateway.config.validate_files import check_files
from trio_gateway.config.validate_security import check_server_tls
from trio_gateway.encoding import BACKEND_ENCODINGS, OUTPUT_ENCODINGS
from trio_gateway.namespace import Level, Where
from trio_gateway.stack import REGISTRY
from trio_gateway.transport.srv import is_domain_name

__all__ = ["validate"]

_HOST_HINT = (
    "a host is [http://|https://]name[:port] with a lower-case scheme, no path, no user-info"
)
_HEALTH = "the health endpoint ($.extra_config.router.health_path)"


def validate(config: ServiceConfig) -> list[Diagnostic]:
    """Return every semantic problem of `config`: service, then each endpoint, then routes."""
    report = Report()
    _check_service(config, report)
    _check_namespaces(Where(path=(), level=Level.SERVICE, service=config), report)
    check_server_tls(config.tls, report)
    check_files(config, report)
    routes: list[Route] = []
    router = config.extra_config.router
    if router is None or not router.disable_health:
        health = router.health_path if router is not None else "/__health"
        if health.startswith("/"):
            routes.append(Route(method="GET", gin_path=health, shown=health, where=_HEALTH))
        else:
            report.error(
                ("extra_config", "router", "health_path"),
                f'health_path "{health}" must begin with "/" (gin panics at start-up)',
            )
    for index, endpoint in enumerate(config.endpoints):
        route = _check_endpoint(config, endpoint, ("endpoints", index), report)
        if route is not None:
            routes.append(route)
    report.items.extend(route_diagnostics(routes))
    return report.items


def _check_service(config: ServiceConfig, report: Report) -> None:
    if config.version != 3:
        report.error(("version",), f"unsupported version: {config.version} (want: 3)")
    if config.listen_ip and not _is_go_ip(config.listen_ip):
        report.error(("listen_ip",), f"invalid ip address {config.listen_ip}")
    if not 0 <= config.port <= 65535:
        report.error(("port",), f"port {config.port} out of range (0-65535)")
    for index, host in enumerate(config.host):
        _check_host(host, ("host", index), report)
    _check_output_encoding(config.output_encoding, ("output_encoding",), report)
    client_tls = config.client_tls or {}
    if config.allow_insecure_connections or client_tls.get("allow_insecure_connections") is True:
        where = ("client_tls",) if client_tls else ("allow_insecure_connections",)
        report.warning(
            where,
            "https backends are not verified (allow_insecure_connections): for tests only",
        )
    negative_durations(config, (), report)
    _check_trusted_proxies(config, report)
    if config.async_agent:
        report.warning(
            ("async_agent",), "async agents are not implemented yet by trio-gateway (ignored)"
        )
    if config.plugin is not None:
        report.warning(("plugin",), "Go plugins are not supported by trio-gateway (ignored)")


def _check_trusted_proxies(config: ServiceConfig, report: Report) -> None:
    """gin's SetTrustedProxies parses each entry as an IP or a CIDR; lura ignores its error, so a
    typo silently changes whose X-Forwarded-For is believed: refused here (found by the config
    property test: the client-IP resolver could not be built from such a file)."""
    router = config.extra_config.router
    for index, entry in enumerate(router.trusted_proxies or () if router else ()):
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            report.error(
                ("extra_config", "router", "trusted_proxies", index),
                f"trusted proxy {entry!r} is not an IP address or a CIDR",
                'write an address such as "10.0.0.1" or a network such as "10.0.0.0/8"',
            )


def _check_namespaces(where: Where, report: Report) -> None:
    """Each implemented namespace's own `check`, for the namespaces of one `extra_config` read at
    its level (one at another level is ignored by KrakenD: `unknown_keys.py` says so)."""
    if where.backend is not None:
        extra = where.backend.extra_config
    elif where.endpoint is not None:
        extra = where.endpoint.extra_config
    else:
        extra = where.service.extra_config
    for name, config in extra.namespaces.items():
        namespace = REGISTRY.get(name)
        if namespace is None or namespace.check is None or where.level not in namespace.levels:
            continue
        namespace.check(
            config, attrs.evolve(where, path=(*where.path, "extra_config", name)), report
        )


def _is_go_ip(text: str) -> bool:
    # Go's net.ParseIP: dotted IPv4 or IPv6, no zone (`%eth0`), no brackets.
    if "%" in text:
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _check_host(host: str, path: tuple[PathSegment, ...], report: Report) -> None:
    try:
        clean_host(host)
    except ValueError as exc:
        report.error(path, str(exc), _HOST_HINT)


def _check_output_encoding(value: str, path: tuple[PathSegment, ...], report: Report) -> None:
    if value and value not in OUTPUT_ENCODINGS:
        hint = did_you_mean(value, OUTPUT_ENCODINGS)
        report.warning(
            path,
            f'unknown output_encoding "{value}": KrakenD falls back to json',
            f'did you mean "{hint}"?' if hint else None,
        )


def _check_endpoint(
    config: ServiceConfig, endpoint: EndpointConfig, path: tuple[PathSegment, ...], report: Report
) -> Route | None:
    """Check one endpoint and its backends; return its route, or None if it can never be routed."""
    method = endpoint.method.upper()
    route_path = clean_path(endpoint.endpoint)
    name = f"{method} {route_path}"
    routable = _check_endpoint_path(route_path, (*path, "endpoint"), report)
    if method not in SUPPORTED_METHODS:
        routable = False
        report.error(
            (*path, "method"),
            f'unsupported method "{endpoint.method}": KrakenD silently drops endpoints whose '
            "method is not GET, POST, PUT, PATCH or DELETE, so this route would never answer",
        )
    if not endpoint.backend:
        report.error((*path, "backend"), f"the '{name}' endpoint has 0 backends defined")
    elif all(b.is_shadow for b in endpoint.backend):
        report.error(
            (*path, "backend"),
            "every backend of this endpoint is a shadow backend: KrakenD answers every request "
            "with 500",
        )
    output = endpoint.output_encoding or config.output_encoding
    _check_output_encoding(endpoint.output_encoding, (*path, "output_encoding"), report)
    if output == "no-op" and len(endpoint.backend) > 1:
        where = (*path, "output_encoding") if endpoint.output_encoding else path
        report.error(
            where,
            "can not use NoOp encoding with more than one backends connected to the same endpoint",
            None if endpoint.output_encoding else "no-op is inherited from $.output_encoding",
        )
    if endpoint.concurrent_calls < 0:
        report.error((*path, "concurrent_calls"), "concurrent_calls must not be negative")
    negative_durations(endpoint, path, report)
    params = endpoint_params(route_path, config.disable_rest)
    _check_param_suffixes(route_path, params, (*path, "endpoint"), report)
    sequential = check_endpoint_proxy(endpoint, path, report)
    _check_namespaces(
        Where(path=path, level=Level.ENDPOINT, service=config, endpoint=endpoint), report
    )
    for index, backend in enumerate(endpoint.backend):
        backend_path = (*path, "backend", index)
        _check_backend(config, backend, backend_path, output == "no-op", report)
        backend_where = Where(
            path=backend_path,
            level=Level.BACKEND,
            service=config,
            endpoint=endpoint,
            backend=backend,
        )
        _check_namespaces(backend_where, report)
        _check_placeholders(backend, index, route_path, params, sequential, backend_path, report)
    if not routable:
        return None
    shown = route_path.partition("?")[0]
    gin_route = gin_path(route_path, config.disable_rest).partition("?")[0]
    return Route(
        method=method, gin_path=gin_route, shown=shown, where=format_path((*path, "endpoint"))
    )


def _check_endpoint_path(route_path: str, path: tuple[PathSegment, ...], report: Report) -> bool:
    if route_path.endswith("*") and "*" not in route_path[:-1]:
        report.error(
            path,
            f'invalid endpoint path "{route_path}": wildcard routes are not supported '
            "(KrakenD CE panics registering an unnamed wildcard)",
        )
        return False
    if is_invalid_endpoint_path(route_path):
        if "*" in route_path:
            why = '"*" is only allowed as the last character, and wildcards are not supported'
        else:
            why = "paths ending in /__debug, /__echo or /__health are reserved"
        report.error(path, f'invalid endpoint path "{route_path}": {why}')
        return False
    return True


def _check_param_suffixes(
    route_path: str, params: tuple[str, ...], path: tuple[PathSegment, ...], report: Report
) -> None:
    """Warn when text follows a `{param}` in its segment: gin's parameter then gets another name."""
    route = route_path.partition("?")[0]
    for name in dict.fromkeys(params):
        start = route.find("{" + name + "}")
        if start < 0:
            continue
        end = start + len(name) + 2
        suffix = route[end:].partition("/")[0]
        if suffix and "{" not in suffix:
            report.warning(
                path,
                f'parameter {{{name}}} is followed by "{suffix}" in the same segment: gin names '
                f'the parameter "{name}{suffix}", so {{{name}}} never gets a value',
                f"make {{{name}}} a whole path segment",
            )


def _check_backend(
    config: ServiceConfig,
    backend: BackendConfig,
    path: tuple[PathSegment, ...],
    noop_output: bool,
    report: Report,
) -> None:
    if not backend.disable_host_sanitize:
        for index, host in enumerate(backend.host):
            _check_host(host, (*path, "host", index), report)
    if not backend.host and not config.host:
        report.warning(
            (*path, "host"),
            "no host for this backend and none at service level: every request would fail with "
            '"no hosts available"',
        )
    encoding = backend.encoding.lower()
    if encoding and encoding not in BACKEND_ENCODINGS:
        hint = did_you_mean(encoding, BACKEND_ENCODINGS)
        report.warning(
            (*path, "encoding"),
            f'unknown encoding "{backend.encoding}": KrakenD falls back to json',
            f'did you mean "{hint}"?' if hint else None,
        )
    elif noop_output and encoding and encoding != "no-op":
        report.warning(
            (*path, "encoding"),
            f"ignored: the endpoint output_encoding is no-op, so KrakenD decodes this backend as "
            f'no-op, not "{backend.encoding}"',
        )
    if backend.timeout is not None:
        report.warning((*path, "timeout"), "ignored: KrakenD always uses the endpoint's value")
    if backend.concurrent_calls is not None:
        if backend.concurrent_calls < 0:
            report.error((*path, "concurrent_calls"), "concurrent_calls must not be negative")
        report.warning(
            (*path, "concurrent_calls"), "ignored: KrakenD always uses the endpoint's value"
        )
    if backend.allow and backend.deny:
        report.warning((*path, "deny"), "ignored: KrakenD ignores deny when allow is not empty")
    if backend.sd == "dns":
        _check_dns_discovery(config, backend, path, report)
    elif backend.sd and backend.sd != "static":
        # lura's `sd` picks how hosts are found; "dns" reads SRV records (krakend-ce's
        # sd/dnssrv); others are KrakenD EE's. Calling the hosts as written instead would send
        # requests elsewhere.
        report.error(
            (*path, "sd"),
            f'service discovery "{backend.sd}" is not implemented by trio-gateway: refused, '
            "because its backends would be called at the hosts as written",
            'list the hosts in `host` with "sd": "static", use "sd": "dns" for DNS SRV, or set '
            "TRIO_GATEWAY_ALLOW_UNENFORCED=sd to serve them as written",
            code=f"unenforced:sd={backend.sd}",
        )
    negative_durations(backend, path, report)
    check_backend_proxy(backend, path, report)


def _check_dns_discovery(
    config: ServiceConfig,
    backend: BackendConfig,
    path: tuple[PathSegment, ...],
    report: Report,
) -> None:
    """`"sd": "dns"` loads in KrakenD whatever the host; these are the cases where it then fails
    every request with "no hosts available" (or an unsupported scheme), so warnings, not errors."""
    hosts = backend.host or config.host
    if not hosts:
        return  # the "no host" warning above says it
    # lura looks up Host[0] after cleaning; cleaning adds "http://", which is no DNS name.
    sanitized = not backend.disable_host_sanitize or not backend.host
    name = hosts[0]
    if sanitized:
        try:
            name = clean_host(name)
        except ValueError:
            return  # refused by the host check
    where = (*path, "host", 0) if backend.host else ("host", 0)
    if not is_domain_name(name):
        hint = (
            'add "disable_host_sanitize": true and list the SRV name as it is '
            '(e.g. "_api._tcp.example.com")'
            if sanitized
            else 'list the SRV name alone, without scheme or port (e.g. "_api._tcp.example.com")'
        )
        report.warning(
            where,
            f'"sd": "dns" looks up "{name}", which is no DNS name: every request fails with '
            '"no hosts available"',
            hint,
        )
    if len(hosts) > 1:
        report.warning(
            (*path, "host") if backend.host else ("host",),
            f'"sd": "dns" looks up the first host only; the other {len(hosts) - 1} are ignored',
        )
    scheme = (backend.sd_scheme or "http").lower()
    if scheme not in ("http", "https"):
        report.warning(
            (*path, "sd_scheme"),
            f'sd_scheme "{backend.sd_scheme}" is not http or https: every call to a discovered '
            "host fails",
        )


def _check_placeholders(
    backend: BackendConfig,
    index: int,
    route_path: str,
    params: tuple[str, ...],
    sequential: bool,
    path: tuple[PathSegment, ...],
    report: Report,
) -> None:
    declared = frozenset(params)
    for name in dict.fromkeys(backend_placeholders(backend.url_pattern)):
        if is_sequential_or_jwt(name):
            sequential_placeholder(name, index, sequential, (*path, "url_pattern"), report)
        elif name not in declared:
            report.error(
                (*path, "url_pattern"),
                f"undefined placeholder {{{name}}}: not an endpoint parameter",
                _placeholder_hint(name, route_path, params),
            )


def _placeholder_hint(name: str, route_path: str, params: tuple[str, ...]) -> str:
    close = did_you_mean(name, params)
    if close is not None:
        return f"did you mean {{{close}}}?"
    if "{" + name + "}" in route_path:
        return (
            f"{{{name}}} is not a parameter of the endpoint in strict REST mode (it must be a "
            "whole path segment); move it to its own segment or set disable_rest: true"
        )
    if name.startswith("resp") and name[4:].isdigit():
        return "sequential placeholders name a field: {resp0_field}"
    if params:
        return "the endpoint declares " + ", ".join("{" + p + "}" for p in dict.fromkeys(params))
    return "the endpoint declares no parameters"
