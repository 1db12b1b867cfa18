"""Lua on a `no-op` endpoint: krakend-lua's proxy.go wraps any proxy, the no-op one too, where
lura's response has no data, the backend's status and headers as metadata and the body as `Io`
(a stream). `response:body()` reads that stream whole (proxy/response.go `io.ReadAll`, then
`Io` is a buffer of what was read); `response:body(v)` replaces it.

`expose` gives the post script the stream's status and headers; `settle` puts what the script
left back into what the edge relays: the same stream when the body was not touched, else a
buffer of the body (without the backend's Content-Length, which no longer holds).
"""

from __future__ import annotations

import trio

from trio_gateway.types import BodyStream, Headers, Response

__all__ = ["BufferedStream", "expose", "read_stream", "settle"]


class BufferedStream:
    """A `BodyStream` over bytes already in memory."""

    __slots__ = ("_body", "_sent", "headers", "status")

    def __init__(self, status: int, headers: Headers, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self._body = body
        self._sent = False

    def __aiter__(self) -> BufferedStream:
        # an iterator object, not an async generator: the edge stops at `at_end()`
        return self

    async def __anext__(self) -> bytes:
        await trio.lowlevel.checkpoint()
        if self._sent:
            raise StopAsyncIteration
        self._sent = True
        return self._body

    def at_end(self) -> bool:
        return self._sent

    def close(self) -> None:
        return None


def expose(response: Response) -> None:
    stream = response.stream
    if stream is None:
        return
    response.status = stream.status
    response.headers = list(stream.headers)
    response.data = {}
    response.body = None


async def read_stream(stream: BodyStream) -> bytes:
    chunks = [chunk async for chunk in stream]
    await trio.lowlevel.checkpoint()
    return b"".join(chunks)


def settle(response: Response) -> None:
    stream = response.stream
    if stream is None:
        return
    headers = response.headers if response.headers is not None else []
    if response.body is None:
        stream.status = response.status
        stream.headers = headers
        return
    stream.close()
    kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    response.stream = BufferedStream(response.status, kept, response.body)
