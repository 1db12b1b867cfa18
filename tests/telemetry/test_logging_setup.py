"""`configure_logging` in this process: levels, outputs, syslog and GELF against loopback
receivers that decode what they get."""

from __future__ import annotations

import gzip
import json
import logging
import os
import socket
import threading
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from trio_gateway.config.model import ExtraConfig
from trio_gateway.telemetry.gelf import GelfConfig
from trio_gateway.telemetry.gologging import LoggingConfig
from trio_gateway.telemetry.logging_setup import (
    ACCESS_LOGGER_NAME,
    SYSLOG_ADDRESS_ENV,
    LineHandler,
    configure_logging,
)
from trio_gateway.telemetry.logstash import LogstashConfig

APP = logging.getLogger("trio_gateway.test")
ACCESS = logging.getLogger(ACCESS_LOGGER_NAME)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), ACCESS.level, ACCESS.propagate, list(ACCESS.handlers))
    yield
    for logger in (root, ACCESS):
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            if getattr(handler, "_trio_gateway", False):
                handler.close()
    root.setLevel(saved[0])
    for handler in saved[1]:
        root.addHandler(handler)
    ACCESS.setLevel(saved[2])
    ACCESS.propagate = saved[3]
    for handler in saved[4]:
        ACCESS.addHandler(handler)


def _extra(*configs: Any) -> ExtraConfig:
    return ExtraConfig.of(*configs)


def _access(message: str = "[GIN] line", **fields: Any) -> None:
    values = {
        "method": "GET",
        "path": "/a",
        "endpoint": "/a",
        "status": 200,
        "duration_ms": 1.0,
        "bytes_sent": 2,
        "client_ip": "127.0.0.1",
        "user_agent": "ua",
        "trace_id": None,
        **fields,
    }
    ACCESS.info("%s", message, extra=values)


@pytest.mark.parametrize(
    ("level", "shown"),
    [
        ("DEBUG", ["debug", "info", "warning", "error", "critical"]),
        ("INFO", ["info", "warning", "error", "critical"]),
        ("notice", ["warning", "error", "critical"]),
        ("WARNING", ["warning", "error", "critical"]),
        ("ERROR", ["error", "critical"]),
        ("CRITICAL", ["critical"]),
    ],
)
def test_the_level_is_respected(
    level: str, shown: list[str], capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging(_extra(LoggingConfig(level=level, stdout=True, format="json")))
    for name in ("debug", "info", "warning", "error", "critical"):
        getattr(APP, name)(name)
    _access()  # gin's access log is written whatever the level
    out, err = capfd.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["message"] for line in lines if line["logger"] == APP.name] == shown
    assert [line["status"] for line in lines if line["logger"] == ACCESS_LOGGER_NAME] == [200]
    assert err == ""


def test_the_command_line_level_overrides_the_configured_one(
    capfd: pytest.CaptureFixture[str],
) -> None:
    configure_logging(_extra(LoggingConfig(level="INFO", stdout=True)), level="ERROR")
    APP.warning("hidden")
    APP.error("shown")
    out, _ = capfd.readouterr()
    assert "hidden" not in out and "▶ ERROR\033[0m shown" in out


def test_without_stdout_the_application_log_goes_nowhere(
    capfd: pytest.CaptureFixture[str],
) -> None:
    configure_logging(_extra(LoggingConfig(level="DEBUG")))
    APP.error("nowhere")
    _access("[GIN] still here")
    out, err = capfd.readouterr()
    assert "nowhere" not in out + err  # not even Python's last-resort handler
    assert out == "[GIN] still here\n"


