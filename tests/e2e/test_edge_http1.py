"""The HTTP/1.1 edge rules (serving/http1.py) through the real gateway, with exact bytes.

In this process hypercorn runs tuned; `test_stock_and_tuned_paths_hold_the_same_rules` runs the
same rules against `trio-gateway run` subprocesses with the tuning on and off.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.events
import hypothesis
import orjson
import pytest
import trio
from hypothesis import strategies as st

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import StartGateway
from tests.e2e.processes import free_port, serving
from tests.e2e.raw_http import exchange, statuses


def _config(backend_url: str, **service: Any) -> dict[str, Any]:
    return {
        "version": 3,
        "host": [backend_url],
        **service,
        "endpoints": [
            {"endpoint": "/x", "backend": [{"url_pattern": "/param_forwarding/x"}]},
            {"endpoint": "/smuggled", "backend": [{"url_pattern": "/param_forwarding/smuggled"}]},
            {
                "endpoint": "/echo",
                "method": "POST",
                "backend": [{"url_pattern": "/param_forwarding/echo", "method": "POST"}],
            },
        ],
    }


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


# -- framing -------------------------------------------------------------------------------


async def test_content_length_with_transfer_encoding_is_400_and_close(
    backend_url: str, start_gateway: StartGateway
) -> None:
    port = _port(await start_gateway(_config(backend_url)))
    request = (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED
    )
    raw, closed = await exchange(port, request)
    assert statuses(raw) == [400]
    assert closed
    assert b"400 Bad Request" in raw
    assert STATS["/param_forwarding/smuggled"] == 0
    assert STATS["/param_forwarding/echo"] == 0


async def test_transfer_encoding_on_http_1_0_is_400(
    backend_url: str, start_gateway: StartGateway
) -> None:
    port = _port(await start_gateway(_config(backend_url)))
    raw, closed = await exchange(
        port, b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED
    )
    assert statuses(raw) == [400]
    assert closed
    assert STATS["/param_forwarding/smuggled"] == 0


async def test_a_clean_pipelined_request_still_runs(
    backend_url: str, start_gateway: StartGateway
) -> None:
    """The rule is about conflicts: an unambiguous body followed by a request is two requests."""
    port = _port(await start_gateway(_config(backend_url)))
    raw, _ = await exchange(
        port,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}" + SMUGGLED,
        wait=3,
    )
    assert statuses(raw) == [200, 200]
    assert STATS["/param_forwarding/smuggled"] == 1


_LENGTHS = st.sampled_from([b"0", b"5", b"3", b"+5", b"5, 5", b"5,6", b"-1", b"0x5", b" 5"])
_ENCODINGS = st.sampled_from(
    [b"chunked", b"Chunked", b"gzip, chunked", b"chunked, gzip", b"identity", b"chunked ", b"x"]
)
_HEADER = st.one_of(
    st.tuples(st.sampled_from([b"Content-Length", b"content-length"]), _LENGTHS),
    st.tuples(st.sampled_from([b"Transfer-Encoding", b"transfer-encoding"]), _ENCODINGS),
)


@st.composite
def _conflicting_heads(draw: st.DrawFn) -> bytes:
    """Heads whose body framing is ambiguous or invalid: both fields, a field twice, a bad value,
    or Transfer-Encoding on HTTP/1.0."""
    headers = draw(st.lists(_HEADER, min_size=1, max_size=4))
    version = draw(st.sampled_from([b"1.1", b"1.0"]))
    names = [name.lower() for name, _ in headers]
    encodings = [value for name, value in headers if name.lower() == b"transfer-encoding"]
    lengths = [value for name, value in headers if name.lower() == b"content-length"]
    # h11 reads `5, 5` (and repeated equal lines) as 5, as RFC 9110 §8.6 allows: not ambiguous.
    values = {part.strip() for v in lengths for part in v.split(b",")}
    valid_length = len(values) <= 1 and values <= {b"0", b"5", b"3"}
    clean = (names == [b"content-length"] * len(names) and valid_length) or (
        names == [b"transfer-encoding"]
        and encodings[0].strip().lower() == b"chunked"
        and version == b"1.1"
    )
    hypothesis.assume(not clean)
    head = b"POST /echo HTTP/" + version + b"\r\nHost: x\r\n"
    head += b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    body = draw(st.sampled_from([b"0\r\n\r\n", b"5\r\nhello\r\n0\r\n\r\n", b"hello", b""]))
    return head + b"\r\n" + body


async def _serve_in(nursery: trio.Nursery, config: dict[str, Any]) -> int:
    from hypercorn.config import Config as HypercornConfig
    from hypercorn.trio import serve as hypercorn_serve

    from tests.e2e.backend_app import backend_app
    from trio_gateway.config import load_config_data
    from trio_gateway.plan import compile_plan
    from trio_gateway.serving.server import serve

    backend = HypercornConfig()
    backend.bind = ["127.0.0.1:0"]
    backend.accesslog = None
    backend_binds = await nursery.start(
        lambda task_status: hypercorn_serve(
            backend_app, backend, mode="asgi", task_status=task_status
        )  # type: ignore[arg-type]
    )
    config = dict(config, host=[backend_binds[0]])
    plan = compile_plan(load_config_data(config).config, port=0)
    binds = await nursery.start(
        lambda task_status: serve(plan, host="127.0.0.1", task_status=task_status)
    )
    return _port(binds[0])


@hypothesis.settings(
    max_examples=40, deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
@hypothesis.given(head=_conflicting_heads())
async def test_conflicting_framing_never_yields_a_second_request(head: bytes) -> None:
    STATS.clear()
    async with trio.open_nursery() as nursery:
        port = await _serve_in(nursery, _config("http://unused"))
        raw, closed = await exchange(port, head + SMUGGLED, wait=5)
        nursery.cancel_scope.cancel()
    found = statuses(raw)
    assert len(found) == 1, (head, raw)
    assert found[0] in (400, 501), (head, raw)
    assert closed
    assert STATS["/param_forwarding/smuggled"] == 0


# -- header lines --------------------------------------------------------------------------


async def test_a_head_with_too_many_lines_is_431_before_it_is_parsed(
    backend_url: str, start_gateway: StartGateway
) -> None:
    port = _port(await start_gateway(_config(backend_url)))
    flood = b"".join(b"a%d: b\r\n" % i for i in range(85_000))
    raw, closed = await exchange(port, b"GET /x HTTP/1.1\r\nHost: x\r\n" + flood + b"\r\n")
    assert statuses(raw) == [431]
    assert closed
    assert STATS["/param_forwarding/x"] == 0


@pytest.mark.parametrize(("count", "status"), [(99, 200), (100, 200), (101, 431)])
async def test_the_header_count_limit_is_exact(
    backend_url: str, start_gateway: StartGateway, count: int, status: int
) -> None:
    port = _port(await start_gateway(_config(backend_url)))
    # Host is one of them.
    headers = b"Host: x\r\n" + b"".join(b"h%d: v\r\n" % i for i in range(count - 1))
    raw, _ = await exchange(port, b"GET /x HTTP/1.1\r\n" + headers + b"\r\n", wait=2)
    assert statuses(raw) == [status]


async def test_the_count_holds_across_reads_and_pipelined_heads(
    backend_url: str, start_gateway: StartGateway
) -> None:
    port = _port(await start_gateway(_config(backend_url)))
    lines = b"".join(b"h%d: v\r\n" % i for i in range(150))
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        # A clean request, then a flooding one in the same write (h11 holds it while the first
        # is answered), sent a few bytes at a time.
        data = b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n" + b"GET /x HTTP/1.1\r\nHost: x\r\n" + lines
        for i in range(0, len(data), 7):
            await stream.send_all(data[i : i + 7])
        await stream.send_all(b"\r\n")
        received = bytearray()
        with trio.fail_after(10):
            while chunk := await stream.receive_some(65536):
                received += chunk
    assert statuses(bytes(received)) == [200, 431]


# -- timeouts ------------------------------------------------------------------------------


async def test_read_timeout_bounds_a_slow_body_with_408_and_close(
    backend_url: str, start_gateway: StartGateway
) -> None:
    port = _port(await start_gateway(_config(backend_url, read_timeout="300ms")))
    raw, closed = await exchange(
        port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789", wait=10
    )
    assert statuses(raw) == [408]
    assert closed
    assert STATS["/param_forwarding/echo"] == 0


async def test_read_header_timeout_bounds_a_slow_head(
    backend_url: str, start_gateway: StartGateway
) -> None:
    port = _port(
        await start_gateway(_config(backend_url, read_header_timeout="300ms", idle_timeout="30s"))
    )
    raw, closed = await exchange(port, b"GET /x HTTP/1.1\r\nHost: x\r\n", wait=10)
    assert statuses(raw) == [408]
    assert closed


async def test_write_timeout_closes_a_response_that_takes_too_long(
    backend_url: str, start_gateway: StartGateway
) -> None:
    config = _config(backend_url, write_timeout="300ms")
    config["endpoints"].append(
        {"endpoint": "/slow", "backend": [{"url_pattern": "/delayed/slow?ms=1500"}]}
    )
    port = _port(await start_gateway(config))
    raw, closed = await exchange(port, b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", wait=10)
    assert raw == b""  # Go's writes fail after the deadline: the client sees the connection end
    assert closed
    raw, _ = await exchange(port, b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert statuses(raw) == [200]


async def test_a_timed_request_kept_alive_gets_fresh_deadlines(
    backend_url: str, start_gateway: StartGateway
) -> None:
    """The deadlines are per request: a keep-alive connection outlives them."""
    port = _port(
        await start_gateway(_config(backend_url, read_timeout="400ms", write_timeout="400ms"))
    )
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        for _ in range(3):
            await stream.send_all(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
            with trio.fail_after(5):
                head = await stream.receive_some(65536)
            assert statuses(head) == [200]
            await trio.sleep(0.5)  # longer than each timeout, idle between requests


async def test_without_timeouts_a_stalled_body_is_still_bounded(
    backend_url: str, start_gateway: StartGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trio_gateway.serving import limits

    monkeypatch.setattr(limits, "DEFAULT_BODY_STALL_TIMEOUT", 0.3)
    port = _port(await start_gateway(_config(backend_url)))
    raw, closed = await exchange(
        port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123", wait=10
    )
    assert statuses(raw) == [408]
    assert closed


# -- h2c -----------------------------------------------------------------------------------


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


async def test_without_use_h2c_there_is_no_cleartext_http2(
    backend_url: str, start_gateway: StartGateway
) -> None:
    port = _port(await start_gateway(_config(backend_url)))
    raw, closed = await exchange(port, PREFACE)
    assert raw.startswith(b"HTTP/1.1 505 ")  # never a SETTINGS frame
    assert closed
    upgrade = (
        b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
        b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nConnection: close\r\n\r\n"
    )
    raw, _ = await exchange(port, upgrade)
    assert statuses(raw) == [200]  # served over HTTP/1.1, as Go without h2c does
    assert b"101" not in raw.split(b"\r\n", 1)[0]


async def _h2_get(port: int, path: str, *, upgrade: bool) -> tuple[int, bytes]:
    """A GET with the `h2` library: prior knowledge, or the HTTP/1.1 Upgrade dance."""
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        if upgrade:
            settings = conn.initiate_upgrade_connection()
            await stream.send_all(
                b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                b"HTTP2-Settings: " + settings + b"\r\n\r\n"
            )
            head = b""
            with trio.fail_after(5):
                while b"\r\n\r\n" not in head:
                    head += await stream.receive_some(65536)
            assert head.startswith(b"HTTP/1.1 101 ")
            rest = head.split(b"\r\n\r\n", 1)[1]
            await stream.send_all(conn.data_to_send())
            stream_id = 1
            events = conn.receive_data(rest) if rest else []
        else:
            conn.initiate_connection()
            stream_id = conn.get_next_available_stream_id()
            conn.send_headers(
                stream_id,
                [(":method", "GET"), (":path", path), (":scheme", "http"), (":authority", "x")],
                end_stream=True,
            )
            await stream.send_all(conn.data_to_send())
            events = []
        status = 0
        body = b""
        with trio.fail_after(5):
            while True:
                for event in events:
                    if isinstance(event, h2.events.ResponseReceived):
                        if event.stream_id == stream_id:
                            status = int(dict(event.headers)[b":status"])
                    elif isinstance(event, h2.events.DataReceived):
                        body += event.data
                        conn.acknowledge_received_data(
                            event.flow_controlled_length, event.stream_id
                        )
                    elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream_id:
                        return status, body
                pending = conn.data_to_send()
                if pending:
                    await stream.send_all(pending)
                data = await stream.receive_some(65536)
                assert data, "the server closed the connection"
                events = conn.receive_data(data)


@pytest.mark.parametrize("upgrade", [False, True], ids=["prior-knowledge", "upgrade"])
async def test_use_h2c_serves_real_http2_clients(
    backend_url: str, start_gateway: StartGateway, upgrade: bool
) -> None:
    port = _port(await start_gateway(_config(backend_url, use_h2c=True)))
    status, body = await _h2_get(port, "/x", upgrade=upgrade)
    assert status == 200
    assert orjson.loads(body)["path"] == "/param_forwarding/x"


# -- 100 Continue --------------------------------------------------------------------------


async def test_100_continue_only_once_the_guards_let_the_request_in(
    backend_url: str, start_gateway: StartGateway, jwk_file: str
) -> None:
    config = _config(backend_url)
    config["endpoints"].append(
        {
            "endpoint": "/private",
            "method": "POST",
            "extra_config": {"auth/validator": {"alg": "HS256", "jwk_local_path": jwk_file}},
            "backend": [{"url_pattern": "/param_forwarding/private", "method": "POST"}],
        }
    )
    port = _port(await start_gateway(config))
    head = b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
    # Refused by the JWT validator: a 401, never a 100 inviting the body.
    raw, _ = await exchange(port, head % b"/private", wait=3)
    assert statuses(raw) == [401]
    # Let in: the 100 comes when the gateway reads the body, then the answer.
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(head % b"/echo")
        with trio.fail_after(5):
            first = await stream.receive_some(65536)
        assert first.startswith(b"HTTP/1.1 100 ")
        await stream.send_all(b"{}")
        received = first
        with trio.fail_after(5):
            while statuses(received) != [100, 200]:
                received += await stream.receive_some(65536)
    assert STATS["/param_forwarding/echo"] == 1


# -- stock and tuned -----------------------------------------------------------------------


@pytest.mark.parametrize("tuning", ["1", "0"], ids=["tuned", "stock"])
async def test_stock_and_tuned_paths_hold_the_same_rules(
    backend_url: str, tmp_path: Path, tuning: str
) -> None:
    config = _config(backend_url, read_timeout="500ms", write_timeout="2s")
    path = tmp_path / "krakend.json"
    path.write_bytes(orjson.dumps(config))
    port = free_port()
    env = dict(os.environ, TRIO_GATEWAY_HYPERCORN_TUNING=tuning)
    command = [sys.executable, "-m", "trio_gateway", "run", "-c", str(path), "-p", str(port)]
    async with serving(command, port, env=env) as proc:
        cases = [
            (
                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
                [400],
            ),
            (
                b"GET /x HTTP/1.1\r\nHost: x\r\n"
                + b"".join(b"a%d: b\r\n" % i for i in range(5000))
                + b"\r\n",
                [431],
            ),
            (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n01234", [408]),
            (PREFACE, [505]),
            (b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", [200]),
        ]
        for request, expected in cases:
            raw, closed = await exchange(port, request, wait=10)
            assert statuses(raw) == expected, (tuning, request[:40], raw[:200])
            assert closed
        assert STATS["/param_forwarding/smuggled"] == 0
    assert proc.returncode == 0


async def test_the_hypercorn_entry_point_takes_the_limits_from_the_config(
    backend_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "krakend.json"
    path.write_bytes(orjson.dumps(_config(backend_url, read_timeout="300ms")))
    port = free_port()
    env = dict(os.environ, TRIO_GATEWAY_CONFIG=str(path))
    command = [sys.executable, "-m", "hypercorn", "trio_gateway:app", "--worker-class", "trio"]
    async with serving([*command, "--bind", f"127.0.0.1:{port}"], port, env=env):
        raw, closed = await exchange(
            port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n01234", wait=10
        )
        assert statuses(raw) == [408]
        assert closed
        raw, _ = await exchange(port, PREFACE)
        assert statuses(raw) == [505]


UPGRADE = b"Connection: Upgrade\r\nUpgrade: websocket\r\n"


async def test_any_upgrade_is_a_plain_request_on_a_connection_that_lives_on(
    backend_url: str, start_gateway: StartGateway
) -> None:
    """No WebSocket stream: a handshake (valid or not, with a body or not) is the request it is,
    as KrakenD without its websocket namespace serves it, and the connection is kept."""
    port = _port(await start_gateway(_config(backend_url)))
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        for request in (
            b"GET /x HTTP/1.1\r\nHost: x\r\n" + UPGRADE + b"\r\n",  # no Sec-WebSocket-Key
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n" + UPGRADE + b"\r\n{}",
            b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
        ):
            await stream.send_all(request)
            received = b""
            with trio.fail_after(5):
                while not statuses(received) or not received.endswith(b"}"):
                    received += await stream.receive_some(65536)
            assert statuses(received) == [200], (request, received)


async def test_a_request_pipelined_after_an_upgrade_is_answered(
    backend_url: str, start_gateway: StartGateway
) -> None:
    port = _port(await start_gateway(_config(backend_url)))
    raw, _ = await exchange(
        port,
        b"GET /x HTTP/1.1\r\nHost: x\r\n" + UPGRADE + b"\r\n"
        b"GET /smuggled HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        wait=5,
    )
    assert statuses(raw) == [200, 200]
    assert STATS["/param_forwarding/smuggled"] == 1
