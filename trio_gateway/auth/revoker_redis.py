"""`auth/revoker`'s filters in Redis (`connection_name`), shared by every process using the pool.

The three rotating filters of bloomfilter's `rotate.go` become Redis strings used as bitsets,
one per generation `g = floor(unix time / TTL)`: an element is added to generations `g` and
`g + 1` (current and next), checked in `g - 1` and `g` (previous and current), so it is seen for
two to three TTLs, as in KrakenD. Every process agrees on the generation without talking to the
others (wall clocks in step to well under a TTL are assumed). A generation's key expires once no
generation reads it (`EXPIREAT (g + 3) * TTL`).

The bit positions are bloom.py's (KrakenD's hashing, `% m`), so a filter's key names its shape:
`trio-gateway:revoker:{<hash_name>:<m>:<k>}:<g>` - two configurations of different N, P or hash
never mix, and the braces keep every generation in one Redis Cluster slot (one script touches
two of them). Each add and check is one EVALSHA.

When Redis fails (not connected, an error, no answer within `DEADLINE`), a check answers from
the process's own filter (which holds every revocation this process received: KrakenD's
behaviour, per node) and an add reports the failure (the API answers 503); Redis is then left
alone for a second, and the failures are logged at most every ten seconds.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import trio

from trio_gateway.auth.bloom import hasher, optimal_k, optimal_m

if TYPE_CHECKING:
    from trio_gateway.auth.revoker import RevokerConfig
    from trio_gateway.qos.redis_pools import RedisPools

__all__ = ["ADD", "CHECK", "DEADLINE", "SharedFilter"]

LOGGER = logging.getLogger(__name__)

DEADLINE: Final = 0.5
_RETRY_PAUSE: Final = 1.0
_LOG_EVERY: Final = 10.0

# KEYS: current, next. ARGV: their EXPIREATs, then the positions to set.
ADD: Final = """
for i = 1, 2 do
  for j = 3, #ARGV do
    redis.call('SETBIT', KEYS[i], ARGV[j], 1)
  end
  redis.call('EXPIREAT', KEYS[i], ARGV[i])
end
return 1
"""

# KEYS: previous, current. ARGV: positions per element, then each element's positions.
# Answers one 0/1 per element: 1 when all its positions are set in either filter.
CHECK: Final = """
local k = tonumber(ARGV[1])
local out = {}
for e = 0, (#ARGV - 1) / k - 1 do
  local found = 0
  for i = 1, 2 do
    local all = 1
    for j = 1, k do
      if redis.call('GETBIT', KEYS[i], ARGV[1 + e * k + j]) == 0 then
        all = 0
        break
      end
    end
    if all == 1 then
      found = 1
      break
    end
  end
  out[e + 1] = found
end
return out
"""


class SharedFilter:
    """The rotating filters of one `auth/revoker` block in the pool `connection_name`."""

    __slots__ = (
        "_add",
        "_check",
        "_clock",
        "_down_until",
        "_failures",
        "_hash",
        "_logged_at",
        "_name",
        "_pools",
        "_prefix",
        "_ttl",
        "m",
    )

    def __init__(
        self,
        config: RevokerConfig,
        pools: RedisPools,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        from coredis.commands.script import Script

        assert config.n is not None and config.p is not None and config.ttl is not None
        self.m = optimal_m(config.n, config.p)
        k = optimal_k(self.m, config.n)
        self._hash = hasher(config.hash_name or "", k)
        self._ttl = config.ttl
        self._prefix = f"trio-gateway:revoker:{{{config.hash_name}:{self.m}:{k}}}:"
        self._pools = pools
        self._name = config.connection_name
        self._clock = clock
        self._add: Any = Script(script=ADD)
        self._check: Any = Script(script=CHECK)
        self._down_until = -math.inf
        self._failures = 0
        self._logged_at = -math.inf

    def _positions(self, item: bytes) -> list[int]:
        m = self.m
        return [word % m for word in self._hash(item)]

    def _key(self, generation: int) -> str:
        return f"{self._prefix}{generation}"

    def _client(self) -> Any:
        if trio.current_time() < self._down_until:
            return None
        client = self._pools.client(self._name)
        if client is None:
            self._failed("not connected")
        return client

    async def add(self, elements: list[bytes]) -> bool:
        """Set `elements` in the current and next filters; False when Redis failed."""
        client = self._client()
        if client is None:
            return False
        generation = int(self._clock() // self._ttl)
        positions = sorted({p for item in elements for p in self._positions(item)})
        keys = [self._key(generation), self._key(generation + 1)]
        args = [(generation + 3) * self._ttl, (generation + 4) * self._ttl, *positions]
        return await self._run(self._add, keys, args, client) is not None

    async def check(self, elements: list[bytes]) -> list[bool] | None:
        """Whether each element is in the previous or current filter; None when Redis failed."""
        if not elements:
            return []
        client = self._client()
        if client is None:
            return None
        generation = int(self._clock() // self._ttl)
        per_element = [self._positions(item) for item in elements]
        args = [len(per_element[0]), *(p for positions in per_element for p in positions)]
        keys = [self._key(generation - 1), self._key(generation)]
        reply = await self._run(self._check, keys, args, client)
        if reply is None:
            return None
        return [bool(int(found)) for found in reply]

    async def _run(self, script: Any, keys: list[str], args: list[int], client: Any) -> Any:
        with trio.move_on_after(DEADLINE) as scope:
            try:
                reply = await script(keys, args, client)
            except Exception as exc:  # coredis errors, OSError: Redis is failing
                self._failed(f"{type(exc).__name__}: {exc}")
                return None
            self._failures = 0
            return reply
        if scope.cancelled_caught:
            self._failed(f"no answer within {DEADLINE * 1000:.0f} ms")
        return None

    def _failed(self, reason: str) -> None:
        now = trio.current_time()
        self._down_until = now + _RETRY_PAUSE
        self._failures += 1
        if now - self._logged_at >= _LOG_EVERY:
            LOGGER.warning(
                "[SERVICE: Bloomfilter] Redis pool %r failed %d time(s) (%s): "
                "checking the in-process filter only",
                self._name,
                self._failures,
                reason,
            )
            self._logged_at = now
            self._failures = 0
