"""Library fixtures: the e2e loopback backend (`tests.e2e.backend_app`) on a free port."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from tests.e2e.backend_app import CANCELLED, STATS, backend_app


@pytest.fixture
async def backend_url(nursery: trio.Nursery) -> str:
    STATS.clear()
    CANCELLED.clear()
    config = HypercornConfig()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    binds = await nursery.start(
        lambda task_status: hypercorn_serve(
            backend_app,  # type: ignore[arg-type]
            config,
            mode="asgi",
            task_status=task_status,
        )
    )
    return str(binds[0])


def service(*endpoints: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A JSON-shaped service config with `endpoints`."""
    return {"version": 3, "name": "library tests", **extra, "endpoints": list(endpoints)}


async def wait_until(condition: Callable[[], bool], seconds: float = 2.0) -> None:
    """Poll `condition` (state another server task updates) until true; fail after `seconds`."""
    with trio.fail_after(seconds):
        while not condition():  # noqa: ASYNC110 - the state lives in another server's task
            await trio.sleep(0.01)
