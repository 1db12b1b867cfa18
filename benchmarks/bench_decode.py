"""Micro-benchmark: where decoding a backend body in a thread starts to pay (proxy/decode.py).

Three measurements:
  1. the cost of one thread hop (`await trio.to_thread.run_sync(f)` of a function doing nothing);
  2. the time to gunzip / decode a body inline, by encoding and size (best of a few runs);
  3. for a 4 MiB body decoded in a thread, the longest the event loop went without running (a
     task doing `await trio.sleep(0)` in a loop): near the inline time means the decoder holds
     the GIL, so the thread hop does not free the loop; near zero means it does.
An offload threshold should sit where the inline work takes about 10 hops (the hop then adds
10 % or less to it): the script prints that size for each kind of work.

Usage (from the repository root, with the package installed or on PYTHONPATH):
    python benchmarks/bench_decode.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
import zlib
from collections.abc import Callable

import orjson
import trio
import trio.lowlevel

from trio_gateway.encoding import get_decoder
from trio_gateway.encoding.gunzip import gunzip

SIZES = (16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20)
KIB = 1024


def _json_doc(size: int) -> bytes:
    """Items that differ (ids, names, scores), so that gzip has some work too."""

    def item(i: int) -> dict[str, object]:
        return {"id": i * 7919, "name": f"user {i * 31:x}", "score": i / 7, "tags": ["a", str(i)]}

    one = len(orjson.dumps(item(10**6))) + 1
    return orjson.dumps({"items": [item(i) for i in range(max(size // one, 1))]})


def _xml_doc(size: int) -> bytes:
    item = b"<item id='1'><name>Alice Example</name><email>a@example.com</email></item>"
    return b"<root>" + item * max(size // len(item), 1) + b"</root>"


def _rss_doc(size: int) -> bytes:
    item = b"<item><title>T</title><link>https://e.com/a</link><description>D</description></item>"
    return (
        b"<rss version='2.0'><channel><title>F</title>"
        + item * max(size // len(item), 1)
        + b"</channel></rss>"
    )


def _cases(size: int) -> dict[str, Callable[[], object]]:
    doc, xml, rss = _json_doc(size), _xml_doc(size), _rss_doc(size)
    packed = zlib.compress(doc, wbits=31)
    decode_json, decode_xml = get_decoder("json"), get_decoder("xml")
    decode_string, decode_rss = get_decoder("string"), get_decoder("rss")
    return {
        "gunzip": lambda: gunzip(packed),
        "json": lambda: decode_json(doc, False),
        "xml": lambda: decode_xml(xml, False),
        "rss": lambda: decode_rss(rss, False),
        "string": lambda: decode_string(doc, False),
    }


def _best(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


async def _hop_cost(n: int) -> float:
    limiter = trio.CapacityLimiter(2)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        await trio.to_thread.run_sync(lambda: None, limiter=limiter)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def _loop_stall(fn: Callable[[], object]) -> float:
    """The longest gap between two turns of a looping task while `fn` runs in a thread."""
    longest = 0.0
    done = False

    async def tick() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not done:
            await trio.lowlevel.checkpoint()
            now = time.perf_counter()
            longest, last = max(longest, now - last), now

    async with trio.open_nursery() as nursery:
        nursery.start_soon(tick)
        await trio.sleep(0.01)
        await trio.to_thread.run_sync(fn)
        done = True
    return longest


def _crossing(times: list[float], target: float) -> str:
    """Where the time (by SIZES) reaches `target`, linearly between the two sizes around it."""
    points = list(zip(SIZES, times, strict=True))
    for (size0, time0), (size1, time1) in zip([(0, 0.0), *points], points, strict=False):
        if time1 >= target:
            share = (target - time0) / (time1 - time0) if time1 > time0 else 1.0
            return f"{(size0 + share * (size1 - size0)) / KIB:.0f} KiB"
    return f"> {SIZES[-1] // KIB} KiB"


async def main(runs: int) -> None:
    hop = await _hop_cost(2000)
    print(f"thread hop: {hop * 1e6:.0f} µs (median of 2000)\n")
    print("inline time, ms" + "".join(f"{size // KIB:>10} KiB" for size in SIZES))
    table: dict[str, list[float]] = {}
    for size in SIZES:
        for name, fn in _cases(size).items():
            table.setdefault(name, []).append(_best(fn, runs))
    for name, times in table.items():
        print(f"{name:<15}" + "".join(f"{t * 1e3:>14.2f}" for t in times))
    print("\nsize taking as long as 10 thread hops (interpolated between the sizes above):")
    for name, times in table.items():
        print(f"{name:<15}{_crossing(times, 10 * hop):>10}")
    print("\n4 MiB in a thread: inline ms, longest the event loop waited ms")
    for name, fn in _cases(SIZES[-1]).items():
        stall = await _loop_stall(fn)
        print(f"{name:<15}{_best(fn, runs) * 1e3:>10.1f}{stall * 1e3:>12.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    trio.run(main, parser.parse_args().runs)
