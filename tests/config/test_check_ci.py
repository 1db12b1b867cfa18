"""`check` for CI: located diagnostics, `--format json|github`, `-d` alone on stdout and passing
`--strict` again, `-t` routes, `-l`/`-s` linting."""

from __future__ import annotations

import io
import json
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from trio_gateway.config.check import run_check
from trio_gateway.config.diagnostics import Diagnostic

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
FOUR = FIXTURES / "four_problems.json"


def check(path: Path | str, **options: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    options.setdefault("env", {})
    code = run_check(str(path), out=out, err=err, **options)
    return code, out.getvalue(), err.getvalue()


def test_json_format_is_one_object_with_located_diagnostics() -> None:
    code, out, err = check(FOUR, output="json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert report["ok"] is False
    assert report["warnings"] == []
    assert [(e["path"], e["line"], e["column"]) for e in report["errors"]] == [
        ("$.port", 3, 3),
        ("$.endpoints[1].timeout", 12, 7),
        ("$.version", 2, 3),
        ("$.endpoints[0].backend[0].url_pattern", 8, 20),
    ]
    placeholder = report["errors"][3]
    assert placeholder == {
        "severity": "error",
        "path": "$.endpoints[0].backend[0].url_pattern",
        "file": str(FOUR),
        "line": 8,
        "column": 20,
        "message": "undefined placeholder {usr_id}: not an endpoint parameter",
        "hint": "did you mean {user_id}?",
        "code": None,
    }


def test_json_format_of_a_valid_config_with_warnings(tmp_path: Path) -> None:
    path = tmp_path / "krakend.yaml"
    path.write_text(
        "version: 3\nhost: [http://a:8000]\nendpoints:\n  - endpoint: /x\n"
        "    backend:\n      - url_pattern: /x\n        timeout: 1s\n",
        encoding="utf-8",
    )
    code, out, _ = check(path, output="json", routes=True)
    report = json.loads(out)
    assert code == 0
    assert report["ok"] is True and report["errors"] == []
    [warning] = report["warnings"]
    assert (warning["path"], warning["line"], warning["column"]) == (
        "$.endpoints[0].backend[0].timeout",
        7,
        9,
    )
    assert report["routes"] == [
        {"method": "GET", "path": "/__health"},
        {"method": "GET", "path": "/x"},
    ]
    code, out, _ = check(path, output="json", strict=True)
    report = json.loads(out)
    assert (code, report["ok"], len(report["errors"]), report["warnings"]) == (1, False, 1, [])


def test_json_format_of_a_syntax_error_has_no_json_path(tmp_path: Path) -> None:
    path = tmp_path / "krakend.json"
    path.write_text('{\n  "version": 3\n  "port": 8080\n}\n', encoding="utf-8")
    code, out, _ = check(path, output="json")
    [error] = json.loads(out)["errors"]
    assert code == 1
    assert (error["path"], error["line"], error["column"]) == (None, 3, 3)
    assert error["message"].startswith("invalid JSON")
    code, _, err = check(path)
    assert err.splitlines()[0] == f"{path}:3:3: error: invalid JSON: Expecting ',' delimiter"


def test_json_format_with_dump_puts_the_config_in_the_object() -> None:
    code, out, err = check(FIXTURES / "krakend.json", output="json", dump=True)
    report = json.loads(out)
    assert (code, err, report["ok"]) == (0, "", True)
    assert report["config"]["port"] == 8080


def test_github_format_annotates_each_diagnostic() -> None:
    code, out, err = check(FOUR, output="github")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        f'::error file={FOUR},line=3,col=3::$.port: expected an integer, got string "80 80"'
    )
    assert lines[3] == (
        f"::error file={FOUR},line=8,col=20::$.endpoints[0].backend[0].url_pattern: undefined "
        "placeholder {usr_id}: not an endpoint parameter (hint: did you mean {user_id}?)"
    )
    assert len(lines) == 4
    assert err == "4 error(s), 0 warning(s)\n"


def test_github_format_escapes_what_the_runner_would_read(tmp_path: Path) -> None:
    path = tmp_path / "a,b:c.json"
    path.write_text('{"version": 3, "host": ["http://a:8000"], "x%\\n": 1}', encoding="utf-8")
    code, out, _ = check(path, output="github")
    assert code == 0
    [line] = out.splitlines()  # one line: the newline in the message is escaped
    assert line.startswith(f"::warning file={str(tmp_path).replace(':', '%3A')}/a%2Cb%3Ac.json,")
    assert line.endswith('::$["x%25\\n"]: unknown key `x%25%0A` (ignored)')


def test_warnings_become_annotations_and_ok_goes_to_stderr_in_github_format(
    tmp_path: Path,
) -> None:
    path = tmp_path / "krakend.json"
    path.write_text(
        json.dumps({"version": 3, "host": ["http://a:8000"], "endpoints": [], "nme": "x"}),
        encoding="utf-8",
    )
    code, out, err = check(path, output="github")
    assert code == 0
    assert out.startswith(f"::warning file={path},line=1,col=")
    assert err == f"OK: {path}: 0 endpoint(s), 0 backend(s)\n"


DUMPED = [
    FIXTURES / "krakend.json",
    FIXTURES / "formats.json",
    FIXTURES / "formats.yaml",
    FIXTURES / "formats.toml",
    FIXTURES / "namespaces.json",
    ROOT / "configs" / "demo.json",
]


@pytest.mark.parametrize("source", DUMPED, ids=[p.name for p in DUMPED])
def test_a_dump_is_only_json_and_passes_check_strict(source: Path, tmp_path: Path) -> None:
    local = tmp_path / source.name
    shutil.copytree(source.parent, tmp_path, dirs_exist_ok=True)  # files it names, if any
    code, out, err = check(local, dump=True)
    assert code == 0, err
    assert err.splitlines()[-1].startswith(f"OK: {local}: ")
    dumped = tmp_path / "dumped.json"
    dumped.write_text(out, encoding="utf-8")
    json.loads(out)  # stdout holds the dump and nothing else
    code, _, err = check(dumped, strict=True)
    assert (code, err) == (0, ""), err
    again = io.StringIO()
    run_check(str(dumped), dump=True, out=again, err=io.StringIO(), env={})
    assert json.loads(again.getvalue()) == json.loads(out)  # a fixed point


def test_routes_are_printed_before_ok() -> None:
    path = FIXTURES / "krakend.json"
    code, out, err = check(path, routes=True)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "GET /__health",
        "ANY /__echo/*param",
        "GET /products/:category",
        "POST /users/:user_id/orders",
        "PUT /checkout/:cart",
        "GET /feed",
        f"OK: {path}: 4 endpoint(s), 7 backend(s)",
    ]


