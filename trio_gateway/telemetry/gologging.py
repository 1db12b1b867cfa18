"""`telemetry/logging`: krakend-gologging v2 (`log.go`) as krakend-ce's `LoggerBuilder` wires it.

Reference §19.1. Keys: `level` (go-logging's names, case-insensitive: CRITICAL, ERROR, WARNING,
NOTICE, INFO, DEBUG), `prefix`, `stdout`, `syslog`, `syslog_facility` (local0..local7, default
local3), `format` (`default`, `logstash`, `custom` with `custom_format`) and, trio-gateway's own,
`format: "json"`. What KrakenD does with a bad value, and what `check` does instead:

* a level go-logging does not know, a missing level, a `custom` format without a valid
  `custom_format`: krakend-gologging fails (or panics, for the pattern) and KrakenD falls back to
  lura's DEBUG logger on stdout: here a `check` error;
* an unknown `syslog_facility` (KrakenD: local3, silently) or `format` (KrakenD: the default
  pattern, silently): a `check` error, with a did-you-mean;
* `stdout` and `syslog` both false without `telemetry/gelf`: go-logging gets no backend and the
  application log goes nowhere, in KrakenD and here: a warning.

The handlers are built by `telemetry/logging_setup.py`, in the process that serves.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from trio_gateway.config.diagnostics import Report, did_you_mean
from trio_gateway.namespace import Level, Namespace, Where
from trio_gateway.telemetry.golog_pattern import PatternError, parse_pattern

__all__ = [
    "FACILITIES",
    "FORMATS",
    "LEVELS",
    "NAMESPACE",
    "LoggingConfig",
    "check",
    "python_level",
]

# go-logging `levelNames` (NOTICE has no Python level: between INFO and WARNING).
LEVELS: dict[str, int] = {
    "CRITICAL": 50,
    "ERROR": 40,
    "WARNING": 30,
    "NOTICE": 25,
    "INFO": 20,
    "DEBUG": 10,
}
FACILITIES = tuple(f"local{n}" for n in range(8))
FORMATS = ("default", "logstash", "custom", "json")


@attrs.frozen(kw_only=True)
class LoggingConfig:
    """`extra_config."telemetry/logging"` (service)."""

    NAMESPACE: ClassVar[str] = "telemetry/logging"

    # Required: DEBUG, INFO, WARNING, ERROR or CRITICAL (NOTICE too; any case).
    level: str = ""
    # Text before each line (default format); the syslog tag; the logstash module.
    prefix: str = ""
    # Write the application log to stdout (without stdout, syslog or GELF: nowhere).
    stdout: bool = False
    # Write the application log to the local syslog socket.
    syslog: bool = False
    # The syslog facility: local0 to local7.
    syslog_facility: str = "local3"
    # default, logstash, custom (with custom_format) or trio-gateway's json.
    format: str = "default"
    # A go-logging pattern for format custom, e.g. `%{time} %{level} %{message}`.
    custom_format: str = ""

    @property
    def facility(self) -> str:
        """The facility, lower-cased as krakend-gologging compares it."""
        return self.syslog_facility.lower()


def python_level(name: str) -> int | None:
    """The Python logging level of a go-logging level name (`strings.EqualFold`), or None."""
    return LEVELS.get(name.upper())


def check(config: LoggingConfig, where: Where, report: Report) -> None:
    path = where.path
    if not config.level:
        report.error(
            (*path, "level"),
            "level is required (KrakenD then falls back to its DEBUG logger on stdout)",
            "one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
        )
    elif python_level(config.level) is None:
        close = did_you_mean(config.level.upper(), LEVELS)
        report.error(
            (*path, "level"),
            f'unknown log level "{config.level}": KrakenD falls back to its DEBUG logger',
            f'did you mean "{close}"?' if close else "one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
        )
    if config.facility not in FACILITIES:
        close = did_you_mean(config.facility, FACILITIES)
        report.error(
            (*path, "syslog_facility"),
            f'unknown syslog facility "{config.syslog_facility}": KrakenD uses local3 instead',
            f'did you mean "{close}"?' if close else "one of local0 ... local7",
        )
    if config.format not in FORMATS:
        close = did_you_mean(config.format, FORMATS)
        report.error(
            (*path, "format"),
            f'unknown log format "{config.format}": KrakenD uses the default pattern instead',
            f'did you mean "{close}"?' if close else "one of default, logstash, custom, json",
        )
    if config.format == "custom":
        _check_pattern(config.custom_format, (*path, "custom_format"), report)
    elif config.custom_format:
        report.warning(
            (*path, "custom_format"), 'ignored: custom_format is read only with format "custom"'
        )
    gelf = where.service.extra_config.raw.get("telemetry/gelf")
    if not (config.stdout or config.syslog or gelf is not None):
        report.warning(
            path,
            "stdout and syslog are both false and there is no telemetry/gelf: the application "
            "log goes nowhere (as in KrakenD)",
            'set "stdout": true',
        )


def _check_pattern(pattern: str, path: Any, report: Report) -> None:
    if not pattern:
        report.error(path, 'format "custom" needs a custom_format (KrakenD panics without one)')
        return
    try:
        parse_pattern(pattern)
    except PatternError as exc:
        report.error(path, f"{exc} (KrakenD panics at startup on it)", _VERB_HINT)


_VERB_HINT = "verbs: " + ", ".join(
    "%{" + v + "}"
    for v in ("time", "level", "module", "message", "shortfile", "longfile", "pid", "program")
)

NAMESPACE = Namespace(
    name="telemetry/logging",
    levels=frozenset({Level.SERVICE}),
    config=LoggingConfig,
    aliases=("github_com/devopsfaith/krakend-gologging",),
    check=check,
)
