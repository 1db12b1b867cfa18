"""Input built to break a loader: every case is a `ConfigError` with a clear message (at a JSON
path or a file position), or loads; never a traceback, a hang or a blowup (`check` included)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from trio_gateway.config import ConfigError, load_config, load_config_data
from trio_gateway.config.check import run_check
from trio_gateway.config.plain import MAX_DEPTH, TOO_DEEP

ROOT = Path(__file__).resolve().parents[2]
BASE = '{"version": 3, "host": ["http://127.0.0.1:8000"], '


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


def messages(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    return [str(d) for d in info.value.diagnostics]


def check(path: Path, dump: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_check(str(path), strict=False, dump=dump, out=out, err=err, env={})
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 500, 5000, 200_000])
@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ('{"a": ', "}")])
def test_deep_json_nesting_is_an_error(
    tmp_path: Path, levels: int, opening: str, closing: str
) -> None:
    text = BASE + '"extra_config": {"x/y": ' + opening * levels + "1" + closing * levels + "}}"
    found = messages(write(tmp_path, "deep.json", text))
    assert len(found) == 1
    assert TOO_DEEP in found[0]
    # located: a JSON path into the data, or a line:column in the file
    assert found[0].startswith('error: $.extra_config["x/y"]') or ":1:" in found[0]


def test_nesting_within_the_bound_loads(tmp_path: Path) -> None:
    levels = MAX_DEPTH - 5
    text = BASE + '"extra_config": {"x/y": ' + "[" * levels + "1" + "]" * levels + "}}"
    path = write(tmp_path, "ok.json", text)
    assert load_config(path, env={}).config.extra_config.raw["x/y"]
    assert check(path, dump=True)[0] == 0


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("yaml", "version: 3\nextra_config:\n  x/y: " + "[" * 1000 + "]" * 1000 + "\n"),
        ("toml", "version = 3\n[extra_config]\nx = " + "[" * 1000 + "]" * 1000 + "\n"),
    ],
)
def test_deep_yaml_and_toml_are_errors(tmp_path: Path, fmt: str, text: str) -> None:
    found = messages(write(tmp_path, f"deep.{fmt}", text))
    assert len(found) == 1 and "nested too deeply" in found[0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("18446744073709551616", "number 1.8446744073709552e+19 is out of range for a 64-bit"),
        ("-1e19", "number -1e+19 is out of range for a 64-bit integer"),
        ("1e30", "number 1e+30 is out of range for a 64-bit integer"),
    ],
)
def test_integers_over_64_bits_in_an_integer_field_are_errors(
    tmp_path: Path, value: str, message: str
) -> None:
    found = messages(write(tmp_path, "big.json", BASE + '"port": ' + value + "}"))
    assert len(found) == 1 and found[0].startswith("error: $.port: ") and message in found[0]


@pytest.mark.parametrize("value", ["1e400", "-1e400", "9" * 400, "1" * 5000])
def test_numbers_beyond_float64_are_syntax_errors(tmp_path: Path, value: str) -> None:
    # Go's encoding/json: "cannot unmarshal number ... into Go value of type float64".
    path = write(tmp_path, "huge.json", BASE + '"extra_config": {"x/y": ' + value + "}}")
    found = messages(path)
    assert len(found) == 1
    assert found[0].startswith(f"error: {path}:1:")
    assert "out of range (Go's float64 cannot hold it)" in found[0]


def test_big_integers_elsewhere_load_as_float64_and_dump(tmp_path: Path) -> None:
    text = BASE + '"extra_config": {"x/y": {"n": 1180591620717411303424, "m": -1e300}}}'
    path = write(tmp_path, "big.json", text)
    raw = load_config(path, env={}).config.extra_config.raw["x/y"]
    assert raw == {"n": 2.0**70, "m": -1e300}
    code, out, _ = check(path, dump=True)
    assert code == 0
    assert "1.1805916207174113e+21" in out


def test_lone_surrogates_become_the_replacement_character_as_in_go(tmp_path: Path) -> None:
    # Go's encoding/json unquote: an invalid surrogate decodes as U+FFFD.
    text = (
        BASE + '"name": "a\\ud800b", "extra_config": {"x/\\udfff": {"\\udc00": "\\ud800\\ud800"}}}'
    )
    path = write(tmp_path, "surrogates.json", text)
    loaded = load_config(path, env={})
    assert loaded.config.name == "a\ufffdb"
    assert loaded.config.extra_config.raw == {"x/\ufffd": {"\ufffd": "\ufffd\ufffd"}}
    code, out, err = check(path, dump=True)
    assert code == 0
    assert '"name": "a\ufffdb"' in out
    assert all(not 0xD800 <= ord(c) <= 0xDFFF for c in out + err)


def test_a_pair_of_surrogates_is_one_character(tmp_path: Path) -> None:
    path = write(tmp_path, "pair.json", BASE + '"name": "\\ud83d\\ude00"}')
    assert load_config(path, env={}).config.name == "\U0001f600"


def test_a_surrogate_in_the_file_name_is_printable(tmp_path: Path) -> None:
    name = "bad\udcff.json"
    try:
        path = write(tmp_path, name, BASE + '"name": "x"}')
    except (OSError, UnicodeEncodeError):  # pragma: no cover (a file system without bytes names)
        pytest.skip("the file system does not take undecodable names")
    code, out, _ = check(path)
    assert code == 0 and out.startswith("OK: ") and "\ufffd" in out


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("version: 3\na: &a [*a]\n", "$.a[0]"),
        ("version: 3\na: &a {b: *a}\n", "$.a.b"),
        ("version: 3\nextra_config:\n  x/y: &a [1, [2, *a]]\n", '$.extra_config["x/y"][1][1]'),
    ],
)
def test_a_yaml_alias_that_contains_itself_is_an_error(
    tmp_path: Path, text: str, path: str
) -> None:
    found = messages(write(tmp_path, "loop.yaml", text))
    assert found == [f"error: {path}: this value contains itself (a recursive YAML alias)"]


BILLION_LAUGHS = """\
version: 3
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
j: &j [*i,*i,*i,*i,*i,*i,*i,*i,*i]
k: &k [*j,*j,*j,*j,*j,*j,*j,*j,*j]
l: &l [*k,*k,*k,*k,*k,*k,*k,*k,*k]
m: &m [*l,*l,*l,*l,*l,*l,*l,*l,*l]
n: &n [*m,*m,*m,*m,*m,*m,*m,*m,*m]
o: &o [*n,*n,*n,*n,*n,*n,*n,*n,*n]
"""


def test_a_billion_laughs_is_refused_with_bounded_work(tmp_path: Path) -> None:
    path = write(tmp_path, "laughs.yaml", BILLION_LAUGHS)
    tracemalloc.start()
    try:
        found = messages(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(found) == 1
    assert "excessive aliasing" in found[0]
    assert found[0].startswith("error: $.")
    assert peak < 64 * 1024 * 1024  # the expansion is ~10**15 values; we stop near 1000


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    text = (
        "version: 3\nhost: [http://127.0.0.1:8000]\nendpoints:\n"
        "  - endpoint: /a\n    backend: &b [{url_pattern: /x}]\n"
        "  - endpoint: /b\n    backend: *b\n"
    )
    loaded = load_config(write(tmp_path, "alias.yaml", text), env={})
    assert [e.backend[0].url_pattern for e in loaded.config.endpoints] == ["/x", "/x"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"version": 3, "extra_config": {"x/y": {1, 2}}}, "a set is not a JSON value"),
        ({"version": 3, "name": b"x"}, "a bytes is not a JSON value"),
        ({"version": 3, "port": float("nan")}, "nan is not a JSON number"),
        ({"version": 3, (1, 2): 1}, "a key of type tuple is not a JSON object key"),
    ],
)
def test_python_data_that_is_not_json_is_an_error(data: dict[Any, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_data(data)
    assert [d.message for d in info.value.diagnostics] == [message]


def test_python_data_that_contains_itself_is_an_error() -> None:
    data: dict[str, Any] = {"version": 3, "extra_config": {}}
    data["extra_config"]["x/y"] = data
    with pytest.raises(ConfigError) as info:
        load_config_data(data)
    assert [d.path for d in info.value.diagnostics] == ['$.extra_config["x/y"]']


def test_an_exception_of_ours_is_one_internal_error_diagnostic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from trio_gateway.config import load

    def broken(config: Any) -> list[Any]:
        raise KeyError("oops")

    monkeypatch.setattr(load, "validate", broken)
    with pytest.raises(ConfigError) as info:
        load_config_data({"version": 3})
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.message == "internal error while loading: KeyError: 'oops'"
    assert diagnostic.hint and "bug" in diagnostic.hint
    assert isinstance(info.value.__cause__, KeyError)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", BASE + '"extra_config": {"x/y": ' + "[" * 100_000 + "]" * 100_000 + "}}"),
        ("laughs.yaml", BILLION_LAUGHS),
        ("loop.yaml", "version: 3\na: &a [*a]\n"),
        ("big.json", BASE + '"port": 1' + "0" * 30 + "}"),
    ],
)
def test_the_cli_check_prints_one_line_per_diagnostic_and_exits_1(
    tmp_path: Path, name: str, text: str
) -> None:
    path = write(tmp_path, name, text)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "trio_gateway", "check", "-d", "-c", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[-1] == "1 error(s), 0 warning(s)"
    # located (`FILE:LINE:COL: error: ...`) when the parser tells where
    assert len(lines) == 2 and re.match(rf"({re.escape(str(path))}:\d+:\d+: )?error: ", lines[0])
    assert result.stdout == ""


def test_check_of_a_huge_but_legal_file_is_fine(tmp_path: Path) -> None:
    endpoints = [
        {"endpoint": f"/e{i}", "backend": [{"url_pattern": f"/b{i}"}]} for i in range(2000)
    ]
    data = {"version": 3, "host": ["http://127.0.0.1:8000"], "endpoints": endpoints}
    path = write(tmp_path, "many.json", json.dumps(data))
    code, out, _ = check(path)
    assert code == 0 and out.startswith("OK: ") and "2000 endpoint(s)" in out


def test_environment_values_follow_the_json_rules_of_the_file(tmp_path: Path) -> None:
    # NaN and 1e400 are not JSON for Go: such a value stays the text KrakenD has.
    path = write(tmp_path, "env.json", BASE + '"name": "x"}')
    env = {"KRAKEND_PORT": "1e400", "KRAKEND_EXTRA": "NaN", "KRAKEND_DEBUG_ENDPOINT": "[" * 5000}
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env)
    assert [(d.path, d.message) for d in info.value.errors] == [
        ("$.port", 'expected an integer, got string "1e400"'),
        ("$.debug_endpoint", f'expected a boolean, got string "{"[" * 37}..."'),
    ]
    assert any(d.path == "$.extra" for d in info.value.diagnostics)
