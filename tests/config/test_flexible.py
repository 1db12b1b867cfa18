"""Tests for trio_gateway.config.flexible: KrakenD's Flexible Configuration rendered with Jinja2."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from trio_gateway.config.flexible import FlexibleConfigError, render, render_if_enabled

EXAMPLE = Path(__file__).parent / "flexible_fixtures" / "example"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def render_text(
    tmp_path: Path,
    template: str,
    *,
    settings: dict[str, str] | None = None,
    templates: dict[str, str] | None = None,
    partials_dir: Path | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Render `template` with settings/templates written as files under tmp_path."""
    settings_dir = templates_dir = None
    if settings is not None:
        settings_dir = tmp_path / "settings"
        settings_dir.mkdir()
        for name, text in settings.items():
            write(settings_dir / name, text)
    if templates is not None:
        templates_dir = tmp_path / "templates"
        templates_dir.mkdir()
        for name, text in templates.items():
            write(templates_dir / name, text)
    return render(
        write(tmp_path / "krakend.json", template),
        settings_dir=settings_dir,
        partials_dir=partials_dir,
        templates_dir=templates_dir,
        env=env or {},
    )


def test_settings_are_exposed_by_file_stem(tmp_path: Path) -> None:
    settings = {"service.json": '{"port": 8080, "name": "gw"}', "db.json": '{"host": "pg"}'}
    out = render_text(
        tmp_path, "{{ service.port }} {{ service.name }} {{ db.host }}", settings=settings
    )
    assert out == "8080 gw pg"


def test_only_json_files_directly_inside_settings_are_read(tmp_path: Path) -> None:
    settings = {
        "service.json": '{"port": 1}',
        "notes.txt": "not json {",  # would fail if it were parsed
        "sub.json/deep.json": '{"x": 1}',  # non-recursive, and a directory is not a file
    }
    template = (
        "{{ service.port }} {{ notes is defined }} {{ sub is defined }} {{ deep is defined }}"
    )
    assert render_text(tmp_path, template, settings=settings) == "1 false false false"


def test_invalid_settings_json_names_the_file_and_line(tmp_path: Path) -> None:
    # A missing value, reported at the `}` on line 4 by every supported Python (3.13 moved where
    # it reports a trailing comma, so the broken document here is not one).
    settings = {"good.json": "{}", "broken.json": '{\n  "port": 80,\n  "x": \n}'}
    with pytest.raises(FlexibleConfigError) as info:
        render_text(tmp_path, "{{ good }}", settings=settings)
    assert str(info.value).startswith(f"{tmp_path / 'settings' / 'broken.json'}:4: invalid JSON")


def test_missing_settings_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FlexibleConfigError, match="cannot read FC_SETTINGS"):
        render(
            write(tmp_path / "krakend.json", "{}"),
            settings_dir=tmp_path / "nope",
            partials_dir=None,
            templates_dir=None,
            env={},
        )


def test_templates_are_included_with_the_same_context(tmp_path: Path) -> None:
    templates = {"endpoint.tmpl": '{"endpoint": "{{ ep }}", "port": {{ service.port }}}'}
    template = (
        "[{% for ep in ['/a', '/b'] %}{% include 'endpoint.tmpl' %}"
        "{% if not loop.last %},{% endif %}{% endfor %}]"
    )
    out = render_text(
        tmp_path, template, settings={"service.json": '{"port": 9}'}, templates=templates
    )
    assert json.loads(out) == [{"endpoint": "/a", "port": 9}, {"endpoint": "/b", "port": 9}]


def test_missing_template_names_the_template(tmp_path: Path) -> None:
    with pytest.raises(
        FlexibleConfigError, match=r"krakend\.json:2: template 'nope\.tmpl' not found"
    ):
        render_text(tmp_path, '{\n{% include "nope.tmpl" %}\n}', templates={})


def test_partials_are_inserted_raw_not_evaluated(tmp_path: Path) -> None:
    partials = tmp_path / "partials"
    write(partials / "raw.txt", "{{ x }} {% if %}\n")
    out = render_text(tmp_path, '[{{ include("raw.txt") }}]', partials_dir=partials)
    assert out == "[{{ x }} {% if %}\n]"


