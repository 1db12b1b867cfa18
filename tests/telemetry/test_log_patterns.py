"""go-logging patterns, Go time layouts and the line formats, ported from their Go sources."""

from __future__ import annotations

import datetime
import json
import logging

import pytest

from trio_gateway.telemetry.golog_pattern import Part, PatternError, parse_pattern
from trio_gateway.telemetry.gotime import go_format
from trio_gateway.telemetry.log_formats import (
    DEFAULT_PATTERN,
    LOGSTASH_PATTERN,
    AccessJsonFormatter,
    AccessLogstashFormatter,
    GoLoggingFormatter,
    JsonLineFormatter,
    MessageFormatter,
)

# Go's time/format_test.go reference: Wed Feb 4 21:00:57.012345600 PST 2009
PST = datetime.timezone(datetime.timedelta(hours=-8), "PST")
WHEN = datetime.datetime(2009, 2, 4, 21, 0, 57, 12345, tzinfo=PST)


@pytest.mark.parametrize(
    ("layout", "text"),
    [
        # time/format_test.go formatTests (the microsecond part: Python keeps microseconds)
        ("Mon Jan _2 15:04:05 2006", "Wed Feb  4 21:00:57 2009"),
        ("Mon Jan _2 15:04:05 MST 2006", "Wed Feb  4 21:00:57 PST 2009"),
        ("Mon Jan 02 15:04:05 -0700 2006", "Wed Feb 04 21:00:57 -0800 2009"),
        ("02 Jan 06 15:04 MST", "04 Feb 09 21:00 PST"),
        ("Monday, 02-Jan-06 15:04:05 MST", "Wednesday, 04-Feb-09 21:00:57 PST"),
        ("2006-01-02T15:04:05Z07:00", "2009-02-04T21:00:57-08:00"),
        ("2006-01-02T15:04:05.999999999Z07:00", "2009-02-04T21:00:57.012345-08:00"),
        ("3:04PM", "9:00PM"),
        ("Jan _2 15:04:05", "Feb  4 21:00:57"),
        ("Jan _2 15:04:05.000", "Feb  4 21:00:57.012"),
        ("Jan _2 15:04:05.000000", "Feb  4 21:00:57.012345"),
        ("2006-01-02 15:04:05,000", "2009-02-04 21:00:57,012"),
        ("2006-01-02 15:04:05,999", "2009-02-04 21:00:57,012"),
        ("Mon Jan 2 .000001", "Wed Feb 4 .000002"),  # no fraction (a digit follows): "01"
        ("002 __2", "035  35"),
        # krakend-gologging's and krakend-logstash's layouts
        ("2006/01/02 - 15:04:05.000", "2009/02/04 - 21:00:57.012"),
        ("2006-01-02T15:04:05.000+00:00", "2009-02-04T21:00:57.012+00:00"),
        ("2006-01-02T15:04:05.000000-07:00", "2009-02-04T21:00:57.012345-08:00"),
    ],
)
def test_go_time_layouts(layout: str, text: str) -> None:
    assert go_format(WHEN, layout) == text


def test_go_time_zulu() -> None:
    utc = WHEN.replace(tzinfo=datetime.UTC)
    assert go_format(utc, "15:04:05Z07:00") == "21:00:57Z"
    assert go_format(utc, "15:04:05-07:00") == "21:00:57+00:00"


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        ("", "invalid log format: "),
        ("just text", "invalid log format: just text"),
        ("%{message} %{nope}", "unknown variable: nope"),
        ("%{Message}", "invalid log format"),  # verbs are lower-case: no match at all
    ],
)
def test_patterns_go_logging_refuses(pattern: str, error: str) -> None:
    with pytest.raises(PatternError, match="^" + error.replace("(", r"\(")):
        parse_pattern(pattern)


def test_pattern_parts_and_default_layouts() -> None:
    assert parse_pattern("[%{level:.4s}] %{message} %{time}") == (
        Part("", "["),
        Part("level", ".4s"),
        Part("", "] "),
        Part("message", "s"),
        Part("", " "),
        Part("time", "2006-01-02T15:04:05.999Z07:00"),
    )


def _record(
    level: int = logging.INFO, msg: str = "Starting the KrakenD instance"
) -> logging.LogRecord:
    record = logging.LogRecord("trio_gateway.x", level, "/src/app.py", 42, msg, (), None, "serve")
    record.created = WHEN.timestamp()
    return record


