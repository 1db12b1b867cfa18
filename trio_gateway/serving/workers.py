"""`trio-gateway run --workers N`: N worker processes, each with its own SO_REUSEPORT socket.

The supervisor binds the port first (so a busy port fails at once and port 0 resolves to one port
for all workers), starts the workers with the `spawn` method (a fresh interpreter each: no trio
state crosses a fork), and forwards SIGINT/SIGTERM to them. Each worker loads the configuration
itself, binds its own socket to the same address and serves it. If one worker dies, the others
are stopped too: a gateway running at a fraction of its capacity is worse than a clear failure.

Rule 1 (no orphans): workers stop - gracefully, as on SIGTERM: no new connection, in-flight
requests finish - as soon as the supervisor is gone, however it went (SIGKILL, the OOM killer, a
crash). Otherwise a restarted supervisor would share the port (SO_REUSEPORT) with stale workers
and part of the traffic would meet the old configuration (gunicorn's workers, likewise, stop when
their parent changes). Two mechanisms, either one enough:
  * a pipe whose write end only the supervisor holds: the kernel closes it when the supervisor
    dies, and each worker watches its read end for that EOF in a trio task;
  * Linux `PR_SET_PDEATHSIG`: the kernel sends the worker SIGTERM (the same graceful path) when
    the thread that started it exits (the supervisor's main thread starts every worker).

Rule 2 (SIGHUP): reloads. The supervisor forwards it to every worker and each worker reloads the
file itself (serving/reload.py); a worker whose reload is refused logs why and serves on. With
`--watch`, the supervisor watches the files and sends its workers SIGHUP on a change: one
watcher, and the workers reload by one path whatever asked for it.

Rule 3 (a second SIGINT/SIGTERM to the supervisor): stops at once. The supervisor SIGKILLs its
workers and exits with 128 + the signal. A worker itself never counts signals: a Ctrl-C in a
terminal reaches the whole process group (each worker gets SIGINT besides the supervisor's
SIGTERM), and PR_SET_PDEATHSIG's SIGTERM follows the pipe's EOF; neither is an operator's second
signal.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Sequence
from functools import partial
from multiprocessing.connection import Connection
from types import FrameType

import trio

from trio_gateway.edge.builtins import Readiness
from trio_gateway.plan import GatewayPlan
from trio_gateway.serving.load import load_plan, setup_logging
from trio_gateway.serving.reload import Reloader, watched_sync
from trio_gateway.serving.server import (
    RELOAD_SIGNAL,
    drain_seconds,
    draining,
    reuse_port_socket,
    serve,
    stop_signals,
)
from trio_gateway.telemetry.otel_prometheus import WORKER_ENV
from trio_gateway.telemetry.stats import WORKER_INDEX_ENV

__all__ = ["GRACE_SECONDS", "run_workers", "stop_signals"]

LOGGER = logging.getLogger(__name__)

# How long SIGTERM'd workers get to finish their in-flight requests before SIGKILL.
GRACE_SECONDS = 30.0
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


# ---- the worker ----------------------------------------------------------------------------


def _exit_with_supervisor(supervisor_pid: int) -> None:
    """Ask Linux for SIGTERM when the supervisor dies (Rule 1's backstop); exit now if it has
    died already (the worker was re-parented before it could ask)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
                LOGGER.debug("PR_SET_PDEATHSIG: %s", os.strerror(ctypes.get_errno()))
        except (OSError, AttributeError) as exc:  # no libc to speak of: the pipe is enough
            LOGGER.debug("PR_SET_PDEATHSIG unavailable: %s", exc)
    if os.getppid() != supervisor_pid:
        LOGGER.error("the supervisor (pid %d) is gone: not starting", supervisor_pid)
        raise SystemExit(1)


async def _until_stopped(
    signals: AsyncIterator[int],
    supervisor_fd: int,
    supervisor_pid: int,
    reloader: Reloader | None = None,
) -> None:
    """Return on the first stop signal, or when the supervisor's end of the pipe closes; SIGHUP
    until then asks `reloader` for a reload."""

    def supervisor_gone() -> None:
        LOGGER.warning("the supervisor (pid %d) is gone: shutting down", supervisor_pid)

    async def on_signal(cancel: trio.CancelScope) -> None:
        async for signum in signals:
            name = signal.Signals(signum).name
            if signum == RELOAD_SIGNAL:
                if reloader is not None:
                    reloader.request(f"signal {name} intercepted")
                continue
            if signum == signal.SIGTERM and os.getppid() != supervisor_pid:
                supervisor_gone()  # PR_SET_PDEATHSIG came before the pipe's EOF
            else:
                LOGGER.info("signal %s intercepted: shutting down", name)
            break
        cancel.cancel()

    async def on_supervisor_gone(cancel: trio.CancelScope) -> None:
        await trio.lowlevel.wait_readable(supervisor_fd)  # the supervisor never writes: EOF
        supervisor_gone()
        cancel.cancel()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(on_signal, nursery.cancel_scope)
        nursery.start_soon(on_supervisor_gone, nursery.cancel_scope)


async def _serve_worker(
    plan: GatewayPlan,
    sock: socket.socket,
    supervisor_fd: int,
    supervisor_pid: int,
    drain: float,
    reloader: Reloader,
) -> None:
    # The receiver stays open until the server has stopped: a second signal during the graceful
    # shutdown (PR_SET_PDEATHSIG's SIGTERM right after the pipe's EOF, a terminal's SIGINT to the
    # whole process group besides the supervisor's SIGTERM) must not kill the worker.
    with trio.open_signal_receiver(*stop_signals(), RELOAD_SIGNAL) as signals:
        readiness = Readiness()

        async def trigger() -> None:
            await _until_stopped(signals, supervisor_fd, supervisor_pid, reloader)
            await draining(readiness, drain)

        async with trio.open_nursery() as nursery:
            binds = await nursery.start(
                partial(
                    serve,
                    plan,
                    shutdown_trigger=trigger,
                    sock=sock,
                    tune_gc=True,
                    readiness=readiness,
                    reloader=reloader,
                )
            )
            LOGGER.info("listening on %s", ", ".join(binds))


def _worker(
    index: int,
    config_path: str,
    host: str,
    port: int,
    debug: bool,
    log_level: str | None,
    supervisor: Connection,
    supervisor_pid: int,
    slot: str,
) -> None:
    setup_logging(log_level)
    _exit_with_supervisor(supervisor_pid)
    # telemetry/metrics: worker i serves /__stats on the configured port + i.
    os.environ[WORKER_INDEX_ENV] = str(index)
    # Which worker this is, for one Prometheus scrape of all (telemetry/otel_prometheus.py).
    os.environ[WORKER_ENV] = slot
    plan = load_plan(config_path, debug=debug, port=port)
    if plan is None:
        raise SystemExit(1)
    setup_logging(log_level, plan)  # the same set-up as `run`, in each worker
    try:
        drain = drain_seconds()
    except ValueError as exc:
        LOGGER.error("%s", exc)
        raise SystemExit(2) from None
    sock = reuse_port_socket(host, port)
    reloader = Reloader(config_path, debug=debug, port=port)
    trio.run(_serve_worker, plan, sock, supervisor.fileno(), supervisor_pid, drain, reloader)


# ---- the supervisor ------------------------------------------------------------------------


def _signal_all(processes: Sequence[multiprocessing.process.BaseProcess], signum: int) -> None:
    for process in processes:
        if process.is_alive() and process.pid is not None:
            with contextlib.suppress(ProcessLookupError):  # it exited meanwhile
                os.kill(process.pid, signum)


def _watch(config_path: str, stop: threading.Event, reloads: list[str]) -> None:
    """The `--watch` thread: every change of the configuration's files asks for a reload."""
    try:
        for _ in watched_sync(config_path, stop):
            reloads.append("configuration file changed")
    except Exception as exc:  # the workers serve on: a reload by SIGHUP still works
        LOGGER.error("--watch stopped: %s: %s", type(exc).__name__, exc)


def run_workers(
    config_path: str,
    *,
    workers: int,
    host: str,
    port: int,
    debug: bool,
    log_level: str | None,
    watch: bool = False,
) -> int:
    """Run `workers` processes until a signal (exit 0) or a worker's death (exit 1); a second
    stop signal stops them at once (exit 128 + the signal). SIGHUP (and, with `watch`, a change
    of the configuration's files) reloads every worker."""
    try:
        drain = drain_seconds()  # each worker drains this long before its graceful shutdown
    except ValueError as exc:
        LOGGER.error("%s", exc)
        return 2
    reserved = reuse_port_socket(host, port)  # held, never listening: it receives nothing
    port = reserved.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    # Rule 1: the workers get the read end; the write end never leaves this process (it is not
    # inheritable, and `spawn` passes a child only the descriptors it is given).
    watched, held = context.Pipe(duplex=False)
    # Where the workers tell worker 0 their metrics ports; removed with the supervisor.
    meeting = tempfile.mkdtemp(prefix="trio-gateway-workers-")
    processes = [
        context.Process(
            target=_worker,
            args=(
                i,
                config_path,
                host,
                port,
                debug,
                log_level,
                watched,
                os.getpid(),
                f"{i}:{workers}:{meeting}",
            ),
            name=f"trio-gateway-worker-{i}",
        )
        for i in range(workers)
    ]
    received: list[int] = []  # stop signals
    reloads: list[str] = []  # SIGHUP, or a change `--watch` saw

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if signum == RELOAD_SIGNAL:
            reloads.append(f"signal {signal.Signals(signum).name} intercepted")
        else:
            received.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (*stop_signals(), RELOAD_SIGNAL)}
    watching = threading.Event()  # set: the watcher stops
    watcher = None
    if watch:
        watcher = threading.Thread(
            target=_watch, args=(config_path, watching, reloads), name="watch", daemon=True
        )
    try:
        for process in processes:
            process.start()
        watched.close()
        LOGGER.info("%d workers serving port %d", workers, port)
        if watcher is not None:
            watcher.start()
        while not received and all(p.is_alive() for p in processes):
            if reloads:
                LOGGER.info("%s: reloading the workers", reloads[-1])
                reloads.clear()
                _signal_all(processes, RELOAD_SIGNAL)
            time.sleep(0.1)
        failed = not received
        if failed:
            LOGGER.error("a worker exited: stopping the others")
        else:
            name = signal.Signals(received[0]).name
            LOGGER.info("signal %s intercepted: stopping the workers", name)
        _signal_all(processes, signal.SIGTERM)  # the worker shuts down gracefully
        deadline = time.monotonic() + drain + GRACE_SECONDS
        now = False
        while any(p.is_alive() for p in processes) and time.monotonic() < deadline:
            if len(received) > 1:  # Rule 3
                now = True
                name = signal.Signals(received[1]).name
                LOGGER.warning("signal %s intercepted again: stopping the workers now", name)
                break
            time.sleep(0.05)
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join()
        if now:
            return 128 + received[1]
        return 1 if failed else 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        watching.set()
        if watcher is not None and watcher.is_alive():
            watcher.join(5)
        held.close()
        reserved.close()
        shutil.rmtree(meeting, ignore_errors=True)
