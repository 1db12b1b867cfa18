"""`trio-gateway check` as CI runs it: KrakenD's flags (`-tlc FILE`), formats, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trio_gateway.cli import _parser

ROOT = Path(__file__).resolve().parents[2]
GOOD = "tests/config/fixtures/krakend.json"
FOUR = "tests/config/fixtures/four_problems.json"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trio_gateway", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    ("argv", "config", "routes", "lint", "debug"),
    [
        (["-tlc", "k.json"], "k.json", True, True, 0),
        (["-tnc", "k.json"], "k.json", True, False, 0),
        (["-dc", "k.json"], "k.json", False, False, 1),
        (["-ddtc", "k.json"], "k.json", True, False, 2),
        (["-d", "-l", "-c", "k.json"], "k.json", False, True, 1),
        (["--test-gin-routes", "--lint", "--config=k.json"], "k.json", True, True, 0),
    ],
)
def test_krakend_check_flags_combine_as_in_krakend(
    argv: list[str], config: str, routes: bool, lint: bool, debug: int
) -> None:
    args = _parser().parse_args(["check", *argv])
    assert (args.config, args.test_gin_routes, args.lint, args.debug) == (
        config,
        routes,
        lint,
        debug,
    )


def test_check_tlc_runs_routes_and_lint() -> None:
    # `-l` needs the schema module (trio_gateway.config.schema); until then it says it cannot lint
    result = _cli("check", "-tlc", GOOD)
    lint_available = result.returncode == 0
    if lint_available:
        assert "GET /products/:category" in result.stdout.splitlines()
    else:
        assert result.returncode == 1
        assert "--lint is not available" in result.stderr
    result = _cli("check", "-tc", GOOD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "GET /__health",
        "ANY /__echo/*param",
        "GET /products/:category",
    ]


def test_check_format_json_is_parsed_by_a_program() -> None:
    result = _cli("check", "--format", "json", "-c", FOUR)
    assert (result.returncode, result.stderr) == (1, "")
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert {(e["path"], e["line"]) for e in report["errors"]} == {
        ("$.port", 3),
        ("$.version", 2),
        ("$.endpoints[1].timeout", 12),
        ("$.endpoints[0].backend[0].url_pattern", 8),
    }


def test_check_format_github_annotates() -> None:
    result = _cli("check", "--format=github", "-c", FOUR)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        f'::error file={FOUR},line=3,col=3::$.port: expected an integer, got string "80 80"'
    )


def test_a_dump_piped_to_a_file_passes_check_strict(tmp_path: Path) -> None:
    dumped = tmp_path / "effective.json"
    result = _cli("check", "-d", "-c", "configs/demo.json")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "OK: configs/demo.json: 4 endpoint(s), 7 backend(s)"
    dumped.write_text(result.stdout, encoding="utf-8")
    again = _cli("check", "--strict", "-c", str(dumped))
    assert (again.returncode, again.stderr) == (0, ""), again.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["check"],
        ["check", "--format", "xml", "-c", GOOD],
        ["check", "-c"],
        ["check", "--bogus", "-c", GOOD],
    ],
)
def test_usage_errors_exit_2(argv: list[str]) -> None:
    result = _cli(*argv)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_strict_warnings_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "krakend.json"
    path.write_text(json.dumps({"version": 3, "nme": "x"}), encoding="utf-8")
    assert _cli("check", "-c", str(path)).returncode == 0
    result = _cli("check", "--strict", "-c", str(path))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith(f"{path}:1:16: error: $.nme: unknown key")


@pytest.mark.parametrize("indent", ["\t", "    ", ""])
def test_check_indent_sets_the_dumps_indentation_and_keeps_it_json(indent: str) -> None:
    result = _cli("check", "-d", "-i", indent, "-c", GOOD)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert json.loads(result.stdout)["version"] == 3
    if indent:
        assert lines[1].startswith(indent + '"') and not lines[1].startswith(indent * 2)
    else:
        assert len(lines) > 3 and all(not line.startswith((" ", "\t")) for line in lines)


def test_check_indent_that_would_break_the_json_is_a_usage_error() -> None:
    result = _cli("check", "-d", "-i", "> ", "-c", GOOD)
    assert result.returncode == 2
    assert "the indentation must be spaces and tabs only" in result.stderr
    assert result.stdout == ""
