"""`telemetry/opencensus` mapped onto the OpenTelemetry set-up; `check` says what is exported."""

from __future__ import annotations

from typing import Any

from trio_gateway.config import load_config_data
from trio_gateway.telemetry.opencensus import OpenCensusConfig, to_opentelemetry


def _warnings(extra: dict[str, Any]) -> list[str]:
    loaded = load_config_data(
        {
            "version": 3,
            "host": ["http://127.0.0.1:8081"],
            "extra_config": extra,
            "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/a"}]}],
        }
    )
    return [str(w) for w in loaded.warnings]


def test_prometheus_maps_and_the_others_are_named() -> None:
    found = _warnings(
        {
            "telemetry/opencensus": {
                "sample_rate": 100,
                "exporters": {
                    "prometheus": {"port": 9191, "namespace": "kd"},
                    "jaeger": {"endpoint": "http://j:14268/api/traces"},
                    "zipkin": {"collector_url": "http://z:9411/api/v2/spans"},
                },
            }
        }
    )
    assert any("exported to Prometheus on :9191/metrics" in w for w in found), found
    assert any("the opencensus `jaeger` exporter is not available" in w for w in found), found
    assert any("the opencensus `zipkin` exporter is not available" in w for w in found), found


def test_alongside_opentelemetry_it_is_not_served() -> None:
    found = _warnings(
        {
            "telemetry/opencensus": {"exporters": {"prometheus": {"port": 9191}}},
            "telemetry/opentelemetry": {"exporters": {"prometheus": [{"name": "p"}]}},
        }
    )
    assert any("telemetry/opencensus is not served" in w for w in found), found


def test_the_mapping() -> None:
    config = OpenCensusConfig()
    mapped = to_opentelemetry(config)
    assert mapped.exporters.prometheus == ()  # nothing to export to
    loaded = load_config_data(
        {
            "version": 3,
            "host": ["http://127.0.0.1:8081"],
            "extra_config": {
                "telemetry/opencensus": {
                    "reporting_period": 5,
                    "enabled_layers": {"router": True, "backend": True},
                    "exporters": {"prometheus": {"port": 9191}},
                }
            },
            "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/a"}]}],
        }
    )
    opencensus = loaded.config.extra_config.get(OpenCensusConfig)
    assert opencensus is not None
    mapped = to_opentelemetry(opencensus)
    (prometheus,) = mapped.exporters.prometheus
    assert (prometheus.bound_port, prometheus.address) == (9191, "0.0.0.0")
    assert prometheus.process_metrics and prometheus.go_metrics  # as the opencensus exporter
    assert not mapped.global_opts.disable_metrics and mapped.pipe_opts.disable_metrics
    assert mapped.global_opts.disable_traces  # no trace exporter here
    assert mapped.reporting_period == 5
