"""`telemetry/metrics` and `telemetry/influx` configurations, as their components read them."""

from __future__ import annotations

from typing import Any

import pytest

from trio_gateway.config import ConfigError, load_config_data
from trio_gateway.telemetry.influx import InfluxConfig
from trio_gateway.telemetry.stats import MetricsConfig

BACKEND = [{"host": ["http://127.0.0.1:8000"], "url_pattern": "/"}]
METRICS = '$.extra_config["telemetry/metrics"]'
INFLUX = '$.extra_config["telemetry/influx"]'


def service(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": 3,
        "extra_config": extra,
        "endpoints": [{"endpoint": "/a", "backend": BACKEND}],
    }


def test_the_defaults_are_krakend_metrics() -> None:
    loaded = load_config_data(service({"telemetry/metrics": {}}))
    config = loaded.config.extra_config.get(MetricsConfig)
    assert config == MetricsConfig()
    assert (config.collection_time, config.listen_address) == (None, ":8090")
    assert not loaded.warnings


def test_the_legacy_names_are_read() -> None:
    loaded = load_config_data(
        service(
            {
                "github_com/devopsfaith/krakend-metrics": {"collection_time": "30s"},
                "github_com/letgoapp/krakend-influx": {"address": "http://127.0.0.1:8086"},
            }
        )
    )
    extra = loaded.config.extra_config
    assert extra.get(MetricsConfig) == MetricsConfig(collection_time=30.0)  # type: ignore[arg-type]
    influx = extra.get(InfluxConfig)
    assert influx is not None and (influx.db, influx.ttl) == ("krakend", None)


# (options, severity, path, fragment): what KrakenD does with each is in the comment.
METRICS_CASES = [
    # time.NewTicker panics on a non-positive interval
    ({"collection_time": "0s"}, "error", METRICS + ".collection_time", "must be positive"),
    # collectionTime.(string) unchecked: a number panics
    ({"collection_time": 60}, "error", METRICS + ".collection_time", "expected a Go duration"),
    ({"collection_time": None}, "error", METRICS + ".collection_time", "panics at startup"),
    # time.ParseDuration fails: the default (one minute) stays
    ({"collection_time": "soon"}, "warning", METRICS + ".collection_time", "uses its default"),
    # net.Listen refuses it
    ({"listen_address": "8090"}, "error", METRICS + ".listen_address", "missing port"),
    ({"listen_address": ":99999"}, "error", METRICS + ".listen_address", "invalid port"),
    ({"listen_address": "::1:8090"}, "error", METRICS + ".listen_address", "too many colons"),
    # listenAddr.(string) checked: not a string leaves the default
    ({"listen_address": 8090}, "warning", METRICS + ".listen_address", "only as a string"),
    # getBool: not a bool is false
    ({"proxy_disabled": "true"}, "warning", METRICS + ".proxy_disabled", "only as a boolean"),
]


@pytest.mark.parametrize(("options", "severity", "path", "fragment"), METRICS_CASES)
def test_metrics_problems(options: dict[str, Any], severity: str, path: str, fragment: str) -> None:
    _assert_one(service({"telemetry/metrics": options}), severity, path, fragment)


INFLUX_OK = {"address": "http://127.0.0.1:8086"}
INFLUX_CASES = [
    # configGetter: errNoAddress, logged; the gateway serves without pushes
    ({}, "warning", INFLUX + ".address", "address is required"),
    ({"address": 8086}, "warning", INFLUX + ".address", "only as a string"),
    # client.NewHTTPClient: "Unsupported protocol scheme"
    ({"address": "influx:8086"}, "warning", INFLUX + ".address", "must start with http://"),
    # time.ParseDuration(ttl) fails: configGetter returns the error
    ({**INFLUX_OK, "ttl": "soon"}, "error", INFLUX + ".ttl", "invalid duration"),
    ({**INFLUX_OK, "ttl": "0s"}, "error", INFLUX + ".ttl", "must be positive"),
    # buffer.go slices with a negative size: a panic at the first failed push
    ({**INFLUX_OK, "buffer_size": -1}, "error", INFLUX + ".buffer_size", "must not be negative"),
    ({**INFLUX_OK, "db": 1}, "warning", INFLUX + ".db", "only as a string"),
]


@pytest.mark.parametrize(("options", "severity", "path", "fragment"), INFLUX_CASES)
def test_influx_problems(options: dict[str, Any], severity: str, path: str, fragment: str) -> None:
    config = service({"telemetry/metrics": {}, "telemetry/influx": options})
    _assert_one(config, severity, path, fragment)


def test_influx_without_metrics_is_a_warning() -> None:
    # KrakenD's collector is then a dummy: every push is skipped as empty.
    loaded = load_config_data(service({"telemetry/influx": INFLUX_OK}))
    assert [(d.path, "telemetry/metrics" in d.message) for d in loaded.warnings] == [(INFLUX, True)]


def test_metrics_outside_the_service_is_ignored_with_a_warning() -> None:
    config = service({})
    config["endpoints"][0]["extra_config"] = {"telemetry/metrics": {}}
    loaded = load_config_data(config)
    assert any('["telemetry/metrics"]' in d.path for d in loaded.warnings), loaded.warnings


def _assert_one(config: dict[str, Any], severity: str, path: str, fragment: str) -> None:
    try:
        diagnostics = list(load_config_data(config).warnings)
    except ConfigError as exc:
        diagnostics = list(exc.diagnostics)
    found = [(d.severity, d.path) for d in diagnostics if fragment in d.message]
    assert found == [(severity, path)], diagnostics


def test_the_opentelemetry_sdk_is_imported_only_when_a_configuration_uses_it() -> None:
    # A gateway without telemetry neither loads the SDK nor holds its memory (~0.3 s, ~8 MiB).
    import subprocess
    import sys

    code = (
        "import sys, trio_gateway.stack, trio_gateway.edge.app; "
        "print(sorted({m.split('.')[0] for m in sys.modules"
        " if m.startswith(('opentelemetry', 'prometheus_client'))}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
