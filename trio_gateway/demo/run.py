"""`trio-gateway demo`: the demo backends and the gateway in one trio run."""

from __future__ import annotations

import logging
import signal

import trio
from hypercorn.trio import serve as hypercorn_serve

from trio_gateway.demo.backends import DEMO_PORTS, demo_backend_app
from trio_gateway.plan import GatewayPlan
from trio_gateway.serving.server import (
    RELOAD_SIGNAL,
    StopNow,
    hypercorn_config,
    serve,
    stop_signals,
)

__all__ = ["run_demo"]

LOGGER = logging.getLogger(__name__)


async def run_demo(plan: GatewayPlan) -> None:
    # One receiver for both servers: with one each, only the newest receiver gets a signal
    # (trio delivers it to one), so the other server, and the process, would never stop.
    stop = trio.Event()
    stopped_now: list[StopNow] = []

    async def watch_signals(task_status: trio.TaskStatus[None]) -> None:
        with trio.open_signal_receiver(*stop_signals(), RELOAD_SIGNAL) as signals:
            task_status.started()
            async for signum in signals:
                name = signal.Signals(signum).name
                if signum == RELOAD_SIGNAL:  # the shipped demo config is not there to edit
                    LOGGER.info("signal %s: the demo does not reload", name)
                elif stop.is_set():  # a second signal: stop at once
                    LOGGER.warning("signal %s: stopping now", name)
                    stopped_now.append(StopNow(signum))
                    outer.cancel_scope.cancel()
                    return
                else:
                    LOGGER.info("signal %s: shutting down", name)
                    stop.set()

    gateway_stopped = trio.Event()

    async def gateway(task_status: trio.TaskStatus[list[str]]) -> None:
        await serve(plan, host="127.0.0.1", shutdown_trigger=stop.wait, task_status=task_status)
        gateway_stopped.set()

    async with trio.open_nursery() as outer:
        await outer.start(watch_signals)
        async with trio.open_nursery() as nursery:
            backend_config = hypercorn_config("127.0.0.1", 0)
            backend_config.bind = [f"127.0.0.1:{port}" for port in DEMO_PORTS.values()]
            await nursery.start(
                lambda task_status: hypercorn_serve(
                    demo_backend_app,  # type: ignore[arg-type]
                    backend_config,
                    mode="asgi",
                    # after the gateway: its requests in flight still reach the backends
                    shutdown_trigger=gateway_stopped.wait,
                    task_status=task_status,
                )
            )
            binds = await nursery.start(gateway)
            base = binds[0]
            print(
                f"trio-gateway demo: gateway on {base}, demo backends on ports "
                f"{', '.join(str(p) for p in DEMO_PORTS.values())}",
                flush=True,
            )
            print(f"  try: curl -i {base}/api/dashboard/1", flush=True)
            print("  Ctrl-C to stop", flush=True)
        outer.cancel_scope.cancel()  # both servers have stopped: so does the watcher
    if stopped_now:  # outside the nurseries: trio.run raises it as it is, the exit code
        raise SystemExit(stopped_now[0].exit_code)
