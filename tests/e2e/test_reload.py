"""Reloading a running gateway (SIGHUP, `run --watch`) without dropping a request, and stopping it
(a second SIGINT/SIGTERM stops at once): real processes on loopback."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import trio

from tests.e2e.backend_app import STATS
from tests.e2e.processes import ROOT, free_port, wait_until_serving
from tests.e2e.test_cli import _worker_pids


def _write(path: Path, backend_url: str, endpoints: dict[str, str], **service: Any) -> None:
    """A config: each endpoint path to the backend path it calls. Written whole and renamed in
    place, as an editor or a deployment does: a reader never sees half a file."""
    config = {
        "version": 3,
        "listen_ip": "127.0.0.1",
        "host": [backend_url],
        "timeout": "10s",
        "endpoints": [
            {"endpoint": endpoint, "backend": [{"url_pattern": target}]}
            for endpoint, target in endpoints.items()
        ],
        **service,
    }
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(config))
    temporary.replace(path)


@asynccontextmanager
async def _gateway(
    config: Path, port: int, *extra: str, env: dict[str, str] | None = None
) -> AsyncIterator[tuple[trio.Process, Path]]:
    """`trio-gateway run -c config -p port *extra`, its stderr in a file; SIGTERM at the end
    (SIGKILL after 20 s)."""
    log = config.parent / "gateway.log"
    command = [sys.executable, "-m", "trio_gateway", "run", "-c", str(config), "-p", str(port)]
    with log.open("wb") as stderr:
        proc = await trio.lowlevel.open_process(
            [*command, *extra], cwd=ROOT, stderr=stderr, env={**os.environ, **(env or {})}
        )
    try:
        await wait_until_serving(port, proc)
        yield proc, log
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            with trio.move_on_after(20):
                await proc.wait()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def _read(log: Path) -> str:
    return log.read_text()


async def _log_has(log: Path, text: str, count: int = 1) -> str:
    """Wait (bounded: 20 s) until `text` appears `count` times in the log; the log."""
    for _ in range(400):
        if _read(log).count(text) >= count:
            break
        await trio.sleep(0.05)
    found = _read(log)
    assert found.count(text) >= count, found
    return found


async def _at_the_backend() -> None:
    """Until the slow request has reached the backend (bounded: 10 s)."""
    for _ in range(500):
        if STATS["/delayed/"]:
            return
        await trio.sleep(0.02)
    raise AssertionError("the request never reached the backend")


async def _status(client: httpx.AsyncClient, port: int, path: str) -> int:
    return (await client.get(f"http://127.0.0.1:{port}{path}")).status_code


async def test_sighup_reloads_a_new_endpoint(tmp_path: Path, backend_url: str) -> None:
    config = tmp_path / "krakend.json"
    _write(config, backend_url, {"/old": "/json/user"})
    port = free_port()
    async with _gateway(config, port) as (proc, log), httpx.AsyncClient() as client:
        assert await _status(client, port, "/new") == 404
        _write(config, backend_url, {"/old": "/json/user", "/new": "/json/user"})
        proc.send_signal(signal.SIGHUP)
        await _log_has(log, "reloaded ")
        assert await _status(client, port, "/new") == 200
        assert await _status(client, port, "/old") == 200
    assert proc.returncode == 0
    assert "Traceback" not in log.read_text()


async def test_a_bad_reload_keeps_the_old_config_and_logs_why(
    tmp_path: Path, backend_url: str
) -> None:
    config = tmp_path / "krakend.json"
    _write(config, backend_url, {"/u/{id}": "/json/user"})
    port = free_port()
    async with _gateway(config, port) as (proc, log), httpx.AsyncClient() as client:
        # `check` refuses it: a placeholder the endpoint does not have
        _write(config, backend_url, {"/u/{id}": "/json/{usr}", "/new": "/json/user"})
        proc.send_signal(signal.SIGHUP)
        text = await _log_has(log, "reload refused")
        assert "undefined placeholder {usr}" in text
        assert "the previous configuration serves on" in text
        assert await _status(client, port, "/u/1") == 200
        assert await _status(client, port, "/new") == 404
        # and the listener cannot move
        _write(config, backend_url, {"/new": "/json/user"}, listen_ip="127.0.0.2")
        proc.send_signal(signal.SIGHUP)
        text = await _log_has(log, "the listen address cannot change on reload")
        assert await _status(client, port, "/new") == 404
        # a good one after the bad ones is taken
        _write(config, backend_url, {"/new": "/json/user"})
        proc.send_signal(signal.SIGHUP)
        await _log_has(log, "reloaded ")
        assert await _status(client, port, "/new") == 200
        assert await _status(client, port, "/u/1") == 404
    assert proc.returncode == 0
    assert "Traceback" not in log.read_text()


async def test_a_request_in_flight_finishes_on_the_old_plan(
    tmp_path: Path, backend_url: str
) -> None:
    config = tmp_path / "krakend.json"
    _write(config, backend_url, {"/slow": "/delayed/?ms=1500"})
    port = free_port()
    answers: list[httpx.Response] = []
    async with _gateway(config, port) as (proc, log), httpx.AsyncClient(timeout=20) as client:

        async def slow() -> None:
            answers.append(await client.get(f"http://127.0.0.1:{port}/slow"))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(slow)
            await _at_the_backend()
            _write(config, backend_url, {"/fast": "/json/user"})
            proc.send_signal(signal.SIGHUP)
            await _log_has(log, "reloaded ")
            assert await _status(client, port, "/slow") == 404  # new requests: the new plan
            assert not answers  # the old one is still at the backend
        assert answers[0].status_code == 200
        assert answers[0].json()["path"] == "/delayed/"
    assert proc.returncode == 0


async def test_under_load_five_reloads_fail_no_request(tmp_path: Path, backend_url: str) -> None:
    config = tmp_path / "krakend.json"
    _write(config, backend_url, {"/a": "/json/user"})
    port = free_port()
    failures: list[str] = []
    done = 0
    async with _gateway(config, port) as (proc, log), httpx.AsyncClient(timeout=20) as client:
        stop = trio.Event()

        async def hammer() -> None:
            nonlocal done
            while not stop.is_set():
                try:
                    answer = await client.get(f"http://127.0.0.1:{port}/a")
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                if answer.status_code != 200:
                    failures.append(str(answer.status_code))
                done += 1

        async with trio.open_nursery() as nursery:
            for _ in range(8):
                nursery.start_soon(hammer)
            for i in range(5):
                # every plan serves /a; each adds one more endpoint
                _write(config, backend_url, {"/a": "/json/user", f"/n{i}": "/json/user"})
                proc.send_signal(signal.SIGHUP)
                await _log_has(log, "reloaded ", i + 1)
            stop.set()
        assert await _status(client, port, "/n4") == 200
    assert failures == []
    assert done > 0
    assert proc.returncode == 0


async def test_two_workers_both_reload(tmp_path: Path, backend_url: str) -> None:
    config = tmp_path / "krakend.json"
    _write(config, backend_url, {"/old": "/json/user"})
    port = free_port()
    async with _gateway(config, port, "--workers", "2") as (proc, log):
        await _log_has(log, "listening on http://", 2)
        assert len(_worker_pids(proc.pid)) == 2
        _write(config, backend_url, {"/new": "/json/user"})
        proc.send_signal(signal.SIGHUP)
        text = await _log_has(log, "reloaded ", 2)  # one line per worker
        assert "reloading the workers" in text
        # new connections, spread by SO_REUSEPORT over both: all on the new plan
        for _ in range(20):
            async with httpx.AsyncClient() as client:
                assert await _status(client, port, "/new") == 200
    assert proc.returncode == 0
    assert "Traceback" not in log.read_text()


async def test_watch_picks_up_a_change(tmp_path: Path, backend_url: str) -> None:
    config = tmp_path / "krakend.json"
    _write(config, backend_url, {"/old": "/json/user"})
    port = free_port()
    async with _gateway(config, port, "--watch") as (proc, log), httpx.AsyncClient() as client:
        await _log_has(log, "watching ")
        (tmp_path / "unrelated.txt").write_text("not the config")  # ignored
        _write(config, backend_url, {"/new": "/json/user"})
        text = await _log_has(log, "reloaded ")
        assert "configuration file changed: reloading" in text
        assert await _status(client, port, "/new") == 200
    assert proc.returncode == 0


async def test_watch_with_workers_reloads_them_all(tmp_path: Path, backend_url: str) -> None:
    config = tmp_path / "krakend.json"
    _write(config, backend_url, {"/old": "/json/user"})
    port = free_port()
    async with _gateway(config, port, "--workers", "2", "--watch") as (proc, log):
        await _log_has(log, "listening on http://", 2)
        await trio.sleep(0.5)  # the watcher thread has started watching
        _write(config, backend_url, {"/new": "/json/user"})
        await _log_has(log, "reloaded ", 2)
        async with httpx.AsyncClient() as client:
            assert await _status(client, port, "/new") == 200
    assert proc.returncode == 0


# ---- stopping ------------------------------------------------------------------------------


async def _slow_then_signals(
    proc: trio.Process, port: int, path: str, signals: list[signal.Signals]
) -> list[httpx.Response | Exception]:
    """Start a slow request, send `signals` once it is in flight, return how it ended."""
    ended: list[httpx.Response | Exception] = []

    async def slow() -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            try:
                ended.append(await client.get(f"http://127.0.0.1:{port}{path}"))
            except httpx.HTTPError as exc:
                ended.append(exc)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(slow)
        await _at_the_backend()
        for signum in signals:
            proc.send_signal(signum)
            await trio.sleep(0.3)
        with trio.fail_after(30):
            await proc.wait()
    return ended


async def test_sigterm_lets_the_request_in_flight_finish(tmp_path: Path, backend_url: str) -> None:
    for workers in ("1", "2"):
        STATS.clear()
        config = tmp_path / "krakend.json"
        _write(config, backend_url, {"/slow": "/delayed/?ms=1500"}, max_shutdown_wait_time="10s")
        port = free_port()
        async with _gateway(config, port, "--workers", workers) as (proc, log):
            await _log_has(log, "listening on http://", int(workers))
            ended = await _slow_then_signals(proc, port, "/slow", [signal.SIGTERM])
        assert proc.returncode == 0, workers
        answer = ended[0]
        assert isinstance(answer, httpx.Response) and answer.status_code == 200, workers


async def test_one_ctrl_c_to_the_process_group_is_one_graceful_stop(
    tmp_path: Path, backend_url: str
) -> None:
    """A terminal's Ctrl-C: SIGINT to the supervisor and to every worker at once, then the
    supervisor's SIGTERM; the workers must not take it for a second signal."""
    config = tmp_path / "krakend.json"
    _write(config, backend_url, {"/slow": "/delayed/?ms=1500"}, max_shutdown_wait_time="10s")
    port = free_port()
    async with _gateway(config, port, "--workers", "2") as (proc, log):
        await _log_has(log, "listening on http://", 2)
        workers = _worker_pids(proc.pid)
        ended: list[httpx.Response | Exception] = []

        async def slow() -> None:
            async with httpx.AsyncClient(timeout=30) as client:
                try:
                    ended.append(await client.get(f"http://127.0.0.1:{port}/slow"))
                except httpx.HTTPError as exc:
                    ended.append(exc)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(slow)
            await _at_the_backend()
            for pid in [proc.pid, *workers]:
                os.kill(pid, signal.SIGINT)
            with trio.fail_after(30):
                await proc.wait()
    assert proc.returncode == 0
    assert isinstance(ended[0], httpx.Response) and ended[0].status_code == 200


