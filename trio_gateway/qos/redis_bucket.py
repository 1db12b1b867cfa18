"""The token buckets of `qos/ratelimit/router/redis`, kept in Redis: one Lua script, one round trip.

Same arithmetic as the in-process `TokenBucket` (qos/ratelimit.py, KrakenD's `tokenbucket.go`),
run atomically by Redis, so every gateway process sharing the server shares the buckets exactly
(N parallel checks against a bucket of C tokens admit exactly C):

* a bucket is created full, its refill clock starting at its first check;
* a token is taken while there is one; once empty, `floor(elapsed / fill)` tokens are added, the
  refill clock advances by whole fill intervals, and an add that overflows the capacity fills it
  *and* grants the request (KrakenD's capacity+1, §26.3); nothing added is a refusal whose
  retry-after is the time to the next token;
* the client bucket goes first and spends its token even when the endpoint bucket then refuses
  (429 before 503, as in-process).

KrakenD EE describes its Redis limit as the same token bucket as the stateless one, with the
counters in Redis (docs: enterprise/throttling/global-rate-limit); its code is not public.

The clock is Redis's (`TIME` inside the script, microseconds): every replica reads the same clock,
so skew between gateway hosts cannot mint or lose tokens (a caller's clock would be compared with
buckets another host's clock refilled). Redis >= 5 replicates the script's effects, not the script,
so a non-deterministic TIME before writes is allowed (`redis.replicate_commands()` for 3.2-4).

Time is kept as whole seconds plus nanoseconds (Lua numbers are doubles: nanoseconds since the
epoch do not fit in 53 bits); every value stays an exact integer.

Keys: `trio-gateway:rl:{<METHOD> <endpoint>}:e` for the endpoint and `...:c:<digest>` per client,
the client key hashed (BLAKE2b-128), so tokens or addresses used as keys are not stored in Redis
as they came, and the `{...}` hash tag keeps one endpoint's keys in one cluster slot. Each key
expires after the client TTL of the in-process store (10 min, or 1.25 × `every`), refreshed on
every check, and never before the bucket could have refilled completely: a bucket that expired
is recreated full, which is never more than the idle bucket would have granted.
"""

from __future__ import annotations

import hashlib
import math
from typing import TYPE_CHECKING, Any

from trio_gateway.qos.ratelimit import BucketParameters, Rejection

if TYPE_CHECKING:
    from coredis.client import Client
    from coredis.commands.script import Script

__all__ = ["LUA", "RedisBuckets", "backend_id", "endpoint_prefix"]

_NS = 1_000_000_000

LUA = """
local now_s, now_ns
if ARGV[7] then
  now_s, now_ns = tonumber(ARGV[7]), tonumber(ARGV[8])  -- the tests' clock: seconds, ns
else
  if redis.replicate_commands then pcall(redis.replicate_commands) end
  local now = redis.call('TIME')
  now_s, now_ns = tonumber(now[1]), tonumber(now[2]) * 1000
end

local function take(key, fill, cap, ttl_ms)
  local state = redis.call('HMGET', key, 't', 's', 'n')
  local tokens, last_s, last_ns = tonumber(state[1]), tonumber(state[2]), tonumber(state[3])
  if tokens == nil or last_s == nil or last_ns == nil then
    tokens, last_s, last_ns = cap, now_s, now_ns
  end
  if tokens > cap then tokens = cap end
  local allowed, wait = 1, 0
  if tokens > 0 then
    tokens = tokens - 1
  else
    local elapsed = (now_s - last_s) * 1000000000 + (now_ns - last_ns)
    local add = 0
    if elapsed > 0 then
      add = math.floor(elapsed / fill)
      -- exact integer division: correct the float quotient by one either way
      if add * fill > elapsed then
        add = add - 1
      elseif (add + 1) * fill <= elapsed then
        add = add + 1
      end
    end
    if add <= 0 then
      allowed, wait = 0, fill - elapsed
    else
      local advanced = last_ns + add * fill
      local carry = math.floor(advanced / 1000000000)
      last_s, last_ns = last_s + carry, advanced - carry * 1000000000
      if add > cap then tokens = cap else tokens = add - 1 end
    end
  end
  redis.call('HSET', key, 't', tokens, 's', last_s, 'n', last_ns)
  redis.call('PEXPIRE', key, ttl_ms)
  return allowed, wait
end

-- ARGV: client fill ns, capacity, ttl ms; endpoint fill ns, capacity, ttl ms (capacity 0 = off)
local client_cap, endpoint_cap = tonumber(ARGV[2]), tonumber(ARGV[5])
if client_cap > 0 then
  local allowed, wait = take(KEYS[1], tonumber(ARGV[1]), client_cap, tonumber(ARGV[3]))
  if allowed == 0 then return {429, wait} end
end
if endpoint_cap > 0 then
  local allowed, wait = take(KEYS[2], tonumber(ARGV[4]), endpoint_cap, tonumber(ARGV[6]))
  if allowed == 0 then return {503, wait} end
end
return {0, 0}
"""


