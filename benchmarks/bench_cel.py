"""Micro-benchmark: CPU per request that `validation/cel` adds, by expression set.

Each case wraps a backend proxy that answers at once with a small decoded document; the figure
is the CEL layer's cost per request (activation built from the request, every expression
evaluated), minus the bare call. Expressions are compiled once (celpy's compiled runner).

Usage (from the repository root):
    .venv/bin/python benchmarks/bench_cel.py [-n 3000]
"""

from __future__ import annotations

import argparse
import time

import trio

from trio_gateway.types import Request, Response
from trio_gateway.validation.cel_engine import compile_expression
from trio_gateway.validation.cel_proxy import CELProxy, Checks, endpoint_view

CASES = {
    "1 request check (req_method == 'GET')": ["req_method == 'GET'"],
    "krakend-ce fixture: header + param": [
        "'something' in req_headers['X-Header']",
        "int(req_params.Id) % 2 == 0",
    ],
    "1 response check (resp_data.id == 42)": ["resp_data.id == 42"],
    "3 checks, both phases, timestamp(now)": [
        "req_method == 'GET' && int(req_params.Id) > 0",
        "timestamp(now) > timestamp('2020-01-01T00:00:00Z')",
        "resp_data.id == 42 && resp_completed",
    ],
}
DOCUMENT = {"id": 42, "name": "Alice", "email": "a@example.com", "active": True}
REQUEST = Request(
    method="GET",
    path="/users/10",
    params={"id": "10"},
    query=[("page", "1")],
    headers=[
        (b"X-Header", b"something"),
        (b"X-Forwarded-For", b"127.0.0.1"),
        (b"X-Forwarded-Host", b"localhost:8080"),
        (b"User-Agent", b"KrakenD Version 2.13.8"),
    ],
)


async def backend(request: Request) -> Response:
    return Response(data=dict(DOCUMENT))


async def per_call(proxy: object, n: int) -> float:
    call = proxy  # a ProxyFunction
    await call(REQUEST)  # type: ignore[operator]
    started = time.process_time()
    for _ in range(n):
        await call(REQUEST)  # type: ignore[operator]
    return (time.process_time() - started) / n * 1e6


async def run(n: int) -> None:
    bare = await per_call(backend, n)
    print(f"bare call: {bare:.1f} µs")
    for label, texts in CASES.items():
        expressions = [compile_expression(t) for t in texts]
        proxy = CELProxy(
            backend,
            Checks.of([e for e in expressions if "req" in e.text]),
            Checks.of([e for e in expressions if "resp" in e.text]),
            endpoint_view(),
            "[bench]",
        )
        cost = await per_call(proxy, n) - bare
        print(f"{label:45} {cost:7.1f} µs per request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3000)
    trio.run(run, parser.parse_args().n)


if __name__ == "__main__":
    main()
