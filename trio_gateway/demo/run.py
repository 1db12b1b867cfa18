"""`trio-gateway demo`: the demo backends and the gateway in one trio run."""

from __future__ import annotations

import logging
import signal

import trio
from hypercorn.trio import serve as hypercorn_serve

from trio_gateway.demo.backends import DEMO_PORTS, demo_backend_app
from trio_gateway.plan import GatewayPlan
from trio_gateway.serving.server import hypercorn_config, serve

__all__ = ["run_demo"]

LOGGER = logging.getLogger(__name__)


async def run_demo(plan: GatewayPlan) -> None:
    async def wait_for_signal() -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                return

    async with trio.open_nursery() as nursery:
        backend_config = hypercorn_config("127.0.0.1", 0)
        backend_config.bind = [f"127.0.0.1:{port}" for port in DEMO_PORTS.values()]
        await nursery.start(
            lambda task_status: hypercorn_serve(
                demo_backend_app,  # type: ignore[arg-type]
                backend_config,
                mode="asgi",
                shutdown_trigger=wait_for_signal,
                task_status=task_status,
            )
        )
        binds = await nursery.start(
            lambda task_status: serve(
                plan, host="127.0.0.1", shutdown_trigger=wait_for_signal, task_status=task_status
            )
        )
        base = binds[0]
        print(
            f"trio-gateway demo: gateway on {base}, demo backends on ports "
            f"{', '.join(str(p) for p in DEMO_PORTS.values())}",
            flush=True,
        )
        print(f"  try: curl -i {base}/api/dashboard/1", flush=True)
        print("  Ctrl-C to stop", flush=True)