def _local(layout: str) -> str:
    return go_format(datetime.datetime.fromtimestamp(WHEN.timestamp()).astimezone(), layout)


def test_default_pattern_is_krakend_gologging_line() -> None:
    formatter = GoLoggingFormatter(DEFAULT_PATTERN, prefix="[KRAKEND]")
    stamp = _local("2006/01/02 - 15:04:05.000")
    # go-logging writes the level colour (none for INFO) and always the reset sequence
    assert formatter.format(_record()) == (
        f"[KRAKEND] {stamp} ▶ INFO\033[0m Starting the KrakenD instance"
    )
    assert formatter.format(_record(logging.ERROR, "x")) == (
        f"[KRAKEND] {stamp} \033[31m▶ ERROR\033[0m x"
    )


def test_logstash_pattern_and_record() -> None:
    line = GoLoggingFormatter(LOGSTASH_PATTERN).format(_record(logging.WARNING))
    stamp = _local("2006-01-02T15:04:05.000")
    assert json.loads(line) == {
        "@timestamp": f"{stamp}+00:00",
        "@version": 1,
        "level": "WARNING",
        "message": "Starting the KrakenD instance",
        "module": "KRAKEND",
    }
    quoted = _record(msg='Get "http://b/x": refused\n\tat line 2')
    escaped = GoLoggingFormatter(LOGSTASH_PATTERN, json_escape=True).format(quoted)
    assert json.loads(escaped)["message"] == 'Get "http://b/x": refused\n\tat line 2'
    record = json.loads(MessageFormatter(logstash_module="[GW]").format(_record()))
    assert set(record) == {"@version", "@timestamp", "module", "host", "message", "level"}
    assert (record["module"], record["level"], record["@version"]) == ("[GW]", "INFO", 1)
    assert record["@timestamp"] == _local("2006-01-02T15:04:05.000000-07:00")


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("%{level:.1s} %{message}", "W Starting the KrakenD instance"),
        ("%{level:-8s}|%{module}", "WARNING |KRAKEND"),
        ("%{level:8s}|", " WARNING|"),
        ("%{shortfile} %{shortfunc}", "app.py:42 serve"),
        ("%{longfile}", "/src/app.py:42"),
        ("%{color:bold}%{level}%{color:reset}", "\033[33;1mWARNING\033[0m"),
        ("%{message:q}", '"Starting the KrakenD instance"'),
    ],
)
def test_custom_patterns(pattern: str, text: str) -> None:
    assert GoLoggingFormatter(pattern).format(_record(logging.WARNING)) == text


def test_json_format_is_one_object_a_line() -> None:
    record = _record(msg="two\nlines")
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    line = JsonLineFormatter(prefix="[GW]").format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["time"] == "2009-02-05T05:00:57.012Z"
    assert (data["level"], data["logger"], data["message"]) == (
        "INFO",
        "trio_gateway.x",
        "two\nlines",
    )
    assert data["prefix"] == "[GW]" and "ValueError: boom" in data["exc_info"]


def _access_record() -> logging.LogRecord:
    record = _record(msg="[GIN] line")
    fields = {
        "method": "GET",
        "path": "/a?x=1",
        "endpoint": "/a",
        "status": 200,
        "duration_ms": 1.5,
        "bytes_sent": 12,
        "client_ip": "10.0.0.1",
        "user_agent": "ua/1",
        "trace_id": None,
    }
    record.__dict__.update(fields)
    return record


def test_access_json_and_logstash_fields() -> None:
    data = json.loads(AccessJsonFormatter().format(_access_record()))
    assert data == {
        "time": "2009-02-05T05:00:57.012Z",
        "level": "INFO",
        "logger": "trio_gateway.x",
        "message": "GET /a?x=1 200",
        "method": "GET",
        "path": "/a?x=1",
        "endpoint": "/a",
        "status": 200,
        "duration_ms": 1.5,
        "bytes_sent": 12,
        "client_ip": "10.0.0.1",
        "user_agent": "ua/1",
    }
    record = _access_record()
    record.trace_id = "0af7651916cd43dd8448eb211c80319c"
    stash = json.loads(AccessLogstashFormatter(module="[GW]").format(record))
    assert stash["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert (stash["module"], stash["@version"], stash["status"]) == ("[GW]", 1, 200)
