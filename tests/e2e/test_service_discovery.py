"""`"sd": "dns"` end to end: the gateway finds its backends in SRV records served by a loopback DNS
responder (tests/dns_server.py), spreads calls by weight, follows changes after `dns_cache_ttl`,
and keeps the last good set while DNS fails."""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

import httpx
import orjson
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from tests.dns_server import DnsZone, dns_zone
from tests.e2e.conftest import StartGateway

__all__ = ["dns_zone"]

SRV_NAME = "_api._tcp.test."


def _who_app(name: str) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        headers = dict(scope["headers"])
        body = orjson.dumps({"who": name, "host": headers.get(b"host", b"").decode()})
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


async def _backends(nursery: trio.Nursery, count: int) -> list[int]:
    ports = []
    for index in range(count):
        config = HypercornConfig()
        config.bind = ["127.0.0.1:0"]
        config.accesslog = None
        serve = functools.partial(hypercorn_serve, _who_app(f"b{index}"), config, mode="asgi")
        binds = await nursery.start(serve)
        ports.append(int(str(binds[0]).rsplit(":", 1)[1]))
    return ports


def _config(**backend: Any) -> dict[str, Any]:
    return {
        "version": 3,
        "dns_cache_ttl": "1s",
        "endpoints": [
            {
                "endpoint": "/e",
                "backend": [
                    {
                        "url_pattern": "/",
                        "host": ["_api._tcp.test"],
                        "disable_host_sanitize": True,
                        "sd": "dns",
                        **backend,
                    }
                ],
            }
        ],
    }


async def _who(client: httpx.AsyncClient, gateway: str, times: int) -> Counter[str]:
    seen: Counter[str] = Counter()
    for _ in range(times):
        answer = await client.get(f"{gateway}/e")
        assert answer.status_code == 200, answer.text
        seen[answer.json()["who"]] += 1
    return seen


async def test_calls_spread_by_weight_and_follow_the_zone(
    nursery: trio.Nursery,
    dns_zone: DnsZone,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    p0, p1, p2 = await _backends(nursery, 3)
    dns_zone.srv[SRV_NAME] = [
        (10, 1, p0, "localhost."),
        (10, 3, p1, "localhost."),
        (20, 50, p2, "localhost."),  # a higher priority number: never called
    ]
    gateway = await start_gateway(_config())

    first = await client.get(f"{gateway}/e")
    assert first.json()["host"] in (f"localhost:{p0}", f"localhost:{p1}")  # no root dot
    # round robin over [b1, b1, b1, b0]: exactly by weight while the set stays the same
    seen = await _who(client, gateway, 39)
    seen[first.json()["who"]] += 1
    assert seen == {"b1": 30, "b0": 10}

    dns_zone.srv[SRV_NAME] = [(10, 1, p0, "localhost."), (10, 1, p2, "localhost.")]
    for _ in range(60):  # bounded: the TTL is 1 s
        if "b2" in await _who(client, gateway, 1):
            break
        await trio.sleep(0.1)
    else:
        raise AssertionError("the gateway never followed the zone change")
    assert await _who(client, gateway, 20) == {"b0": 10, "b2": 10}

    # DNS fails: the last good set keeps serving, lookups keep being tried
    dns_zone.failing = True
    asked = len(dns_zone.queries)
    for _ in range(30):
        assert set(await _who(client, gateway, 2)) <= {"b0", "b2"}
        if len(dns_zone.queries) > asked:
            break
        await trio.sleep(0.1)
    else:
        raise AssertionError("no lookup was tried while DNS failed")
    await trio.sleep(1.1)
    assert await _who(client, gateway, 10) == {"b0": 5, "b2": 5}

    # DNS back: the next change is followed again
    dns_zone.failing = False
    dns_zone.srv[SRV_NAME] = [(0, 1, p1, "localhost.")]
    for _ in range(60):
        if await _who(client, gateway, 1) == {"b1": 1}:
            break
        await trio.sleep(0.1)
    else:
        raise AssertionError("the gateway never followed the zone after DNS came back")
    assert await _who(client, gateway, 5) == {"b1": 5}


async def test_no_record_yet_is_no_hosts_available_until_one_appears(
    nursery: trio.Nursery,
    dns_zone: DnsZone,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    [port] = await _backends(nursery, 1)
    gateway = await start_gateway(_config(sd_scheme="http"))
    answer = await client.get(f"{gateway}/e")
    assert answer.status_code == 500  # lura: the balancer's "no hosts available"
    dns_zone.srv[SRV_NAME] = [(0, 1, port, "localhost.")]
    for _ in range(40):  # bounded: a cold failure is retried within a second
        answer = await client.get(f"{gateway}/e")
        if answer.status_code == 200:
            break
        await trio.sleep(0.1)
    assert answer.status_code == 200
    assert answer.json()["who"] == "b0"


async def test_sanitized_host_never_resolves(
    nursery: trio.Nursery,
    dns_zone: DnsZone,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    # KrakenD looks up "http://_api._tcp.test" (the cleaned host), which is no DNS name
    [port] = await _backends(nursery, 1)
    dns_zone.srv[SRV_NAME] = [(0, 1, port, "localhost.")]
    gateway = await start_gateway(_config(disable_host_sanitize=False))
    for _ in range(3):
        answer = await client.get(f"{gateway}/e")
        assert answer.status_code == 500
    assert dns_zone.queries == []
