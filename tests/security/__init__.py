"""Shared helpers for the CORS tests (`security/cors`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trio_gateway.config.model import Seconds
from trio_gateway.security import CORS, PreflightAnswer
from trio_gateway.security.cors import CORSConfig

Headers = list[tuple[bytes, bytes]]

PREFLIGHT_VARY = b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

# krakend-ce tests/fixtures/krakend.json "security/cors".
CE_FIXTURE = CORSConfig(
    allow_origins=("*",),
    allow_methods=("POST", "GET"),
    allow_headers=("Origin", "Authorization", "Content-Type"),
    expose_headers=("Content-Length",),
    max_age=Seconds(12 * 3600.0),
)


def cors(**kwargs: Any) -> CORS:
    return CORS.from_config(CORSConfig(**kwargs))


def hdrs(**headers: str) -> Headers:
    """Request headers from keyword arguments: `access_control_request_method="GET"`."""
    return [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]


def as_dict(headers: Sequence[tuple[bytes, bytes]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers:
        assert name == name.lower(), name
        out.setdefault(name.decode(), []).append(value.decode())
    return out


def allow_headers(headers: Sequence[tuple[bytes, bytes]]) -> dict[str, list[str]]:
    return {k: v for k, v in as_dict(headers).items() if k.startswith("access-control-allow")}


def answer(layer: CORS, method: str = "OPTIONS", **headers: str) -> PreflightAnswer:
    result = layer.preflight(method, hdrs(**headers))
    assert result is not None
    return result


def answer_for(layer: CORS, headers: Headers) -> PreflightAnswer:
    result = layer.preflight("OPTIONS", headers)
    assert result is not None
    return result
