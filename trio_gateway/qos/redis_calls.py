"""One component's calls to Redis: a deadline per call, a pause after a failure, quiet logs.

What `qos/ratelimit/router/redis` does for its checks (qos/ratelimit_router_redis.py), for the
components added after it (`qos/ratelimit/proxy/redis`, the Redis store of `qos/http-cache`):

* each call has a deadline (the caller's: a tenth of the endpoint timeout for the limits), so a
  slow Redis costs a request at most that;
* after a failure Redis is left alone for `RETRY_PAUSE` (1 s): calls meanwhile fail at once
  instead of each waiting for the deadline;
* failures are logged as one warning per `LOG_EVERY` (10 s) per component, with their count,
  the last reason and what the component does instead.

`call` never raises for Redis's failures (coredis's errors, OSError, the deadline): it returns
`FAILED`, and the caller applies its failure policy. `trio.Cancelled` propagates.
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

import trio

if TYPE_CHECKING:
    from trio_gateway.qos.redis_pools import RedisPools

__all__ = ["FAILED", "LOG_EVERY", "RETRY_PAUSE", "RedisCalls"]

LOGGER = logging.getLogger(__name__)

RETRY_PAUSE = 1.0
LOG_EVERY = 10.0

T = TypeVar("T")


class _Failed(enum.Enum):
    FAILED = "FAILED"  # an enum member, so that `is FAILED` narrows types


FAILED: Final = _Failed.FAILED


class RedisCalls:
    """The calls of one component (`label`, e.g. `[GET /foo] qos/ratelimit/proxy/redis`) to the
    pool `pool`; `instead` says what the component does when a call fails (for the log)."""

    __slots__ = (
        "_deadline", "_down_until", "_failures", "_instead", "_label", "_logged_at", "_logger",
        "_pool", "_pools",
    )  # fmt: skip

    def __init__(
        self,
        pools: RedisPools,
        pool: str,
        *,
        deadline: float,
        label: str,
        instead: str,
        logger: logging.Logger = LOGGER,
    ) -> None:
        self._logger = logger
        self._pools = pools
        self._pool = pool
        self._deadline = deadline
        self._label = label
        self._instead = instead
        self._down_until = -math.inf
        self._failures = 0
        self._logged_at = -math.inf

    @property
    def deadline(self) -> float:
        return self._deadline

    async def call(self, work: Callable[[Any], Awaitable[T]]) -> T | Literal[_Failed.FAILED]:
        """`await work(client)` within the deadline; FAILED when Redis is not there, slow, or
        failing, or within the pause after a failure."""
        now = trio.current_time()
        if now < self._down_until:
            return FAILED
        client = self._pools.client(self._pool)
        if client is None:
            self.failed("not connected")
            return FAILED
        with trio.move_on_after(self._deadline) as scope:
            try:
                return await work(client)
            except Exception as exc:  # coredis errors, OSError: Redis is failing
                self.failed(f"{type(exc).__name__}: {exc}")
                return FAILED
        assert scope.cancelled_caught
        self.failed(f"no answer within {self._deadline * 1000:.0f} ms")
        return FAILED

    def failed(self, reason: str) -> None:
        """Count a failure: pause, and log unless logged within `LOG_EVERY`."""
        now = trio.current_time()
        self._down_until = now + RETRY_PAUSE
        self._failures += 1
        if now - self._logged_at >= LOG_EVERY:
            self._logger.warning(
                "%s: Redis pool %r failed %d time(s) (%s): %s",
                self._label,
                self._pool,
                self._failures,
                reason,
                self._instead,
            )
            self._logged_at = now
            self._failures = 0