def test_routes_with_dump_go_to_stderr_and_include_the_debug_endpoint() -> None:
    code, out, err = check(FIXTURES / "krakend.json", routes=True, dump=True)
    assert code == 0
    json.loads(out)
    assert "ANY /__debug/*param" in err.splitlines()  # krakend-cobra: -d turns debug on


def test_routes_are_not_printed_for_a_bad_config() -> None:
    code, out, err = check(FOUR, routes=True)
    assert (code, out) == (1, "")
    assert "/users" not in err


def test_a_key_set_by_the_environment_has_no_position(tmp_path: Path) -> None:
    path = tmp_path / "krakend.json"
    path.write_text('{\n  "version": 3,\n  "port": 8080\n}', encoding="utf-8")
    code, _, err = check(path, env={"KRAKEND_PORT": '"x"'})
    assert code == 1
    assert err.splitlines()[0].startswith("error: $.port: ")


def test_lint_without_a_schema_module_is_an_error_that_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "trio_gateway.config.schema", None)  # import fails
    code, out, _ = check(FIXTURES / "krakend.json", lint=True, output="json")
    [error] = json.loads(out)["errors"]
    assert code == 1
    assert (error["code"], error["path"]) == ("lint-unavailable", "$")


def test_lint_calls_the_schema_module_on_the_parsed_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[Any] = []

    def lint(data: Any) -> list[Diagnostic]:
        seen.append(data)
        return [Diagnostic("error", "$.endpoints[0].backend", "too few items", code="lint")]

    module = types.ModuleType("trio_gateway.config.schema")
    module.lint = lint  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "trio_gateway.config.schema", module)
    path = FIXTURES / "krakend.json"
    code, _, err = check(path, lint=True)
    assert code == 1
    assert seen[0] == json.loads(path.read_text(encoding="utf-8"))
    assert err.splitlines()[0].startswith(f"{path}:")
    assert ": error: $.endpoints[0].backend: too few items" in err.splitlines()[0]
    code, _, _ = check(path)
    assert code == 0  # without -l the schema is not consulted
    assert len(seen) == 1