def test_missing_partial_is_empty_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    partials = tmp_path / "partials"
    partials.mkdir()
    with caplog.at_level(logging.WARNING, logger="trio_gateway.config.flexible"):
        out = render_text(tmp_path, '[{{ include("missing.json") }}]', partials_dir=partials)
    assert out == "[]"
    assert "missing.json" in caplog.text


@pytest.mark.parametrize(
    "spelling", ["{{ v | marshal }}", "{{ marshal(v) }}", "{{ v | tojson }}", "{{ toJson(v) }}"]
)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": [1, True, None], "a": "é"}, '{"a":"é","b":[1,true,null]}'),  # sorted, compact, UTF-8
        (["x", 1.5], '["x",1.5]'),
        ('say "hi"', '"say \\"hi\\""'),
    ],
)
def test_marshal_encodes_like_go_json_marshal(
    tmp_path: Path, spelling: str, value: object, expected: str
) -> None:
    # A settings file may hold any JSON value, not only an object.
    assert render_text(tmp_path, spelling, settings={"v.json": json.dumps(value)}) == expected


def test_marshal_of_undefined_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(FlexibleConfigError, match=r"krakend\.json:1: 'nope' is undefined"):
        render_text(tmp_path, "{{ nope | marshal }}")


def test_plain_output_of_bool_none_and_containers_is_json(tmp_path: Path) -> None:
    settings = {"s.json": '{"on": true, "off": false, "nil": null, "d": {"k": [1]}}'}
    out = render_text(tmp_path, "{{ s.on }} {{ s.off }} {{ s.nil }} {{ s.d }}", settings=settings)
    assert out == 'true false null {"k":[1]}'


def test_env_function_mapping_and_defaults(tmp_path: Path) -> None:
    template = (
        '{{ env("NAME") }}|{{ env("UNSET") }}|{{ env("UNSET", "dflt") }}|{{ env.NAME }}'
        '|{{ env("EMPTY", "x") }}|{{ s.missing | default(7) }}|{{ env.get("UNSET", 3) }}'
    )
    env = {"NAME": "gw", "EMPTY": ""}
    out = render_text(tmp_path, template, settings={"s.json": "{}"}, env=env)
    assert out == "gw||dflt|gw||7|3"


def test_env_attribute_of_unset_variable_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FlexibleConfigError, match=r"krakend\.json:1: .*no attribute 'UNSET'"):
        render_text(tmp_path, "{{ env.UNSET }}")


def test_sprig_like_filters(tmp_path: Path) -> None:
    out = render_text(tmp_path, '{{ "ab" | upper }} {{ "AB" | lower }} {{ b64enc("user:pw") }}')
    assert out == "AB ab dXNlcjpwdw=="
    assert render_text(tmp_path / "2", '{{ "dXNlcjpwdw==" | b64dec }}') == "user:pw"


def test_undefined_variable_error_has_file_and_line(tmp_path: Path) -> None:
    template = '{\n  "port": {{ service.port }},\n  "name": "{{ nope }}"\n}\n'
    with pytest.raises(FlexibleConfigError) as info:
        render_text(tmp_path, template, settings={"service.json": '{"port": 1}'})
    assert str(info.value) == f"{tmp_path / 'krakend.json'}:3: 'nope' is undefined"


def test_undefined_variable_in_sub_template_names_that_template(tmp_path: Path) -> None:
    templates = {"e.tmpl": "ok\n{{ service.missing }}\n"}
    with pytest.raises(FlexibleConfigError) as info:
        render_text(
            tmp_path, '{% include "e.tmpl" %}', settings={"service.json": "{}"}, templates=templates
        )
    assert str(info.value).startswith(f"{tmp_path / 'templates' / 'e.tmpl'}:2: ")
    assert "has no attribute 'missing'" in str(info.value)


