"""qos/redis_calls.py on trio's MockClock: a failure is FAILED (never raised), the deadline bounds
a silent Redis, the 1 s pause skips Redis, and one warning per 10 s counts the failures."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import trio
import trio.testing

from trio_gateway.qos.redis_calls import FAILED, RedisCalls
from trio_gateway.qos.redis_pools import RedisPools


class _Pools:
    def __init__(self, client: object | None) -> None:
        self._client = client

    def client(self, name: str) -> object | None:
        assert name == "p"
        return self._client


def _calls(client: object | None) -> RedisCalls:
    pools: Any = _Pools(client)
    return RedisCalls(pools, "p", deadline=0.2, label="[GET /a] test", instead="doing without")


async def test_an_answer_is_returned() -> None:
    async def work(client: object) -> str:
        return f"answer from {client}"

    assert await _calls("redis").call(work) == "answer from redis"


async def test_errors_and_silence_are_failed_and_pause_redis(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    made: list[str] = []

    async def failing(client: object) -> None:
        made.append("failing")
        raise ConnectionError("refused")

    async def silent(client: object) -> None:
        made.append("silent")
        await trio.sleep_forever()

    calls = _calls("redis")
    with caplog.at_level(logging.WARNING, logger="trio_gateway.qos.redis_calls"):
        assert await calls.call(failing) is FAILED
        assert await calls.call(failing) is FAILED  # within the pause: not made
        await trio.sleep(1.0)
        start = trio.current_time()
        assert await calls.call(silent) is FAILED
        assert trio.current_time() - start == pytest.approx(0.2)  # the deadline
        await trio.sleep(10.0)
        assert await calls.call(failing) is FAILED
    assert made == ["failing", "silent", "failing"]
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "[GET /a] test: Redis pool 'p' failed 1 time(s) (ConnectionError: refused): doing without",
        "[GET /a] test: Redis pool 'p' failed 2 time(s) (ConnectionError: refused): doing without",
    ]


async def test_no_client_is_a_failure(autojump_clock: trio.testing.MockClock) -> None:
    async def work(client: object) -> None:
        raise AssertionError("not called without a client")

    calls = RedisCalls(RedisPools(), "p", deadline=0.2, label="x", instead="y")
    assert await calls.call(work) is FAILED
