"""What a process that serves the gateway tunes, at the app's lifespan startup (the
`hypercorn trio_gateway:app` entry point) or when `serve()` starts: hypercorn's trio worker
(`serving/hypercorn.py`, checked against the sources it was written for) and the garbage
collector (`serving/gc.py`). Importing trio_gateway tunes nothing.
"""

from __future__ import annotations

import trio

from trio_gateway.serving import gc, hypercorn

__all__ = ["tune_serving_process"]


def tune_serving_process(nursery: trio.Nursery | None) -> None:
    """`GatewayApp(on_startup=...)` for a process that is a server's."""
    hypercorn.apply()
    gc.tune_serving_process(nursery)
