"""`run --workers N` says once which state each worker keeps for itself (shared_state.py)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from trio_gateway.config import load_config_data
from trio_gateway.plan import compile_plan
from trio_gateway.serving.shared_state import per_process_namespaces, warn_per_process_state


def _plan(endpoint_extra: dict[str, Any], backend_extra: dict[str, Any]) -> Any:
    data = {
        "version": 3,
        "extra_config": {
            "redis": {"connection_pools": [{"name": "r", "address": "127.0.0.1:6379"}]}
        },
        "endpoints": [
            {
                "endpoint": "/a",
                "extra_config": endpoint_extra,
                "backend": [
                    {
                        "host": ["http://127.0.0.1:8000"],
                        "url_pattern": "/",
                        "extra_config": backend_extra,
                    }
                ],
            }
        ],
    }
    return compile_plan(load_config_data(data).config)


def test_the_per_process_namespaces_of_a_plan() -> None:
    plan = _plan(
        {"qos/ratelimit/router": {"max_rate": 1}},
        {"qos/circuit-breaker": {"max_errors": 1}, "qos/http-cache": {}},
    )
    assert per_process_namespaces(plan) == [
        "qos/ratelimit/router",
        "qos/circuit-breaker",
        "qos/http-cache",
    ]


def test_redis_limits_are_shared_and_not_listed() -> None:
    plan = _plan({"qos/ratelimit/router/redis": {"connection_name": "r", "max_rate": 1}}, {})
    assert per_process_namespaces(plan) == []


def test_redis_backend_limit_and_cache_are_shared_and_not_listed() -> None:
    plan = _plan(
        {},
        {
            "qos/ratelimit/proxy/redis": {"connection_name": "r", "max_rate": 1},
            "qos/http-cache": {"connection_name": "r", "max_items": 1, "max_size": 1},
        },
    )
    assert per_process_namespaces(plan) == []


@pytest.mark.parametrize(("workers", "warned"), [(1, False), (2, True)])
def test_one_warning_with_more_than_one_worker(
    caplog: pytest.LogCaptureFixture, workers: int, warned: bool
) -> None:
    plan = _plan({}, {"qos/ratelimit/proxy": {"max_rate": 1}})
    with caplog.at_level(logging.WARNING, logger="trio_gateway.serving.shared_state"):
        warn_per_process_state(plan, workers)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == int(warned)
    if warned:
        assert "rate limits, circuit breakers and caches are per process" in messages[0]
        assert "qos/ratelimit/proxy" in messages[0]


@pytest.mark.parametrize(("connection_name", "warned"), [("", True), ("r", False)])
def test_a_revoker_without_redis_is_per_worker(
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    connection_name: str,
    warned: bool,
) -> None:
    monkeypatch.setenv("TRIO_GATEWAY_REVOKER_SECRET", "a-secret-of-16-chars-or-more")
    revoker = {
        "N": 10,
        "P": 0.01,
        "hash_name": "optimal",
        "TTL": 60,
        "port": 7000,
        "token_keys": ["jti"],
        "connection_name": connection_name,
    }
    data = {
        "version": 3,
        "extra_config": {
            "auth/revoker": revoker,
            "redis": {"connection_pools": [{"name": "r", "address": "127.0.0.1:6379"}]},
        },
        "endpoints": [],
    }
    plan = compile_plan(load_config_data(data).config)
    with caplog.at_level(logging.WARNING, logger="trio_gateway.serving.shared_state"):
        warn_per_process_state(plan, 3)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == int(warned)
    if warned:
        assert "auth/revoker keeps one filter per worker" in messages[0]
        assert "7000 to 7002" in messages[0]
