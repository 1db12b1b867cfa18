"""The hypercorn response-writing tuning keeps hypercorn's behaviour (see its docstring)."""

from __future__ import annotations

from typing import Any

import h11
import trio
from hypercorn.config import Config
from hypercorn.events import RawData
from hypercorn.trio import serve

from trio_gateway import hypercorn_tuning
from trio_gateway.hypercorn_tuning import FastSingleTask, _send_h11_event


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


async def test_single_task_restart_and_stop() -> None:
    runs: list[str] = []

    class Group:
        _nursery: trio.Nursery

    async with trio.open_nursery() as nursery:
        group = Group()
        group._nursery = nursery
        task = FastSingleTask()

        def action(name: str) -> Any:
            async def run() -> None:
                try:
                    await trio.sleep_forever()
                finally:
                    runs.append(name)

            return run

        await task.restart(group, action("first"))
        await trio.sleep(0.01)
        await task.restart(group, action("second"))  # cancels the first
        await trio.sleep(0.01)
        assert runs == ["first"]
        await task.restart(group, action("third"))
        await task.stop()  # cancelled before it even started
        await trio.sleep(0.01)
        assert runs == ["first", "second", "third"]


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
            await stream.send_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            data = b""
            while not data.endswith(b"ok"):
                data += await stream.receive_some()
            assert data.startswith(b"HTTP/1.1 200")
        with trio.fail_after(3):
            assert await stream.receive_some() == b""  # closed by the server when idle
        await stream.aclose()
        nursery.cancel_scope.cancel()
