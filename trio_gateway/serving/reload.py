"""Reloading the configuration (SIGHUP, `run --watch`) without dropping a request.

A reload reads the file with the loader `run` uses (`load.load_plan`: flexible configuration and
its `FC_*` variables honoured, every diagnostic reported), builds the new stack and swaps it in
for new requests (`GatewayApp.reload`); requests in flight finish on the plan they began on. A
configuration that does not load, or that moves the listener, is refused with a log line and
the running one serves on: the listening socket is bound once, at start.

Reloads are serialised: a request that arrives while one runs is coalesced into one more, which
reads the newest file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import trio

from trio_gateway.edge.app import GatewayApp
from trio_gateway.plan import GatewayPlan
from trio_gateway.serving.load import load_plan

__all__ = ["Reloader", "watch_roots", "watched"]

LOGGER = logging.getLogger(__name__)

# Flexible configuration (config/flexible): the directories its templates are read from.
_FC_DIRS = ("FC_SETTINGS", "FC_TEMPLATES", "FC_PARTIALS")


def watch_roots(config_path: str) -> tuple[list[Path], set[Path]]:
    """What `--watch` watches: the config file's directory (editors replace a file by renaming
    a new one over it, which a watch on the file itself would miss) and the flexible
    configuration's directories when it is enabled; and the files of the directory that count
    (the config file), the `FC_*` directories counting whole."""
    config = Path(config_path).resolve()
    roots = [config.parent]
    if os.environ.get("FC_ENABLE", "") not in ("", "0", "false"):
        for name in _FC_DIRS:
            value = os.environ.get(name)
            if value and Path(value).is_dir():
                roots.append(Path(value).resolve())
    return roots, {config}


def _counts(path: str, roots: list[Path], files: set[Path]) -> bool:
    """A change of the config file, or of anything under an `FC_*` directory."""
    changed = Path(path).resolve()
    return changed in files or any(changed.is_relative_to(root) for root in roots[1:])


async def watched(config_path: str) -> AsyncIterator[None]:
    """Yield once per change (debounced by watchfiles) of the configuration's files."""
    import watchfiles  # only `--watch` needs it

    roots, files = watch_roots(config_path)

    def relevant(change: watchfiles.Change, path: str) -> bool:
        return _counts(path, roots, files)

    async for _ in watchfiles.awatch(*roots, watch_filter=relevant, debounce=300, step=50):
        yield


def watched_sync(config_path: str, stop: object) -> Iterator[None]:
    """As `watched`, in a thread (the `--workers` supervisor has no event loop): stops when the
    `threading.Event` `stop` is set."""
    import watchfiles

    roots, files = watch_roots(config_path)

    def relevant(change: watchfiles.Change, path: str) -> bool:
        return _counts(path, roots, files)

    for _ in watchfiles.watch(
        *roots,
        watch_filter=relevant,
        debounce=300,
        step=50,
        stop_event=stop,  # type: ignore[arg-type]
        yield_on_timeout=False,
    ):
        yield


class Reloader:
    """Reloads `config_path` into a started `GatewayApp` on request (`request()`; `run`)."""

    def __init__(
        self, config_path: str, *, debug: bool = False, port: int | None = None, watch: bool = False
    ) -> None:
        self.config_path = config_path
        self.debug = debug
        self.port = port
        self.watch = watch
        # One pending request at most: more while one waits are the same reload.
        self._send, self._receive = trio.open_memory_channel[str](1)
        self.completed = 0  # reloads that swapped a plan in (for tests and logs)

    def request(self, why: str) -> None:
        """Ask for a reload (from a signal watcher: never blocks)."""
        try:
            self._send.send_nowait(why)
        except trio.WouldBlock:
            LOGGER.debug("%s: a reload is already pending", why)

    async def run(self, app: GatewayApp) -> None:
        """Serve reload requests (and watch the files with `watch`) until cancelled."""
        await app.started.wait()
        async with trio.open_nursery() as nursery:
            if self.watch:
                nursery.start_soon(self._watch)
            async for why in self._receive:
                await self.reload(app, why)

    async def _watch(self) -> None:
        LOGGER.info("watching %s for changes", self.config_path)
        async for _ in watched(self.config_path):
            self.request("configuration file changed")

    async def reload(self, app: GatewayApp, why: str) -> bool:
        """One reload; False (and a log line saying why) when the running plan serves on."""
        LOGGER.info("%s: reloading %s", why, self.config_path)
        try:
            plan = await trio.to_thread.run_sync(self._load)
        except Exception as exc:  # compile_plan's own failures: the old plan serves on
            LOGGER.error("reload refused: %s: %s", type(exc).__name__, exc)
            LOGGER.debug("reload failure", exc_info=exc)
            plan = None
        if plan is None:
            LOGGER.error(
                "reload refused: %s is not valid (see above); the previous configuration serves on",
                self.config_path,
            )
            return False
        refused = _unreloadable(app.plan, plan)
        if refused:
            LOGGER.error("reload refused: %s; restart the gateway to change it", refused)
            return False
        try:
            await app.reload(plan)
        except Exception as exc:
            LOGGER.error(
                "reload refused: building the new configuration failed: %s: %s; the previous "
                "configuration serves on",
                type(exc).__name__,
                exc,
            )
            LOGGER.debug("reload failure", exc_info=exc)
            return False
        self.completed += 1
        LOGGER.info("reloaded %s: serving %d endpoint(s)", self.config_path, len(plan.endpoints))
        return True

    def _load(self) -> GatewayPlan | None:
        return load_plan(self.config_path, debug=self.debug, port=self.port, logged=True)


def _unreloadable(old: GatewayPlan, new: GatewayPlan) -> str:
    """Why `new` cannot replace `old` in a running server ("" when it can): the listener (its
    address, port and TLS) is bound once, at start."""
    if (new.listen_ip, new.port) != (old.listen_ip, old.port):
        return (
            f"the listen address cannot change on reload "
            f"({old.listen_ip or '0.0.0.0'}:{old.port} -> {new.listen_ip or '0.0.0.0'}:{new.port})"
        )
    if new.tls != old.tls:
        return "the listener's TLS settings cannot change on reload"
    return ""
