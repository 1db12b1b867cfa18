"""The order of a request's layers is written once (stack.py): this table pins it."""

from __future__ import annotations

import ast
from pathlib import Path

from trio_gateway import stack
from trio_gateway.config.core_namespaces import CORE_NAMESPACES
from trio_gateway.config.known import KNOWN
from trio_gateway.namespace import Slot

ORDER = [
    (Slot.SERVICE, "telemetry/metrics"),
    (Slot.SERVICE, "telemetry/influx"),
    (Slot.SERVICE, "auth/revoker"),
    (Slot.SERVICE_LAYER, "telemetry/opentelemetry: global"),
    (Slot.SERVICE_LAYER, "telemetry/opencensus: router"),
    (Slot.SERVICE_GUARD, "security/cors"),
    (Slot.SERVICE_GUARD, "security/http"),
    (Slot.SERVICE_GUARD, "security/bot-detector"),
    # krakend-ce router_engine.go: service-level Lua is a gin middleware, before every handler
    (Slot.ENDPOINT_GUARD, "modifier/lua-endpoint (service)"),
    (Slot.ENDPOINT_GUARD, "security/bot-detector"),
    (Slot.ENDPOINT_GUARD, "telemetry/metrics (router)"),
    (Slot.ENDPOINT_GUARD, "auth/validator"),
    (Slot.ENDPOINT_GUARD, "auth/api-keys"),
    (Slot.ENDPOINT_GUARD, "auth/basic"),
    (Slot.ENDPOINT_GUARD, "modifier/lua-endpoint"),
    (Slot.ENDPOINT_GUARD, "qos/ratelimit/router"),
    (Slot.ENDPOINT_GUARD, "qos/ratelimit/router/redis"),
    (Slot.RESPONDER, "auth/signer"),
    (Slot.ENDPOINT_LAYER, "telemetry/opentelemetry: proxy"),
    (Slot.ENDPOINT_LAYER, "telemetry/opencensus: pipe"),
    (Slot.ENDPOINT_LAYER, "telemetry/metrics (pipe)"),
    (Slot.ENDPOINT_LAYER, "modifier/python"),
    (Slot.ENDPOINT_LAYER, "modifier/lua-proxy"),
    (Slot.ENDPOINT_LAYER, "validation/cel"),
    (Slot.ENDPOINT_LAYER, "validation/json-schema"),
    (Slot.ENDPOINT_LAYER, "proxy: shadow backends"),
    (Slot.ENDPOINT_LAYER, "proxy: static"),
    (Slot.ENDPOINT_LAYER, "proxy: endpoint flatmap_filter"),
    (Slot.BACKEND_LAYER, "telemetry/opentelemetry: backend"),
    (Slot.BACKEND_LAYER, "telemetry/opencensus: backend"),
    (Slot.BACKEND_LAYER, "modifier/python"),
    (Slot.BACKEND_LAYER, "concurrent_calls"),
    (Slot.BACKEND_LAYER, "telemetry/metrics (backend)"),
    (Slot.BACKEND_LAYER, "qos/circuit-breaker"),
    (Slot.BACKEND_LAYER, "qos/ratelimit/proxy"),
    (Slot.BACKEND_LAYER, "qos/ratelimit/proxy/redis"),
    (Slot.BACKEND_LAYER, "modifier/lua-backend"),
    (Slot.BACKEND_LAYER, "validation/cel"),
    (Slot.CLIENT_WRAPPER, "modifier/martian"),
    (Slot.CLIENT_WRAPPER, "telemetry/opencensus: client"),
    (Slot.CLIENT_WRAPPER, "telemetry/opentelemetry: client"),
    (Slot.CLIENT_WRAPPER, "qos/http-cache"),
    (Slot.CLIENT_WRAPPER, "auth/client-credentials"),
]


def test_the_order() -> None:
    assert [(layer.slot, layer.name) for layer in stack.layers()] == ORDER


def test_each_tuple_holds_its_slot_only() -> None:
    for slot, entries in (
        (Slot.SERVICE, stack.SERVICES),
        (Slot.SERVICE_LAYER, stack.SERVICE_LAYERS),
        (Slot.SERVICE_GUARD, stack.SERVICE_GUARDS),
        (Slot.ENDPOINT_GUARD, stack.ENDPOINT_GUARDS),
        (Slot.RESPONDER, stack.RESPONDERS),
        (Slot.ENDPOINT_LAYER, stack.ENDPOINT_LAYERS),
        (Slot.BACKEND_LAYER, stack.BACKEND_LAYERS),
        (Slot.CLIENT_WRAPPER, stack.CLIENT_WRAPPERS),
    ):
        assert {entry.slot for entry in entries} == {slot}


CORE = {namespace.name for namespace in CORE_NAMESPACES}


def test_the_registry_is_the_stack_plus_the_core() -> None:
    names = set(stack.REGISTRY.names)
    assert {"router", "proxy", "backend/http", "backend/http/client", "backend/graphql"} == CORE
    assert names == {
        *CORE,
        *(layer.namespace.name for layer in stack.layers() if layer.namespace is not None),
        *(namespace.name for namespace in stack.SERVICE_SETTINGS),
    }
    # implemented and "not implemented" never overlap
    assert not names & {known.name for known in KNOWN}
    # every config class names the namespace it is read from
    for namespace in stack.REGISTRY:
        if namespace.name not in ("router", "proxy", "backend/http", "backend/http/client"):
            assert namespace.name == namespace.config.NAMESPACE


def test_each_component_namespace_is_declared_in_one_module() -> None:
    # One module owns each namespace: its config class is defined where its Namespace is.
    for namespace in stack.REGISTRY:
        if namespace.name in CORE:  # lura's own: compiled into the plan, no layer
            continue
        layers = [lay for lay in stack.layers() if lay.namespace is namespace]
        modules = {lay.build.__module__ for lay in layers}
        if namespace in stack.SERVICE_SETTINGS:  # no layer: its check is where its config is
            assert not layers, namespace.name
            if namespace.check is not None:
                assert namespace.check.__module__ == namespace.config.__module__, namespace.name
            continue
        assert len(modules) == 1, namespace.name
        assert namespace.config.__module__ in modules, namespace.name


def test_stack_py_is_the_only_place_that_lists_the_layers() -> None:
    # No other module builds a guard or layer of another namespace by name.
    root = Path(stack.__file__).parent
    for path in root.rglob("*.py"):
        if path.name == "stack.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            is_slot = isinstance(node, ast.Attribute) and (
                isinstance(node.value, ast.Name) and node.value.id == "Slot"
            )
            if (
                isinstance(node, ast.Attribute)
                and not is_slot
                and node.attr
                in (
                    "GUARD",
                    "LAYER",
                    "WRAPPER",
                    "RESPONDER",
                    "SERVICE_GUARD",
                    "ENDPOINT_GUARD",
                    "ENDPOINT_LAYER",
                    "BACKEND_LAYER",
                )
            ):
                raise AssertionError(f"{path}: refers to {node.attr}; only stack.py may")
