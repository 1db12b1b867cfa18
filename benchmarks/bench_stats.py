"""Micro-benchmark: what `telemetry/metrics` adds to a request, per layer, in ns.

Each layer (router: an endpoint guard that watches the answer; proxy: around the pipe and each
backend) is called in a loop around a do-nothing inner, against the same inner called bare; the
best of five rounds is kept (a shared machine makes the others noisy). The histograms are past
their 1028-value reservoir, as in steady state. A `b3` request pays one router layer and four
proxy layers (the pipe and three backends). The router figure includes the `Admission` the edge
makes for a guarded endpoint.

Usage (from the repository root, with the package installed):
    .venv/bin/python benchmarks/bench_stats.py [-n 100000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from trio_gateway.namespace import Admission
from trio_gateway.telemetry.stats import Metrics, MetricsConfig, ProxyStats, RouterStats
from trio_gateway.types import Response

RESPONSE = Response(data={})


async def _proxy(request: Any) -> Response:
    return RESPONSE


async def _send(message: Any) -> None:
    return None


async def _handler(scope: Any, receive: Any, send: Any, params: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"x" * 100})


async def _guarded(guard: RouterStats) -> None:
    """What edge/endpoint.py does around a request with one guard."""
    admission = Admission({}, [], {}, None, _send)
    try:
        await guard(admission)
        await _handler(None, None, admission.send, None)
    finally:
        for finish in admission.finishers:
            finish()


async def _best(call: Callable[[], Awaitable[Any]], n: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            await call()
        best = min(best, (time.perf_counter() - start) / n * 1e9)
    return best


async def main(n: int) -> None:
    metrics = Metrics(MetricsConfig())
    proxy = ProxyStats(_proxy, "backend", "/x", metrics)
    router = RouterStats("/x", metrics)
    bare_proxy = await _best(lambda: _proxy(None), n)
    counted_proxy = await _best(lambda: proxy(None), n)  # type: ignore[arg-type]
    bare_router = await _best(lambda: _handler(None, None, _send, None), n)
    counted_router = await _best(lambda: _guarded(router), n)
    proxy_cost, router_cost = counted_proxy - bare_proxy, counted_router - bare_router
    print(f"proxy layer (pipe or backend): {proxy_cost:6.0f} ns per call")
    print(f"router layer (handler):        {router_cost:6.0f} ns per request")
    print(f"a b3 request (1 router + 4 proxy): {(router_cost + 4 * proxy_cost) / 1000:.1f} µs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000)
    trio.run(main, parser.parse_args().n)
