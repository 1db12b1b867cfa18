"""`telemetry/logstash`: krakend-logstash v2 (`logger.go`).

Reference §19.2. Its presence is what counts (`_, ok := cfg[Namespace]`): `{"enabled": false}`
enables it too, in KrakenD and here (with a warning). It wraps krakend-gologging: every message
becomes one JSON object, `{"@version": 1, "@timestamp": ..., "module": <telemetry/logging prefix,
default KRAKEND>, "host": <hostname>, "message": ..., "level": ...}`, and that object is what
the `telemetry/logging` pattern prints as `%{message}` (KrakenD's documentation pairs it with
`"format": "custom", "custom_format": "%{message}"` for one JSON object per line). The prefix is
used as `module` and no longer printed. Without `telemetry/logging` KrakenD ignores it.
"""

from __future__ import annotations

import datetime
import json
import socket
from typing import Any, ClassVar

import attrs

from trio_gateway.config.diagnostics import Report
from trio_gateway.namespace import Level, Namespace, Where
from trio_gateway.telemetry.gotime import go_format

__all__ = ["ISO_8601", "NAMESPACE", "LogstashConfig", "check", "logstash_record"]

ISO_8601 = "2006-01-02T15:04:05.000000-07:00"  # krakend-logstash's timestamp layout
_HOSTNAME = socket.gethostname() or "localhost"


@attrs.frozen(kw_only=True)
class LogstashConfig:
    """`extra_config."telemetry/logstash"` (service)."""

    NAMESPACE: ClassVar[str] = "telemetry/logstash"

    # Read by nobody: the namespace's presence enables it (krakend-logstash).
    enabled: bool | None = None


def logstash_record(
    level: str, message: str, module: str, when: datetime.datetime, **fields: Any
) -> str:
    """The JSON text krakend-logstash's `format` makes of one message (extra fields merged first,
    as its record map takes `map[string]interface{}` arguments before its own keys)."""
    record: dict[str, Any] = dict(fields)
    record["@version"] = 1
    record["@timestamp"] = go_format(when, ISO_8601)
    record["module"] = module
    record["host"] = _HOSTNAME
    record["message"] = message
    record["level"] = level
    # Go's json.Marshal sorts map keys and escapes <, > and & (HTML-safe).
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def check(config: LogstashConfig, where: Where, report: Report) -> None:
    if config.enabled is False:
        report.warning(
            (*where.path, "enabled"),
            "KrakenD enables telemetry/logstash whenever it is present, even with enabled false",
            "remove the namespace to disable it",
        )
    if "telemetry/logging" not in where.service.extra_config.raw:
        report.warning(where.path, "ignored without telemetry/logging (KrakenD needs both)", None)


NAMESPACE = Namespace(
    name="telemetry/logstash",
    levels=frozenset({Level.SERVICE}),
    config=LogstashConfig,
    aliases=("github_com/devopsfaith/krakend-logstash",),
    check=check,
)
