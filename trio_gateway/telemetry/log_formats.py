"""The line formats of the gateway's logs: go-logging patterns (krakend-gologging's `default`,
`logstash` and `custom`), krakend-logstash's JSON message, trio-gateway's `json`, and the access
log's (gin's text line; JSON fields for the `json` and `logstash` formats).

Every formatter returns one line: a message with newlines stays one JSON value in the JSON
formats; in pattern formats it is printed as it is (as go-logging does).
"""

from __future__ import annotations

import datetime
import itertools
import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from trio_gateway.telemetry.golog_pattern import STATIC, parse_pattern
from trio_gateway.telemetry.gotime import go_format
from trio_gateway.telemetry.logstash import logstash_record

__all__ = [
    "ACCESS_FIELDS",
    "DEFAULT_PATTERN",
    "LOGSTASH_PATTERN",
    "SYSLOG_PATTERN",
    "AccessJsonFormatter",
    "AccessLogstashFormatter",
    "GoLoggingFormatter",
    "JsonLineFormatter",
    "MessageFormatter",
]

# krakend-gologging log.go
DEFAULT_PATTERN = " %{time:2006/01/02 - 15:04:05.000} %{color}▶ %{level}%{color:reset} %{message}"
LOGSTASH_PATTERN = (
    '{"@timestamp":"%{time:2006-01-02T15:04:05.000+00:00}", "@version": 1, "level": "%{level}", '
    '"message": "%{message}", "module": "%{module}"}'
)
SYSLOG_PATTERN = "%{level} > %{message}"
MODULE = "KRAKEND"  # krakend-gologging's go-logging module name

# The access log record's fields (set as attributes of the record by edge/access_log.py).
ACCESS_FIELDS = (
    "method",
    "path",
    "endpoint",
    "status",
    "duration_ms",
    "bytes_sent",
    "client_ip",
    "user_agent",
    "trace_id",
)

# go-logging log_nix.go: colours by level (INFO and NOTICE... INFO has none), reset sequence.
_COLORS = {"CRITICAL": 35, "ERROR": 31, "WARNING": 33, "NOTICE": 32, "DEBUG": 36}
_RESET = "\033[0m"
_GO_VERB = re.compile(r"%([-+# 0]*)(\d*)(?:\.(\d+))?([a-zA-Z])")
_IDS = itertools.count(1)


def _go_fmt(layout: str, value: Any) -> str:
    """`fmt.Sprintf(layout, value)` for the one-verb layouts go-logging builds (`%s`, `%.1s`,
    `%-8s`, `%05d`, `%v`, `%q`)."""
    match = _GO_VERB.fullmatch(layout)
    if match is None:
        return layout.replace("%", "", 1) if "%" in layout else layout
    flags, width, precision, verb = match.groups()
    if verb == "d" and isinstance(value, int):
        text = str(value)
        if "0" in flags and "-" not in flags and width:
            return text.zfill(int(width))
    elif verb in "sv":
        text = str(value)
        if precision:
            text = text[: int(precision)]
    elif verb == "q":
        text = '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:  # Go's bad-verb text
        kind = "int" if isinstance(value, int) else "string"
        return f"%!{verb}({kind}={value})"
    if width:
        text = text.ljust(int(width)) if "-" in flags else text.rjust(int(width))
    return text


def _when(record: logging.LogRecord) -> datetime.datetime:
    # Go logs local time (time.Now()).
    return datetime.datetime.fromtimestamp(record.created).astimezone()


def _message(record: logging.LogRecord, formatter: logging.Formatter) -> str:
    message = record.getMessage()
    if record.exc_info:
        message = f"{message}\n{formatter.formatException(record.exc_info)}"
    return message


