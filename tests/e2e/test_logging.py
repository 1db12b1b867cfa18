"""Logging as an operator meets it: `telemetry/logging` under `trio-gateway run`, `run --workers 2`
and `hypercorn trio_gateway:app`, the same; syslog and GELF against loopback receivers."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from tests.e2e.conftest import StartGateway
from tests.e2e.processes import ROOT, free_port, wait_until_serving
from trio_gateway.telemetry.log_formats import AccessJsonFormatter, AccessLogstashFormatter
from trio_gateway.telemetry.logging_setup import SYSLOG_ADDRESS_ENV

SECRET = "s3cr3t-value"
FIELDS = {"method", "path", "endpoint", "status", "duration_ms", "bytes_sent", "client_ip"}


def _config(backend_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "version": 3,
        "listen_ip": "127.0.0.1",
        "host": [backend_url],
        "extra_config": extra,
        "endpoints": [{"endpoint": "/users/{id}", "backend": [{"url_pattern": "/json/user"}]}],
    }


async def test_the_fields_and_no_credentials(
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="trio_gateway.access")
    # gin's ClientIP: X-Forwarded-For from a trusted proxy (the loopback peer)
    router = {"forwarded_by_client_ip": True, "trusted_proxies": ["127.0.0.1/32"]}
    gw = await start_gateway(_config(backend_url, router=router))
    response = await client.get(
        f"{gw}/users/7?access_token={SECRET}&x=1",
        headers={
            "Authorization": f"Bearer {SECRET}",
            "Cookie": f"session={SECRET}",
            "User-Agent": "agent/1.0",
            "X-Forwarded-For": "203.0.113.9",
        },
    )
    assert response.status_code == 200
    await client.get(f"{gw}/nowhere")
    records = [r for r in caplog.records if r.name == "trio_gateway.access"]
    found, missing = (vars(r) for r in records)
    assert found["path"] == "/users/7?access_token=REDACTED&x=1"
    assert (found["method"], found["endpoint"], found["status"]) == ("GET", "/users/{id}", 200)
    assert found["bytes_sent"] == len(response.content) > 0
    assert (found["client_ip"], found["user_agent"]) == ("203.0.113.9", "agent/1.0")
    assert found["duration_ms"] > 0 and found["trace_id"] is None
    assert (missing["status"], missing["endpoint"]) == (404, "")
    line = records[0].getMessage()
    assert re.fullmatch(
        r"\[GIN\] \d{4}/\d\d/\d\d - \d\d:\d\d:\d\d \| 200 \| +[0-9.]+(µs|ms|s) \|"
        r'     203\.0\.113\.9 \| GET      "/users/7\?access_token=REDACTED&x=1"',
        line,
    ), line
    formatters = (
        logging.Formatter("%(message)s"),
        AccessJsonFormatter(),
        AccessLogstashFormatter(),
    )
    for record in records:
        for formatter in formatters:
            text = formatter.format(record)
            assert SECRET not in text and "Bearer" not in text and "session" not in text


def _listeners(port: int) -> int:
    """How many sockets listen on 127.0.0.1:`port` (each `--workers` process has its own)."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(
        1 for row in rows if row.split()[1] == f"0100007F:{port:04X}" and row.split()[3] == "0A"
    )


