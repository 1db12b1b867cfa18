"""What `telemetry/opentelemetry` costs a `b3` request, in µs of gateway CPU, measured in process.

`benchmarks/run.py`'s b3 / b3-metrics / b3-traced scenarios give the same comparison through
hypercorn and wrk, but on a shared 2-core machine their throughput moves by ±10 % from run to
run, more than the cost being measured. Here the three gateways (plain, metrics with a
Prometheus exporter on every layer, every request traced to an OTLP/HTTP sink) run in this one
process against the same nginx backends, and batches of requests alternate between them: the
figure is the process's CPU time per request (the span exporter's thread included), the best
batch of each, with the garbage collector tuned as a serving process tunes it (no periodic
collection runs here: a measurement is a few seconds). The server side (hypercorn, h11, the
socket) is the same with or without telemetry and is left out; the cost as a share of a whole
b3 request divides by run.py's `CPU µs/req` for b3.

Usage (from the repository root; needs nginx, which run.py installs when missing):
    .venv/bin/python benchmarks/bench_telemetry.py [--requests 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import trio

sys.path.insert(0, str(Path(__file__).parent))

from run import NGINX_PORT, TELEMETRY, ensure_tools, start_nginx

from trio_gateway.library import open_gateway
from trio_gateway.serving.gc import tune_for_serving

VARIANTS = ("plain", "metrics", "traced")
CONCURRENCY = 32


def config(variant: str) -> dict[str, Any]:
    fan = [{"url_pattern": f"/small/{{id}}?b={i}", "group": f"g{i}"} for i in range(3)]
    return {
        "version": 3,
        "timeout": "5s",
        "host": [f"http://127.0.0.1:{NGINX_PORT}"],
        "endpoints": [{"endpoint": "/b3/{id}", "backend": fan}],
        "extra_config": {"router": {"disable_access_log": True}, **TELEMETRY[variant]},
    }


async def batch(gateway: Any, requests: int) -> float:
    """CPU seconds per request over `requests` b3 calls, `CONCURRENCY` at a time."""
    left = requests

    async def client() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            answer = await gateway.handle("GET", "/b3/1")
            if answer.status != 200:
                raise SystemExit(f"b3 answered {answer.status}: {answer.body[:200]!r}")

    started = time.process_time()
    async with trio.open_nursery() as nursery:
        for _ in range(CONCURRENCY):
            nursery.start_soon(client)
    return (time.process_time() - started) / requests


async def measure(requests: int, rounds: int) -> dict[str, float]:
    best = dict.fromkeys(VARIANTS, float("inf"))
    async with (
        open_gateway(config("plain")) as plain,
        open_gateway(config("metrics")) as metrics,
        open_gateway(config("traced")) as traced,
    ):
        gateways = {"plain": plain, "metrics": metrics, "traced": traced}
        for gateway in gateways.values():  # warm-up: pools filled, caches made
            await batch(gateway, requests // 4)
        # The collector as a serving process has it (serving/gc.py): young collections on a
        # clock, not every 700 allocations, which would charge spans for what GC walks.
        tune_for_serving()
        for _ in range(rounds):
            for name, gateway in gateways.items():
                best[name] = min(best[name], await batch(gateway, requests))
    return {name: seconds * 1e6 for name, seconds in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per batch")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    ensure_tools()
    _, nginx = start_nginx("gw-otel-bench-")
    try:
        figures = trio.run(measure, args.requests, args.rounds)
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
    base = figures["plain"]
    print(f"plain b3 (no server side): {base:6.0f} µs CPU per request")
    for name in ("metrics", "traced"):
        print(f"{name:8}: {figures[name]:6.0f} µs, {figures[name] - base:+5.0f} µs per request")


if __name__ == "__main__":
    main()
