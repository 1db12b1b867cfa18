"""`check` for telemetry/logging, gelf and logstash: every bad value an error at its JSON path."""

from __future__ import annotations

from typing import Any

import pytest

from trio_gateway.config import ConfigError, load_config_data

LOGGING = '$.extra_config["telemetry/logging"]'
GELF = '$.extra_config["telemetry/gelf"]'
LOGSTASH = '$.extra_config["telemetry/logstash"]'


def _diagnostics(extra: dict[str, Any]) -> list[str]:
    try:
        loaded = load_config_data({"version": 3, "endpoints": [], "extra_config": extra})
    except ConfigError as exc:
        return [str(d) for d in exc.diagnostics]
    return [str(w) for w in loaded.warnings]


def _logging(**keys: Any) -> dict[str, Any]:
    return {"telemetry/logging": {"level": "INFO", "stdout": True, **keys}}


@pytest.mark.parametrize(
    ("extra", "path", "text"),
    [
        ({"telemetry/logging": {"stdout": True}}, f"{LOGGING}.level", "level is required"),
        (_logging(level="INFOO"), f"{LOGGING}.level", 'unknown log level "INFOO"'),
        (_logging(level="TRACE"), f"{LOGGING}.level", 'unknown log level "TRACE"'),
        (_logging(level=3), f"{LOGGING}.level", "expected a string"),
        (_logging(stdout="yes"), f"{LOGGING}.stdout", "expected a boolean"),
        (_logging(syslog=1), f"{LOGGING}.syslog", "expected a boolean"),
        (_logging(prefix=["x"]), f"{LOGGING}.prefix", "expected a string"),
        (_logging(syslog_facility="local8"), f"{LOGGING}.syslog_facility", '"local8"'),
        (_logging(syslog_facility="user"), f"{LOGGING}.syslog_facility", "unknown syslog"),
        (_logging(format="jsonl"), f"{LOGGING}.format", 'unknown log format "jsonl"'),
        (_logging(format="Logstash"), f"{LOGGING}.format", "unknown log format"),
        (_logging(format="custom"), f"{LOGGING}.custom_format", "needs a custom_format"),
        (
            _logging(format="custom", custom_format="%{foo} %{message}"),
            f"{LOGGING}.custom_format",
            "unknown variable: foo",
        ),
        (
            _logging(format="custom", custom_format="no verbs"),
            f"{LOGGING}.custom_format",
            "invalid log format",
        ),
        ({"telemetry/gelf": {"enable_tcp": True}}, f"{GELF}.address", "address is required"),
        ({"telemetry/gelf": {"address": "graylog"}}, f"{GELF}.address", "not host:port"),
        ({"telemetry/gelf": {"address": "graylog:0"}}, f"{GELF}.address", "not host:port"),
        ({"telemetry/gelf": {"address": "g:70000"}}, f"{GELF}.address", "not host:port"),
        ({"telemetry/gelf": {"address": "::1:12201"}}, f"{GELF}.address", "not host:port"),
        ({"telemetry/gelf": {"address": "g:1", "enable_tcp": "no"}}, f"{GELF}.enable_tcp", "bool"),
        ({"telemetry/logstash": {"enabled": "yes"}}, f"{LOGSTASH}.enabled", "expected a boolean"),
    ],
)
def test_bad_values_are_errors_at_their_path(extra: dict[str, Any], path: str, text: str) -> None:
    errors = [d for d in _diagnostics(extra) if d.startswith("error: ")]
    assert any(d.startswith(f"error: {path}:") and text in d for d in errors), errors


@pytest.mark.parametrize(
    "extra",
    [
        _logging(),
        _logging(level="debug", syslog_facility="LOCAL0"),  # go-logging: strings.EqualFold
        _logging(level="NOTICE"),  # a go-logging level the schema does not list
        *(_logging(level=level) for level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
        *(_logging(format=fmt) for fmt in ("default", "logstash", "json")),
        _logging(format="custom", custom_format="%{time:15:04:05} %{level:.4s} %{message}"),
        {**_logging(), "telemetry/gelf": {"address": "127.0.0.1:12201"}},
        {**_logging(), "telemetry/gelf": {"address": "[::1]:12201", "enable_tcp": True}},
        {**_logging(), "telemetry/logstash": {"enabled": True}},
        {"github_com/devopsfaith/krakend-gologging": {"level": "INFO", "stdout": True}},
    ],
)
def test_valid_values_load_without_diagnostics(extra: dict[str, Any]) -> None:
    assert _diagnostics(extra) == []


@pytest.mark.parametrize(
    ("extra", "path", "text"),
    [
        ({"telemetry/logging": {"level": "INFO"}}, LOGGING, "goes nowhere"),
        (_logging(custom_format="%{message}"), f"{LOGGING}.custom_format", "ignored"),
        ({**_logging(), "telemetry/logstash": {"enabled": False}}, f"{LOGSTASH}.enabled", "even"),
        ({"telemetry/logstash": {"enabled": True}}, LOGSTASH, "without telemetry/logging"),
    ],
)
def test_what_krakend_accepts_but_does_oddly_is_a_warning(
    extra: dict[str, Any], path: str, text: str
) -> None:
    diagnostics = _diagnostics(extra)
    assert any(d.startswith(f"warning: {path}:") and text in d for d in diagnostics), diagnostics
    assert not any(d.startswith("error") for d in diagnostics)


def test_gelf_counts_as_an_output() -> None:
    extra = {
        "telemetry/logging": {"level": "INFO"},
        "telemetry/gelf": {"address": "127.0.0.1:12201"},
    }
    assert _diagnostics(extra) == []


def test_logging_is_read_at_the_service_level_only() -> None:
    config = {
        "version": 3,
        "endpoints": [
            {
                "endpoint": "/a",
                "backend": [{"host": ["http://localhost:8080"], "url_pattern": "/"}],
                "extra_config": {"telemetry/logging": {"level": "INFO", "stdout": True}},
            }
        ],
    }
    loaded = load_config_data(config)
    assert any("telemetry/logging" in str(w) for w in loaded.warnings)


@pytest.mark.parametrize("level", ["foo", "TRACE", ""])
def test_a_bad_log_level_flag_is_a_usage_error(
    level: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from trio_gateway.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["run", "-c", "krakend.json", "--log-level", level])
    assert exit_.value.code == 2
    assert "unknown log level" in capsys.readouterr().err
