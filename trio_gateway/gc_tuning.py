"""Garbage-collector settings for a serving process (`run`, `hypercorn trio_gateway:app`).

Measured under load (docs/performance.md): with CPython's defaults every full (generation 2)
collection walks the ~55,000 objects that imports, the config and the plan leave behind. That is
a 40-50 ms pause about twice a second, and it is what the slowest 1 % of requests wait for. None
of those objects ever becomes garbage, so once startup is done they are moved out of the
collector's sight (`gc.freeze()`): a full collection then takes 2-4 ms. And requests allocate
container objects fast enough to trigger a young collection every few requests, each finding
almost nothing (per-request objects die by reference counting); a higher first threshold runs it
ten times less often. Cycles are still collected: only later.

Library use (`open_gateway`, `Gateway.serve`) leaves the caller's process settings alone.
`TRIO_GATEWAY_GC_TUNING=0` turns this off.
"""

from __future__ import annotations

import gc
import os

__all__ = ["ENV_SWITCH", "YOUNG_THRESHOLD", "tune_for_serving"]

ENV_SWITCH = "TRIO_GATEWAY_GC_TUNING"
# CPython's default is 700 allocations between young collections.
YOUNG_THRESHOLD = 7000


def tune_for_serving() -> bool:
    """Freeze what startup built and space young collections out; False when switched off."""
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return False
    gc.collect()  # what startup left as garbage is freed, not frozen
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    return True
