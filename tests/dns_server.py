"""A loopback DNS responder for the `"sd": "dns"` tests: SRV answers from a mutable zone.

Built on dnspython's `dns.message`; it answers UDP queries on 127.0.0.1 from `DnsZone.srv`
(absolute name -> records), NXDOMAIN for other names, SERVFAIL for all while `failing` is set.
"""

from __future__ import annotations

import socket

import attrs
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
import trio

from trio_gateway.transport.srv import NAMESERVER_ENV


@attrs.define
class DnsZone:
    # "_api._tcp.test." -> [(priority, weight, port, "target.")]
    srv: dict[str, list[tuple[int, int, int, str]]] = attrs.field(factory=dict)
    failing: bool = False
    queries: list[str] = attrs.field(factory=list)
    port: int = 0


def _answer(zone: DnsZone, wire: bytes) -> bytes | None:
    try:
        query = dns.message.from_wire(wire)
    except Exception:
        return None
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    question = query.question[0]
    name = question.name.to_text()
    zone.queries.append(name)
    records = zone.srv.get(name)
    if zone.failing:
        response.set_rcode(dns.rcode.SERVFAIL)
    elif records is None:
        response.set_rcode(dns.rcode.NXDOMAIN)
    elif question.rdtype == dns.rdatatype.SRV and records:
        texts = [f"{p} {w} {port} {target}" for p, w, port, target in records]
        response.answer.append(dns.rrset.from_text(name, 5, "IN", "SRV", *texts))
    return response.to_wire()


async def serve_dns(zone: DnsZone, *, task_status: trio.TaskStatus[int]) -> None:
    """Answer queries until cancelled; `task_status.started(port)`."""
    with trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        await sock.bind(("127.0.0.1", 0))
        zone.port = sock.getsockname()[1]
        task_status.started(zone.port)
        while True:
            wire, peer = await sock.recvfrom(4096)
            answer = _answer(zone, wire)
            if answer is not None:
                await sock.sendto(answer, peer)


@pytest.fixture
async def dns_zone(nursery: trio.Nursery, monkeypatch: pytest.MonkeyPatch) -> DnsZone:
    """A running responder with an empty zone; lookups go to it for the whole test."""
    zone = DnsZone()
    await nursery.start(serve_dns, zone)
    monkeypatch.setenv(NAMESERVER_ENV, f"127.0.0.1:{zone.port}")
    return zone
