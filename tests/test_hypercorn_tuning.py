"""The hypercorn response-writing tuning keeps hypercorn's behaviour (see its docstring)."""

from __future__ import annotations

import math
from typing import Any

import h11
import pytest
import trio
from hypercorn.config import Config
from hypercorn.events import RawData
from hypercorn.trio import serve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trio_gateway.serving import hypercorn as hypercorn_tuning
from trio_gateway.serving.hypercorn import _send_h11_event

GET = b"GET / HTTP/1.1\r\nhost: x\r\n\r\n"


class FakeProtocol:
    """The two attributes `_send_h11_event` uses: an h11 server connection and `send`."""

    def __init__(self) -> None:
        self.connection = h11.Connection(h11.SERVER)
        self.connection.receive_data(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        self.connection.next_event()
        self.sent: list[bytes] = []

    async def send(self, event: RawData) -> None:
        self.sent.append(event.data)


async def test_sized_response_is_one_write() -> None:
    hypercorn_tuning.apply()
    proto = FakeProtocol()
    await _send_h11_event(proto, h11.Response(status_code=200, headers=[(b"content-length", b"2")]))
    assert proto.sent == []  # head held
    await _send_h11_event(proto, h11.Data(data=b"{}"))
    await _send_h11_event(proto, h11.EndOfMessage())
    assert len(proto.sent) == 1  # head + body together, the empty end writes nothing
    assert proto.sent[0].startswith(b"HTTP/1.1 200 ") and proto.sent[0].endswith(b"\r\n\r\n{}")


async def test_unsized_response_head_leaves_at_once() -> None:
    hypercorn_tuning.apply()
    proto = FakeProtocol()
    await _send_h11_event(proto, h11.Response(status_code=200, headers=[]))
    assert len(proto.sent) == 1 and proto.sent[0].startswith(b"HTTP/1.1 200 ")
    await _send_h11_event(proto, h11.Data(data=b"chunk"))
    assert proto.sent[1] == b"5\r\nchunk\r\n"


async def _hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"ok"})


async def test_idle_keep_alive_connections_are_still_closed() -> None:
    hypercorn_tuning.apply()
    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.keep_alive_timeout = 0.3
    async with trio.open_nursery() as nursery:
        binds = await nursery.start(
            lambda task_status: serve(_hello, config, mode="asgi", task_status=task_status)  # type: ignore[arg-type]
        )
        host, port = binds[0].removeprefix("http://").split(":")
        stream = await trio.open_tcp_stream(host, int(port))
        for _ in range(3):  # keep-alive: the idle timer restarts after every response
            await stream.send_all(GET)
            data = b""
            while not data.endswith(b"ok"):
                data += await stream.receive_some()
            assert data.startswith(b"HTTP/1.1 200")
        with trio.fail_after(3):
            assert await stream.receive_some() == b""  # closed by the server when idle
        await stream.aclose()
        nursery.cancel_scope.cancel()


async def _serve(
    nursery: trio.Nursery, app: Any, config: Config, shutdown: trio.Event | None = None
) -> tuple[str, int]:
    config.bind = ["127.0.0.1:0"]
    trigger = shutdown.wait if shutdown is not None else None
    binds = await nursery.start(
        lambda task_status: serve(
            app, config, mode="asgi", shutdown_trigger=trigger, task_status=task_status
        )
    )
    host, port = binds[0].removeprefix("http://").split(":")
    return host, int(port)


async def _read_response(stream: trio.SocketStream, size: int) -> bytes:
    data = b""
    while True:
        _, sep, body = data.partition(b"\r\n\r\n")
        if sep and len(body) >= size:
            return data
        chunk = await stream.receive_some()
        assert chunk, "connection closed before the response ended"
        data += chunk


