"""Serving a plan with hypercorn's trio worker, in-process.

`serve()` is the embedding entry point (start it with `nursery.start` to learn the bound
addresses); `run()` is what `trio-gateway run` calls.
"""

from __future__ import annotations

import logging
from typing import Any

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from trio_gateway.asgi import GatewayApp, make_client
from trio_gateway.plan import GatewayPlan

__all__ = ["hypercorn_config", "run", "serve"]

LOGGER = logging.getLogger(__name__)


def hypercorn_config(host: str, port: int) -> HypercornConfig:
    """hypercorn settings for a gateway: no Server header (KrakenD sends none), no access log."""
    config = HypercornConfig()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.include_server_header = False
    config.accesslog = None
    config.errorlog = LOGGER
    config.backlog = 1024
    config.keep_alive_max_requests = 100_000
    return config


async def serve(
    plan: GatewayPlan,
    *,
    host: str | None = None,
    port: int | None = None,
    shutdown_trigger: Any = None,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `plan` until cancelled (or until `shutdown_trigger` returns).

    Args:
        host: the address to bind; default the plan's `listen_ip`, else all interfaces.
        port: default the plan's port; 0 picks a free one (see `task_status`).
        task_status: started with the list of bound URLs, e.g. `["http://127.0.0.1:40123"]`.
    """
    # The client is ours, not the app's: hypercorn skips lifespan shutdown when it is cancelled,
    # and pooled sockets must be closed either way.
    client = make_client(plan)
    app = GatewayApp(plan, client=client)
    config = hypercorn_config(
        host or plan.listen_ip or "0.0.0.0", plan.port if port is None else port
    )
    kwargs: dict[str, Any] = {}
    if shutdown_trigger is not None:
        kwargs["shutdown_trigger"] = shutdown_trigger
    try:
        await hypercorn_serve(app, config, task_status=task_status, mode="asgi", **kwargs)  # type: ignore[arg-type]
    finally:
        client.close()


def run(plan: GatewayPlan) -> None:
    """Serve until SIGINT/SIGTERM."""
    trio.run(_run, plan)


async def _run(plan: GatewayPlan) -> None:
    import signal

    async def wait_for_signal() -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                LOGGER.info("signal %s intercepted: shutting down", signal.Signals(signum).name)
                return

    async with trio.open_nursery() as nursery:
        binds = await nursery.start(
            lambda task_status: serve(
                plan, shutdown_trigger=wait_for_signal, task_status=task_status
            )
        )
        LOGGER.info("listening on %s", ", ".join(binds))
