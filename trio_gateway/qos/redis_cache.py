"""The Redis store of `qos/http-cache` (`"connection_name": "<pool>"`, trio-gateway's own key:
KrakenD's cache is in memory only; EE's schema v2.13 has `shared`, `max_items`, `max_size`).

The responses the in-process cache would keep are kept in Redis instead, so every worker and
every gateway process using the same Redis answers from them. What is stored and when it is fresh
are the same rules (qos/cache_policy.py, gregjones/httpcache); only the place differs:

* Keys: one Redis string per cache key, the in-process cache's (method, origin, target, whether
  redirects are followed) within its scope (the backend definition, `<METHOD> <endpoint> b<i>`,
  or `shared` for `"shared": true` backends, the process-wide cache's), hashed (BLAKE2b-128, so
  URLs and their query strings are not stored as they came):
  `trio-gateway:cache:{<digest of scope, origin, target>}:<method>:<r|n>`; the hash tag keeps
  the four variants of a URL (GET/HEAD, redirects or not) in one cluster slot, so an unsafe
  request invalidates them with one DEL.
* Value: a version tag, a JSON head (status, reason, headers, url, the age when stored, the Vary
  values of the storing request, the TTL written), then the body as it came.
* Time: an entry's age is its age when stored plus the time Redis's TTL has run down since (GET
  and PTTL in one Lua script): Redis's clock, the same for every process, so clock skew between
  hosts does not age entries (the in-process cache's Rule 1, with Redis's clock for trio's).
* TTL: the remaining freshness lifetime; a response that can still serve once stale (it has a
  validator, ETag or Last-Modified, for revalidation, or `stale-if-error`) is kept `KEEP_STALE`
  (10 min) longer, or `stale-if-error`'s N seconds when longer. One that cannot serve at all
  (stale at once, no validator) is not written. Redis's own `maxmemory` policy evicts; run it
  with one (`allkeys-lru`): `max_items` does not apply to Redis.
* Size: an entry whose body and headers exceed `max_size` (or `MAX_ENTRY`, 1 MiB, when no
  `max_size` is set) is not written.

A cache must never fail a request: a Redis that is down, slow (each call has a deadline, a tenth
of the endpoint's timeout) or answers garbage is a miss, and the backend is called; writes that
fail are dropped. qos/redis_calls.py pauses Redis for 1 s after a failure and logs one warning
per 10 s.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson

from trio_gateway.qos import cache_policy as policy
from trio_gateway.qos.cache_policy import StoredResponse
from trio_gateway.qos.redis_calls import FAILED, RedisCalls
from trio_gateway.transport import BackendResponse

if TYPE_CHECKING:
    from coredis.commands.script import Script

    from trio_gateway.transport import Origin

__all__ = ["KEEP_STALE", "MAX_ENTRY", "RedisCacheStore", "decode", "encode", "redis_key", "ttl"]

KEEP_STALE = 600.0
MAX_ENTRY = 1 << 20
_MAGIC = b"tgc1"
_HEAD = struct.Struct(">4sI")

# The in-process cache's key (qos/http_cache.py): method, origin, target, follow_redirects.
_Key = tuple[bytes, "Origin", bytes, bool]

LUA_GET = """
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
"""


def redis_key(scope: str, method: bytes, origin: Origin, target: bytes, follow: bool) -> str:
    """The Redis key of one in-process cache key within `scope` (module docstring)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (scope.encode("utf-8", "surrogateescape"), origin.base_url.encode(), target):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    method_part = method.decode("latin-1")
    return f"trio-gateway:cache:{{{digest.hexdigest()}}}:{method_part}:{'r' if follow else 'n'}"


def ttl(entry: StoredResponse) -> float:
    """Seconds the entry is worth keeping in Redis; 0 when it is worth nothing (module doc)."""
    if entry.vary is None:  # `Vary: *` never answers
        return 0.0
    remaining = 0.0  # no Date (an infinite age, gregjones) or no-cache: stale at once
    if math.isfinite(entry.initial_age) and "no-cache" not in entry.cc:
        remaining = max(0.0, entry.lifetime - entry.initial_age)
    fields = entry.response.headers
    keep = 0.0
    if policy.header_value(fields, b"etag") or policy.header_value(fields, b"last-modified"):
        keep = KEEP_STALE
    if "stale-if-error" in entry.cc:
        seconds = policy.delta_seconds(entry.cc["stale-if-error"])
        keep = max(keep, KEEP_STALE if seconds is None else float(seconds))
    return remaining + keep


