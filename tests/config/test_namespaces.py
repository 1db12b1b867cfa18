"""The namespace registry: aliases, levels, statuses."""

from __future__ import annotations

import pytest

from trio_gateway.config.namespaces import (
    ALIASES,
    IMPLEMENTED,
    NAMESPACES,
    Level,
    Status,
    canonical_name,
    is_comment_key,
    lookup,
)
from trio_gateway.config.unknown_keys import NAMESPACE_KEYS
from trio_gateway.namespace import reads_itself

# krakend-components.md §1.1: every CE namespace, by its v3 name.
CE_NAMESPACES = [
    "router",
    "proxy",
    "backend/http",
    "backend/http/client",
    "plugin/http-server",
    "plugin/http-client",
    "plugin/req-resp-modifier",
    "qos/http-cache",
    "qos/circuit-breaker",
    "qos/ratelimit/router",
    "qos/ratelimit/proxy",
    "auth/validator",
    "auth/signer",
    "auth/revoker",
    "auth/client-credentials",
    "security/cors",
    "security/http",
    "security/bot-detector",
    "validation/cel",
    "validation/json-schema",
    "modifier/lua-endpoint",
    "modifier/lua-proxy",
    "modifier/lua-backend",
    "modifier/martian",
    "telemetry/logging",
    "telemetry/gelf",
    "telemetry/logstash",
    "telemetry/metrics",
    "telemetry/influx",
    "telemetry/opencensus",
    "telemetry/opentelemetry",
    "async/amqp",
    "backend/amqp/consumer",
    "backend/amqp/producer",
    "backend/lambda",
    "backend/pubsub/publisher",
    "backend/pubsub/subscriber",
    "backend/graphql",
]


@pytest.mark.parametrize("name", [*CE_NAMESPACES, "modifier/python"])
def test_every_ce_namespace_is_known_and_not_enterprise(name: str) -> None:
    namespace = lookup(name)
    assert namespace is not None
    assert namespace.status is not Status.ENTERPRISE


def test_implemented_namespaces() -> None:
    implemented = {n for n, ns in NAMESPACES.items() if ns.status is Status.IMPLEMENTED}
    assert implemented == {
        "router",
        "proxy",
        "backend/http",
        "backend/http/client",
        "qos/ratelimit/router",
        "qos/ratelimit/proxy",
        "qos/ratelimit/proxy/redis",
        "qos/ratelimit/router/redis",
        "redis",
        "qos/circuit-breaker",
        "qos/http-cache",
        "validation/json-schema",
        "validation/cel",
        "auth/validator",
        "auth/signer",
        "security/cors",
        "security/http",
        "security/bot-detector",
        "modifier/python",
        "backend/graphql",
        "telemetry/metrics",
        "telemetry/influx",
        "telemetry/logging",
        "telemetry/gelf",
        "telemetry/logstash",
        "telemetry/opentelemetry",
        "telemetry/opencensus",
        "modifier/martian",
        "auth/client-credentials",
        "auth/api-keys",
        "auth/basic",
        "auth/revoker",
        "modifier/lua-proxy",
        "modifier/lua-backend",
        "modifier/lua-endpoint",
    }
    assert set(IMPLEMENTED) == implemented
    # the unknown-key walker knows the keys of each (proxy has per-level keys; a JSON schema
    # or a list of expressions has none)
    self_reading = {n for n, cls in IMPLEMENTED.items() if reads_itself(cls)}
    assert self_reading == {"validation/json-schema", "validation/cel", "modifier/martian"}
    assert set(NAMESPACE_KEYS) | {"proxy"} | self_reading == implemented


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("github.com/devopsfaith/krakend/proxy", "proxy"),
        ("github_com/luraproject/lura/router/gin", "router"),
        ("github.com/devopsfaith/krakend/http", "backend/http"),
        ("github.com/devopsfaith/krakend-jose/validator", "auth/validator"),
        ("github_com/devopsfaith/krakend-cors", "security/cors"),
        ("github_com/letgoapp/krakend-influx", "telemetry/influx"),
        ("github.com/devopsfaith/krakend-lua/proxy/backend", "modifier/lua-backend"),
    ],
)
def test_aliases(alias: str, canonical: str) -> None:
    assert canonical_name(alias) == canonical
    namespace = lookup(alias)
    assert namespace is not None
    assert namespace.name == canonical


def test_aliases_point_to_known_namespaces_and_are_not_names() -> None:
    assert set(ALIASES.values()) <= set(NAMESPACES)
    assert not set(ALIASES) & set(NAMESPACES)


def test_unknown_names_are_unchanged() -> None:
    assert canonical_name("made/up") == "made/up"
    assert lookup("made/up") is None


@pytest.mark.parametrize(
    ("name", "levels"),
    [
        ("router", {Level.SERVICE}),
        ("proxy", {Level.ENDPOINT, Level.BACKEND}),
        ("backend/http", {Level.BACKEND}),
        ("qos/ratelimit/router", {Level.ENDPOINT}),
        ("auth/validator", {Level.SERVICE, Level.ENDPOINT}),
        ("async/amqp", {Level.ASYNC_AGENT}),
    ],
)
def test_levels(name: str, levels: set[Level]) -> None:
    assert NAMESPACES[name].levels == levels


@pytest.mark.parametrize(
    ("key", "comment"),
    [("@c", True), ("$ref", True), ("_x", True), ("#x", True), ("proxy", False), ("a@b", False)],
)
def test_comment_keys(key: str, comment: bool) -> None:
    assert is_comment_key(key) is comment
