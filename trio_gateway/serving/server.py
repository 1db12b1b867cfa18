"""Serving a plan with hypercorn's trio worker, in-process.

`serve()` is the embedding entry point (start it with `nursery.start` to learn the bound
addresses); `run()` is what `trio-gateway run` calls.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import ssl
from typing import TYPE_CHECKING, Any

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from trio_gateway.edge.app import GatewayApp, make_client
from trio_gateway.edge.builtins import Readiness
from trio_gateway.plan import GatewayPlan
from trio_gateway.serving import http1
from trio_gateway.serving import hypercorn as hypercorn_tuning
from trio_gateway.serving.limits import EdgeLimits
from trio_gateway.serving.tuning import tune_serving_process

if TYPE_CHECKING:
    from trio_gateway.serving.reload import Reloader

__all__ = [
    "DRAIN_ENV",
    "RELOAD_SIGNAL",
    "StopNow",
    "drain_seconds",
    "draining",
    "hypercorn_config",
    "reuse_port_socket",
    "run",
    "serve",
    "stop_signals",
]

LOGGER = logging.getLogger(__name__)

# Seconds between the stop signal and the listener closing: `/__ready` answers 503 and requests
# are still accepted, so that a load balancer (a Kubernetes readiness probe) sees the gateway
# leave before it stops taking connections. Then the graceful shutdown: in-flight requests get
# `max_shutdown_wait_time`. Default 0: KrakenD stops listening at once.
DRAIN_ENV = "TRIO_GATEWAY_DRAIN_SECONDS"


def drain_seconds() -> float:
    """`$TRIO_GATEWAY_DRAIN_SECONDS` (a number of seconds, default 0), or ValueError."""
    raw = os.environ.get(DRAIN_ENV, "").strip()
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise ValueError(f"{DRAIN_ENV}={raw!r}: expected a number of seconds from 0 to 3600")
    return value


async def draining(readiness: Readiness, seconds: float) -> None:
    """The drain before the graceful shutdown: readiness goes 503, the gateway serves on."""
    readiness.set_draining()
    if seconds > 0:
        LOGGER.info("draining for %gs before closing the listener (%s)", seconds, DRAIN_ENV)
        await trio.sleep(seconds)


def hypercorn_config(host: str, port: int, plan: GatewayPlan | None = None) -> HypercornConfig:
    """hypercorn settings for a gateway: no Server header (KrakenD sends none), no access log,
    and the service's server settings from `plan` when given."""
    config = HypercornConfig()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.include_server_header = False
    config.accesslog = None
    config.errorlog = LOGGER
    config.backlog = 1024
    config.keep_alive_max_requests = 100_000
    if plan is not None:
        # Framing, header count, timeouts, h2c: serving/http1.py reads them from here.
        http1.attach_limits(config, EdgeLimits.from_plan(plan))
        # Request heads over `max_header_bytes` get h11's 431 (Go's limit, 1 MB by default).
        config.h11_max_incomplete_size = plan.max_header_bytes
        # Go's http.Server IdleTimeout and KrakenD's max_shutdown_wait_time, in hypercorn's terms.
        if plan.keep_alive_timeout is not None:
            config.keep_alive_timeout = plan.keep_alive_timeout
        if plan.shutdown_wait is not None:
            config.graceful_timeout = plan.shutdown_wait
        if plan.tls is not None:
            config.certfile, config.keyfile = plan.tls.certfile, plan.tls.keyfile
            if plan.tls.client_ca is not None:
                config.ca_certs = plan.tls.client_ca
                config.verify_mode = ssl.CERT_REQUIRED
    return config


