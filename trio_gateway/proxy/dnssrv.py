"""`"sd": "dns"`: a backend's hosts from DNS SRV records, as lura's sd/dnssrv subscriber.

lura (sd/dnssrv/subscriber.go, luraproject/lura caa4317) looks up `host[0]` with
`net.LookupSRV("", "", name)` and turns the answer into the balancer's host list:

- the records are sorted by priority, then weight (heaviest first), target, port; only those of
  the lowest priority are kept (the others are never called, not even as a fallback);
- each becomes `sd_scheme://target:port` ("http" when unset);
- their weights are `compact`ed (scaled down to a total of at most 100, or to the number of
  records when there are more, then divided by their greatest common divisor) and every host is
  repeated that many times: a weight that scales to 0 (weight 0, or a tiny share) drops the host;
- a list of more than 100 entries is shuffled once;
- a failed lookup changes nothing: the last good list stays (empty before the first success);
- the lookup is repeated every `dns_cache_ttl` (service level; 30 s by default, values under 1 s
  ignored: `dnssrv.SetTTL`), whatever the records' own TTL.

Here the refresh is lazy rather than a ticker: a request that finds the list older than the TTL
starts a lookup in the background (the app's lifespan nursery) and goes on with the list it has;
the first request waits for the first lookup. A backend no request reaches sends no DNS queries.
While no lookup has ever succeeded, a failure is retried after at most a second instead of a whole
TTL, so a DNS blip at start does not cost 30 s of "no hosts available".
"""

from __future__ import annotations

import functools
import logging
import math
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import attrs
import trio

from trio_gateway.transport import Origin
from trio_gateway.transport.srv import SrvLookupError, SrvRecord, lookup_srv

__all__ = ["DEFAULT_TTL", "DnsDiscovery", "SrvSubscriber", "compact", "dns_ttl", "instances"]

LOGGER = logging.getLogger(__name__)

DEFAULT_TTL = 30.0  # dnssrv.DefaultTTL
MIN_TTL = 1.0  # dnssrv.MinTTL
_COLD_RETRY = 1.0  # while no lookup ever succeeded
_LOOKUP_LIMIT = 15.0  # a safety net over the resolver's own lifetime (resolv.conf timeouts)
_SHUFFLE_ABOVE = 100  # lura shuffles lists longer than this (sd.NewRandomFixedSubscriber)


def dns_ttl(configured: float | None) -> float:
    """The refresh period from the service's `dns_cache_ttl` (krakend-ce calls
    `dnssrv.SetTTL(cfg.DNSCacheTTL)`, which ignores values under a second)."""
    if configured is None or configured < MIN_TTL:
        return DEFAULT_TTL
    return configured


@attrs.frozen(kw_only=True)
class DnsDiscovery:
    """What `"sd": "dns"` compiles to: the name looked up, the hosts' scheme, the refresh period."""

    name: str
    scheme: str = "http"
    ttl: float = DEFAULT_TTL


