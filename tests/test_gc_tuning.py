"""The serving process freezes its startup objects; library use leaves the process alone."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
import trio
import trio.testing

import trio_gateway
from trio_gateway.config import load_config_data
from trio_gateway.edge.app import GatewayApp
from trio_gateway.plan import GatewayPlan, compile_plan
from trio_gateway.serving import gc as gc_tuning
from trio_gateway.serving import tuning


@pytest.fixture(autouse=True)
def restore_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_tune_freezes_and_spaces_young_collections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(gc_tuning.ENV_SWITCH, raising=False)
    gc.unfreeze()
    assert gc_tuning.tune_for_serving()
    assert gc.get_freeze_count() > 1000  # everything imported so far
    assert gc.get_threshold()[0] == gc_tuning.YOUNG_THRESHOLD


def test_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(gc_tuning.ENV_SWITCH, "0")
    gc.unfreeze()
    before = gc.get_threshold()
    assert not gc_tuning.tune_for_serving()
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before


def _plan() -> GatewayPlan:
    return compile_plan(load_config_data({"version": 3, "endpoints": []}).config)


def test_only_a_serving_app_tunes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(gc_tuning.ENV_SWITCH, raising=False)
    gc.unfreeze()
    GatewayApp(_plan()).startup()  # as open_gateway builds it
    assert gc.get_freeze_count() == 0
    GatewayApp(_plan(), on_startup=gc_tuning.tune_serving_process).startup()
    assert gc.get_freeze_count() > 0


def test_the_hypercorn_entry_point_is_a_serving_app() -> None:
    assert trio_gateway.app._on_startup is tuning.start_entry_point


async def test_collect_periodically_young_then_full(
    monkeypatch: pytest.MonkeyPatch, autojump_clock: trio.testing.MockClock
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: calls.append(generation) or 0)
    with trio.move_on_after(6.5):
        await gc_tuning.collect_periodically(interval=1.0, full_every=3)
    assert calls == [1, 1, 2, 1, 1, 2]


async def test_a_serving_lifespan_starts_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(gc_tuning.ENV_SWITCH, raising=False)
    started = trio.Event()

    async def fake_collector() -> None:
        started.set()
        await trio.sleep_forever()

    monkeypatch.setattr(gc_tuning, "collect_periodically", fake_collector)
    to_app, app_inbox = trio.open_memory_channel[dict[str, Any]](4)
    from_app, app_outbox = trio.open_memory_channel[dict[str, Any]](4)
    app = GatewayApp(_plan(), on_startup=gc_tuning.tune_serving_process)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(app, {"type": "lifespan"}, app_inbox.receive, from_app.send)
        await to_app.send({"type": "lifespan.startup"})
        assert (await app_outbox.receive())["type"] == "lifespan.startup.complete"
        with trio.fail_after(5):
            await started.wait()
        await to_app.send({"type": "lifespan.shutdown"})
        assert (await app_outbox.receive())["type"] == "lifespan.shutdown.complete"
