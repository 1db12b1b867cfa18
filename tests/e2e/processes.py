"""A gateway (or any server) in a subprocess, on a free loopback port, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import trio

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_pair() -> int:
    """A free port whose next port is free too (worker N of a listener takes its port + N)."""
    for _ in range(100):
        port = free_port()
        if port >= 65535:
            continue
        with socket.socket() as first, socket.socket() as second:
            try:
                first.bind(("127.0.0.1", port))
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports on 127.0.0.1")


async def wait_until_serving(port: int, proc: trio.Process) -> None:
    """Until `port` accepts a connection (bounded: 30 s), or fail when `proc` exited."""
    with trio.fail_after(30):
        while True:
            assert proc.returncode is None, "the server exited"
            try:
                stream = await trio.open_tcp_stream("127.0.0.1", port)
            except OSError:
                await trio.sleep(0.1)
                continue
            await stream.aclose()
            return


@asynccontextmanager
async def serving(
    command: Sequence[str],
    port: int,
    *,
    env: dict[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> AsyncIterator[trio.Process]:
    """Run `command` (which listens on `port`) until the block ends, then SIGTERM it (kill after
    15 s). The process's exit code is `proc.returncode` after the block."""
    proc = await trio.lowlevel.open_process(
        list(command), env=dict(os.environ) if env is None else env, cwd=ROOT, preexec_fn=preexec_fn
    )
    try:
        await wait_until_serving(port, proc)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        with trio.move_on_after(15):
            await proc.wait()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
