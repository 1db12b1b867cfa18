"""What a process that serves the gateway tunes, at the app's lifespan startup (the
`hypercorn trio_gateway:app` entry point) or when `serve()` starts: hypercorn's trio worker
(`serving/hypercorn.py`, checked against the sources it was written for, with the HTTP/1.1 edge
rules of `serving/http1.py`), the garbage collector (`serving/gc.py`) and the open-file limit
(`serving/fdlimit.py`). Importing trio_gateway tunes nothing.
"""

from __future__ import annotations

import os
import sys

import trio

from trio_gateway.plan import GatewayPlan
from trio_gateway.serving import gc, http1, hypercorn
from trio_gateway.serving.fdlimit import raise_open_file_limit
from trio_gateway.serving.limits import EdgeLimits
from trio_gateway.telemetry.logging_setup import configure_logging

__all__ = ["start_entry_point", "tune_serving_process"]


def tune_serving_process(nursery: trio.Nursery | None, plan: GatewayPlan | None = None) -> None:
    """`GatewayApp(on_startup=...)` for a process that is a server's. With the app's plan (the
    `hypercorn trio_gateway:app` entry point, whose hypercorn config is not ours), the plan's
    edge limits become those of the process's servers that carry none."""
    if plan is not None:
        http1.set_default_limits(EdgeLimits.from_plan(plan))
    hypercorn.apply()
    raise_open_file_limit()
    gc.tune_serving_process(nursery)


def start_entry_point(nursery: trio.Nursery | None, plan: GatewayPlan) -> None:
    """`on_startup` of the `hypercorn trio_gateway:app` entry point: the process's logging from
    the plan's `telemetry/logging` (as `trio-gateway run` sets it up), then the tuning."""
    configure_logging(plan.extra)
    tune_serving_process(nursery, plan)


def exit_on_startup_failure(reason: str) -> None:
    """`on_startup_failure` of the `hypercorn trio_gateway:app` entry point: exit at once with
    status 3 (gunicorn's and uvicorn's "worker failed to boot"), the reasons already logged.

    Answering `lifespan.startup.failed` instead makes hypercorn raise LifespanFailureError: a
    traceback, and under hypercorn's default `--workers 1` its supervisor loses the worker's
    status and exits 0 (hypercorn 0.18.0 run.py: the second `_join_exited` returns 0 once the
    failed worker is removed; pgjones/hypercorn#269, fix proposed in #372). With `-w 0` the
    server runs in this process and the shell sees 3; docs/operations.md says so."""
    del reason  # logged by the app, with each configuration diagnostic
    sys.stderr.flush()
    sys.stdout.flush()
    os._exit(3)  # nothing was started: no request, no socket of ours, nothing to drain