class _FakeFastjsonschema(types.ModuleType):
    """What `-s` uses when `jsonschema` is missing: fastjsonschema's API, enough for a test."""

    class JsonSchemaDefinitionException(Exception):
        pass

    class JsonSchemaValueException(Exception):
        def __init__(self, message: str, path: list[Any]) -> None:
            super().__init__(message)
            self.message = message
            self.path = path

    def compile(self, schema: Any) -> Any:
        required = schema.get("required", [])

        def validate(data: Any) -> None:
            for key in required:
                if key not in data:
                    raise self.JsonSchemaValueException(f"data must contain {key}", ["data"])

        return validate


def test_lint_schema_validates_against_a_schema_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    monkeypatch.setitem(sys.modules, "fastjsonschema", _FakeFastjsonschema("fastjsonschema"))
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"required": ["version", "name"]}), encoding="utf-8")
    code, out, _ = check(FIXTURES / "four_problems.json", lint_schema=str(schema), output="json")
    errors = json.loads(out)["errors"]
    assert code == 1
    assert [e for e in errors if e["code"] == "lint"] == [
        {
            "severity": "error",
            "path": "$",
            "file": str(FIXTURES / "four_problems.json"),
            "line": 1,
            "column": 1,
            "message": "data must contain name",
            "hint": None,
            "code": "lint",
        }
    ]


def test_lint_schema_without_a_validator_package_says_which_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    monkeypatch.setitem(sys.modules, "fastjsonschema", None)
    schema = tmp_path / "schema.json"
    schema.write_text("{}", encoding="utf-8")
    code, _, err = check(FIXTURES / "krakend.json", lint_schema=str(schema))
    assert code == 1
    assert "needs the jsonschema (or fastjsonschema) Python package" in err


def test_lint_schema_that_cannot_be_read_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    code, _, err = check(FIXTURES / "krakend.json", lint_schema=str(missing))
    assert code == 1
    assert err.splitlines()[0] == (
        f"error: {missing}: cannot read the schema file: No such file or directory"
    )


def test_a_flexible_configuration_is_not_located(tmp_path: Path) -> None:
    # the rendered text is not the file the user wrote: no line numbers that would mislead
    path = tmp_path / "krakend.json"
    path.write_text('{\n  "version": 3,\n  "nme": "{{ 1 }}"\n}', encoding="utf-8")
    code, _, err = check(path, env={"FC_ENABLE": "1"})
    assert code == 0
    assert err.startswith("warning: $.nme: unknown key")
    code, _, err = check(path)
    assert err.startswith(f"{path}:3:3: warning: $.nme: unknown key")


def test_lint_schema_with_jsonschema_reports_every_finding_at_its_path(tmp_path: Path) -> None:
    pytest.importorskip("jsonschema")
    schema = tmp_path / "schema.json"
    schema.write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "required": ["name"],
                "properties": {
                    "port": {"type": "integer"},
                    "endpoints": {"items": {"required": ["method"]}},
                },
            }
        ),
        encoding="utf-8",
    )
    code, out, _ = check(FOUR, lint_schema=str(schema), output="json")
    found = [(e["path"], e["line"]) for e in json.loads(out)["errors"] if e["code"] == "lint"]
    assert code == 1
    assert found == [
        ("$", 1),
        ("$.endpoints[0]", 6),
        ("$.endpoints[1]", 10),
        ("$.port", 3),
    ]


def test_lint_findings_fail_the_check_as_krakend_lint_does(tmp_path: Path) -> None:
    """`krakend check -l` exits 1 on schema errors; without `-l` the same file passes."""
    config = tmp_path / "krakend.json"
    config.write_text(
        json.dumps(
            {
                "version": 3,
                "endpoints": [
                    {
                        "endpoint": "/x",
                        "backend": [{"url_pattern": "/", "host": ["http://a:8000"], "x-y": 1}],
                    }
                ],
            }
        )
    )
    out, err = io.StringIO(), io.StringIO()
    assert run_check(str(config), out=out, err=err, env={}) == 0
    out, err = io.StringIO(), io.StringIO()
    assert run_check(str(config), lint=True, out=out, err=err, env={}) == 1
    assert 'error: $.endpoints[0].backend[0]["x-y"]: unknown key `x-y`' in err.getvalue()
