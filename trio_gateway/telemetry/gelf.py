"""`telemetry/gelf`: krakend-gelf v2 (`log.go`) on Graylog2/go-gelf v2, here on pygelf.

Reference §19.3. `address` (`host:port`, required) and `enable_tcp` (false: UDP). krakend-ce adds
the GELF writer to krakend-gologging's writers with the pattern `%{message}`, and makes it the
gin access log's only writer (`router.EngineOptions.Writer`): with GELF configured the access log
goes to Graylog and not to stdout. An empty address makes krakend-gelf fail (KrakenD logs the
error and runs without GELF): here a `check` error, as is an address without a valid port.

Where pygelf and go-gelf differ: go-gelf sends every message at level 6 (info) through its
`io.Writer` and gzips UDP payloads; pygelf sends each record's own syslog level and compresses
UDP payloads with zlib (Graylog accepts both, and uncompressed TCP frames ending in a NUL byte,
which both send).
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from trio_gateway.config.diagnostics import Report
from trio_gateway.namespace import Level, Namespace, Where

__all__ = ["NAMESPACE", "GelfConfig", "check", "split_address"]


@attrs.frozen(kw_only=True)
class GelfConfig:
    """`extra_config."telemetry/gelf"` (service)."""

    NAMESPACE: ClassVar[str] = "telemetry/gelf"

    # Required: the GELF input, host:port.
    address: str = ""
    # TCP instead of UDP.
    enable_tcp: bool = False


def split_address(address: str) -> tuple[str, int] | None:
    """`host:port` (`[v6]:port` too) as Go's `net.SplitHostPort` reads it, or None."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        return None
    return host or "127.0.0.1", int(port)


def check(config: GelfConfig, where: Where, report: Report) -> None:
    if not config.address:
        report.error(
            (*where.path, "address"),
            "address is required (KrakenD logs an error and runs without GELF)",
            'e.g. "graylog:12201"',
        )
    elif split_address(config.address) is None:
        report.error(
            (*where.path, "address"),
            f'"{config.address}" is not host:port with a port from 1 to 65535',
            'e.g. "graylog:12201"',
        )


NAMESPACE = Namespace(
    name="telemetry/gelf",
    levels=frozenset({Level.SERVICE}),
    config=GelfConfig,
    aliases=("github_com/devopsfaith/krakend-gelf",),
    check=check,
)