def _http_app(respond: Any) -> Any:
    """An ASGI app: lifespan answered as `_hello` does, each request handed to `respond`."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _hello(scope, receive, send)
            return
        await respond(scope, send)

    return app


async def _get(host: str, port: int) -> trio.SocketStream:
    """A new connection with one GET request sent on it."""
    stream = await trio.open_tcp_stream(host, port)
    await stream.send_all(GET)
    return stream


async def _read_until_closed(stream: trio.SocketStream) -> bytes:
    data = b""
    with trio.fail_after(5):
        while chunk := await stream.receive_some():
            data += chunk
    return data


def _sleepy_app(seconds: float, body: bytes = b"ok") -> Any:
    async def respond(scope: dict[str, Any], send: Any) -> None:
        await trio.sleep(seconds)
        length = str(len(body)).encode()
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", length)]}
        )
        await send({"type": "http.response.body", "body": body})

    return _http_app(respond)


async def test_request_longer_than_keep_alive_timeout_is_not_cut() -> None:
    hypercorn_tuning.apply()
    config = Config()
    config.keep_alive_timeout = 0.2
    async with trio.open_nursery() as nursery:
        host, port = await _serve(nursery, _sleepy_app(0.6), config)
        stream = await trio.open_tcp_stream(host, port)
        for _ in range(2):  # the timer is stopped while a request is in flight, every time
            await stream.send_all(GET)
            with trio.fail_after(5):
                data = await _read_response(stream, 2)
            assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"ok")
        await stream.aclose()
        nursery.cancel_scope.cancel()


@pytest.mark.parametrize("keep_alive", [60, math.inf])  # far longer than the test may take
async def test_shutdown_closes_idle_connections_at_once(keep_alive: float) -> None:
    hypercorn_tuning.apply()
    config = Config()
    config.keep_alive_timeout = keep_alive
    config.graceful_timeout = 60  # so only the idle timer can close it within the test
    shutdown = trio.Event()
    async with trio.open_nursery() as nursery:
        host, port = await _serve(nursery, _hello, config, shutdown)
        stream = await _get(host, port)
        assert (await _read_response(stream, 2)).endswith(b"ok")
        shutdown.set()
        with trio.fail_after(5):
            assert await stream.receive_some() == b""
        await stream.aclose()


async def test_shutdown_lets_a_request_in_flight_finish() -> None:
    hypercorn_tuning.apply()
    config = Config()
    config.keep_alive_timeout = 60
    shutdown = trio.Event()
    async with trio.open_nursery() as nursery:
        host, port = await _serve(nursery, _sleepy_app(0.3), config, shutdown)
        stream = await _get(host, port)
        await trio.sleep(0.1)  # the request is in flight
        shutdown.set()
        with trio.fail_after(5):
            data = await _read_response(stream, 2)
            assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"ok")
            assert await stream.receive_some() == b""  # then the connection closes
        await stream.aclose()


async def test_response_larger_than_the_socket_buffer_arrives_whole() -> None:
    hypercorn_tuning.apply()
    body = bytes(range(256)) * (8 * 4096)  # 8 MiB: one send() cannot take it all
    async with trio.open_nursery() as nursery:
        host, port = await _serve(nursery, _sleepy_app(0, body), Config())
        stream = await trio.open_tcp_stream(host, port)
        for _ in range(2):  # and the connection is still in step for the next request
            await stream.send_all(GET)
            await trio.sleep(0.2)  # let the kernel buffers fill up first
            with trio.fail_after(10):
                data = await _read_response(stream, len(body))
            head, _, received = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200") and received == body
        await stream.aclose()
        nursery.cancel_scope.cancel()


async def test_client_closing_ends_the_connection_task() -> None:
    """The idle timer task must not keep a closed connection's task group alive."""
    hypercorn_tuning.apply()
    config = Config()
    config.keep_alive_timeout = 60
    config.graceful_timeout = 60
    shutdown = trio.Event()
    with trio.fail_after(10):  # shutdown waits for connection tasks: a lingering timer would hang
        async with trio.open_nursery() as nursery:
            host, port = await _serve(nursery, _sleepy_app(0.2), config, shutdown)
            stream = await _get(host, port)
            await trio.sleep(0.05)
            await stream.aclose()  # mid-request: the timer is stopped at this point
            await trio.sleep(0.4)
            shutdown.set()


async def test_pipelined_requests_are_answered_in_order() -> None:
    hypercorn_tuning.apply()

    async def echo_path(scope: dict[str, Any], send: Any) -> None:
        body = scope["path"].encode()
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async with trio.open_nursery() as nursery:
        host, port = await _serve(nursery, _http_app(echo_path), Config())
        stream = await trio.open_tcp_stream(host, port)
        await stream.send_all(
            b"GET /first HTTP/1.1\r\nhost: x\r\n\r\nGET /second HTTP/1.1\r\nhost: x\r\n\r\n"
        )
        data = b""
        with trio.fail_after(5):
            while data.count(b"HTTP/1.1 200") < 2 or not data.endswith(b"/second"):
                data += await stream.receive_some()
        assert data.index(b"/first") < data.index(b"HTTP/1.1 200", 1) < data.index(b"/second")
        await stream.aclose()
        nursery.cancel_scope.cancel()


@pytest.mark.parametrize(
    "headers",
    [
        [(b"content-length", b"2"), (b"x-a", b"with\tinner tab"), (b"set-cookie", b"a=1")],
        [(b"Content-Type", b"application/json; charset=utf-8"), (b"x-empty", b"")],
        [(b"x-obs", "caf\u00e9".encode())],
    ],
)
def test_valid_fields_agrees_with_h11(headers: list[tuple[bytes, bytes]]) -> None:
    assert hypercorn_tuning._valid_fields(headers)
    fast = h11.Response(status_code=200, headers=headers, _parsed=True)
    slow = h11.Response(status_code=200, headers=headers)
    assert list(fast.headers) == list(slow.headers)


