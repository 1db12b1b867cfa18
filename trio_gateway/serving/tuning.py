"""What a process that serves the gateway tunes, at the app's lifespan startup (the
`hypercorn trio_gateway:app` entry point) or when `serve()` starts: hypercorn's trio worker
(`serving/hypercorn.py`, checked against the sources it was written for, with the HTTP/1.1 edge
rules of `serving/http1.py`), the garbage collector (`serving/gc.py`) and the open-file limit
(`serving/fdlimit.py`). Importing trio_gateway tunes nothing.
"""

from __future__ import annotations

import trio

from trio_gateway.plan import GatewayPlan
from trio_gateway.serving import gc, http1, hypercorn
from trio_gateway.serving.fdlimit import raise_open_file_limit
from trio_gateway.serving.limits import EdgeLimits

__all__ = ["tune_serving_process"]


def tune_serving_process(nursery: trio.Nursery | None, plan: GatewayPlan | None = None) -> None:
    """`GatewayApp(on_startup=...)` for a process that is a server's. With the app's plan (the
    `hypercorn trio_gateway:app` entry point, whose hypercorn config is not ours), the plan's
    edge limits become those of the process's servers that carry none."""
    if plan is not None:
        http1.set_default_limits(EdgeLimits.from_plan(plan))
    hypercorn.apply()
    raise_open_file_limit()
    gc.tune_serving_process(nursery)
