"""DNS SRV lookups for `"sd": "dns"`, as Go's `net.LookupSRV("", "", name)` under lura's sd/dnssrv.

The query goes out on dnspython's async resolver with its trio backend, passed per call (no global
state is set). The nameservers, search list and timeouts are the system's (`/etc/resolv.conf`,
re-read on every lookup as Go does when it changes), unless `TRIO_GATEWAY_DNS_NAMESERVER` names
one (`host`, `host:port` or `[v6]:port`): tests point it at a loopback responder, and containers
without a resolv.conf can use it too.

Go's rules kept here: a name that is not a presentation-format domain name is never queried
(`isDomainName`, net/dnsclient.go), and an answer with any target that is not one is an error
(`LookupSRV` filters them and returns an error alongside, which lura treats as a failed lookup).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    import dns.asyncresolver

__all__ = ["NAMESERVER_ENV", "SrvLookupError", "SrvRecord", "is_domain_name", "lookup_srv"]

NAMESERVER_ENV = "TRIO_GATEWAY_DNS_NAMESERVER"


class SrvLookupError(Exception):
    """The SRV lookup failed (no such name, no answer, no server reachable, a bad answer)."""


@attrs.frozen
class SrvRecord:
    """One SRV answer (RFC 2782); `target` as the answer has it, absolute (`name.`)."""

    target: str
    port: int
    priority: int = 0
    weight: int = 0


def is_domain_name(name: str) -> bool:
    """Go's `net.isDomainName`: LDH labels (and `_`) of 1-63 characters, at most 253 characters
    (254 with the root dot), not all-numeric; `.` alone is the root and valid."""
    if name == ".":
        return True
    length = len(name)
    if length == 0 or length > 254 or (length == 254 and name[-1] != "."):
        return False
    last = "."
    non_numeric = False
    part = 0
    for char in name:
        if ("a" <= char <= "z") or ("A" <= char <= "Z") or char == "_":
            non_numeric = True
            part += 1
        elif "0" <= char <= "9":
            part += 1
        elif char == "-":
            if last == ".":
                return False
            part += 1
            non_numeric = True
        elif char == ".":
            if last in ".-" or part == 0 or part > 63:
                return False
            part = 0
        else:
            return False
        last = char
    return last != "-" and part <= 63 and non_numeric


def _nameserver(value: str) -> tuple[str, int]:
    """`host`, `host:port`, `[v6]` or `[v6]:port` (port 53 by default).

    Raises:
        SrvLookupError: not one of those.
    """
    host, port = value.strip(), "53"
    if host.startswith("["):
        inside, _, rest = host[1:].partition("]")
        host = inside
        if rest:
            if not rest.startswith(":"):
                raise SrvLookupError(f"{NAMESERVER_ENV}={value!r} is not host[:port]")
            port = rest[1:]
    elif host.count(":") == 1:
        host, port = host.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SrvLookupError(f"{NAMESERVER_ENV}={value!r} is not host[:port]")
    return host, int(port)


def _resolver() -> dns.asyncresolver.Resolver:
    import dns.asyncresolver
    import dns.resolver

    override = os.environ.get(NAMESERVER_ENV, "")
    if not override:
        try:
            return dns.asyncresolver.Resolver(configure=True)
        except dns.resolver.NoResolverConfiguration as exc:
            raise SrvLookupError(f"no nameserver configured (/etc/resolv.conf): {exc}") from exc
    host, port = _nameserver(override)
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = port
    resolver.domain = dns.name.root  # no search suffix from the machine's host name either
    return resolver


async def lookup_srv(name: str) -> list[SrvRecord]:
    """The SRV records of `name`, in answer order.

    Raises:
        SrvLookupError: the lookup failed; its text says why in one line.
    """
    import dns.asyncbackend
    import dns.exception

    if not is_domain_name(name):
        # Go answers "no such host" without asking a server (net/dnsclient_unix.go `lookup`).
        raise SrvLookupError(f"lookup {name}: no such host (not a domain name)")
    resolver = _resolver()
    try:
        answer = await resolver.resolve(
            name, "SRV", search=True, backend=dns.asyncbackend.get_backend("trio")
        )
    except dns.exception.DNSException as exc:
        raise SrvLookupError(f"lookup {name}: {exc}") from exc
    except (OSError, ValueError) as exc:  # unreachable network, a nameserver that is no IP
        raise SrvLookupError(f"lookup {name}: {exc}") from exc
    records = []
    for rdata in answer:
        target = rdata.target.to_text()
        if not is_domain_name(target):
            raise SrvLookupError(
                # Go's errMalformedDNSRecordsDetail (net/lookup.go)
                f"lookup {name}: DNS response contained records which contain invalid names "
                f"({target!r})"
            )
        records.append(SrvRecord(target, rdata.port, rdata.priority, rdata.weight))
    return records
