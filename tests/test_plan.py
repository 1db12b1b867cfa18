"""The compiled plan: KrakenD's derived defaults and inheritance (reference §1.5)."""

from __future__ import annotations

from typing import Any

from trio_gateway.config import load_config_data
from trio_gateway.plan import GatewayPlan, compile_plan
from trio_gateway.transport import Origin


def _plan(**service: Any) -> GatewayPlan:
    config: dict[str, Any] = {"version": 3, "host": ["localhost:8080"], **service}
    config.setdefault("endpoints", [{"endpoint": "/e", "backend": [{"url_pattern": "/b"}]}])
    return compile_plan(load_config_data(config).config)


def test_service_defaults() -> None:
    plan = _plan()
    assert plan.port == 8080
    assert plan.max_idle_per_host == 250
    assert plan.health_path == "/__health"
    assert plan.version_header.startswith(b"Version trio-gateway/")
    endpoint = plan.endpoints[0]
    assert (endpoint.method, endpoint.timeout, endpoint.cache_ttl) == ("GET", 2.0, 0.0)
    assert endpoint.output_encoding == "json"
    backend = endpoint.backends[0]
    assert backend.method == "GET"
    assert backend.origins == ((Origin.parse("http://localhost:8080"), ""),)


def test_inheritance_service_to_endpoint_to_backend() -> None:
    plan = _plan(
        timeout="3s",
        cache_ttl="1m",
        output_encoding="string",
        endpoints=[
            {"endpoint": "/a", "method": "POST", "backend": [{"url_pattern": "/x"}]},
            {
                "endpoint": "/b",
                "timeout": "500ms",
                "cache_ttl": "5s",
                "output_encoding": "json",
                "backend": [
                    {"url_pattern": "/y", "method": "put", "host": ["https://api.example.com"]}
                ],
            },
        ],
    )
    a, b = plan.endpoints
    assert (a.timeout, a.cache_ttl, a.output_encoding) == (3.0, 60.0, "string")
    assert a.backends[0].method == "POST"  # endpoint method inherited
    assert (b.timeout, b.cache_ttl, b.output_encoding) == (0.5, 5.0, "json")
    assert b.backends[0].method == "PUT"
    assert b.backends[0].origins[0][0] == Origin.parse("https://api.example.com")


def test_noop_output_forces_noop_backends_and_unknown_output_falls_back() -> None:
    plan = _plan(
        endpoints=[
            {"endpoint": "/n", "output_encoding": "no-op", "backend": [{"url_pattern": "/x"}]},
            {
                "endpoint": "/s",
                "output_encoding": "odd",
                "backend": [{"url_pattern": "/x", "encoding": "string"}],
            },
        ]
    )
    noop, string = plan.endpoints
    assert noop.backends[0].keep_body and noop.backends[0].formatter is None
    assert string.output_encoding == "string"


def test_shadow_backends_are_split_out_and_sequential_needs_two() -> None:
    plan = _plan(
        endpoints=[
            {
                "endpoint": "/s",
                "extra_config": {"proxy": {"sequential": True}},
                "backend": [
                    {"url_pattern": "/a"},
                    {
                        "url_pattern": "/b",
                        "extra_config": {"proxy": {"shadow": True, "shadow_timeout": "1s"}},
                    },
                ],
            }
        ]
    )
    endpoint = plan.endpoints[0]
    assert len(endpoint.backends) == 1 and len(endpoint.shadows) == 1
    assert endpoint.shadow_timeouts == (1.0,)
    assert endpoint.sequential is False  # one real backend left: no merger at all


def test_unsanitized_host_keeps_its_path_prefix() -> None:
    plan = _plan(
        endpoints=[
            {
                "endpoint": "/p",
                "backend": [
                    {
                        "url_pattern": "/x",
                        "host": ["http://127.0.0.1:9000/api/v1/"],
                        "disable_host_sanitize": True,
                    }
                ],
            }
        ]
    )
    assert plan.endpoints[0].backends[0].origins == (
        (Origin.parse("http://127.0.0.1:9000"), "/api/v1"),
    )


def test_service_connection_limits_size_the_backend_pool(monkeypatch: Any) -> None:
    from trio_gateway.edge import app as asgi

    plan = _plan(
        max_idle_connections=10, max_idle_connections_per_host=5, idle_connection_timeout="30s"
    )
    assert (plan.max_idle_total, plan.max_idle_per_host, plan.idle_timeout) == (10, 5, 30.0)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(asgi, "HTTPClient", lambda **kwargs: seen.update(kwargs))
    asgi.make_client(plan)
    assert seen == {
        "max_idle_per_host": 5,
        "max_idle_total": 10,
        "idle_timeout": 30.0,
        "max_response_bytes": asgi.MAX_BACKEND_BODY,
        "ssl_context": None,
    }


def test_server_timings_reach_hypercorn() -> None:
    from trio_gateway.serving.server import hypercorn_config

    plan = _plan(idle_timeout="30s", max_shutdown_wait_time="10s")
    assert (plan.keep_alive_timeout, plan.shutdown_wait) == (30.0, 10.0)
    assert (_plan().keep_alive_timeout, _plan().shutdown_wait) == (None, None)
    config = hypercorn_config("127.0.0.1", 0, plan)
    assert (config.keep_alive_timeout, config.graceful_timeout) == (30.0, 10.0)
    assert config.h11_max_incomplete_size == 1024 * 1024
    assert config.include_server_header is False
