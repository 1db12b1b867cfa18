"""THE logging set-up of a serving process, from `telemetry/logging`, `telemetry/gelf` and
`telemetry/logstash` (krakend-ce `executor.go` `LoggerBuilder`), applied the same way by
`trio-gateway run`, by each `run --workers` process and by the `hypercorn trio_gateway:app`
entry point (at its lifespan startup). An embedding program's logging is its own: nothing here
runs unless one of those calls `configure_logging`.

The application log (every `trio_gateway.*` logger, and anything else logged in the process)
goes through the root logger, at the configured level:
  * `stdout: true`: one line per record on fd 1 in the configured `format`;
  * `syslog: true`: the local syslog socket (`/dev/log`, `/var/run/syslog`, `/var/run/log`, Go's
    `log/syslog` order), facility `syslog_facility`, tag `prefix`, pattern `%{level} >
    %{message}`. No socket: one ERROR line and the other outputs go on (KrakenD, whose
    `syslog.New` fails, logs the error and falls back to its default logger);
  * `telemetry/gelf`: every record to Graylog, the message alone (`%{message}`);
  * none of these: nowhere (go-logging with no backend).
Without `telemetry/logging`: stderr at `--log-level` (INFO by default), trio-gateway's line.

The access log (`trio_gateway.access`) is gin's: written whatever the level (gin's logger
middleware is not go-logging's), never to syslog, to stdout, or with `telemetry/gelf` to GELF only
(krakend-ce passes the GELF writer as gin's output). Its line is gin's, or with `format` `json` or
`logstash` a JSON object with the request's fields (trio-gateway's; KrakenD CE prints gin's line).

Lines never interleave mid-line between processes: each is one `write(2)` on the descriptor, which
a pipe (up to PIPE_BUF, 4096 bytes) and a file opened for appending keep whole.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import sys
from logging.handlers import SysLogHandler
from typing import TYPE_CHECKING, Any

from trio_gateway.telemetry.gelf import GelfConfig, split_address
from trio_gateway.telemetry.gologging import LoggingConfig, python_level
from trio_gateway.telemetry.gotime import go_format
from trio_gateway.telemetry.log_formats import (
    ACCESS_FIELDS,
    DEFAULT_PATTERN,
    LOGSTASH_PATTERN,
    MODULE,
    SYSLOG_PATTERN,
    AccessJsonFormatter,
    AccessLogstashFormatter,
    GoLoggingFormatter,
    JsonLineFormatter,
    MessageFormatter,
)
from trio_gateway.telemetry.logstash import LogstashConfig

if TYPE_CHECKING:
    from trio_gateway.config.model import ExtraConfig

__all__ = [
    "ACCESS_LOGGER_NAME",
    "SYSLOG_ADDRESS_ENV",
    "LineHandler",
    "configure_logging",
]

LOGGER = logging.getLogger("trio_gateway.telemetry")
ACCESS_LOGGER_NAME = "trio_gateway.access"
# Internal, for tests: where the syslog handler sends (`host:port` for UDP, or a socket path).
# KrakenD has no such key: it always writes to the local syslog socket.
SYSLOG_ADDRESS_ENV = "TRIO_GATEWAY_SYSLOG_ADDRESS"
_SYSLOG_SOCKETS = ("/dev/log", "/var/run/syslog", "/var/run/log")  # Go log/syslog unixSyslog
_PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_OURS = "_trio_gateway"  # marks the handlers configure_logging installed


class LineHandler(logging.Handler):
    """One record, one line, one `write(2)` on a file descriptor (1 or 2)."""

    def __init__(self, fd: int, formatter: logging.Formatter) -> None:
        super().__init__()
        self.fd = fd
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = (self.format(record) + "\n").encode("utf-8", "backslashreplace")
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view) :]
        except Exception:
            self.handleError(record)


class _SyslogFormatter(logging.Formatter):
    """Go's `log/syslog` local line, `Stamp tag[pid]: `, before the pattern `%{level} >
    %{message}` (the priority is SysLogHandler's `<N>`)."""

    def __init__(self, tag: str) -> None:
        super().__init__()
        self._tag = tag
        self._pattern = GoLoggingFormatter(SYSLOG_PATTERN)

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.datetime.fromtimestamp(record.created).astimezone()
        stamp = go_format(when, "Jan _2 15:04:05")
        return f"{stamp} {self._tag}[{os.getpid()}]: {self._pattern.format(record)}"


def _syslog_address() -> str | tuple[str, int] | None:
    """The address to send syslog lines to: $TRIO_GATEWAY_SYSLOG_ADDRESS (`host:port`: UDP),
    else the first local socket that accepts a connection (Go tries unixgram, then unix, on
    `/dev/log`, `/var/run/syslog`, `/var/run/log`)."""
    configured = os.environ.get(SYSLOG_ADDRESS_ENV)
    if configured and not configured.startswith("/"):
        return split_address(configured)
    for path in (configured,) if configured else _SYSLOG_SOCKETS:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            try:
                with socket.socket(socket.AF_UNIX, kind) as probe:
                    probe.connect(path)
            except OSError:
                continue
            return path
    return None


def _syslog_handler(config: LoggingConfig) -> tuple[logging.Handler | None, str]:
    """The syslog handler, or None and why not (logged once the other outputs are set up)."""
    address = _syslog_address()
    if address is None:
        where = os.environ.get(SYSLOG_ADDRESS_ENV) or ", ".join(_SYSLOG_SOCKETS)
        return None, f"no syslog socket at {where}"
    facility = SysLogHandler.facility_names.get(config.facility, SysLogHandler.LOG_LOCAL3)
    try:
        handler = SysLogHandler(address=address, facility=facility)
    except OSError as exc:
        return None, str(exc)
    handler.append_nul = False
    # Go: the tag is the prefix, or the program's name (os.Args[0]) when there is none.
    handler.setFormatter(_SyslogFormatter(config.prefix or (sys.argv[0] if sys.argv else "")))
    return handler, ""


class _GelfFields:
    """GELF handlers that send the formatted message and the access log's fields (`_method`...)."""

    def convert_record_to_gelf(self, record: logging.LogRecord) -> bytes:
        from pygelf import gelf

        handler: Any = self
        message = gelf.make(
            record,
            handler.domain,
            handler.debug,
            handler.version,
            handler.additional_fields,
            handler.additional_env_fields,
        )
        message["short_message"] = handler.format(record)
        for name in ACCESS_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                message["_" + name] = value
        packed: bytes = gelf.pack(message, handler.compress, handler.json_default)
        return packed


def _gelf_handler(config: GelfConfig, formatter: logging.Formatter) -> logging.Handler | None:
    from pygelf import GelfTcpHandler, GelfUdpHandler

    address = split_address(config.address)
    if address is None:  # `check` refuses it; a plan built without check gets a log line
        LOGGER.error("[SERVICE: Logging][GELF] Unable to create the writer: bad address")
        return None
    base = GelfTcpHandler if config.enable_tcp else GelfUdpHandler
    cls = type(base.__name__, (_GelfFields, base), {})
    handler: logging.Handler = cls(host=address[0], port=address[1])
    handler.setFormatter(formatter)
    return handler


def _application_formatter(config: LoggingConfig, logstash: bool) -> logging.Formatter:
    # krakend-logstash: the prefix becomes the module, and is not printed.
    module = (config.prefix or MODULE) if logstash else None
    prefix = "" if logstash else config.prefix
    if config.format == "json":
        return JsonLineFormatter(prefix=prefix)
    if config.format == "logstash":  # gologging: the logstash pattern drops the prefix
        return GoLoggingFormatter(LOGSTASH_PATTERN, logstash_module=module, json_escape=True)
    if config.format == "custom":
        return GoLoggingFormatter(config.custom_format, logstash_module=module)
    return GoLoggingFormatter(DEFAULT_PATTERN, prefix=prefix, logstash_module=module)


def _access_formatter(config: LoggingConfig | None, logstash: bool) -> logging.Formatter:
    if config is not None and config.format == "json":
        return AccessJsonFormatter()
    if config is not None and (config.format == "logstash" or logstash):
        return AccessLogstashFormatter(module=config.prefix or MODULE)
    return _GIN_LINE


_GIN_LINE = logging.Formatter("%(message)s")  # gin's line, as edge/access_log.py writes it


def _install(logger: logging.Logger, handlers: list[logging.Handler]) -> None:
    for handler in list(logger.handlers):
        if getattr(handler, _OURS, False):
            logger.removeHandler(handler)
            handler.close()
    for handler in handlers:
        setattr(handler, _OURS, True)
        logger.addHandler(handler)


def configure_logging(extra: ExtraConfig | None, *, level: str | None = None) -> None:
    """Set the process's logging up from the service's `extra_config` (None: before the
    configuration is read); `level` (`--log-level`) overrides `telemetry/logging.level`."""
    config = extra.get(LoggingConfig) if extra is not None else None
    gelf = extra.get(GelfConfig) if extra is not None else None
    logstash = config is not None and extra is not None and extra.get(LogstashConfig) is not None
    module = (config.prefix or MODULE) if config is not None and logstash else None
    handlers: list[logging.Handler] = []
    problems: list[str] = []
    if config is None:
        handlers.append(LineHandler(2, logging.Formatter(_PLAIN_FORMAT)))
        wanted = level or "INFO"
    else:
        wanted = level or config.level
        if config.stdout:
            handlers.append(LineHandler(1, _application_formatter(config, logstash)))
        if config.syslog:
            syslog, problem = _syslog_handler(config)
            if syslog is not None:
                handlers.append(syslog)
            else:
                problems.append(f"[SERVICE: Logging] Unable to use the syslog: {problem}")
        if gelf is not None:
            gelf_app = _gelf_handler(gelf, MessageFormatter(logstash_module=module))
            handlers.extend([gelf_app] if gelf_app is not None else [])
    if problems and not handlers:  # KrakenD falls back to a default logger to say so
        handlers.append(LineHandler(2, logging.Formatter(_PLAIN_FORMAT)))
    # krakend-ce: with GELF, gin's access log goes to the GELF writer only.
    access_handler = _gelf_handler(gelf, _GIN_LINE) if gelf is not None else None
    if access_handler is None:
        access_handler = LineHandler(1, _access_formatter(config, logstash))
    root = logging.getLogger()
    threshold = python_level(wanted) or logging.INFO
    root.setLevel(threshold)
    for handler in handlers:
        # On the handlers too: records of loggers with a level of their own (hypercorn's) that
        # reach the root must not pass below it.
        handler.setLevel(threshold)
    # No backend at all: nowhere (go-logging's empty MultiLogger), not Python's lastResort.
    _install(root, handlers or [logging.NullHandler()])
    access = logging.getLogger(ACCESS_LOGGER_NAME)
    access.setLevel(logging.INFO)
    access.propagate = False
    _install(access, [access_handler])
    for problem in problems:
        LOGGER.error("%s: logging without it", problem)
