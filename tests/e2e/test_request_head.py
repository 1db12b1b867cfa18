"""What Go's server decides before KrakenD's handler, through `trio-gateway run` and raw sockets.

Each test runs twice, against a gateway process with hypercorn's tuning on and one with it off
(`TRIO_GATEWAY_HYPERCORN_TUNING=0`): both serving paths must answer alike. The backend is the
in-process loopback one, so `STATS` says whether a request reached it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio

from tests.e2e.backend_app import CANCELLED, STATS

WS_HEADERS = (
    b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
)


@attrs.frozen
class Answer:
    status: int
    headers: dict[bytes, bytes]  # lower-case names; the gateway sends each at most once
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@attrs.define
class GatewayProcess:
    port: int
    process: trio.Process
    log: Path

    async def stop(self) -> str:
        """SIGTERM, wait, and the process's output."""
        self.process.send_signal(signal.SIGTERM)
        with trio.fail_after(30):
            await self.process.wait()
        return self.log.read_text(errors="replace")


StartGateway = Callable[[list[dict[str, Any]]], Awaitable[GatewayProcess]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(params=["tuned", "stock"])
def tuning(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def gateway_process(
    nursery: trio.Nursery, tmp_path: Path, backend_url: str, tuning: str
) -> AsyncIterator[StartGateway]:
    """Start `trio-gateway run` on a free loopback port with the endpoints given."""
    started: list[GatewayProcess] = []

    async def start(endpoints: list[dict[str, Any]]) -> GatewayProcess:
        port = _free_port()
        config = {
            "version": 3,
            "port": port,
            "listen_ip": "127.0.0.1",
            "host": [backend_url],
            "endpoints": endpoints,
        }
        path = tmp_path / "krakend.json"
        path.write_text(json.dumps(config))
        env = {**os.environ, "TRIO_GATEWAY_HYPERCORN_TUNING": "1" if tuning == "tuned" else "0"}
        log = tmp_path / "gateway.log"
        with log.open("wb") as out:
            process = await nursery.start(
                partial(
                    trio.run_process,
                    [sys.executable, "-m", "trio_gateway", "run", "-c", str(path)],
                    env=env,
                    stdout=out,
                    stderr=out,
                    check=False,
                )
            )
        gateway = GatewayProcess(port, process, log)
        started.append(gateway)
        for _ in range(600):  # bounded: 30 s
            try:
                stream = await trio.open_tcp_stream("127.0.0.1", port)
            except OSError:
                assert process.returncode is None, log.read_text()
                await trio.sleep(0.05)
                continue
            await stream.aclose()
            return gateway
        raise AssertionError(f"the gateway did not listen: {log.read_text()}")

    yield start
    for gateway in started:
        if gateway.process.returncode is None:
            await gateway.stop()


async def _read_answer(stream: trio.SocketStream, buffer: bytearray) -> Answer:
    """One response from the stream (the gateway always sends a Content-Length)."""
    with trio.fail_after(10):
        while b"\r\n\r\n" not in buffer:
            chunk = await stream.receive_some(65536)
            assert chunk, f"closed before a response head: {bytes(buffer)!r}"
            buffer += chunk
        head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            assert name.lower() not in headers, head
            headers[name.lower()] = value.strip()
        length = int(headers[b"content-length"])
        while len(rest) < length:
            chunk = await stream.receive_some(65536)
            assert chunk, "closed inside a body"
            rest += chunk
        buffer[:] = rest[length:]
        return Answer(status, headers, rest[:length])


async def _closed(stream: trio.SocketStream, buffer: bytearray) -> bool:
    """Whether the gateway closes the connection after the response (nothing more is sent)."""
    with trio.move_on_after(10):
        extra = await stream.receive_some(65536)
        buffer += extra
        return extra == b""
    return False


async def _ask(port: int, request: bytes, *, closes: bool | None = None) -> Answer:
    """Send raw request bytes on a new connection and read the answer; `closes` checks what
    happens to the connection after it."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    buffer = bytearray()
    try:
        await stream.send_all(request)
        answer = await _read_answer(stream, buffer)
        if closes is not None:
            if closes:
                assert await _closed(stream, buffer), bytes(buffer)
            else:
                # Still usable: a second request on the same connection is answered.
                await stream.send_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
                assert (await _read_answer(stream, buffer)).status == 404
        return answer
    finally:
        await stream.aclose()


def _echo(path: str = "/e") -> dict[str, Any]:
    return {"endpoint": path, "backend": [{"url_pattern": "/param_forwarding/"}]}


def _go_400(answer: Answer, body: bytes) -> None:
    """net/http's own answer: the text, plain, `Connection: close`, nothing of KrakenD's."""
    assert (answer.status, answer.body) == (400, body)
    assert answer.headers[b"content-type"] == b"text/plain; charset=utf-8"
    assert answer.headers[b"connection"] == b"close"
    assert b"x-krakend" not in answer.headers


async def test_an_invalid_host_is_gos_400(gateway_process: StartGateway) -> None:
    gw = await gateway_process([_echo()])
    for host in (b"bad host", b"{", b"}", b"\xff", b"\x06", b"a/b", b"a@b"):
        answer = await _ask(gw.port, b"GET /e HTTP/1.1\r\nHost: " + host + b"\r\n\r\n", closes=True)
        _go_400(answer, b"400 Bad Request: malformed Host header")
    assert STATS["/param_forwarding/"] == 0
    # What Go's table accepts is served, and forwarded as X-Forwarded-Host.
    for host in (b"[::1%25en0]:80", b"foo-bar_baz.com", b"1.2.3.4"):
        answer = await _ask(gw.port, b"GET /e HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
        assert answer.status == 200
        assert answer.json()["headers"]["X-Forwarded-Host"] == [host.decode()]
    assert STATS["/param_forwarding/"] == 3
    # No Host, or two: h11 refuses them before the app (hypercorn's bare 400, see the report).
    for head in (b"", b"Host: a\r\nHost: a\r\n"):
        answer = await _ask(gw.port, b"GET /e HTTP/1.1\r\n" + head + b"\r\n", closes=True)
        assert answer.status == 400
    assert STATS["/param_forwarding/"] == 3
    assert "Traceback" not in await gw.stop()


async def test_an_absolute_form_target_is_its_path_and_its_authority(
    gateway_process: StartGateway,
) -> None:
    gw = await gateway_process([_echo(), _echo("/")])
    answer = await _ask(
        gw.port, b"GET http://example.com:8080/e HTTP/1.1\r\nHost: ignored\r\n\r\n", closes=False
    )
    assert answer.status == 200
    assert answer.headers[b"x-krakend-completed"] == b"true"
    assert answer.json()["headers"]["X-Forwarded-Host"] == ["example.com:8080"]
    assert STATS["/param_forwarding/"] == 1
    # The empty path: gin's trailing-slash redirect, to the absolute URL (req.URL.String()).
    answer = await _ask(gw.port, b"GET http://example.com HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (answer.status, answer.headers[b"location"]) == (301, b"http://example.com/")
    # Targets url.ParseRequestURI refuses: Go's bare 400, and the connection closes.
    for target in (b"http://[192.168.0.1]/e", b"http://h:x/e", b"e", b"/e%zz", b"/%"):
        answer = await _ask(
            gw.port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n", closes=True
        )
        _go_400(answer, b"400 Bad Request")
    assert STATS["/param_forwarding/"] == 1
    assert "Traceback" not in await gw.stop()


async def test_asterisk_and_authority_forms(gateway_process: StartGateway) -> None:
    gw = await gateway_process([_echo()])
    # OPTIONS *: Go's server answers it (globalOptionsHandler), gin never sees it; keep-alive.
    answer = await _ask(gw.port, b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", closes=False)
    assert (answer.status, answer.body, answer.headers[b"content-length"]) == (200, b"", b"0")
    assert b"x-krakend" not in answer.headers
    # Another method with `*`, and CONNECT's authority-form, reach gin: no route.
    for request in (
        b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    ):
        answer = await _ask(gw.port, request)
        assert (answer.status, answer.body) == (404, b"404 page not found")
        assert answer.headers[b"x-krakend-completed"] == b"false"
    assert STATS["/param_forwarding/"] == 0
    assert "Traceback" not in await gw.stop()


async def test_a_websocket_handshake_is_served_as_the_plain_get(
    gateway_process: StartGateway,
) -> None:
    everything = {**_echo("/all"), "input_headers": ["*"]}
    gw = await gateway_process([_echo(), everything])
    plain = await _ask(gw.port, b"GET /e HTTP/1.1\r\nHost: x\r\n\r\n")
    upgrade = await _ask(gw.port, b"GET /e HTTP/1.1\r\nHost: x\r\n" + WS_HEADERS + b"\r\n")
    assert STATS["/param_forwarding/"] == 2  # the backend is called both times
    assert (upgrade.status, upgrade.body) == (plain.status, plain.body) == (200, plain.body)
    assert {k: v for k, v in upgrade.headers.items() if k != b"date"} == {
        k: v for k, v in plain.headers.items() if k != b"date"
    }
    assert b"upgrade" not in upgrade.headers and b"sec-websocket-accept" not in upgrade.headers
    # Upgrade and Connection are hop-by-hop: not forwarded even with input_headers ["*"].
    forwarded = await _ask(gw.port, b"GET /all HTTP/1.1\r\nHost: x\r\n" + WS_HEADERS + b"\r\n")
    seen = forwarded.json()["headers"]
    assert "Upgrade" not in seen and "Connection" not in seen
    assert seen["Sec-Websocket-Key"] == ["dGhlIHNhbXBsZSBub25jZQ=="]
    # Routing misses and Go's own refusals are the GET's too.
    miss = await _ask(gw.port, b"GET /nowhere HTTP/1.1\r\nHost: x\r\n" + WS_HEADERS + b"\r\n")
    assert (miss.status, miss.body) == (404, b"404 page not found")
    bad = await _ask(gw.port, b"GET /e HTTP/1.1\r\nHost: a b\r\n" + WS_HEADERS + b"\r\n")
    _go_400(bad, b"400 Bad Request: malformed Host header")
    assert STATS["/param_forwarding/"] == 3
    assert "Traceback" not in await gw.stop()


async def test_a_websocket_client_leaving_cancels_the_backend_call(
    gateway_process: StartGateway,
) -> None:
    slow = {
        "endpoint": "/slow",
        "timeout": "10s",
        "backend": [{"url_pattern": "/delayed/d?ms=8000"}],
    }
    gw = await gateway_process([slow])
    stream = await trio.open_tcp_stream("127.0.0.1", gw.port)
    await stream.send_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n" + WS_HEADERS + b"\r\n")
    with trio.fail_after(6):  # bounded; the backend would answer after 8 s
        while STATS["/delayed/d"] == 0:  # noqa: ASYNC110 - the backend's counter, in this process
            await trio.sleep(0.01)
        await stream.aclose()
        while not CANCELLED:  # noqa: ASYNC110
            await trio.sleep(0.01)
    assert CANCELLED == ["/delayed/d"]
    assert "Traceback" not in await gw.stop()