class GoLoggingFormatter(logging.Formatter):
    """A go-logging pattern, behind a `log.Logger` prefix; with `logstash_module`, the message
    is first made krakend-logstash's JSON object (whose `module` it is)."""

    def __init__(
        self,
        pattern: str,
        *,
        prefix: str = "",
        logstash_module: str | None = None,
        json_escape: bool = False,
    ):
        super().__init__()
        self._parts = parse_pattern(pattern)
        self._prefix = prefix
        self._logstash = logstash_module
        # The logstash pattern puts the message inside a JSON string: escaped here (KrakenD
        # inserts it raw, and a message with a quote breaks the object).
        self._json_escape = json_escape
        self._program = os.path.basename(sys.argv[0]) if sys.argv else ""

    def format(self, record: logging.LogRecord) -> str:
        when = _when(record)
        level = record.levelname
        message = _message(record, self)
        if self._logstash is not None:
            message = logstash_record(level, message, self._logstash, when)
        if self._json_escape:
            message = json.dumps(message, ensure_ascii=False)[1:-1]
        out = [self._prefix]
        for part in self._parts:
            verb, layout = part.verb, part.layout
            if verb == STATIC:
                out.append(layout)
            elif verb == "time":
                out.append(go_format(when, layout))
            elif verb == "color":
                out.append(_RESET if layout == "reset" else _color(level, bold=layout == "bold"))
            else:
                out.append(
                    _go_fmt(
                        "%" + layout if verb != "callpath" else "%s",
                        self._value(verb, record, level, message),
                    )
                )
        return "".join(out)

    def _value(self, verb: str, record: logging.LogRecord, level: str, message: str) -> Any:
        values: Mapping[str, Any] = {
            "level": level,
            "message": message,
            "module": MODULE,
            "pid": record.process or os.getpid(),
            "program": self._program,
            "longfile": f"{record.pathname}:{record.lineno}",
            "shortfile": f"{record.filename}:{record.lineno}",
            "longpkg": record.name,
            "shortpkg": record.name.rpartition(".")[2],
            "longfunc": record.funcName,
            "shortfunc": record.funcName,
            "callpath": record.funcName,
        }
        if verb == "id":
            return next(_IDS)
        return values[verb]


def _color(level: str, *, bold: bool) -> str:
    code = _COLORS.get(level)
    if code is None:
        return ""
    return f"\033[{code};1m" if bold else f"\033[{code}m"


class MessageFormatter(logging.Formatter):
    """`%{message}` (the GELF writer's pattern); krakend-logstash's object when enabled."""

    def __init__(self, *, logstash_module: str | None = None) -> None:
        super().__init__()
        self._logstash = logstash_module

    def format(self, record: logging.LogRecord) -> str:
        message = _message(record, self)
        if self._logstash is None:
            return message
        return logstash_record(record.levelname, message, self._logstash, _when(record))


def _utc_iso(record: logging.LogRecord) -> str:
    when = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonLineFormatter(JsonFormatter):
    """trio-gateway's `format: "json"`: one object a line, `time` (RFC 3339, UTC, ms), `level`,
    `logger`, `message`, the `prefix` when set, and `exc_info` with a traceback."""

    def __init__(self, *, prefix: str = "") -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            static_fields={"prefix": prefix} if prefix else None,
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = _utc_iso(record)
        super().add_fields(log_data, record, message_dict)


def _access_fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = {name: getattr(record, name, None) for name in ACCESS_FIELDS}
    if fields["trace_id"] is None:
        del fields["trace_id"]
    return fields


def _summary(fields: Mapping[str, Any]) -> str:
    return f"{fields['method']} {fields['path']} {fields['status']}"


class AccessJsonFormatter(logging.Formatter):
    """The access log in the `json` format: the fields of `ACCESS_FIELDS` and the time."""

    def __init__(self) -> None:
        super().__init__()
        self._json = JsonFormatter(json_ensure_ascii=False, reserved_attrs=())

    def format(self, record: logging.LogRecord) -> str:
        fields = _access_fields(record)
        data = {"time": _utc_iso(record), "level": "INFO", "logger": record.name}
        data["message"] = _summary(fields)
        data.update(fields)
        return str(self._json.serialize_log_record(data))


class AccessLogstashFormatter(logging.Formatter):
    """The access log in the `logstash` format: krakend-logstash's object with the fields."""

    def __init__(self, *, module: str = MODULE) -> None:
        super().__init__()
        self._module = module

    def format(self, record: logging.LogRecord) -> str:
        fields = _access_fields(record)
        return logstash_record("INFO", _summary(fields), self._module, _when(record), **fields)