async def test_a_second_signal_stops_at_once(tmp_path: Path, backend_url: str) -> None:
    for workers, second, code in (("1", signal.SIGTERM, 143), ("2", signal.SIGINT, 130)):
        STATS.clear()
        config = tmp_path / "krakend.json"
        _write(config, backend_url, {"/slow": "/delayed/?ms=20000"}, max_shutdown_wait_time="60s")
        port = free_port()
        async with _gateway(config, port, "--workers", workers) as (proc, log):
            await _log_has(log, "listening on http://", int(workers))
            ended = await _slow_then_signals(proc, port, "/slow", [signal.SIGTERM, second])
        assert proc.returncode == code, (workers, log.read_text())
        answer = ended[0]  # cut: no answer, or hypercorn's 500 for a cancelled app
        assert not isinstance(answer, httpx.Response) or answer.status_code == 500
        text = log.read_text()
        assert "intercepted again: stopping" in text
        assert "Traceback" not in text


async def _demo_live_then(signals: list[signal.Signals], tmp_path: Path) -> tuple[Any, int, str]:
    """The demo with `/api/dashboard/1/live` in flight (its endpoint timeout keeps it there for
    800 ms) when `signals` arrive; how the request ended, the exit code, the log."""
    port = free_port()
    log = tmp_path / "demo.log"
    command = [sys.executable, "-m", "trio_gateway", "demo", "-p", str(port)]
    with log.open("wb") as stderr:
        proc = await trio.lowlevel.open_process(command, cwd=ROOT, stderr=stderr)
    ended: list[Any] = []
    try:
        await wait_until_serving(port, proc)
        # A SIGHUP is no stop for the demo (it has nothing to reload)
        proc.send_signal(signal.SIGHUP)
        await _log_has(log, "the demo does not reload")

        async def live() -> None:
            async with httpx.AsyncClient(timeout=20) as client:
                try:
                    ended.append(await client.get(f"http://127.0.0.1:{port}/api/dashboard/1/live"))
                except httpx.HTTPError as exc:
                    ended.append(exc)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(live)
            await trio.sleep(0.3)
            for signum in signals:
                proc.send_signal(signum)
                await trio.sleep(0.05)
            with trio.fail_after(20):
                await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return ended[0], proc.returncode, log.read_text()


async def test_the_demo_finishes_the_request_in_flight_on_sigterm(tmp_path: Path) -> None:
    ended, code, log = await _demo_live_then([signal.SIGTERM], tmp_path)
    assert isinstance(ended, httpx.Response) and ended.status_code == 200
    assert code == 0
    assert "Traceback" not in log


async def test_the_demo_stops_at_once_on_a_second_signal(tmp_path: Path) -> None:
    ended, code, log = await _demo_live_then([signal.SIGTERM, signal.SIGTERM], tmp_path)
    # cut: no answer, or hypercorn's 500 for a cancelled app
    assert not isinstance(ended, httpx.Response) or ended.status_code == 500
    assert code == 143
    assert "stopping now" in log
    assert "Traceback" not in log
