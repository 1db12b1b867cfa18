"""KrakenD's core namespaces (lura's own, not components): structured into `ExtraConfig` fields
and read by the plan compiler; their checks are part of `validate.py`'s core checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trio_gateway.config.model import (
    BackendHTTPClientConfig,
    BackendHTTPConfig,
    ProxyConfig,
    RouterConfig,
)
from trio_gateway.namespace import Level, Namespace
from trio_gateway.proxy import graphql

__all__ = ["CORE_ATTRIBUTES", "CORE_NAMESPACES"]

_GH = "github.com/devopsfaith/"

CORE_NAMESPACES: tuple[Namespace[Any], ...] = (
    Namespace(
        name="router",
        levels=frozenset({Level.SERVICE}),
        config=RouterConfig,
        aliases=("github_com/luraproject/lura/router/gin",),
    ),
    Namespace(
        name="proxy",
        levels=frozenset({Level.ENDPOINT, Level.BACKEND}),
        config=ProxyConfig,
        aliases=(_GH + "krakend/proxy",),
    ),
    Namespace(
        name="backend/http",
        levels=frozenset({Level.BACKEND}),
        config=BackendHTTPConfig,
        aliases=(_GH + "krakend/http",),
    ),
    Namespace(
        name="backend/http/client",
        levels=frozenset({Level.BACKEND}),
        config=BackendHTTPClientConfig,
    ),
    # lura's proxy/graphql.go: a core middleware, compiled into the backend call (plan.py)
    graphql.NAMESPACE_ENTRY,
)

# canonical name -> the `ExtraConfig` field it is structured into
CORE_ATTRIBUTES: Mapping[str, str] = {
    "router": "router",
    "proxy": "proxy",
    "backend/http": "backend_http",
    "backend/http/client": "backend_http_client",
}
