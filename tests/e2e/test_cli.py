"""The commands as a user runs them: separate processes, real ports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import trio

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trio_gateway", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_version() -> None:
    result = _cli("version")
    assert result.returncode == 0
    assert result.stdout.startswith("trio-gateway ")


def test_check_ok_and_errors(tmp_path: Path) -> None:
    ok = _cli("check", "-c", "configs/demo.json")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "OK: configs/demo.json: 4 endpoint(s), 7 backend(s)"

    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "version": 3,
                "endpoints": [
                    {
                        "endpoint": "/u/{user_id}",
                        "backend": [{"host": ["h:8080"], "url_pattern": "/{usr_id}"}],
                    },
                    {"endpoint": "/o", "backend": [{"host": ["h:8080"], "url_patern": "/o"}]},
                ],
            }
        )
    )
    result = _cli("check", "-c", str(bad))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(
        f"{bad}:1:92: error: $.endpoints[0].backend[0].url_pattern: "
        "undefined placeholder {usr_id}"
    )
    assert "did you mean {user_id}?" in lines[0]
    assert lines[1].startswith(f"{bad}:1:175: warning: $.endpoints[1].backend[0].url_patern")
    assert lines[-1] == "1 error(s), 1 warning(s)"


async def _wait_for(url: str, proc: trio.Process) -> None:
    async with httpx.AsyncClient() as client:
        with trio.fail_after(30):
            while True:
                assert proc.returncode is None, "the server exited"
                try:
                    await client.get(url)
                    return
                except httpx.TransportError:
                    await trio.sleep(0.1)


async def _serve_and_query(
    command: list[str], env: dict[str, str], port: int, path: str
) -> tuple[httpx.Response, int | None]:
    proc = await trio.lowlevel.open_process(command, env=env, cwd=ROOT)
    try:
        await _wait_for(f"http://127.0.0.1:{port}/__health", proc)
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}{path}")
        proc.send_signal(signal.SIGTERM)
        with trio.fail_after(15):
            await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return response, proc.returncode


def _backend_config(tmp_path: Path, backend_url: str) -> Path:
    config = tmp_path / "krakend.json"
    config.write_text(
        json.dumps(
            {
                "version": 3,
                "port": 1,  # overridden by -p / --bind
                "host": [backend_url],
                "endpoints": [
                    {
                        "endpoint": "/user",
                        "backend": [{"url_pattern": "/json/user", "allow": ["name"]}],
                    }
                ],
            }
        )
    )
    return config


async def test_run_serves_and_stops_on_sigterm(tmp_path: Path, backend_url: str) -> None:
    config = _backend_config(tmp_path, backend_url)
    port = _free_port()
    response, code = await _serve_and_query(
        [sys.executable, "-m", "trio_gateway", "run", "-c", str(config), "-p", str(port)],
        dict(os.environ),
        port,
        "/user",
    )
    assert response.status_code == 200
    assert response.json() == {"name": "a"}
    assert code == 0


async def test_hypercorn_entry_point_reads_the_environment(
    tmp_path: Path, backend_url: str
) -> None:
    config = _backend_config(tmp_path, backend_url)
    port = _free_port()
    env = dict(os.environ, TRIO_GATEWAY_CONFIG=str(config))
    hypercorn = [sys.executable, "-m", "hypercorn", "trio_gateway:app", "--worker-class", "trio"]
    response, _ = await _serve_and_query(
        [*hypercorn, "--bind", f"127.0.0.1:{port}"], env, port, "/user"
    )
    assert response.status_code == 200
    assert response.json() == {"name": "a"}
    assert response.headers["x-krakend-completed"] == "true"


def test_run_with_a_bad_config_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 2}')
    result = _cli("run", "-c", str(bad))
    assert result.returncode == 1
    assert "unsupported version: 2 (want: 3)" in result.stderr
    assert "Traceback" not in result.stderr


def _worker_pids(pid: int) -> list[int]:
    """The multiprocessing workers among `pid`'s children (reading /proc: fast, local)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == pid and "spawn_main" in (entry / "cmdline").read_text():
                children.append(int(entry.name))
    return children


def _alive(pids: list[int]) -> bool:
    return any(Path(f"/proc/{p}").exists() for p in pids)


async def test_run_with_two_workers(tmp_path: Path, backend_url: str) -> None:
    config = _backend_config(tmp_path, backend_url)
    port = _free_port()
    command = [sys.executable, "-m", "trio_gateway", "run", "-c", str(config), "-p", str(port)]
    proc = await trio.lowlevel.open_process([*command, "--workers", "2"], cwd=ROOT)
    try:
        await _wait_for(f"http://127.0.0.1:{port}/__health", proc)
        workers = _worker_pids(proc.pid)
        assert len(workers) == 2
        for _ in range(10):  # a new connection each time: the kernel picks a worker per connection
            async with httpx.AsyncClient() as client:
                response = await client.get(f"http://127.0.0.1:{port}/user")
            assert response.json() == {"name": "a"}
        proc.send_signal(signal.SIGTERM)
        with trio.fail_after(20):
            await proc.wait()
        assert proc.returncode == 0
        assert not _alive(workers)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
