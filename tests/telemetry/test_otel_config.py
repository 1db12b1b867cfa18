"""`telemetry/opentelemetry` as `check` reads it: krakend-otel's keys, defaults and errors."""

from __future__ import annotations

from typing import Any

import pytest

from trio_gateway.config import ConfigError, load_config_data
from trio_gateway.telemetry.opentelemetry import OpenTelemetryConfig
from trio_gateway.telemetry.otel_config import DEFAULT_SKIP_PATHS

NS = "telemetry/opentelemetry"
HTTP = {"name": "o", "use_http": True, "port": 4318}


def _config(otel: Any) -> dict[str, Any]:
    return {
        "version": 3,
        "host": ["http://127.0.0.1:8081"],
        "extra_config": {NS: otel},
        "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/a"}]}],
    }


def _diagnostics(otel: Any) -> list[str]:
    try:
        loaded = load_config_data(_config(otel))
    except ConfigError as exc:
        return [str(d) for d in exc.diagnostics]
    return [str(d) for d in loaded.warnings]


def _loaded(otel: Any) -> OpenTelemetryConfig:
    config = load_config_data(_config(otel)).config.extra_config.get(OpenTelemetryConfig)
    assert config is not None
    return config


ERRORS = [
    # (the namespace's value, the error expected, its JSON path's tail)
    (
        {"exporters": {"otlp": [{"name": "x", "host": "c"}]}},
        "OTLP over gRPC (krakend-otel's default, `use_http: false`) is not available",
        '["telemetry/opentelemetry"].exporters.otlp[0].use_http',
    ),
    (
        {"exporters": {"otlp": [HTTP, HTTP]}},
        "OTLP exporter with duplicate name: o (at idx 1)",
        "exporters.otlp[1].name",
    ),
    (
        {"exporters": {"otlp": [HTTP], "prometheus": [{"name": "o", "port": 9091}]}},
        "prometheus with duplicate name: o (at idx 0)",
        "exporters.prometheus[0].name",
    ),
    (
        {"exporters": {"prometheus": [{"name": "a"}, {"name": "b", "port": 9090}]}},
        "prometheus exporter 1 listens on the same address as exporter 0 (0.0.0.0:9090)",
        "exporters.prometheus[1].port",
    ),
    (
        {"exporters": {"prometheus": [{"name": "a", "port": 70000}]}},
        "port 70000 is not a TCP port (0-65535)",
        "exporters.prometheus[0].port",
    ),
    (
        {"exporters": {"prometheus": [{"name": "a", "port": "9090"}]}},
        'expected an integer, got string "9090"',
        "exporters.prometheus[0].port",
    ),
    ({"trace_sample_rate": "1"}, "expected a number", "trace_sample_rate"),
    ({"metric_reporting_period": 1.5}, "integer", "metric_reporting_period"),
    ({"layers": {"global": {"disable_traces": "yes"}}}, "boolean", "layers.global.disable_traces"),
    ({"skip_paths": "/__health"}, "array", "skip_paths"),
]


@pytest.mark.parametrize(("otel", "message", "where"), ERRORS)
def test_errors(otel: Any, message: str, where: str) -> None:
    found = [d for d in _diagnostics(otel) if d.startswith("error")]
    assert any(message in d and where in d for d in found), found


WARNINGS = [
    ({}, "no exporter configured: no metric or trace leaves the gateway"),
    (
        {"exporters": {"otlp": [{"name": "o", "use_http": True}]}},
        "no port: krakend-otel sends OTLP/HTTP to port 4317",
    ),
    ({"trace_sample_rate": 0, "exporters": {"otlp": [HTTP]}}, "trace_sample_rate 0 samples every"),
    ({"trace_sample_rate": 1.5, "exporters": {"otlp": [HTTP]}}, "1.5 samples every trace"),
    ({"metric_reporting_period": 0, "exporters": {"otlp": [HTTP]}}, "is ignored: OTLP metrics"),
    (
        {"layers": {"global": {"semantic_convention": "1.30"}}, "exporters": {"otlp": [HTTP]}},
        "unknown semantic_convention '1.30'",
    ),
    (
        {
            "layers": {"proxy": {"metrics_static_attributes": [{"key": "k"}]}},
            "exporters": {"otlp": [HTTP]},
        },
        "a static attribute with an empty key or value is skipped",
    ),
    (
        {"exporters": {"otlp": [{**HTTP, "disable_metrics": True, "disable_traces": True}]}},
        "exports nothing (both disabled)",
    ),
    ({"exporters": {"otlp": [HTTP]}, "servce_name": "x"}, "unknown key `servce_name`"),
]


@pytest.mark.parametrize(("otel", "message"), WARNINGS)
def test_warnings(otel: Any, message: str) -> None:
    found = _diagnostics(otel)
    assert any(d.startswith("warning") and message in d for d in found), found
    assert not any(d.startswith("error") for d in found), found


def test_a_valid_configuration_loads_silently() -> None:
    otel = {
        "service_name": "gw",
        "exporters": {
            "otlp": [HTTP],
            "prometheus": [{"name": "p", "port": 9091, "listen_ip": "127.0.0.1"}],
        },
    }
    assert _diagnostics(otel) == []


def test_defaults_are_krakend_otels() -> None:
    config = _loaded({"exporters": {"otlp": [HTTP]}})
    assert config.reporting_period == 30 and config.sample_rate == 1.0
    assert config.skipped_paths == frozenset(DEFAULT_SKIP_PATHS)
    assert _loaded({"skip_paths": [], "exporters": {"otlp": [HTTP]}}).skipped_paths == frozenset(
        DEFAULT_SKIP_PATHS
    )  # empty is "unset" (len == 0)
    assert _loaded({"skip_paths": [""], "exporters": {"otlp": [HTTP]}}).skipped_paths == {""}
    backend = config.backend_opts
    # an absent block is everything on; a present one starts from Go's zero values
    assert backend.metrics_or_default.round_trip and backend.traces_or_default.detailed_connection
    written = _loaded({"layers": {"backend": {"metrics": {}}}, "exporters": {"otlp": [HTTP]}})
    assert not written.backend_opts.metrics_or_default.round_trip
    assert written.backend_opts.traces_or_default.round_trip
    assert not config.global_opts.disable_metrics and not config.pipe_opts.disable_traces


def test_layers_global_is_read_from_its_key() -> None:
    config = _loaded(
        {"layers": {"global": {"disable_metrics": True}}, "exporters": {"otlp": [HTTP]}}
    )
    assert config.global_opts.disable_metrics


def test_prometheus_listen_address() -> None:
    exporters = _loaded(
        {
            "exporters": {
                "prometheus": [
                    {"name": "a", "port": 9100, "host": "127.0.0.2", "listen_ip": "127.0.0.3"},
                    {"name": "b", "port": 9101, "listen_ip": "127.0.0.3"},
                    {"name": "c", "port": 9102},
                ]
            }
        }
    ).exporters.prometheus
    assert [e.address for e in exporters] == ["127.0.0.2", "127.0.0.3", "0.0.0.0"]
