"""Garbage-collector settings for a serving process (`run`, `hypercorn trio_gateway:app`).

Measured under load (docs/performance.md), CPython's defaults cost a serving gateway twice:

- Every full (generation 2) collection walked the ~55,000 objects that imports, the config and
  the plan leave behind: a 25-50 ms pause about twice a second, which is what the slowest 1 % of
  requests waited for. None of those objects ever becomes garbage, so once startup is done they
  are moved out of the collector's sight (`gc.freeze()`).
- Young collections ran whenever 700 more objects were alive than at the last one, i.e. every few
  requests, and each walked everything the requests in flight hold (tasks, coroutines, header
  lists): 8 % of the CPU at 700, still 4 % at 7,000. Yet requests leave almost no cycles behind
  (one measurement: 27 cyclic objects after 3,270 requests; the rest dies by reference counting).
  So the collector runs on a clock instead: `collect_periodically` collects the young
  generations once a second (2-3 ms) and everything every ten seconds. The automatic threshold is
  raised, not removed: it stays a safety net if the periodic task is not running (a server
  without ASGI lifespan) or garbage cycles ever pile up faster than expected.

Library use (`open_gateway`, `Gateway.serve`) leaves the caller's process settings alone.
`TRIO_GATEWAY_GC_TUNING=0` turns all of this off.
"""

from __future__ import annotations

import gc
import os

import trio

__all__ = [
    "COLLECT_INTERVAL",
    "ENV_SWITCH",
    "FULL_EVERY",
    "YOUNG_THRESHOLD",
    "collect_periodically",
    "enabled",
    "tune_for_serving",
]

ENV_SWITCH = "TRIO_GATEWAY_GC_TUNING"
# CPython's default is 700; this only bites if the periodic collection falls behind.
YOUNG_THRESHOLD = 50_000
# Seconds between young collections, and how many of those between full ones. A full collection
# costs 2-4 ms once startup is frozen; every 10 s bounds how long a cycle that outlived two young
# collections (a slow request's exception and traceback, holding its body) keeps its memory.
COLLECT_INTERVAL = 1.0
FULL_EVERY = 10


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "1") != "0"


def tune_for_serving() -> bool:
    """Freeze what startup built and raise the young threshold; False when switched off."""
    if not enabled():
        return False
    gc.collect()  # what startup left as garbage is freed, not frozen
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    return True


async def collect_periodically(
    interval: float = COLLECT_INTERVAL, full_every: int = FULL_EVERY
) -> None:
    """Collect generations 0-1 every `interval` seconds and all of them every `full_every`-th time.

    Runs until cancelled (the ASGI lifespan's nursery)."""
    count = 0
    while True:
        await trio.sleep(interval)
        count += 1
        gc.collect(2 if count % full_every == 0 else 1)


def tune_serving_process(nursery: trio.Nursery | None, plan: object = None) -> None:
    """The collector's part of `serving.tuning.tune_serving_process` (what a serving process
    passes as `GatewayApp(on_startup=...)`): tune the collector and, with a background nursery,
    run the periodic collections."""
    if tune_for_serving() and nursery is not None:
        nursery.start_soon(collect_periodically)
