"""The `extra_config` namespace registry: canonical names, legacy aliases, levels and status.

KrakenD CE accepts every namespace under its v3 name (`qos/circuit-breaker`) and under its legacy
long name (`github.com/devopsfaith/krakend-circuitbreaker/gobreaker`); lura's
`ExtraConfig.Normalize` folds the two together (krakend-components.md §1.1). Here the *short* v3
name is canonical: aliases are renamed to it, and `ExtraConfig.raw` is keyed by it.

Status of each namespace in trio-gateway:

* `implemented`: structured into a typed class of `model.py` and honoured at run time;
* `not-implemented`: a KrakenD CE namespace that trio-gateway accepts but ignores for now (`check`
  warns);
* `enterprise`: KrakenD Enterprise only; never honoured (`check` warns).

Any other key is an unknown namespace (`check` warns, with a did-you-mean). Keys starting with
`@`, `$`, `_` or `#` are comments, everywhere, and are skipped silently (KrakenD's schema allows
them).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from trio_gateway.config.model import (
    BackendHTTPClientConfig,
    BackendHTTPConfig,
    BotDetectorConfig,
    CircuitBreakerConfig,
    CORSConfig,
    HTTPCacheConfig,
    HTTPSecureConfig,
    JWTSignerConfig,
    JWTValidatorConfig,
    ProxyConfig,
    PythonHookConfig,
    RateLimitProxyConfig,
    RateLimitRouterConfig,
    RouterConfig,
)

__all__ = [
    "ALIASES",
    "IMPLEMENTED",
    "NAMESPACES",
    "V2_NAMESPACES",
    "Level",
    "Namespace",
    "Status",
    "canonical_name",
    "is_comment_key",
    "lookup",
]


class Level(enum.Enum):
    """Where an `extra_config` object sits."""

    SERVICE = "service"
    ENDPOINT = "endpoint"
    BACKEND = "backend"
    ASYNC_AGENT = "async_agent"


class Status(enum.Enum):
    """What trio-gateway does with a namespace."""

    IMPLEMENTED = "implemented"
    NOT_IMPLEMENTED = "not-implemented"
    ENTERPRISE = "enterprise"


@attrs.frozen(kw_only=True)
class Namespace:
    """One known namespace.

    Attributes:
        name: canonical (v3 short) name.
        levels: where KrakenD reads it; elsewhere it is ignored.
        status: see the module docstring.
        aliases: legacy names accepted by KrakenD for the same namespace.
    """

    name: str
    levels: frozenset[Level]
    status: Status
    aliases: tuple[str, ...] = ()


_S, _E, _B, _A = Level.SERVICE, Level.ENDPOINT, Level.BACKEND, Level.ASYNC_AGENT
_ANY = frozenset({_S, _E, _B})


def _ns(name: str, levels: set[Level], status: Status, *aliases: str) -> Namespace:
    return Namespace(name=name, levels=frozenset(levels), status=status, aliases=aliases)


_IMPL, _TODO, _EE = Status.IMPLEMENTED, Status.NOT_IMPLEMENTED, Status.ENTERPRISE
_GH, _GHU = "github.com/devopsfaith/", "github_com/devopsfaith/"

# Legacy names: krakend-ce `cmd/krakend-ce/main.go` alias table.
_TABLE: tuple[Namespace, ...] = (
    # implemented by trio-gateway
    _ns("router", {_S}, _IMPL, "github_com/luraproject/lura/router/gin"),
    _ns("proxy", {_E, _B}, _IMPL, _GH + "krakend/proxy"),
    _ns("backend/http", {_B}, _IMPL, _GH + "krakend/http"),
    _ns("backend/http/client", {_B}, _IMPL),
    # KrakenD CE, accepted and ignored for now
    _ns("plugin/http-server", {_S}, _TODO, _GHU + "krakend/transport/http/server/handler"),
    _ns("plugin/http-client", {_B}, _TODO, _GH + "krakend/transport/http/client/executor"),
    _ns("plugin/req-resp-modifier", {_E, _B}, _TODO, _GH + "krakend/proxy/plugin"),
    _ns("qos/http-cache", {_B}, _IMPL, _GH + "krakend-httpcache"),
    _ns("qos/circuit-breaker", {_B}, _IMPL, _GH + "krakend-circuitbreaker/gobreaker"),
    _ns("qos/ratelimit/router", {_E}, _IMPL),
    _ns("qos/ratelimit/proxy", {_B}, _IMPL),
    # service level only carries `shared_cache_duration`
    _ns("auth/validator", {_S, _E}, _IMPL, _GH + "krakend-jose/validator"),
    _ns("auth/signer", {_E}, _IMPL, _GH + "krakend-jose/signer"),
    _ns("auth/revoker", {_S}, _TODO, _GHU + "bloomfilter"),
    _ns("auth/client-credentials", {_B}, _TODO, _GH + "krakend-oauth2-clientcredentials"),
    _ns("security/cors", {_S}, _IMPL, _GHU + "krakend-cors"),
    _ns("security/http", {_S}, _IMPL, _GHU + "krakend-httpsecure"),
    _ns("security/bot-detector", {_S, _E}, _IMPL, _GHU + "krakend-botdetector"),
    _ns("validation/cel", {_E, _B}, _TODO, _GH + "krakend-cel"),
    _ns("validation/json-schema", {_E}, _TODO, _GH + "krakend-jsonschema"),
    _ns("modifier/lua-endpoint", {_S, _E}, _TODO, _GH + "krakend-lua/router"),
    _ns("modifier/lua-proxy", {_E}, _TODO, _GH + "krakend-lua/proxy"),
    _ns("modifier/lua-backend", {_B}, _TODO, _GH + "krakend-lua/proxy/backend"),
    _ns("modifier/martian", {_B}, _TODO, _GH + "krakend-martian"),
    # trio-gateway's own Python hooks (docs/hooks.md)
    _ns("modifier/python", {_E, _B}, _IMPL),
    _ns("telemetry/logging", {_S}, _TODO, _GHU + "krakend-gologging"),
    _ns("telemetry/gelf", {_S}, _TODO, _GHU + "krakend-gelf"),
    _ns("telemetry/logstash", {_S}, _TODO, _GHU + "krakend-logstash"),
    _ns("telemetry/metrics", {_S}, _TODO, _GHU + "krakend-metrics"),
    _ns(
        "telemetry/influx",
        {_S},
        _TODO,
        "github_com/letgoapp/krakend-influx",
        _GHU + "krakend-influx",
    ),
    _ns("telemetry/opencensus", {_S}, _TODO, _GHU + "krakend-opencensus"),
    _ns("telemetry/opentelemetry", {_S}, _TODO),
    _ns("async/amqp", {_A}, _TODO, _GH + "krakend-amqp/agent"),
    _ns("backend/amqp/consumer", {_B}, _TODO, _GH + "krakend-amqp/consume"),
    _ns("backend/amqp/producer", {_B}, _TODO, _GH + "krakend-amqp/produce"),
    _ns("backend/lambda", {_B}, _TODO, _GH + "krakend-lambda"),
    _ns("backend/pubsub/publisher", {_B}, _TODO, _GH + "krakend-pubsub/publisher"),
    _ns("backend/pubsub/subscriber", {_B}, _TODO, _GH + "krakend-pubsub/subscriber"),
    _ns("backend/graphql", {_B}, _TODO, _GH + "krakend/transport/http/client/graphql"),
    # KrakenD Enterprise only (krakend-components.md §28); levels are not checked for these
    *(
        _ns(name, set(_ANY), _EE)
        for name in (
            "auth/api-keys",
            "auth/aws-sigv4",
            "auth/basic",
            "auth/gcp",
            "auth/ntlm",
            "backend/grpc",
            "backend/static-filesystem",
            "documentation/openapi",
            "governance/processors",
            "governance/quota",
            "grpc",
            "modifier/jmespath",
            "plugin/middleware",
            "qos/circuit-breaker/http",
            "qos/ratelimit/router/redis",
            "qos/ratelimit/service",
            "qos/ratelimit/service/redis",
            "qos/ratelimit/tiered",
            "redis",
            "security/policies",
            "server/static-filesystem",
            "validation/response-json-schema",
            "websocket",
        )
    ),
)

NAMESPACES: Mapping[str, Namespace] = {ns.name: ns for ns in _TABLE}
ALIASES: Mapping[str, str] = {alias: ns.name for ns in _TABLE for alias in ns.aliases}

# KrakenD v2 names that KrakenD v3 no longer accepts (silently ignored there).
V2_NAMESPACES: Mapping[str, str] = {
    _GH + "krakend-ratelimit/juju/router": "qos/ratelimit/router",
    _GH + "krakend-ratelimit/juju/proxy": "qos/ratelimit/proxy",
    _GHU + "krakend-ratelimit/juju/router": "qos/ratelimit/router",
    _GHU + "krakend-ratelimit/juju/proxy": "qos/ratelimit/proxy",
}

# canonical name -> (ExtraConfig attribute, class it is structured into)
IMPLEMENTED: Mapping[str, tuple[str, type]] = {
    "router": ("router", RouterConfig),
    "proxy": ("proxy", ProxyConfig),
    "backend/http": ("backend_http", BackendHTTPConfig),
    "backend/http/client": ("backend_http_client", BackendHTTPClientConfig),
    "qos/ratelimit/router": ("ratelimit_router", RateLimitRouterConfig),
    "qos/ratelimit/proxy": ("ratelimit_proxy", RateLimitProxyConfig),
    "qos/circuit-breaker": ("circuit_breaker", CircuitBreakerConfig),
    "qos/http-cache": ("http_cache", HTTPCacheConfig),
    "auth/validator": ("jwt_validator", JWTValidatorConfig),
    "auth/signer": ("jwt_signer", JWTSignerConfig),
    "security/cors": ("cors", CORSConfig),
    "security/http": ("http_secure", HTTPSecureConfig),
    "security/bot-detector": ("bot_detector", BotDetectorConfig),
    "modifier/python": ("python_hooks", PythonHookConfig),
}

_COMMENT_PREFIXES = ("@", "$", "_", "#")


def is_comment_key(key: str) -> bool:
    """Whether `key` is a comment (`@comment`, `$note`, `_x`, `#x`), ignored everywhere."""
    return key.startswith(_COMMENT_PREFIXES)


def canonical_name(key: str) -> str:
    """Return the canonical name of a namespace key (aliases renamed, anything else unchanged)."""
    return ALIASES.get(key, key)


def lookup(key: str) -> Namespace | None:
    """Return the known namespace for `key` (canonical name or alias), or None if unknown."""
    return NAMESPACES.get(canonical_name(key))
