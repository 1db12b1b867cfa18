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

__all__ = [
    "RedisCluster",
    "RedisServer",
    "redis_cluster",
    "redis_server",
    "start_redis_cluster",
    "start_redis_server",
]


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


def _command(port: int, *words: str) -> bytes:
    """One inline command, its first reply line (enough for +OK, :1, $N bulk headers)."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(" ".join(words).encode() + b"\r\n")
        reply = sock.recv(65536)
        if reply.startswith(b"$"):  # a bulk string: read it whole
            size = int(reply[1 : reply.index(b"\r\n")])
            while len(reply) < size:
                reply += sock.recv(65536)
        return reply


def start_redis_server(port: int | None = None, *extra: str) -> RedisServer:
    """Start one (bounded wait: 10 s until it accepts connections)."""
    port = _free_port() if port is None else port
    process = subprocess.Popen(
        [
            _binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            if _command(port, "PING").startswith(b"+PONG"):
                return RedisServer("127.0.0.1", port, process)
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"redis-server did not start on port {port}", pytrace=False)
        time.sleep(0.05)


@attrs.frozen
class RedisCluster:
    nodes: tuple[RedisServer, ...]

    @property
    def addresses(self) -> list[str]:
        return [node.address for node in self.nodes]

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def _cluster_port() -> int:
    """A free port whose cluster-bus port (port + 10000) is free and valid too."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + 10000 > 65535:
            port -= 20000  # the ephemeral range starts at 32768: this stays above 1024
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
            return port
        except OSError:
            continue
    pytest.fail("no free port pair for a Redis cluster node", pytrace=False)


def start_redis_cluster(
    directory: str, size: int = 3, ports: list[int] | None = None
) -> RedisCluster:
    """A Redis Cluster of `size` primaries (no replicas), the 16384 slots split evenly."""
    nodes: list[RedisServer] = []
    ports = ports or [_cluster_port() for _ in range(size)]
    size = len(ports)
    try:
        for i, port in enumerate(ports):
            nodes.append(
                start_redis_server(
                    port,
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    f"{directory}/nodes-{i}-{port}.conf",
                )
            )
        share = 16384 // size
        for i, node in enumerate(nodes):
            last = 16383 if i == size - 1 else (i + 1) * share - 1
            assert (
                _command(node.port, "CLUSTER", "ADDSLOTSRANGE", str(i * share), str(last))[:3]
                == b"+OK"
            )
        for node in nodes[1:]:
            assert (
                _command(nodes[0].port, "CLUSTER", "MEET", node.host, str(node.port))[:3] == b"+OK"
            )
        deadline = time.monotonic() + 20
        while not all(b"cluster_state:ok" in _command(n.port, "CLUSTER", "INFO") for n in nodes):
            if time.monotonic() > deadline:
                pytest.fail("the Redis cluster did not come up", pytrace=False)
            time.sleep(0.1)
        return RedisCluster(tuple(nodes))
    except BaseException:
        for node in nodes:
            node.stop()
        raise


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    cluster = start_redis_cluster(str(tmp_path_factory.mktemp("redis-cluster")))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis_server()
    try:
        yield server
    finally:
        server.stop()
