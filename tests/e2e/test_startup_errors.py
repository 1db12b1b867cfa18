"""How the gateway refuses to start: one line on stderr, the right exit code, no traceback; and
where it looks for a configuration nobody named (KrakenD's image: ./krakend.json, then
/etc/krakend/krakend.json)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from trio_gateway.cli import _workers
from trio_gateway.config.locate import NoConfigFound, locate_config

ROOT = Path(__file__).resolve().parents[2]
VALID = {
    "version": 3,
    "endpoints": [
        {"endpoint": "/x", "backend": [{"host": ["http://127.0.0.1:8080"], "url_pattern": "/x"}]}
    ],
}


def _cli(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trio_gateway", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=env,
    )


def _hypercorn(*args: str, cwd: Path, config: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRIO_GATEWAY_CONFIG"}
    env["PYTHONPATH"] = str(ROOT)
    if config is not None:
        env["TRIO_GATEWAY_CONFIG"] = config
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "hypercorn", "trio_gateway:app", "--worker-class", "trio"]
    return subprocess.run(
        [*command, "--bind", f"127.0.0.1:{port}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=env,
    )


def test_version_flag() -> None:
    result = _cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip().startswith("trio-gateway ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "-c", "configs/demo.json", "-p", "70000"), "port 70000 is out of range (0-65535)"),
        (("run", "-c", "configs/demo.json", "-p", "http"), "not a port number: 'http'"),
        (("run", "-c", "configs/demo.json", "-w", "0"), "at least one worker is needed, not 0"),
        (("run", "-c", "configs/demo.json", "-w", "many"), "not a worker count: 'many'"),
        (("run", "-c", "configs/demo.json", "--log-level", "verbose"), "unknown log level"),
        (("demo", "-p", "-1"), "port -1 is out of range"),
    ],
)
def test_bad_flags_are_usage_errors(args: tuple[str, ...], message: str) -> None:
    result = _cli(*args)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_workers_auto_is_one_per_usable_cpu() -> None:
    assert _workers("auto") == len(os.sched_getaffinity(0))
    assert _workers("3") == 3


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "krakend.json"
        config.write_text(json.dumps({**VALID, "listen_ip": "127.0.0.1", "port": port}))
        result = _cli("run", "-c", str(config))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"ERROR: cannot listen on 127.0.0.1:{port}: address already in use"
    )
    assert "Traceback" not in result.stderr


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    result = _cli("run", "-c", str(tmp_path / "nope.json"))
    assert result.returncode == 1
    assert "nope.json: cannot read the configuration file" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_a_config_nothing_is_served(tmp_path: Path) -> None:
    if Path("/etc/krakend/krakend.json").is_file():  # it would be found (and `run` would serve it)
        result = _cli("check", cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert "/etc/krakend/krakend.json" in result.stdout + result.stderr
        return
    for command in ("run", "check", "audit"):
        result = _cli(command, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert result.returncode == 2
        assert result.stderr.strip() == (
            f"trio-gateway {command}: error: no configuration file: looked for krakend.json and "
            "/etc/krakend/krakend.json; pass one with -c FILE"
        )


def test_krakend_json_in_the_working_directory_is_found(tmp_path: Path) -> None:
    (tmp_path / "krakend.json").write_text(json.dumps(VALID))
    result = _cli("check", cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK: krakend.json: 1 endpoint(s), 1 backend(s)"


def test_locate_config_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    second.write_text("{}")
    assert locate_config("named.json", candidates=[str(second)]) == "named.json"
    assert locate_config(None, candidates=[str(first), str(second)]) == str(second)
    first.write_text("{}")
    assert locate_config(None, candidates=[str(first), str(second)]) == str(first)
    with pytest.raises(NoConfigFound, match="set X=FILE"):
        locate_config(None, how="set X=FILE", candidates=[str(tmp_path / "c.json")])


def test_hypercorn_with_a_broken_config_exits_3_in_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": 3,')
    result = _hypercorn("-w", "0", cwd=tmp_path, config=str(broken))
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == (
        f"startup failed: the configuration is not valid: {broken}: 1 error(s) in the configuration"
    )
    assert any("invalid JSON" in line for line in lines)


def test_hypercorn_without_a_config_does_not_serve_the_demo(tmp_path: Path) -> None:
    result = _hypercorn("-w", "0", cwd=tmp_path, config=None)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    if not Path("/etc/krakend/krakend.json").is_file():
        assert result.stderr.strip().splitlines()[-1] == (
            "startup failed: no configuration file: looked for krakend.json and "
            "/etc/krakend/krakend.json; set TRIO_GATEWAY_CONFIG=FILE"
        )


def test_hypercorn_default_workers_says_why_and_leaves_no_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": 3,')
    result = _hypercorn(cwd=tmp_path, config=str(broken))
    assert "Traceback" not in result.stderr
    assert "startup failed: the configuration is not valid" in result.stderr


@pytest.mark.xfail(
    strict=True,
    reason="hypercorn 0.18.0's supervisor (default --workers 1) exits 0 whatever its worker's "
    "status (run.py: the second _join_exited; pgjones/hypercorn#269, fix in #372): use -w 0 or "
    "`trio-gateway run` (docs/operations.md)",
)
def test_hypercorn_default_workers_exit_status(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": 3,')
    assert _hypercorn(cwd=tmp_path, config=str(broken)).returncode != 0
