"""Every KrakenD namespace trio-gateway knows of but does not implement (yet), and whether
serving a configuration without it would serve it with less protection than it asks for.

A namespace here is either **enforced-or-refused** (`fail_closed`): it decides who may call or
what is accepted (`auth/*`, `validation/*`, `security/*`, `qos/*`, `governance/*`), or changes
where requests go or what they carry (`backend/*`, `plugin/*`, `modifier/*`, websockets,
static files); `check` reports it as an error and `run` refuses to start, unless the operator
opts out (`TRIO_GATEWAY_ALLOW_UNENFORCED`, docs/configuration.md). Or it is harmless to skip
(telemetry, documentation, async agents): a warning.

When a namespace gets implemented, its line leaves this table for its own module and one line
in `trio_gateway/stack.py` (a test keeps the two apart).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from trio_gateway.namespace import Level

__all__ = ["KNOWN", "V2_NAMESPACES", "Known", "Status", "fail_closed"]


class Status(enum.Enum):
    """What trio-gateway does with a namespace."""

    IMPLEMENTED = "implemented"
    NOT_IMPLEMENTED = "not-implemented"
    ENTERPRISE = "enterprise"


@attrs.frozen(kw_only=True)
class Known:
    """A namespace KrakenD reads and trio-gateway does not implement."""

    name: str
    levels: frozenset[Level]
    status: Status
    aliases: tuple[str, ...] = ()

    @property
    def fail_closed(self) -> bool:
        return fail_closed(self.name)


# Skipping these loses no protection and sends no request elsewhere.
_HARMLESS_PREFIXES = ("telemetry/", "documentation/", "async/")
_HARMLESS: frozenset[str] = frozenset()  # names outside the prefixes


def fail_closed(name: str) -> bool:
    """Whether an unimplemented namespace must be refused rather than ignored."""
    return not (name.startswith(_HARMLESS_PREFIXES) or name in _HARMLESS)


_S, _E, _B, _A = Level.SERVICE, Level.ENDPOINT, Level.BACKEND, Level.ASYNC_AGENT
_TODO, _EE = Status.NOT_IMPLEMENTED, Status.ENTERPRISE
_GH, _GHU = "github.com/devopsfaith/", "github_com/devopsfaith/"


def _k(name: str, levels: set[Level], status: Status, *aliases: str) -> Known:
    return Known(name=name, levels=frozenset(levels), status=status, aliases=aliases)


# Legacy names: krakend-ce `cmd/krakend-ce/main.go` alias table.
KNOWN: tuple[Known, ...] = (
    # KrakenD CE
    _k("plugin/http-server", {_S}, _TODO, _GHU + "krakend/transport/http/server/handler"),
    _k("plugin/http-client", {_B}, _TODO, _GH + "krakend/transport/http/client/executor"),
    _k("plugin/req-resp-modifier", {_E, _B}, _TODO, _GH + "krakend/proxy/plugin"),
    # auth/revoker, modifier/lua-*, modifier/martian, telemetry/*: implemented
    _k("async/amqp", {_A}, _TODO, _GH + "krakend-amqp/agent"),
    _k("backend/amqp/consumer", {_B}, _TODO, _GH + "krakend-amqp/consume"),
    _k("backend/amqp/producer", {_B}, _TODO, _GH + "krakend-amqp/produce"),
    _k("backend/lambda", {_B}, _TODO, _GH + "krakend-lambda"),
    _k("backend/pubsub/publisher", {_B}, _TODO, _GH + "krakend-pubsub/publisher"),
    _k("backend/pubsub/subscriber", {_B}, _TODO, _GH + "krakend-pubsub/subscriber"),
    # KrakenD Enterprise only (krakend-components.md §28); levels are not checked for these
    *(
        _k(name, {_S, _E, _B}, _EE)
        for name in (
            "auth/aws-sigv4",
            "auth/gcp",
            "auth/ntlm",
            "backend/grpc",
            "backend/static-filesystem",
            "documentation/openapi",
            "governance/processors",
            "governance/quota",
            "grpc",
            "modifier/jmespath",
            "plugin/middleware",
            "qos/circuit-breaker/http",
            "qos/ratelimit/service",
            "qos/ratelimit/service/redis",
            "qos/ratelimit/tiered",
            "security/policies",
            "server/static-filesystem",
            "validation/response-json-schema",
            "websocket",
        )
    ),
)

# KrakenD v2 names that KrakenD v3 no longer accepts (silently ignored there).
V2_NAMESPACES: Mapping[str, str] = {
    _GH + "krakend-ratelimit/juju/router": "qos/ratelimit/router",
    _GH + "krakend-ratelimit/juju/proxy": "qos/ratelimit/proxy",
    _GHU + "krakend-ratelimit/juju/router": "qos/ratelimit/router",
    _GHU + "krakend-ratelimit/juju/proxy": "qos/ratelimit/proxy",
}
