"""`validate_config`: the checks of `load_config` / `check`, for configs built in Python."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.library.conftest import service
from trio_gateway import (
    BackendConfig,
    ConfigError,
    ConfigSource,
    EndpointConfig,
    LoadedConfig,
    ServiceConfig,
    load_config_data,
    open_gateway,
    validate_config,
)
from trio_gateway.config.converter import CONVERTER

BROKEN = service(
    {
        "endpoint": "/users/{user_id}",
        "backend": [{"host": ["http://127.0.0.1:8000"], "url_pattern": "/u/{usr_id}"}],
    },
    {
        "endpoint": "/users/{user_id}",
        "backend": [{"host": ["nope://x"], "url_pattern": "/u"}],
    },
)


def test_valid_config_built_in_python() -> None:
    config = ServiceConfig(
        version=3,
        endpoints=(
            EndpointConfig(
                endpoint="/users/{id}",
                backend=(BackendConfig(host=("http://127.0.0.1:8000",), url_pattern="/u/{id}"),),
            ),
        ),
    )
    loaded = validate_config(config)
    assert isinstance(loaded, LoadedConfig)
    assert loaded.config is config
    assert loaded.source == "<ServiceConfig>"
    assert not any(d.is_error for d in loaded.warnings)


def test_same_diagnostics_as_load_config_data() -> None:
    with pytest.raises(ConfigError) as from_dict:
        load_config_data(BROKEN)
    structured = CONVERTER.structure(BROKEN, ServiceConfig)
    with pytest.raises(ConfigError) as from_python:
        validate_config(structured, source="mine")
    assert from_python.value.diagnostics == from_dict.value.diagnostics
    assert from_python.value.source == "mine"
    paths = [d.path for d in from_python.value.errors]
    assert "$.endpoints[0].backend[0].url_pattern" in paths
    messages = "\n".join(str(d) for d in from_python.value.errors)
    assert "{usr_id}" in messages and "did you mean {user_id}?" in messages


def test_warnings_are_kept() -> None:
    data = service(
        {"endpoint": "/a", "output_encoding": "jsn", "backend": [{"url_pattern": "/a"}]},
    )
    config = CONVERTER.structure(data, ServiceConfig)
    loaded = validate_config(config)
    assert loaded.warnings == load_config_data(data).warnings
    messages = [d.message for d in loaded.warnings]
    assert any('unknown output_encoding "jsn"' in m for m in messages)
    assert any("no host for this backend" in m for m in messages)


@pytest.mark.parametrize("form", ["path", "dict", "service", "loaded"])
async def test_open_gateway_accepts_every_form(form: str, tmp_path: Path) -> None:
    data = service({"endpoint": "/x", "backend": [{"host": ["http://127.0.0.1:8000"]}]})
    source: ConfigSource
    if form == "path":
        file = tmp_path / "krakend.json"
        file.write_text(json.dumps(data))
        source = file
    elif form == "dict":
        source = data
    elif form == "service":
        source = CONVERTER.structure(data, ServiceConfig)
    else:
        source = load_config_data(data)
    async with open_gateway(source) as gw:
        assert [e.path for e in gw.plan.endpoints] == ["/x"]
        assert gw.config.config.endpoints[0].endpoint == "/x"


@pytest.mark.parametrize("form", ["dict", "service"])
async def test_open_gateway_rejects_a_broken_config(form: str) -> None:
    source = BROKEN if form == "dict" else CONVERTER.structure(BROKEN, ServiceConfig)
    with pytest.raises(ConfigError) as caught:
        async with open_gateway(source):
            pytest.fail("a broken config must not start")
    assert any("{usr_id}" in d.message for d in caught.value.errors)


async def test_open_gateway_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the configuration file"):
        async with open_gateway(tmp_path / "missing.json"):
            pytest.fail("unreachable")