@pytest.mark.parametrize(
    "headers",
    [
        [(b"x-a", b"one\r\nx-injected: 1")],
        [(b"x-a", b"nul\x00")],
        [(b"x-a", b"vertical\x0btab")],
        [(b"bad name", b"1")],
        [(b"", b"1")],
        [(b"x-a\r\n", b"1")],
    ],
)
def test_invalid_fields_are_left_to_h11(headers: list[tuple[bytes, bytes]]) -> None:
    assert not hypercorn_tuning._valid_fields(headers)
    with pytest.raises(h11.LocalProtocolError):
        h11.Response(status_code=200, headers=headers)


async def test_an_injected_header_is_still_refused_end_to_end() -> None:
    hypercorn_tuning.apply()

    async def bad(scope: dict[str, Any], send: Any) -> None:
        headers = [(b"content-length", b"2"), (b"x-a", b"v\r\nx-injected: 1")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    async with trio.open_nursery() as nursery:
        host, port = await _serve(nursery, _http_app(bad), Config())
        stream = await _get(host, port)
        data = await _read_until_closed(stream)
        assert b"x-injected" not in data.lower()
        await stream.aclose()
        nursery.cancel_scope.cancel()


@given(
    st.lists(
        st.tuples(st.binary(max_size=8), st.binary(max_size=12).map(lambda v: v.strip())),
        max_size=5,
    )
)
def test_what_the_scan_accepts_h11_accepts(headers: list[tuple[bytes, bytes]]) -> None:
    if not hypercorn_tuning._valid_fields(headers):
        return
    fast = h11.Response(status_code=200, headers=headers, _parsed=True)
    slow = h11.Response(status_code=200, headers=headers)  # would raise if the scan were lax
    assert list(fast.headers) == list(slow.headers)


async def test_a_malformed_request_does_not_take_the_server_down() -> None:
    hypercorn_tuning.apply()
    async with trio.open_nursery() as nursery:
        host, port = await _serve(nursery, _hello, Config())
        bad = await trio.open_tcp_stream(host, port)
        await bad.send_all(b"GARBAGE\r\n\r\n")
        data = await _read_until_closed(bad)
        assert data.startswith(b"HTTP/1.1 400")
        await bad.aclose()
        await trio.sleep(0.1)
        good = await trio.open_tcp_stream(host, port)  # the server is still serving
        await good.send_all(GET)
        with trio.fail_after(5):
            assert (await _read_response(good, 2)).startswith(b"HTTP/1.1 200")
        await good.aclose()
        nursery.cancel_scope.cancel()


async def test_a_head_without_a_body_message_still_goes_out() -> None:
    hypercorn_tuning.apply()

    async def head_only(scope: dict[str, Any], send: Any) -> None:
        headers = [(b"content-length", b"0"), (b"x-head", b"sent")]
        await send({"type": "http.response.start", "status": 204, "headers": headers})

    async with trio.open_nursery() as nursery:
        host, port = await _serve(nursery, _http_app(head_only), Config())
        stream = await _get(host, port)
        data = b""
        with trio.fail_after(5):
            while b"\r\n\r\n" not in data:
                chunk = await stream.receive_some()
                assert chunk, "closed before the head"
                data += chunk
        assert data.startswith(b"HTTP/1.1 204") and b"x-head: sent" in data
        await stream.aclose()
        nursery.cancel_scope.cancel()


_request_bytes = st.one_of(
    st.binary(max_size=120),
    st.tuples(
        st.sampled_from([b"GET", b"POST", b"G T", b"", b"\x00"]),
        st.sampled_from([b" / HTTP/1.1\r\n", b" /x HTTP/1.0\r\n", b" * HTTP/9.9\r\n", b"\r\n"]),
        st.lists(st.binary(max_size=20).map(lambda b: b + b"\r\n"), max_size=3),
    ).map(lambda parts: parts[0] + parts[1] + b"".join(parts[2]) + b"\r\n"),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(junk=_request_bytes)
async def test_no_request_bytes_take_the_server_down(junk: bytes) -> None:
    hypercorn_tuning.apply()
    async with trio.open_nursery() as nursery:
        host, port = await _serve(nursery, _hello, Config())
        bad = await trio.open_tcp_stream(host, port)
        await bad.send_all(junk)
        with trio.move_on_after(0.2):  # an incomplete request just waits for more bytes
            while await bad.receive_some():
                pass
        await bad.aclose()
        good = await _get(host, port)
        with trio.fail_after(5):
            assert (await _read_response(good, 2)).startswith(b"HTTP/1.1 200")
        await good.aclose()
        nursery.cancel_scope.cancel()
