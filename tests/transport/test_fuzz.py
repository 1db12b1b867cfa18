"""Whatever a backend sends, the client answers with a response or a TransportError: no other
exception, no hang (the server closes after writing, so every read ends)."""

from __future__ import annotations

from functools import partial

import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trio_gateway.transport import BackendResponse, HTTPClient, Origin, TransportError

_token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)
_header = st.one_of(
    st.tuples(_token, st.text(max_size=20)).map(lambda kv: f"{kv[0]}: {kv[1]}\r\n".encode()),
    st.sampled_from(
        [
            b"content-length: 5\r\n",
            b"content-length: 0\r\n",
            b"content-length: -1\r\n",
            b"content-length: 99999999999999999999\r\n",
            b"transfer-encoding: chunked\r\n",
            b"transfer-encoding: gzip, chunked\r\n",
            b"connection: close\r\n",
            b"\x00\r\n",
            b" folded\r\n",
        ]
    ),
)
_status_line = st.one_of(
    st.sampled_from([b"HTTP/1.1 200 OK\r\n", b"HTTP/1.0 204 No\r\n", b"HTTP/1.1 100 Go\r\n"]),
    st.binary(max_size=20).map(lambda b: b + b"\r\n"),
)
_body = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"5\r\nhello\r\n0\r\n\r\n", b"zz\r\nx\r\n", b"0\r\n\r\n", b"hello"]),
)
responses = st.one_of(
    st.binary(max_size=200),
    st.tuples(_status_line, st.lists(_header, max_size=4), _body).map(
        lambda parts: parts[0] + b"".join(parts[1]) + b"\r\n" + parts[2]
    ),
)


async def _answer_and_close(reply: bytes, stream: trio.SocketStream) -> None:
    async with stream:
        try:
            await stream.receive_some()
            await stream.send_all(reply)
        except trio.BrokenResourceError:
            pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reply=responses)
async def test_any_backend_bytes_give_a_response_or_a_transport_error(reply: bytes) -> None:
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(
            partial(trio.serve_tcp, partial(_answer_and_close, reply), 0, host="127.0.0.1")
        )
        origin = Origin("http", "127.0.0.1", listeners[0].socket.getsockname()[1])
        async with HTTPClient() as client:
            with trio.fail_after(5):
                try:
                    response = await client.request(origin, b"GET", b"/", [])
                except TransportError:
                    pass
                else:
                    assert isinstance(response, BackendResponse)
                    assert 100 <= response.status <= 999
            stats = client.statistics().origins[origin]
            assert stats.in_use == 0  # whatever happened, the connection was given back or closed
        nursery.cancel_scope.cancel()
