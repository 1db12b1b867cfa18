"""`trio-gateway run --workers N`: N worker processes, each with its own SO_REUSEPORT socket.

The parent binds the port first (so a busy port fails at once and port 0 resolves to one port for
all workers), starts the workers with the `spawn` method (a fresh interpreter each: no trio state
crosses a fork), and forwards SIGINT/SIGTERM to them. Each worker loads the configuration itself,
binds its own socket to the same address and serves it. If one worker dies, the others are
stopped too: a gateway running at a fraction of its capacity is worse than a clear failure.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
from types import FrameType

from trio_gateway.serving.load import load_plan, setup_logging
from trio_gateway.serving.server import reuse_port_socket, run

__all__ = ["run_workers"]

LOGGER = logging.getLogger(__name__)

# How long SIGTERM'd workers get to finish their in-flight requests before SIGKILL.
GRACE_SECONDS = 30.0


def _worker(config_path: str, host: str, port: int, debug: bool, log_level: str) -> None:
    setup_logging(log_level)
    plan = load_plan(config_path, debug=debug, port=port)
    if plan is None:
        raise SystemExit(1)
    run(plan, sock=reuse_port_socket(host, port))


def run_workers(
    config_path: str, *, workers: int, host: str, port: int, debug: bool, log_level: str
) -> int:
    """Run `workers` processes until a signal (exit 0) or a worker's death (exit 1)."""
    reserved = reuse_port_socket(host, port)  # held, never listening: it receives nothing
    port = reserved.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(
            target=_worker,
            args=(config_path, host, port, debug, log_level),
            name=f"trio-gateway-worker-{i}",
        )
        for i in range(workers)
    ]
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for process in processes:
            process.start()
        LOGGER.info("%d workers serving port %d", workers, port)
        while not stopping and all(p.is_alive() for p in processes):
            time.sleep(0.2)
        failed = not stopping
        if failed:
            LOGGER.error("a worker exited: stopping the others")
        for process in processes:
            if process.is_alive() and process.pid is not None:
                process.terminate()  # SIGTERM: the worker shuts down gracefully
        deadline = time.monotonic() + GRACE_SECONDS
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        return 1 if failed else 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        reserved.close()
