"""FC_ENGINE=go (the default): the flexible configuration rendered as KrakenD renders it, Go
templates with Sprig, `marshal`, `include` and FC_TEMPLATES files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trio_gateway.config.flexible import FlexibleConfigError, render_if_enabled

TEMPLATE = """{
  "version": 3,
  "name": {{ env "SERVICE_NAME" | default "gateway" | quote }},
  "port": {{ .service.port }},
  "timeout": "{{ .service.timeout }}",
  "extra_config": {{ marshal .service.extra_config }},
  "endpoints": [
    {{- range $i, $e := .endpoints.list }}{{ if $i }},{{ end }}
    {{ template "endpoint.tmpl" $e }}
    {{- end }}
  ],
  "cors": {{ include "cors.json" }}
}
"""


def _tree(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "settings").mkdir()
    (tmp_path / "settings" / "service.json").write_text(
        '{"port": 8080, "timeout": "3s", "extra_config": {"router": {"return_error_msg": true}}}'
    )
    (tmp_path / "settings" / "endpoints.json").write_text(
        '{"list": [{"path": "/a", "host": "http://a:80"}, {"path": "/b", "host": "http://b:80"}]}'
    )
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "endpoint.tmpl").write_text(
        '{"endpoint": "{{ .path }}", "backend": [{"host": [{{ .host | quote }}]}]}'
    )
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "cors.json").write_text('{"allow_origins": ["*"]}')
    (tmp_path / "krakend.json").write_text(TEMPLATE)
    return {
        "FC_ENABLE": "1",
        "FC_SETTINGS": str(tmp_path / "settings"),
        "FC_TEMPLATES": str(tmp_path / "templates"),
        "FC_PARTIALS": str(tmp_path / "partials"),
    }


def test_go_is_the_default_engine(tmp_path: Path) -> None:
    env = _tree(tmp_path)
    text = render_if_enabled(tmp_path / "krakend.json", env)
    assert text is not None
    assert json.loads(text) == {
        "version": 3,
        "name": "gateway",
        "port": 8080,
        "timeout": "3s",
        "extra_config": {"router": {"return_error_msg": True}},
        "endpoints": [
            {"endpoint": "/a", "backend": [{"host": ["http://a:80"]}]},
            {"endpoint": "/b", "backend": [{"host": ["http://b:80"]}]},
        ],
        "cors": {"allow_origins": ["*"]},
    }
    text = render_if_enabled(tmp_path / "krakend.json", {**env, "SERVICE_NAME": "x"})
    assert text is not None
    assert json.loads(text)["name"] == "x"


def test_settings_numbers_are_float64_as_in_krakend(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "n.json").write_text('{"big": 1000000, "small": 80}')
    (tmp_path / "k.json").write_text('{{ .n.big }} {{ .n.small }} {{ printf "%T" .n.small }}')
    env = {"FC_ENABLE": "1", "FC_SETTINGS": str(tmp_path / "s")}
    assert render_if_enabled(tmp_path / "k.json", env) == "1e+06 80 float64"


def test_go_template_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "krakend.json"
    path.write_text('{\n  "port": {{ .service.port.x }}\n}')
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "service.json").write_text('{"port": 1}')
    env = {"FC_ENABLE": "1", "FC_SETTINGS": str(tmp_path / "s")}
    with pytest.raises(FlexibleConfigError) as caught:
        render_if_enabled(path, env)
    assert str(caught.value) == (
        f'{path}: template: krakend.json:2:21: executing "krakend.json" at <.service.port.x>: '
        "can't evaluate field x in type interface {}"
    )
    path.write_text("{{ if }}")
    with pytest.raises(
        FlexibleConfigError, match=r"template: krakend\.json:1: missing value for if"
    ):
        render_if_enabled(path, {"FC_ENABLE": "1"})


def test_settings_must_be_json_objects(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "list.json").write_text("[1]")
    (tmp_path / "k.json").write_text("{}")
    env = {"FC_ENABLE": "1", "FC_SETTINGS": str(tmp_path / "s")}
    with pytest.raises(FlexibleConfigError, match="must hold a JSON object"):
        render_if_enabled(tmp_path / "k.json", env)


def test_unknown_engine_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "k.json").write_text("{}")
    with pytest.raises(FlexibleConfigError, match="FC_ENGINE must be go or jinja2, not 'php'"):
        render_if_enabled(tmp_path / "k.json", {"FC_ENABLE": "1", "FC_ENGINE": "php"})


def test_jinja2_stays_available(tmp_path: Path) -> None:
    (tmp_path / "k.json").write_text("{{ 1 + 2 }}")
    assert render_if_enabled(tmp_path / "k.json", {"FC_ENABLE": "1", "FC_ENGINE": "jinja2"}) == "3"
