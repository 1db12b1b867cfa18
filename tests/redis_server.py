"""A real `redis-server` for the tests: one per test session, on a free loopback port, no disk.

Import the `redis_server` fixture into a test module (`from tests.redis_server import
redis_server`). Where redis-server is missing the tests fail, saying how to get it, unless this
machine cannot install it (not root, or no apt-get): then they skip with that reason.
(`.ci/run` installs the Debian package when missing.)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import attrs
import pytest

__all__ = ["RedisServer", "redis_server", "start_redis_server"]


@attrs.frozen
class RedisServer:
    host: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary() -> str:
    found = shutil.which("redis-server")
    if found is not None:
        return found
    can_install = os.geteuid() == 0 and shutil.which("apt-get") is not None
    if can_install:
        pytest.fail(
            "redis-server is not installed: `apt-get install redis-server` (bash .ci/run does)",
            pytrace=False,
        )
    pytest.skip("redis-server is not installed and cannot be installed here (not root/no apt)")


def start_redis_server(port: int | None = None) -> RedisServer:
    """Start one (bounded wait: 10 s until it accepts connections)."""
    port = _free_port() if port is None else port
    process = subprocess.Popen(
        [_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return RedisServer("127.0.0.1", port, process)
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"redis-server did not start on port {port}", pytrace=False)
        time.sleep(0.05)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis_server()
    try:
        yield server
    finally:
        server.stop()
