"""Floods against `trio-gateway run`: slow heads, slow uploads and header-count floods leave a
normal client served (small numbers here; `benchmarks/edge_floods.py` measures full size)."""

from __future__ import annotations

import contextlib
import resource
import sys
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
import trio

from tests.e2e.processes import free_port, serving
from tests.e2e.raw_http import exchange, statuses
from tests.e2e.test_edge_http1 import _config

SLOW_UPLOAD = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789"
SLOW_HEAD = b"GET /x HTTP/1.1\r\nHost: x\r\nX-Slow: "
HEADER_FLOOD = (
    b"GET /x HTTP/1.1\r\nHost: x\r\n" + b"".join(b"a%d: b\r\n" % i for i in range(85_000)) + b"\r\n"
)


async def _hold(port: int, data: bytes, ready: trio.Semaphore, stop: trio.Event) -> None:
    """A client that sends `data` and then nothing more, until `stop` (or the server closes)."""
    try:
        stream = await trio.open_tcp_stream("127.0.0.1", port)
    except OSError:
        ready.release()
        return
    async with stream:
        with contextlib.suppress(trio.BrokenResourceError):
            await stream.send_all(data)
        ready.release()
        with trio.move_on_after(60):
            async with trio.open_nursery() as nursery:

                async def end_at_stop() -> None:
                    await stop.wait()
                    nursery.cancel_scope.cancel()

                nursery.start_soon(end_at_stop)
                # Whatever the server says, this client does not answer.
                while await stream.receive_some(65536):
                    pass
                nursery.cancel_scope.cancel()


async def _flood_headers(port: int, stop: trio.Event, refused: list[int]) -> None:
    while not stop.is_set():
        raw, _ = await exchange(port, HEADER_FLOOD, wait=5)
        refused.extend(statuses(raw))


def _open_files(limit: int) -> Callable[[], None]:
    def lower() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    return lower


@pytest.mark.parametrize(
    ("open_files", "held"),
    [(None, 150), (200, 300)],
    ids=["default-limit", "more-slow-clients-than-descriptors"],
)
async def test_floods_leave_a_normal_client_served(
    backend_url: str, tmp_path: Path, open_files: int | None, held: int
) -> None:
    path = tmp_path / "krakend.json"
    path.write_bytes(orjson.dumps(_config(backend_url)))
    port = free_port()
    command = [sys.executable, "-m", "trio_gateway", "run", "-c", str(path), "-p", str(port)]
    lower = None if open_files is None else _open_files(open_files)
    async with serving(command, port, preexec_fn=lower):
        stop = trio.Event()
        ready = trio.Semaphore(0)
        refused: list[int] = []
        async with trio.open_nursery() as nursery:
            for i in range(held):
                nursery.start_soon(_hold, port, SLOW_UPLOAD if i % 2 else SLOW_HEAD, ready, stop)
            for _ in range(held):
                await ready.acquire()
            for _ in range(4):
                nursery.start_soon(_flood_headers, port, stop, refused)
            served = []
            for _ in range(10):
                with trio.fail_after(1):  # the bound: served within 1 s, flood or not
                    raw, _ = await exchange(
                        port, b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    )
                served.extend(statuses(raw))
                await trio.sleep(0.05)
            stop.set()
        assert served == [200] * 10
        assert refused and set(refused) == {431}