async def serve(
    plan: GatewayPlan,
    *,
    host: str | None = None,
    port: int | None = None,
    shutdown_trigger: Any = None,
    sock: socket.socket | None = None,
    tune_gc: bool = False,
    readiness: Readiness | None = None,
    reloader: Reloader | None = None,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `plan` until cancelled (or until `shutdown_trigger` returns).

    Args:
        host: the address to bind; default the plan's `listen_ip`, else all interfaces.
        port: default the plan's port; 0 picks a free one (see `task_status`).
        sock: a bound socket to serve on instead (`run --workers`: one SO_REUSEPORT socket per
            worker process).
        tune_gc: the process is this server's: tune its garbage collector too
            (`serving/gc.py`), at the app's lifespan startup.
        readiness: what `/__ready` answers from; the caller sets it draining on its stop
            signal (`draining`).
        reloader: reloads the configuration into the app on request (SIGHUP, `--watch`).
        task_status: started with the list of bound URLs, e.g. `["http://127.0.0.1:40123"]`.
    """
    # Every server (run, --workers, Gateway.serve) tunes hypercorn's trio worker, checked against
    # its sources, before it listens; never at import. The GC only in a process that is ours.
    hypercorn_tuning.apply()
    # The client is ours, not the app's: hypercorn skips lifespan shutdown when it is cancelled,
    # and pooled sockets must be closed either way.
    client = make_client(plan)
    app = GatewayApp(
        plan,
        client=client,
        on_startup=tune_serving_process if tune_gc else None,
        readiness=readiness,
    )
    config = hypercorn_config(
        host or plan.listen_ip or "0.0.0.0", plan.port if port is None else port, plan
    )
    if sock is not None:
        config.bind = [f"fd://{sock.fileno()}"]
    kwargs: dict[str, Any] = {}
    if shutdown_trigger is not None:
        kwargs["shutdown_trigger"] = shutdown_trigger
    try:
        async with trio.open_nursery() as nursery:
            if reloader is not None:
                nursery.start_soon(reloader.run, app)
            await hypercorn_serve(app, config, task_status=task_status, mode="asgi", **kwargs)  # type: ignore[arg-type]
            nursery.cancel_scope.cancel()
    finally:
        client.close()
        with trio.CancelScope(shield=True):  # JWK-set client and the like, even when cancelled
            await app.shutdown()


class StopNow(Exception):
    """A second stop signal during the graceful stop: the process exits at once, with
    128 + the signal's number (130 for SIGINT, 143 for SIGTERM, as a shell reports a process
    killed by it), the requests still in flight cut."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def run(
    plan: GatewayPlan,
    *,
    sock: socket.socket | None = None,
    config_path: str | None = None,
    debug: bool = False,
    port: int | None = None,
    watch: bool = False,
) -> None:
    """Serve until SIGINT/SIGTERM (one process; `trio_gateway.serving.workers` runs several).

    With `config_path` (what `plan` was loaded from, with `debug` and `port` as given), SIGHUP
    reloads it, and so does a change of it with `watch` (serving/reload.py). A second SIGINT or
    SIGTERM during the graceful stop exits at once: SystemExit(130 or 143)."""
    try:
        drain = drain_seconds()
    except ValueError as exc:
        LOGGER.error("%s", exc)
        raise SystemExit(2) from None
    reloader = None
    if config_path is not None:
        from trio_gateway.serving.reload import Reloader

        reloader = Reloader(config_path, debug=debug, port=port, watch=watch)
    stopped_now: list[StopNow] = []
    trio.run(_run, plan, sock, drain, reloader, stopped_now)
    if stopped_now:
        raise SystemExit(stopped_now[0].exit_code)


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket with SO_REUSEPORT: each worker process binds its own, and the kernel
    spreads new connections evenly over them (a shared listening socket does not: one worker
    tends to win most accepts)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


# SIGHUP reloads the configuration (serving/reload.py), as nginx and haproxy do; KrakenD, on Go's
# default, exits on it. It is listened to even when it was ignored at start (`nohup`): a
# terminal that closes then costs one reload, never the gateway.
RELOAD_SIGNAL = signal.SIGHUP


def stop_signals() -> tuple[signal.Signals, ...]:
    """The signals that stop the gateway gracefully (a second one stops it at once)."""
    return (signal.SIGINT, signal.SIGTERM)


async def _run(
    plan: GatewayPlan,
    sock: socket.socket | None,
    drain: float,
    reloader: Reloader | None,
    stopped_now: list[StopNow],
) -> None:
    # The receiver stays open for the whole drain: a second signal is ours to act on (stop at
    # once), not the default action's.
    with trio.open_signal_receiver(*stop_signals(), RELOAD_SIGNAL) as signals:
        stop = trio.Event()
        readiness = Readiness()

        async def watch_signals() -> None:
            async for signum in signals:
                name = signal.Signals(signum).name
                if signum == RELOAD_SIGNAL:
                    if stopping:
                        LOGGER.info("signal %s intercepted: shutting down, not reloading", name)
                    elif reloader is None:
                        LOGGER.warning(
                            "signal %s intercepted: no configuration file to reload", name
                        )
                    else:
                        reloader.request(f"signal {name} intercepted")
                    continue
                if stopping:
                    LOGGER.warning("signal %s intercepted again: stopping now", name)
                    stopped_now.append(StopNow(signum))
                    nursery.cancel_scope.cancel()
                    return
                LOGGER.info("signal %s intercepted: shutting down", name)
                stopping.append(signum)
                nursery.start_soon(drain_then_stop)

        async def drain_then_stop() -> None:
            await draining(readiness, drain)
            stop.set()

        stopping: list[int] = []

        async with trio.open_nursery() as nursery:

            async def serving(task_status: trio.TaskStatus[list[str]]) -> None:
                await serve(
                    plan,
                    shutdown_trigger=stop.wait,
                    sock=sock,
                    tune_gc=True,
                    readiness=readiness,
                    reloader=reloader,
                    task_status=task_status,
                )
                nursery.cancel_scope.cancel()  # the signal watcher

            nursery.start_soon(watch_signals)
            binds = await nursery.start(serving)
            LOGGER.info("listening on %s", ", ".join(binds))
