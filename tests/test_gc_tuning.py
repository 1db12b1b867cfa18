"""The serving process freezes its startup objects; library use leaves the process alone."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

import trio_gateway
from trio_gateway import gc_tuning
from trio_gateway.asgi import GatewayApp
from trio_gateway.config import load_config_data
from trio_gateway.plan import GatewayPlan, compile_plan


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
    GatewayApp(_plan(), tune_gc=True).startup()
    assert gc.get_freeze_count() > 0


def test_the_hypercorn_entry_point_is_a_serving_app() -> None:
    assert trio_gateway.app._tune_gc is True
