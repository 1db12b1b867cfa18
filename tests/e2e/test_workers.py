"""`run --workers N` as an operator meets it: the supervisor killed, the supervisor hung up on.

Workers must not outlive their supervisor (a restarted one would share the port with them through
SO_REUSEPORT); they stop as on SIGTERM: no new connections, in-flight requests finish.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import trio

from tests.e2e.backend_app import STATS
from tests.e2e.test_cli import ROOT, _free_port, _wait_for, _worker_pids
from trio_gateway.serving import workers as workers_module
from trio_gateway.serving.workers import stop_signals


def _config(tmp_path: Path, backend_url: str) -> Path:
    config = tmp_path / "krakend.json"
    config.write_text(
        json.dumps(
            {
                "version": 3,
                "listen_ip": "127.0.0.1",
                "host": [backend_url],
                "timeout": "10s",
                "endpoints": [
                    {"endpoint": "/slow", "backend": [{"url_pattern": "/delayed/?ms=1500"}]},
                    {"endpoint": "/user", "backend": [{"url_pattern": "/json/user"}]},
                ],
            }
        )
    )
    return config


def _running(pids: list[int]) -> list[int]:
    """The pids still running (a zombie nobody reaped yet has exited)."""
    out = []
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[0] != "Z":
            out.append(pid)
    return out


async def _wait_until_gone(pids: list[int], seconds: float = 10.0) -> list[int]:
    for _ in range(int(seconds / 0.1)):
        if not _running(pids):
            break
        await trio.sleep(0.1)
    return _running(pids)


def _port_is_free(port: int) -> bool:
    """Nothing accepts on the port, and it can be bound without SO_REUSEPORT."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) != errno.ECONNREFUSED:
            return False
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no user
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
    return True


async def _start(tmp_path: Path, backend_url: str) -> tuple[trio.Process, int, list[int], Path]:
    port = _free_port()
    log = tmp_path / "gateway.log"
    config = _config(tmp_path, backend_url)
    command = [sys.executable, "-m", "trio_gateway", "run", "-c", str(config)]
    with log.open("wb") as stderr:
        proc = await trio.lowlevel.open_process(
            [*command, "-p", str(port), "--workers", "2"], cwd=ROOT, stderr=stderr
        )
    await _wait_for(f"http://127.0.0.1:{port}/__health", proc)
    workers = []
    for _ in range(200):  # both workers serving (the health check reached one of them)
        workers = _worker_pids(proc.pid)
        if len(workers) == 2 and log.read_text().count("listening on http://") == 2:
            break
        await trio.sleep(0.1)
    assert len(workers) == 2
    assert log.read_text().count("listening on http://") == 2
    return proc, port, workers, log


async def test_workers_finish_and_exit_when_the_supervisor_is_killed(
    tmp_path: Path, backend_url: str
) -> None:
    proc, port, workers, log = await _start(tmp_path, backend_url)
    in_flight: list[httpx.Response] = []
    try:

        async def slow_request() -> None:
            async with httpx.AsyncClient(timeout=20) as client:
                in_flight.append(await client.get(f"http://127.0.0.1:{port}/slow"))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(slow_request)
            for _ in range(100):  # until the request is at the backend
                if STATS["/delayed/"]:
                    break
                await trio.sleep(0.05)
            assert STATS["/delayed/"] == 1
            proc.kill()  # SIGKILL: the supervisor cannot tell anyone
            await proc.wait()
            assert _running(workers)  # the one serving the request drains it
        assert len(in_flight) == 1 and in_flight[0].status_code == 200
        assert await _wait_until_gone(workers) == []
        assert _port_is_free(port)
        text = log.read_text()
        # each worker, by the pipe's EOF or PR_SET_PDEATHSIG's SIGTERM, whichever came first
        assert text.count(f"the supervisor (pid {proc.pid}) is gone: shutting down") == 2, text
        assert "Traceback" not in text
    finally:
        for pid in _running(workers):
            _kill(pid)
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def test_sighup_is_no_stop_signal_even_under_nohup() -> None:
    """SIGHUP reloads (tests/e2e/test_reload.py); it is listened to even when ignored at start."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        assert stop_signals() == (signal.SIGINT, signal.SIGTERM)
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert workers_module.RELOAD_SIGNAL == signal.SIGHUP


async def test_a_worker_stops_when_the_supervisors_end_of_the_pipe_closes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    read_end, write_end = os.pipe()
    stopped: list[bool] = []

    async def trigger(signals: AsyncIterator[int]) -> None:
        await workers_module._until_stopped(signals, read_end, 4242)
        stopped.append(True)

    try:
        with trio.open_signal_receiver(signal.SIGUSR1) as signals, trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(trigger, signals)
                await trio.sleep(0.05)
                assert not stopped  # the supervisor is alive: the worker serves
                os.close(write_end)  # what the kernel does when the supervisor dies
        assert stopped
        assert "the supervisor (pid 4242) is gone: shutting down" in caplog.text
    finally:
        os.close(read_end)