def test_without_the_namespace_stderr_at_info(capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging(ExtraConfig())
    APP.debug("hidden")
    APP.info("shown")
    _access("[GIN] access")
    out, err = capfd.readouterr()
    assert "hidden" not in err and "INFO    trio_gateway.test: shown" in err
    assert out == "[GIN] access\n"


def test_configuring_twice_replaces_its_own_handlers(capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging(None)
    configure_logging(_extra(LoggingConfig(level="INFO", stdout=True, format="json")))
    APP.info("once")
    out, err = capfd.readouterr()
    assert len(out.splitlines()) == 1 and err == ""


def test_logstash_everywhere(capfd: pytest.CaptureFixture[str]) -> None:
    config = LoggingConfig(level="INFO", stdout=True, prefix="[GW]", format="custom",
                           custom_format="%{message}")  # fmt: skip
    configure_logging(_extra(config, LogstashConfig(enabled=True)))
    APP.info("hello")
    _access()
    app, access = (json.loads(line) for line in capfd.readouterr()[0].splitlines())
    assert (app["message"], app["module"], app["level"]) == ("hello", "[GW]", "INFO")
    assert (access["module"], access["endpoint"], access["message"]) == ("[GW]", "/a", "GET /a 200")


# ---- syslog ----------------------------------------------------------------------------------


@pytest.fixture
def udp_receiver() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        yield sock


def test_syslog_lines(
    udp_receiver: socket.socket, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    port = udp_receiver.getsockname()[1]
    monkeypatch.setenv(SYSLOG_ADDRESS_ENV, f"127.0.0.1:{port}")
    config = LoggingConfig(level="INFO", syslog=True, syslog_facility="LOCAL5", prefix="gw")
    configure_logging(_extra(config))
    APP.error("it broke")
    APP.debug("not sent")
    _access()  # never to syslog (KrakenD: access logs only show in stdout)
    data = udp_receiver.recv(65536).decode()
    # <local5 (21) * 8 + err (3)>, then Go's local form: Stamp tag[pid]: %{level} > %{message}
    assert data.startswith("<171>")
    assert data.endswith(f" gw[{os.getpid()}]: ERROR > it broke")
    udp_receiver.settimeout(0.3)
    with pytest.raises(TimeoutError):
        udp_receiver.recv(65536)
    assert capfd.readouterr()[0].startswith("[GIN] line")


def test_no_syslog_socket_is_one_error_and_the_rest_goes_on(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(SYSLOG_ADDRESS_ENV, str(tmp_path / "no-such-socket"))
    configure_logging(_extra(LoggingConfig(level="INFO", syslog=True, stdout=True, format="json")))
    APP.info("still logged")
    lines = [json.loads(line) for line in capfd.readouterr()[0].splitlines()]
    assert lines[0]["level"] == "ERROR" and "Unable to use the syslog" in lines[0]["message"]
    assert "no-such-socket" in lines[0]["message"]
    assert lines[1]["message"] == "still logged"


def test_no_syslog_and_no_other_output_falls_back_to_stderr(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(SYSLOG_ADDRESS_ENV, str(tmp_path / "no-such-socket"))
    configure_logging(_extra(LoggingConfig(level="INFO", syslog=True)))
    assert "Unable to use the syslog" in capfd.readouterr()[1]


# ---- GELF ------------------------------------------------------------------------------------


def _gelf_json(payload: bytes) -> dict[str, Any]:
    if payload[:2] == b"\x1f\x8b":
        payload = gzip.decompress(payload)
    elif payload[:1] == b"\x78":  # zlib
        payload = zlib.decompress(payload)
    decoded: dict[str, Any] = json.loads(payload.rstrip(b"\x00"))
    return decoded


def test_gelf_udp(udp_receiver: socket.socket, capfd: pytest.CaptureFixture[str]) -> None:
    port = udp_receiver.getsockname()[1]
    gelf = GelfConfig(address=f"127.0.0.1:{port}")
    configure_logging(_extra(LoggingConfig(level="INFO", stdout=True), gelf))
    APP.warning("to graylog")
    message = _gelf_json(udp_receiver.recv(65536))
    assert message["version"] == "1.1" and message["short_message"] == "to graylog"
    assert message["level"] == 4 and message["host"] == socket.gethostname()
    # gin's access log: to the GELF writer only (krakend-ce EngineOptions.Writer)
    _access("[GIN] the line", trace_id="0af7651916cd43dd8448eb211c80319c")
    access = _gelf_json(udp_receiver.recv(65536))
    assert access["short_message"] == "[GIN] the line"
    assert (access["_method"], access["_status"], access["_endpoint"]) == ("GET", 200, "/a")
    assert access["_trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    out = capfd.readouterr()[0]
    assert "to graylog" in out and "[GIN]" not in out


def test_gelf_tcp() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(5)
        port = server.getsockname()[1]
        gelf = GelfConfig(address=f"127.0.0.1:{port}", enable_tcp=True)
        configure_logging(_extra(LoggingConfig(level="INFO"), gelf))
        received: list[bytes] = []

        def read() -> None:
            conn, _ = server.accept()
            with conn:
                conn.settimeout(5)
                data = b""
                while data.count(b"\x00") < 2:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                received.extend(data.split(b"\x00")[:2])

        reader = threading.Thread(target=read)
        reader.start()
        APP.error("over tcp")
        APP.info("second")
        reader.join(10)
    first, second = (_gelf_json(frame) for frame in received)
    assert (first["short_message"], first["level"]) == ("over tcp", 3)
    assert (second["short_message"], second["level"]) == ("second", 6)


# ---- one line, one write ---------------------------------------------------------------------


def test_lines_from_several_writers_never_interleave() -> None:
    """What `run --workers` relies on: each line is one write(2), which a pipe keeps whole (up to
    PIPE_BUF, 4096 bytes). Three writers (threads with a handler each, so no lock is shared:
    as far as write(2) goes, processes sharing a pipe are the same) of 3 kB lines, one pipe."""
    read_end, write_end = os.pipe()
    records = {
        tag: [logging.makeLogRecord({"msg": tag * 3000 + f" {n}"}) for n in range(300)]
        for tag in "abc"
    }

    def write(tag: str) -> None:
        handler = LineHandler(write_end, logging.Formatter("%(message)s"))
        for record in records[tag]:
            handler.handle(record)

    chunks: list[bytes] = []

    def read() -> None:
        while chunk := os.read(read_end, 1 << 16):
            chunks.append(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(tag,)) for tag in records]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(30)
    os.close(write_end)
    reader.join(30)
    os.close(read_end)
    lines = b"".join(chunks).decode().splitlines()
    assert len(lines) == 900
    for line in lines:
        body, _, number = line.rpartition(" ")
        assert body in ("a" * 3000, "b" * 3000, "c" * 3000) and 0 <= int(number) < 300
