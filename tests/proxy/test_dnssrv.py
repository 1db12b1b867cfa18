"""`"sd": "dns"`: SRV answer -> balanced host list (lura's sd/dnssrv), its refresh, its balancer."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import hypothesis
import pytest
import trio
import trio.lowlevel
import trio.testing
from hypothesis import strategies as st

from trio_gateway.config import load_config_data
from trio_gateway.errors import BackendUnavailable
from trio_gateway.plan import compile_plan
from trio_gateway.proxy import dnssrv
from trio_gateway.proxy.backend import BackendProxy
from trio_gateway.proxy.dnssrv import (
    DEFAULT_TTL,
    DnsDiscovery,
    SrvSubscriber,
    compact,
    dns_ttl,
    instances,
)
from trio_gateway.transport import Origin
from trio_gateway.transport.srv import SrvLookupError, SrvRecord

# lura's sd/dnssrv/subscriber_test.go srvSet (its Examples): targets as Go's resolver gives them.
LURA_SET = [
    SrvRecord("foobar.", 90, 0, 2),
    SrvRecord("localhost.", 90, 0, 2),
    SrvRecord("localhost.", 80, 0, 2),
    SrvRecord("localhost.", 81, 0, 4),
    SrvRecord("localhost.", 82, 2, 10),
    SrvRecord("localhost.", 83, 0, 0),
]


# Examplecompact_basicweights and Examplecompact_custom_weights
@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ([25, 10000, 1000], [0, 10, 1]),
        ([25, 1000, 10000, 0, 65535], [0, 1, 13, 0, 85]),
        ([1, 65535], [0, 1]),
        ([], []),
        ([0, 0, 0, 0], [0, 0, 0, 0]),
        ([15015, 15016, 15017, 15018, 15019], [19, 19, 20, 20, 20]),
        ([0, 105, 210, 315, 420], [0, 1, 2, 3, 4]),
        ([2, 2, 2, 4], [1, 1, 1, 2]),
        ([3, 1], [3, 1]),
        ([50, 50], [1, 1]),
    ],
)
def test_compact(weights: list[int], expected: list[int]) -> None:
    assert compact(weights) == expected


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_instances_of_luras_set(scheme: str) -> None:
    # ExampleNewDetailed / ExampleNewDetailedWithScheme: priority 2 and weight 0 left out,
    # heaviest first, then by target ("foobar" < "localhost" here), then port; root dot dropped
    assert instances(LURA_SET, scheme) == [
        f"{scheme}://localhost:81",
        f"{scheme}://localhost:81",
        f"{scheme}://foobar:90",
        f"{scheme}://localhost:80",
        f"{scheme}://localhost:90",
    ]


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([], []),
        # the lowest priority only: no fallback to priority 20
        (
            [SrvRecord("b.test.", 81, 20, 50), SrvRecord("a.test.", 80, 10, 1)],
            ["http://a.test:80"],
        ),
        # all weights 0 at the lowest priority: no host at all (lura expands 0 times)
        ([SrvRecord("a.test.", 80, 0, 0), SrvRecord("b.test.", 81, 1, 5)], []),
        # a tiny share scales to 0 and drops out (sum > 100)
        (
            [SrvRecord("a.test.", 80, 0, 1), SrvRecord("b.test.", 81, 0, 200)],
            ["http://b.test:81"],
        ),
        # relative target (no root dot) kept as it is
        ([SrvRecord("a.test", 80, 0, 1)], ["http://a.test:80"]),
        # upper case kept in the list (Origin lower-cases it)
        ([SrvRecord("A.Test.", 80, 0, 3)], ["http://A.Test:80"]),
    ],
)
def test_instances(records: list[SrvRecord], expected: list[str]) -> None:
    assert instances(records, "http") == expected


def test_very_large_set_is_one_host_per_record_shuffled() -> None:
    # TestSubscriber_ResolveVeryLarge: 1000 records of weight 65535 give 1000 hosts
    records = [SrvRecord("localhost.", 1000 + i, 0, 65535) for i in range(1000)]
    hosts = instances(records, "http", random.Random(7))
    assert len(hosts) == 1000
    assert sorted(hosts) == sorted(f"http://localhost:{1000 + i}" for i in range(1000))
    assert hosts != sorted(hosts)  # more than 100: shuffled once (sd.NewRandomFixedSubscriber)


@pytest.mark.parametrize(
    ("configured", "expected"),
    [(None, DEFAULT_TTL), (0.0, DEFAULT_TTL), (0.5, DEFAULT_TTL), (1.0, 1.0), (45.0, 45.0)],
)
def test_ttl_from_dns_cache_ttl(configured: float | None, expected: float) -> None:
    assert dns_ttl(configured) == expected


class FakeDns:
    """A lookup whose answer the test changes; `None` makes it fail."""

    def __init__(self, records: list[SrvRecord] | None) -> None:
        self.records = records
        self.names: list[str] = []

    async def __call__(self, name: str) -> list[SrvRecord]:
        self.names.append(name)
        await trio.lowlevel.checkpoint()
        if self.records is None:
            raise SrvLookupError(f"lookup {name}: server misbehaving")
        return list(self.records)


class NurserySpawner:
    def __init__(self, nursery: trio.Nursery) -> None:
        self.nursery = nursery
        self.spawned = 0

    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> bool:
        self.spawned += 1
        self.nursery.start_soon(fn, *args)
        return True


def _ports(subscriber: SrvSubscriber) -> list[int]:
    return [origin.port for origin, _ in subscriber.origins]


DISCOVERY = DnsDiscovery(name="_api._tcp.test", scheme="http", ttl=30.0)


async def test_first_request_waits_and_failures_keep_the_last_good_set(
    autojump_clock: trio.testing.MockClock,
) -> None:
    dns = FakeDns([SrvRecord("a.test.", 80, 0, 1)])
    subscriber = SrvSubscriber(DISCOVERY, None, dns)
    await subscriber.refresh_if_due()
    assert _ports(subscriber) == [80]
    await subscriber.refresh_if_due()
    assert dns.names == ["_api._tcp.test"]  # fresh: no second lookup

    dns.records = None
    await trio.sleep(30)
    await subscriber.refresh_if_due()
    assert len(dns.names) == 2
    assert _ports(subscriber) == [80]  # the failure changed nothing
    assert subscriber.failures == 1
    await trio.sleep(29)
    await subscriber.refresh_if_due()
    assert len(dns.names) == 2  # a failure with a good set waits a whole TTL again

    dns.records = [SrvRecord("b.test.", 81, 0, 1), SrvRecord("c.test.", 82, 0, 3)]
    await trio.sleep(1)
    await subscriber.refresh_if_due()
    assert _ports(subscriber) == [82, 82, 82, 81]


async def test_cold_failures_retry_within_a_second(autojump_clock: trio.testing.MockClock) -> None:
    dns = FakeDns(None)
    subscriber = SrvSubscriber(DISCOVERY, None, dns)
    await subscriber.refresh_if_due()
    assert subscriber.origins == ()
    await subscriber.refresh_if_due()
    assert len(dns.names) == 1
    dns.records = [SrvRecord("a.test.", 80, 0, 1)]
    await trio.sleep(1)
    await subscriber.refresh_if_due()
    assert _ports(subscriber) == [80]


async def test_warm_refresh_runs_in_the_background(
    nursery: trio.Nursery, autojump_clock: trio.testing.MockClock
) -> None:
    dns = FakeDns([SrvRecord("a.test.", 80, 0, 1)])
    spawner = NurserySpawner(nursery)
    subscriber = SrvSubscriber(DISCOVERY, spawner, dns)
    # cold: the request waits for the lookup even when it runs in the background
    await subscriber.refresh_if_due()
    assert _ports(subscriber) == [80]
    dns.records = [SrvRecord("b.test.", 81, 0, 1)]
    await trio.sleep(30)
    await subscriber.refresh_if_due()
    assert _ports(subscriber) == [80]  # this request goes on with the list it has
    await trio.testing.wait_all_tasks_blocked()
    assert _ports(subscriber) == [81]
    assert spawner.spawned == 2


async def test_concurrent_cold_requests_share_one_lookup(
    autojump_clock: trio.testing.MockClock,
) -> None:
    dns = FakeDns([SrvRecord("a.test.", 80, 0, 1)])
    subscriber = SrvSubscriber(DISCOVERY, None, dns)
    seen = []

    async def request() -> None:
        await subscriber.refresh_if_due()
        seen.append(_ports(subscriber))

    async with trio.open_nursery() as nursery:
        for _ in range(5):
            nursery.start_soon(request)
    assert dns.names == ["_api._tcp.test"]
    assert seen == [[80]] * 5


async def test_hosts_that_make_no_origin_are_left_out(
    autojump_clock: trio.testing.MockClock,
) -> None:
    dns = FakeDns([SrvRecord("a.test.", 80, 0, 1)])
    subscriber = SrvSubscriber(DnsDiscovery(name="x.test", scheme="ftp"), None, dns)
    await subscriber.refresh_if_due()
    assert subscriber.origins == ()


def _plan_backend(backend: dict[str, Any], **service: Any) -> Any:
    config = {
        "version": 3,
        **service,
        "endpoints": [{"endpoint": "/e", "backend": [{"url_pattern": "/", **backend}]}],
    }
    loaded = load_config_data(config)
    return compile_plan(loaded.config, port=0).endpoints[0].backends[0], loaded.warnings


@pytest.mark.parametrize(
    ("backend", "service", "name", "scheme", "ttl"),
    [
        (
            {"host": ["_api._tcp.test"], "disable_host_sanitize": True},
            {},
            "_api._tcp.test",
            "http",
            30.0,
        ),
        (
            {"host": ["_api._tcp.test"], "disable_host_sanitize": True, "sd_scheme": "https"},
            {"dns_cache_ttl": "5s"},
            "_api._tcp.test",
            "https",
            5.0,
        ),
        # sanitized, as lura looks it up: no DNS name, so never resolves
        (
            {"host": ["_api._tcp.test"]},
            {"dns_cache_ttl": "500ms"},
            "http://_api._tcp.test",
            "http",
            30.0,
        ),
        # the service's host list, always sanitized
        ({}, {"host": ["srv.test"]}, "http://srv.test", "http", 30.0),
    ],
)
def test_plan(
    backend: dict[str, Any], service: dict[str, Any], name: str, scheme: str, ttl: float
) -> None:
    call, _ = _plan_backend({**backend, "sd": "dns"}, **service)
    assert call.discovery == DnsDiscovery(name=name, scheme=scheme, ttl=ttl)
    assert call.origins == ()


def test_static_backends_have_no_discovery() -> None:
    call, _ = _plan_backend({"host": ["a.test:8080"], "sd": "static"})
    assert call.discovery is None
    assert call.origins == ((Origin.parse("http://a.test:8080"), ""),)


@pytest.mark.parametrize(
    ("backend", "path", "words"),
    [
        (
            {"host": ["_api._tcp.test"]},
            "$.endpoints[0].backend[0].host[0]",
            "disable_host_sanitize",
        ),
        (
            {"host": ["http://_api._tcp.test"], "disable_host_sanitize": True},
            "$.endpoints[0].backend[0].host[0]",
            "no DNS name",
        ),
        (
            {"host": ["a.test", "b.test"], "disable_host_sanitize": True},
            "$.endpoints[0].backend[0].host",
            "first host only",
        ),
        (
            {"host": ["a.test"], "disable_host_sanitize": True, "sd_scheme": "ftp"},
            "$.endpoints[0].backend[0].sd_scheme",
            "not http or https",
        ),
    ],
)
def test_check_warns_where_every_request_would_fail(
    backend: dict[str, Any], path: str, words: str
) -> None:
    _, warnings = _plan_backend({**backend, "sd": "dns"})
    assert [w for w in warnings if w.path == path and words in f"{w.message} {w.hint}"]
    assert not [w for w in warnings if w.is_error]


def test_check_is_quiet_for_a_usable_srv_name() -> None:
    _, warnings = _plan_backend(
        {
            "host": ["_api._tcp.test"],
            "disable_host_sanitize": True,
            "sd": "dns",
            "sd_scheme": "HTTPS",
        }
    )
    assert warnings == ()


class RecordingClient:
    """Never called: the test picks hosts only."""

    async def request(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError


async def test_round_robin_over_the_weighted_list(
    autojump_clock: trio.testing.MockClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    dns = FakeDns([SrvRecord("a.test.", 80, 0, 1), SrvRecord("b.test.", 81, 0, 3)])
    monkeypatch.setattr(dnssrv, "lookup_srv", dns)
    call, _ = _plan_backend(
        {"host": ["_api._tcp.test"], "disable_host_sanitize": True, "sd": "dns"}
    )
    proxy = BackendProxy(call, RecordingClient())
    assert proxy.discovery is not None
    await proxy.discovery.refresh_if_due()
    picked = Counter(proxy._pick()[0].port for _ in range(400))
    assert picked == {81: 300, 80: 100}
    dns.records = [SrvRecord("a.test.", 80, 0, 0)]  # weight 0 only: an empty list (lura)
    await trio.sleep(30)
    await proxy.discovery.refresh_if_due()
    with pytest.raises(BackendUnavailable, match="no hosts available"):
        proxy._pick()


@hypothesis.settings(max_examples=200, deadline=None)
@hypothesis.given(st.lists(st.integers(min_value=0, max_value=65535), max_size=300))
def test_compact_keeps_the_shares_within_the_scale(weights: list[int]) -> None:
    result = compact(weights)
    assert len(result) == len(weights)
    scale = max(100, len(weights))
    assert sum(result) <= scale  # at most 100 entries per lookup, or one per record
    # a heavier record never gets fewer entries than a lighter one
    ranked = sorted(zip(weights, result, strict=True))
    assert [r for _, r in ranked] == sorted(r for _, r in ranked)
    assert all(r == 0 for w, r in zip(weights, result, strict=True) if w == 0)