def encode(entry: StoredResponse, ttl_ms: int) -> bytes:
    response = entry.response
    head = orjson.dumps(
        {
            "status": response.status,
            "reason": response.reason.decode("latin-1"),
            "headers": [[n.decode("latin-1"), v.decode("latin-1")] for n, v in response.headers],
            "url": response.url,
            "age": entry.initial_age if math.isfinite(entry.initial_age) else None,
            "varied": [None if v is None else v.decode("latin-1") for v in entry.varied],
            "ttl_ms": ttl_ms,
        }
    )
    return _HEAD.pack(_MAGIC, len(head)) + head + response.body


def decode(blob: bytes, pttl_ms: int, now: float) -> StoredResponse | None:
    """The entry `blob` holds, stored at trio time `now` minus the TTL run down; None when it is
    not one of ours (another version, garbage): a miss."""
    try:
        magic, size = _HEAD.unpack_from(blob)
        if magic != _MAGIC:
            return None
        head: dict[str, Any] = orjson.loads(blob[_HEAD.size : _HEAD.size + size])
        body = blob[_HEAD.size + size :]
        headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in head["headers"]]
        response = BackendResponse(
            int(head["status"]), head["reason"].encode("latin-1"), headers, body, str(head["url"])
        )
        varied = tuple(None if v is None else v.encode("latin-1") for v in head["varied"])
        elapsed = max(0, int(head["ttl_ms"]) - pttl_ms) / 1000
        initial_age = math.inf if head["age"] is None else float(head["age"])
    except (struct.error, orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return None
    cc = policy.parse_cache_control(headers)
    vary = policy.vary_names(headers)
    if vary is None or len(varied) != len(vary):
        return None
    return StoredResponse(
        response=response,
        cc=cc,
        lifetime=policy.freshness_lifetime(headers, cc),
        initial_age=initial_age,
        stored_at=now - elapsed,
        vary=vary,
        varied=varied,
        size=len(body) + sum(len(n) + len(v) for n, v in headers),
    )


class RedisCacheStore:
    """One cache's entries in Redis; every method swallows Redis's failures (a miss, a drop)."""

    __slots__ = ("_calls", "_max_entry", "_script", "scope")

    def __init__(self, calls: RedisCalls, script: Script[bytes], scope: str, max_entry: int):
        self._calls = calls
        self._script = script
        self.scope = scope
        self._max_entry = max_entry or MAX_ENTRY

    def key(self, key: _Key) -> str:
        return redis_key(self.scope, *key)

    async def get(self, key: _Key, now: float) -> StoredResponse | None:
        name = self.key(key)
        reply: Any = await self._calls.call(lambda client: self._script([name], [], client))
        if reply is FAILED or not isinstance(reply, list | tuple) or len(reply) != 2:
            return None
        blob, pttl = reply
        if not isinstance(blob, bytes) or not isinstance(pttl, int) or pttl < 0:
            return None
        return decode(blob, pttl, now)

    async def put(self, key: _Key, entry: StoredResponse) -> None:
        if entry.size > self._max_entry:
            await self.delete([key])  # what cannot be stored replaces nothing older
            return
        seconds = ttl(entry)
        ttl_ms = math.ceil(seconds * 1000)
        if ttl_ms <= 0:
            await self.delete([key])
            return
        blob = encode(entry, ttl_ms)
        name = self.key(key)
        await self._calls.call(lambda client: client.set(name, blob, px=ttl_ms))

    async def delete(self, keys: Iterable[_Key]) -> None:
        names = [self.key(key) for key in keys]
        if names:
            await self._calls.call(lambda client: client.delete(names))


def get_script() -> Script[bytes]:
    from coredis.commands.script import Script

    return Script(script=LUA_GET)
