"""Raw HTTP/1.1 over a loopback socket, for tests of what a server does with exact bytes."""

from __future__ import annotations

import contextlib
import re

import trio

STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


async def exchange(port: int, data: bytes, *, wait: float = 10.0) -> tuple[bytes, bool]:
    """Send `data` while reading, until the server closes or `wait` seconds pass.

    Returns (everything read, whether the server closed the connection). A server that closes
    before it has read everything (a refusal) only ends the sending."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    received = bytearray()
    closed = False

    async def send() -> None:
        with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
            await stream.send_all(data)

    async with stream, trio.open_nursery() as nursery:
        nursery.start_soon(send)
        with trio.move_on_after(wait):
            while True:
                try:
                    chunk = await stream.receive_some(65536)
                except trio.BrokenResourceError:  # reset: what was read is all there is
                    chunk = b""
                if not chunk:
                    closed = True
                    break
                received += chunk
        nursery.cancel_scope.cancel()
    return bytes(received), closed


def statuses(raw: bytes) -> list[int]:
    """The status codes of the responses in `raw`, in order (bodies here never look like heads)."""
    return [int(code) for code in STATUS_LINE.findall(raw)]