@pytest.mark.parametrize(
    "go",
    ["{{ .service.port }}", '{{ template "e.tmpl" . }}', '{{ include "f" }}', '{{ env "X" }}'],
)
def test_go_syntax_is_a_syntax_error_with_file_line_and_hint(tmp_path: Path, go: str) -> None:
    with pytest.raises(FlexibleConfigError) as info:
        render_text(tmp_path, f'{{\n  "port": {go}\n}}')
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'krakend.json'}:2: ")
    assert message.endswith("(Go template syntax? see docs/flexible-config.md)")


def test_syntax_error_in_sub_template_names_that_template(tmp_path: Path) -> None:
    with pytest.raises(FlexibleConfigError) as info:
        render_text(tmp_path, '{% include "e.tmpl" %}', templates={"e.tmpl": "ok\n{% if %}\n"})
    assert str(info.value).startswith(f"{tmp_path / 'templates' / 'e.tmpl'}:2: ")


def test_include_without_fc_templates_says_it_is_not_set(tmp_path: Path) -> None:
    with pytest.raises(
        FlexibleConfigError, match=r"'e\.tmpl' not found in FC_TEMPLATES \(not set\)"
    ):
        render_text(tmp_path, '{% include "e.tmpl" %}')


def test_fc_templates_must_be_a_directory(tmp_path: Path) -> None:
    env = {"FC_ENABLE": "1", "FC_ENGINE": "jinja2", "FC_TEMPLATES": str(tmp_path / "nope")}
    with pytest.raises(FlexibleConfigError, match="FC_TEMPLATES is not a directory"):
        render_if_enabled(write(tmp_path / "krakend.json", "{}"), env)


def test_disabled_returns_none_without_reading_anything(tmp_path: Path) -> None:
    missing = tmp_path / "does-not-exist.json"
    assert render_if_enabled(missing, {}) is None
    assert render_if_enabled(missing, {"FC_ENABLE": "", "FC_OUT": str(tmp_path / "o")}) is None
    assert not (tmp_path / "o").exists()


def test_any_non_empty_fc_enable_enables_it(tmp_path: Path) -> None:
    path = write(tmp_path / "krakend.json", '{"v": "{{ env("X") }}"}')
    assert render_if_enabled(path, {"FC_ENABLE": "0", "FC_ENGINE": "jinja2", "X": "y"}) == (
        '{"v": "y"}'
    )


def test_fc_out_receives_the_rendered_text(tmp_path: Path) -> None:
    path = write(tmp_path / "krakend.json", '{"port": {{ 4000 + 2 }}}\n')
    out = tmp_path / "out.json"
    text = render_if_enabled(path, {"FC_ENABLE": "1", "FC_ENGINE": "jinja2", "FC_OUT": str(out)})
    assert text == '{"port": 4002}\n'  # keep_trailing_newline
    assert out.read_text(encoding="utf-8") == text


def test_worked_example_renders_valid_json(monkeypatch: pytest.MonkeyPatch) -> None:
    # The FC_* paths are relative, as in the docs, so run from the example directory.
    monkeypatch.chdir(EXAMPLE)
    env = {
        "FC_ENABLE": "1",
        "FC_ENGINE": "jinja2",
        "FC_SETTINGS": "settings",
        "FC_TEMPLATES": "templates",
        "FC_PARTIALS": "partials",
        "SERVICE_NAME": "from env",
    }
    text = render_if_enabled(Path("krakend.json"), env)
    assert text is not None
    hosts = ["http://users:8000", "http://users-2:8000"]
    assert json.loads(text) == {
        "version": 3,
        "name": "from env",
        "port": 8080,
        "debug_endpoint": False,
        "extra_config": {"router": {"return_error_msg": True}},
        "endpoints": [
            {
                "endpoint": "/users/{id}",
                "method": "GET",
                "backend": [{"host": hosts, "url_pattern": "/v1/users/{id}"}],
            },
            {
                "endpoint": "/users",
                "method": "POST",
                "backend": [{"host": hosts, "url_pattern": "/v1/users"}],
            },
        ],
    }
