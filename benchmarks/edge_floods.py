"""Floods against `trio-gateway demo` (the gateway under `run`, with its demo backends): how long
a normal client waits while slow uploads, slow heads and header-count floods hold the gateway.

Each phase sends `--requests` normal GETs of /api/users/1, one at a time, and reports their
p50/p99/max latency and failures: first with no flood, then with the flood running:
  --slow-uploads N   connections that send a head announcing 100 bytes of body, then 10
  --slow-heads N     connections that send half a head, then nothing
  --header-floods N  clients that keep sending 85,000-line heads (~1 MiB, under max_header_bytes)
`--open-files N` starts the gateway with that open-file limit (soft and hard), e.g. 1024, to
measure more slow clients than it has descriptors.

Usage (from the repository root, after the README's install):
    .venv/bin/python benchmarks/edge_floods.py [--slow-uploads 600 --slow-heads 600]
        [--header-floods 4] [--open-files 1024] [--requests 200] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio

ROOT = Path(__file__).resolve().parents[1]
NORMAL = b"GET /api/users/1 HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
SLOW_UPLOAD = b"POST /api/orders HTTP/1.1\r\nHost: bench\r\nContent-Length: 100\r\n\r\n0123456789"
SLOW_HEAD = b"GET /api/users/1 HTTP/1.1\r\nHost: bench\r\nX-Slow: "
HEADER_FLOOD = (
    b"GET /api/users/1 HTTP/1.1\r\nHost: bench\r\n"
    + b"".join(b"a%d: b\r\n" % i for i in range(85_000))
    + b"\r\n"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _limit(open_files: int) -> Callable[[], None]:
    def lower() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    return lower


async def _normal(port: int) -> float | None:
    """One normal request's latency in seconds; None when it failed or took over 10 s."""
    start = time.perf_counter()
    with trio.move_on_after(10):
        try:
            stream = await trio.open_tcp_stream("127.0.0.1", port)
            async with stream:
                await stream.send_all(NORMAL)
                received = b""
                while chunk := await stream.receive_some(65536):
                    received += chunk
            if received.startswith(b"HTTP/1.1 200"):
                return time.perf_counter() - start
        except OSError:
            pass
    return None


async def _measure(port: int, requests: int) -> dict[str, Any]:
    latencies: list[float] = []
    failed = 0
    for _ in range(requests):
        took = await _normal(port)
        if took is None:
            failed += 1
        else:
            latencies.append(took)
        await trio.sleep(0.01)
    latencies.sort()

    def ms(q: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 2)

    return {
        "ok": len(latencies),
        "failed": failed,
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p99_ms": ms(0.99),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
    }


async def _connect(port: int, stop: trio.Event) -> trio.SocketStream | None:
    """A connection, retried while refused; None once `stop` is set."""
    while not stop.is_set():
        try:
            return await trio.open_tcp_stream("127.0.0.1", port)
        except OSError:
            await trio.sleep(0.1)
    return None


_GONE = (trio.BrokenResourceError, trio.ClosedResourceError)


async def _silent_until(stop: trio.Event, stream: trio.SocketStream) -> None:
    """Read and drop whatever the gateway says until it closes or `stop`."""
    with trio.move_on_after(120):
        async with trio.open_nursery() as nursery:

            async def end_at_stop() -> None:
                await stop.wait()
                nursery.cancel_scope.cancel()

            nursery.start_soon(end_at_stop)
            while await stream.receive_some(65536):
                pass
            nursery.cancel_scope.cancel()


async def _hold(port: int, data: bytes, stop: trio.Event, counts: dict[str, int]) -> None:
    """A slow client: `data`, then silence until `stop`; reconnects when the gateway closes it."""
    while (stream := await _connect(port, stop)) is not None:
        async with stream:
            with contextlib.suppress(*_GONE):
                await stream.send_all(data)
                await _silent_until(stop, stream)
        counts["closed by the gateway"] += not stop.is_set()


async def _flood_headers(port: int, stop: trio.Event, counts: dict[str, int]) -> None:
    while (stream := await _connect(port, stop)) is not None:
        async with stream:
            with contextlib.suppress(*_GONE):
                await stream.send_all(HEADER_FLOOD)
                answer = await stream.receive_some(64)
                key = "header floods answered " + (answer[9:12].decode() or "nothing")
                counts[key] = counts.get(key, 0) + 1


async def _bench(args: argparse.Namespace, port: int) -> dict[str, Any]:
    result: dict[str, Any] = {"baseline": await _measure(port, args.requests)}
    stop = trio.Event()
    counts: dict[str, int] = {"closed by the gateway": 0}
    async with trio.open_nursery() as nursery:
        for _ in range(args.slow_uploads):
            nursery.start_soon(_hold, port, SLOW_UPLOAD, stop, counts)
        for _ in range(args.slow_heads):
            nursery.start_soon(_hold, port, SLOW_HEAD, stop, counts)
        await trio.sleep(2)  # let the slow clients connect
        for _ in range(args.header_floods):
            nursery.start_soon(_flood_headers, port, stop, counts)
        result["under flood"] = await _measure(port, args.requests)
        stop.set()
    result["flood"] = counts
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow-uploads", type=int, default=600)
    parser.add_argument("--slow-heads", type=int, default=600)
    parser.add_argument("--header-floods", type=int, default=4)
    parser.add_argument("--open-files", type=int, default=0)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # This process holds the slow clients: it needs the descriptors.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "trio_gateway",
        "demo",
        "-p",
        str(port),
        "--log-level",
        "ERROR",
    ]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=dict(os.environ),
        preexec_fn=_limit(args.open_files) if args.open_files else None,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the gateway did not start") from None
                time.sleep(0.1)
        result = trio.run(_bench, args, port)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    result["settings"] = vars(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"settings: {vars(args)}")
    for phase in ("baseline", "under flood"):
        r = result[phase]
        print(
            f"{phase:>12}: {r['ok']} ok, {r['failed']} failed; "
            f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, max {r['max_ms']} ms"
        )
    print(f"{'flood':>12}: {result['flood']}")


if __name__ == "__main__":
    main()
