"""`load_config` / `load_config_data`: formats, syntax errors, overrides, all errors at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trio_gateway.config import (
    ConfigError,
    Diagnostic,
    LoadedConfig,
    ServiceConfig,
    load_config,
    load_config_data,
)

FIXTURES = Path(__file__).parent / "fixtures"


def load(path: Path, **env: str) -> LoadedConfig:
    return load_config(path, env=env)


def failure(path: Path, **env: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env)
    return [str(d) for d in info.value.diagnostics]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_realistic_config_loads_without_any_diagnostic() -> None:
    loaded = load(FIXTURES / "krakend.json")
    assert loaded.warnings == ()
    assert loaded.source == str(FIXTURES / "krakend.json")
    config = loaded.config
    assert [e.endpoint for e in config.endpoints] == [
        "/products/{category}",
        "/users/{user_id}/orders",
        "/checkout/{cart}",
        "/feed",
    ]
    assert config.timeout == 3.0
    assert config.extra_config.router is not None
    assert config.extra_config.router.hide_version_header is True
    checkout = config.endpoints[2]
    assert checkout.extra_config.proxy is not None
    assert checkout.extra_config.proxy.sequential is True  # written with the legacy name
    assert checkout.backend[1].extra_config.backend_http is not None


def test_yaml_toml_and_json_give_the_same_config() -> None:
    from_json = load(FIXTURES / "formats.json")
    from_yaml = load(FIXTURES / "formats.yaml")
    from_toml = load(FIXTURES / "formats.toml")
    assert from_json.config == from_yaml.config == from_toml.config
    assert from_json.warnings == from_yaml.warnings == from_toml.warnings == ()
    assert from_json.config.endpoints[0].cache_ttl == 60.0


def test_four_problems_give_four_diagnostics_at_once() -> None:
    assert failure(FIXTURES / "four_problems.json") == [
        'error: $.port: expected an integer, got string "80 80"',
        'error: $.endpoints[1].timeout: missing unit in duration "3000" (hint: use a Go duration'
        ' such as "2s", "1500ms" or "1m30s")',
        "error: $.version: unsupported version: 2 (want: 3)",
        "error: $.endpoints[0].backend[0].url_pattern: undefined placeholder {usr_id}: not an"
        " endpoint parameter (hint: did you mean {user_id}?)",
    ]


def test_config_error_carries_source_and_counts() -> None:
    with pytest.raises(ConfigError) as info:
        load(FIXTURES / "four_problems.json")
    error = info.value
    assert error.source == str(FIXTURES / "four_problems.json")
    assert len(error.errors) == 4
    assert (
        str(error).splitlines()[0].endswith("four_problems.json: 4 error(s) in the configuration")
    )


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.json", '{\n  "version": 3,,\n}', "{}:2:16: invalid JSON: Expecting property name"),
        ("bad.json", "", "{}:1:1: invalid JSON: Expecting value"),
        ("nan.json", '{"version": NaN}', "{}:1:13: invalid JSON: NaN is not a JSON value"),
        (
            "bad.yaml",
            "version: 3\nendpoints: [\n",
            "{}:3:1: invalid YAML: expected the node content, but found '<stream end>'",
        ),
        ("bad.yml", "a: b: c\n", "{}:1:5: invalid YAML: mapping values are not allowed here"),
        ("bad.toml", "version = 3\nport =\n", "{}:2:7: invalid TOML: Invalid value"),
        ("anything.conf", "version: 3", "{}:1:1: invalid JSON: Expecting value"),
    ],
)
def test_syntax_errors_are_located(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = write(tmp_path, name, text)
    messages = failure(path)
    assert len(messages) == 1
    assert messages[0].startswith("error: " + expected.format(path))


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    assert failure(path) == [
        f"error: {path}: cannot read the configuration file: No such file or directory"
    ]


def test_invalid_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"name": "caf\xe9"}')
    assert failure(path) == [f"error: {path}: the configuration file is not valid UTF-8 (byte 13)"]


def minimal(**keys: Any) -> str:
    return json.dumps({"version": 3, "host": ["http://a:80"], **keys})


def test_krakend_port_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "k.json", minimal(port=8000))
    assert load(path).config.port == 8000
    assert load(path, KRAKEND_PORT="9000").config.port == 9000


def test_env_values_follow_the_type_of_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "k.json", minimal())
    config = load(
        path,
        KRAKEND_NAME="123",  # a string key: verbatim, not the JSON number 123
        KRAKEND_TIMEOUT="5s",
        KRAKEND_DEBUG_ENDPOINT="true",
        KRAKEND_HOST='["http://b:8000"]',
        KRAKEND_LISTEN_IP="127.0.0.1",
        OTHER_PORT="1",
    ).config
    assert (config.name, config.timeout, config.debug_endpoint) == ("123", 5.0, True)
    assert config.host == ("http://b:8000",)
    assert config.listen_ip == "127.0.0.1"


def test_bad_env_values_name_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "k.json", minimal())
    assert failure(path, KRAKEND_PORT="http", KRAKEND_TIMOUT="1s") == [
        'error: $.port: expected an integer, got string "http" (hint: set by the environment'
        " variable KRAKEND_PORT)",
        "warning: $.timout: unknown key `timout` (ignored) (hint: did you mean `timeout`?; set by"
        " the environment variable KRAKEND_TIMOUT)",
    ]


def test_env_none_reads_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "k.json", minimal())
    monkeypatch.setenv("KRAKEND_PORT", "9100")
    monkeypatch.delenv("FC_ENABLE", raising=False)
    assert load_config(path).config.port == 9100
    assert load_config(path, env={}).config.port == 0


def test_flexible_configuration_is_rendered_when_enabled(tmp_path: Path) -> None:
    settings = tmp_path / "settings"
    settings.mkdir()
    (settings / "service.json").write_text('{"port": 8123}', encoding="utf-8")
    template = '{"version": 3, "host": ["http://a:80"], "port": {{ service.port }}}'
    path = write(tmp_path, "krakend.json", template)
    assert (
        load(path, FC_ENABLE="1", FC_ENGINE="jinja2", FC_SETTINGS=str(settings)).config.port == 8123
    )
    # without FC_ENABLE the template is parsed as it is, and is not JSON
    assert failure(path)[0].startswith(f"error: {path}:1:")


def test_flexible_configuration_errors_become_config_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "krakend.json", '{"version": {% if %}}')
    messages = failure(path, FC_ENABLE="1", FC_ENGINE="jinja2")
    assert len(messages) == 1
    assert messages[0].startswith(f"error: {path}: ")


def test_configs_built_in_python_may_use_tuples() -> None:
    data = {
        "version": 3,
        "host": ("http://a:80",),
        "endpoints": ({"endpoint": "/x", "backend": ({"url_pattern": "/y"},)},),
    }
    loaded = load_config_data(data)
    assert loaded.source == "<dict>"
    assert loaded.config.endpoints[0].backend[0].url_pattern == "/y"
    assert isinstance(loaded.config, ServiceConfig)


def errors_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config_data(data, source="test")
    assert info.value.source == "test"
    return [str(d) for d in info.value.diagnostics]


def test_a_bad_value_does_not_also_produce_errors_about_its_stand_in() -> None:
    data = {
        "version": 3,
        "host": ["http://a:80"],
        "endpoints": [{"endpoint": "/x/{id}", "backend": [{"url_pattern": [5]}]}],
    }
    assert errors_of(data) == [
        "error: $.endpoints[0].backend[0].url_pattern: expected a string, got an array"
    ]


def test_an_endpoint_without_its_path_is_reported_once() -> None:
    data = {
        "version": 3,
        "host": ["http://a:80"],
        "endpoints": [
            {"backend": [{"url_pattern": "/{id}"}]},
            {"endpoint": "/y", "backend": [{"url_pattern": "/{id}"}]},
        ],
    }
    assert errors_of(data) == [
        "error: $.endpoints[0].endpoint: required key missing",
        "error: $.endpoints[1].backend[0].url_pattern: undefined placeholder {id}: not an"
        " endpoint parameter (hint: the endpoint declares no parameters)",
    ]


def test_semantic_checks_continue_past_a_broken_list_item() -> None:
    data = {
        "version": 3,
        "host": ["http://a:80", [5]],
        "endpoints": [
            "not an endpoint",
            {"endpoint": "/y", "method": "HEAD", "backend": ["nope", {"url_pattern": "/"}]},
        ],
        "extra_config": {"github_com/luraproject/lura/router/gin": {"health_path": 1}},
    }
    assert errors_of(data) == [
        "error: $.host[1]: expected a string, got an array",
        'error: $.endpoints[0]: expected an object, got string "not an endpoint"',
        'error: $.endpoints[1].backend[0]: expected an object, got string "nope"',
        'error: $.extra_config["github_com/luraproject/lura/router/gin"].health_path: expected a'
        ' string, got number 1 (hint: write "1" in quotes)',
        'error: $.endpoints[1].method: unsupported method "HEAD": KrakenD silently drops'
        " endpoints whose method is not GET, POST, PUT, PATCH or DELETE, so this route would"
        " never answer",
    ]


def test_warnings_travel_inside_the_config_error() -> None:
    data = {"version": 2, "naem": "x"}
    with pytest.raises(ConfigError) as info:
        load_config_data(data)
    assert info.value.diagnostics == (
        Diagnostic("error", "$.version", "unsupported version: 2 (want: 3)"),
        Diagnostic("warning", "$.naem", "unknown key `naem` (ignored)", "did you mean `name`?"),
    )