def endpoint_prefix(method: str, path: str) -> str:
    """The keys' common part for one endpoint definition (method and path, as configured)."""
    # The hash tag must not close early: a `}` in a path would end it.
    return "trio-gateway:rl:{" + f"{method} {path}".replace("}", "%7D") + "}"


def backend_id(plan: Any, call: object) -> str:
    """A backend definition within its endpoint, the same in every process with the same
    configuration: `b<i>` for the i-th (non-shadow) backend, `s<i>` for the i-th shadow one."""
    for prefix, calls in (("b", plan.backends), ("s", plan.shadows)):
        for index, candidate in enumerate(calls):
            if candidate is call:
                return f"{prefix}{index}"
    raise ValueError("the backend is not one of the endpoint's")


def _ttl_ms(ttl: float, fill_ns: int, capacity: int) -> int:
    # Never expire before a full refill (see the module docstring), at least 1 s.
    refill = fill_ns * capacity / _NS
    return max(1000, math.ceil(max(ttl, refill) * 1000))


class RedisBuckets:
    """One endpoint's client and endpoint buckets in Redis; `check` is one EVALSHA."""

    __slots__ = ("_args", "_client_prefix", "_endpoint_key", "_script", "needs_client_key")

    def __init__(self, script: Script[bytes], prefix: str, parameters: BucketParameters) -> None:
        self._script = script
        self._endpoint_key = prefix + ":e"
        self._client_prefix = prefix + ":c:"
        p = parameters
        self.needs_client_key = p.client_capacity > 0
        self._args = (
            p.client_fill_ns,
            p.client_capacity,
            _ttl_ms(p.client_ttl, p.client_fill_ns, p.client_capacity),
            p.endpoint_fill_ns,
            p.endpoint_capacity,
            _ttl_ms(p.client_ttl, p.endpoint_fill_ns, p.endpoint_capacity),
        )

    def client_bucket_key(self, client_key: str) -> str:
        digest = hashlib.blake2b(client_key.encode("utf-8", "surrogateescape"), digest_size=16)
        return self._client_prefix + digest.hexdigest()

    async def check(
        self, client: Client[Any], client_key: str | None, *, now_ns: int | None = None
    ) -> Rejection | None:
        """Spend a token from the client's bucket, then the endpoint's; None = go ahead.

        `now_ns` (tests only) replaces Redis's clock. Raises what coredis raises when Redis
        fails (the caller applies the failure policy)."""
        client_bucket = self.client_bucket_key(client_key) if client_key else self._endpoint_key
        args: tuple[int, ...] = self._args
        if now_ns is not None:
            args = (*args, *divmod(now_ns, _NS))
        reply: Any = await self._script([client_bucket, self._endpoint_key], args, client)
        status, wait = int(reply[0]), int(reply[1])
        if status == 0:
            return None
        return Rejection(status, max(0, wait) / _NS)


def script() -> Script[bytes]:
    """The Lua script, not bound to a client (EVALSHA, loaded on NOSCRIPT by coredis)."""
    from coredis.commands.script import Script

    return Script(script=LUA)