@asynccontextmanager
async def _gateway(
    command: list[str], port: int, env: dict[str, str], *, listeners: int = 1
) -> AsyncIterator[list[bytes]]:
    """Run the gateway until the block ends (once `listeners` sockets listen on `port`); then the
    list holds its stdout and stderr."""
    output: list[bytes] = []
    proc = await trio.lowlevel.open_process(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    chunks: dict[str, list[bytes]] = {"out": [], "err": []}

    async def drain(stream: Any, into: list[bytes]) -> None:
        while chunk := await stream.receive_some(1 << 16):
            into.append(chunk)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(drain, proc.stdout, chunks["out"])
        nursery.start_soon(drain, proc.stderr, chunks["err"])
        try:
            await wait_until_serving(port, proc)
            for _ in range(600):  # bounded: 30 s
                if _listeners(port) >= listeners:
                    break
                await trio.sleep(0.05)
            assert _listeners(port) >= listeners
            yield output
        finally:
            proc.send_signal(signal.SIGTERM)
            with trio.move_on_after(20):
                await proc.wait()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    output.extend([b"".join(chunks["out"]), b"".join(chunks["err"])])


def _command(mode: str, config: Path, port: int) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    if mode == "hypercorn":
        env["TRIO_GATEWAY_CONFIG"] = str(config)
        hypercorn = [
            sys.executable,
            "-m",
            "hypercorn",
            "trio_gateway:app",
            "--worker-class",
            "trio",
        ]
        return [*hypercorn, "--bind", f"127.0.0.1:{port}"], env
    run = [sys.executable, "-m", "trio_gateway", "run", "-c", str(config), "-p", str(port)]
    return [*run, "--workers", "2"] if mode == "workers" else run, env


@pytest.mark.parametrize("mode", ["run", "workers", "hypercorn"])
@pytest.mark.parametrize("level", ["INFO", "ERROR"])
async def test_json_logging_is_the_same_everywhere(
    mode: str, level: str, tmp_path: Path, backend_url: str
) -> None:
    config = tmp_path / "krakend.json"
    logging_config = {"level": level, "stdout": True, "format": "json"}
    config.write_text(json.dumps(_config(backend_url, **{"telemetry/logging": logging_config})))
    port = free_port()
    command, env = _command(mode, config, port)
    requests = 12
    # `Connection: close`: a new connection each, so that under --workers both serve some
    headers = {"Authorization": f"Bearer {SECRET}", "User-Agent": "e2e", "Connection": "close"}
    async with (
        _gateway(command, port, env, listeners=2 if mode == "workers" else 1) as output,
        httpx.AsyncClient(timeout=10, headers=headers) as client,
    ):
        for n in range(requests):
            url = f"http://127.0.0.1:{port}/users/{n}?token={SECRET}"
            assert (await client.get(url)).status_code == 200
    out, err = output
    lines = [json.loads(line) for line in out.decode().splitlines()]  # every line is JSON
    assert SECRET.encode() not in out + err
    access = [line for line in lines if line["logger"] == "trio_gateway.access"]
    assert len(access) == requests
    for n, line in enumerate(sorted(access, key=lambda a: int(a["path"][7:].split("?")[0]))):
        assert set(line) >= FIELDS and line["endpoint"] == "/users/{id}"
        assert (line["status"], line["client_ip"], line["user_agent"]) == (200, "127.0.0.1", "e2e")
        assert line["path"] == f"/users/{n}?token=REDACTED"
    application = [line for line in lines if line["logger"] != "trio_gateway.access"]
    infos = [line for line in application if line["level"] == "INFO"]
    if level == "ERROR":
        assert application == []  # nothing at ERROR happened, and INFO is not shown
    else:
        assert (
            any(line["message"].startswith("listening on") for line in infos) or mode == "hypercorn"
        )
        assert any(line["message"].startswith("serving 1 endpoint") for line in infos)
    if mode == "workers" and level == "INFO":  # each worker says it, in the same format
        assert len([line for line in infos if "serving 1 endpoint" in line["message"]]) == 2


async def test_syslog_and_gelf_under_run(tmp_path: Path, backend_url: str) -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as syslog,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as gelf,
    ):
        for sock in (syslog, gelf):
            sock.bind(("127.0.0.1", 0))
            sock.setblocking(False)
        extra = {
            "telemetry/logging": {"level": "INFO", "syslog": True, "prefix": "gw",
                                  "syslog_facility": "local1"},
            "telemetry/gelf": {"address": f"127.0.0.1:{gelf.getsockname()[1]}"},
        }  # fmt: skip
        config = tmp_path / "krakend.json"
        config.write_text(json.dumps(_config(backend_url, **extra)))
        port = free_port()
        command, env = _command("run", config, port)
        env[SYSLOG_ADDRESS_ENV] = f"127.0.0.1:{syslog.getsockname()[1]}"
        async with _gateway(command, port, env) as output:
            async with httpx.AsyncClient(timeout=10) as client:
                assert (await client.get(f"http://127.0.0.1:{port}/users/1")).status_code == 200
            received: dict[str, list[bytes]] = {"syslog": [], "gelf": []}
            with trio.move_on_after(10):
                while not (
                    any(b"listening on" in d for d in received["syslog"])
                    and any(b"_endpoint" in zlib.decompress(d) for d in received["gelf"])
                ):
                    for name, sock in (("syslog", syslog), ("gelf", gelf)):
                        with suppress(BlockingIOError):
                            received[name].append(sock.recv(65536))
                    await trio.sleep(0.05)
        out, _ = output
    # <local1 (17) * 8 + info (6)>: Go's local form, tag[pid]: %{level} > %{message}
    assert any(re.match(rb"<142>\w{3} [ \d]\d \d\d:\d\d:\d\d gw\[\d+\]: INFO > listening on", d)
               for d in received["syslog"])  # fmt: skip
    messages = [json.loads(zlib.decompress(d)) for d in received["gelf"]]
    assert any(m["short_message"].startswith("listening on") for m in messages)
    (access,) = [m for m in messages if "_endpoint" in m]
    assert access["short_message"].startswith("[GIN] ") and access["_status"] == 200
    assert out == b""  # no stdout: the access log went to GELF only (krakend-ce)