def _normalize(weights: Sequence[int]) -> list[int]:
    scale = max(100, len(weights))
    total = sum(weights)
    if total <= scale:
        return list(weights)
    return [w * scale // total for w in weights]


def compact(weights: Sequence[int]) -> list[int]:
    """lura's `compact`: how many times each host appears in the balanced list."""
    scaled = _normalize(weights)
    divisor = functools.reduce(math.gcd, scaled, 0)
    if divisor < 2:
        return scaled
    return [w // divisor for w in scaled]


def _order(record: SrvRecord) -> tuple[int, int, str, int]:
    return (record.priority, -record.weight, record.target, record.port)


def _join_host_port(target: str, port: int) -> str:
    # Go's net.JoinHostPort; the answer's root dot is dropped (see `instances`).
    host = target[:-1] if target.endswith(".") and target != "." else target
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def instances(
    records: Sequence[SrvRecord], scheme: str, rng: random.Random | None = None
) -> list[str]:
    """lura's `resolve`: the balancer's host list for an SRV answer.

    Go's answer targets are absolute (`api.example.com.`) and lura keeps the dot in the URL, so
    KrakenD sends `Host: api.example.com.:8080`; here the dot is dropped (the same host, RFC 1034
    §3.1) so the Host header and TLS names are the plain name backends expect.
    """
    if not records:
        return []
    ordered = sorted(records, key=_order)
    lowest = ordered[0].priority
    kept = [r for r in ordered if r.priority <= lowest]
    hosts = [f"{scheme}://{_join_host_port(r.target, r.port)}" for r in kept]
    result = [
        host
        for host, times in zip(hosts, compact([r.weight for r in kept]), strict=True)
        for _ in range(times)
    ]
    if len(result) > _SHUFFLE_ABOVE:
        (rng or random).shuffle(result)
    return result


class Spawner(Protocol):
    """Where lookups run so that they outlive the request that started them (proxy/shadow.py's
    `Background`, the app's lifespan nursery)."""

    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> bool: ...


Lookup = Callable[[str], Awaitable[list[SrvRecord]]]


async def _lookup(name: str) -> list[SrvRecord]:
    # looked up at call time, so tests can replace `lookup_srv`
    return await lookup_srv(name)


def _origins(hosts: Sequence[str], name: str) -> tuple[tuple[Origin, str], ...]:
    origins = []
    for host in hosts:
        try:
            origins.append((Origin.parse(host), ""))
        except ValueError as exc:
            # KrakenD would call it and fail (`unsupported protocol scheme`, a dial error): leave
            # it out of the rotation and say why.
            LOGGER.warning("sd dns %s: %s left out: %s", name, host, exc)
    return tuple(origins)


class SrvSubscriber:
    """The current host list of one `"sd": "dns"` backend, refreshed every TTL (see above)."""

    __slots__ = (
        "_discovery",
        "_failures",
        "_inflight",
        "_lookup",
        "_lookups",
        "_next",
        "_ok",
        "_origins",
        "_spawner",
    )

    def __init__(
        self,
        discovery: DnsDiscovery,
        spawner: Spawner | None = None,
        lookup: Lookup | None = None,
    ) -> None:
        self._discovery = discovery
        self._spawner = spawner
        self._lookup = lookup or _lookup
        self._origins: tuple[tuple[Origin, str], ...] = ()
        self._ok = False  # a lookup has succeeded
        self._next = -math.inf  # trio time of the next lookup
        self._inflight: trio.Event | None = None
        self._lookups = 0
        self._failures = 0

    @property
    def origins(self) -> tuple[tuple[Origin, str], ...]:
        """The balanced list as of the last successful lookup (a host repeated per weight)."""
        return self._origins

    @property
    def lookups(self) -> int:
        return self._lookups

    @property
    def failures(self) -> int:
        return self._failures

    async def refresh_if_due(self) -> None:
        """Start a lookup when the list is older than the TTL; wait for it only while there has
        never been a good list (the first request)."""
        if self._inflight is None and trio.current_time() >= self._next:
            event = self._inflight = trio.Event()
            if self._spawner is None or not self._spawner.spawn(self._refresh, event):
                await self._refresh(event)
                return
        if not self._ok and self._inflight is not None:
            await self._inflight.wait()

    async def _refresh(self, event: trio.Event) -> None:
        discovery = self._discovery
        self._lookups += 1
        try:
            with trio.fail_after(_LOOKUP_LIMIT):
                records = await self._lookup(discovery.name)
        except Exception as exc:
            if not isinstance(exc, (SrvLookupError, trio.TooSlowError)):
                LOGGER.debug("sd dns lookup failure", exc_info=exc)
            self._failures += 1
            retry = discovery.ttl if self._ok else min(discovery.ttl, _COLD_RETRY)
            self._next = trio.current_time() + retry
            kept = f"keeping the last {len(self._origins)} host(s)" if self._ok else "no hosts yet"
            reason = str(exc) or f"no answer within {_LOOKUP_LIMIT:g} s"
            LOGGER.warning("sd dns %s: %s; %s", discovery.name, reason, kept)
        else:
            hosts = instances(records, discovery.scheme)
            origins = _origins(hosts, discovery.name)
            if origins != self._origins:
                LOGGER.info(
                    "sd dns %s: %d host(s): %s",
                    discovery.name,
                    len(origins),
                    " ".join(sorted({o.base_url for o, _ in origins})) or "none",
                )
            self._origins = origins
            self._ok = True
            self._next = trio.current_time() + discovery.ttl
        finally:
            self._inflight = None
            event.set()
