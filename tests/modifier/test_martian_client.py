"""The martian client wrapper: what Go's transport would send after the request modifiers, and
what the response modifiers leave for lura's status check and decoding."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

import pytest

from trio_gateway.modifier.martian import parse
from trio_gateway.modifier.martian.client import MartianClient
from trio_gateway.modifier.martian.message import MartianError
from trio_gateway.qos.http_cache import BufferedStream
from trio_gateway.transport import BackendResponse, Origin

ORIGIN = Origin.parse("http://127.0.0.1:8080")


class Recorder:
    """A backend client that records what it is asked to send and answers `answer`."""

    def __init__(self, answer: BackendResponse | None = None) -> None:
        self.sent: list[tuple[Origin, bytes, bytes, list[tuple[bytes, bytes]], bytes]] = []
        self.answer = answer or BackendResponse(
            200, b"OK", [(b"content-type", b"application/json")], b"{}", "http://x/"
        )
        self.closed = 0

    async def request(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Any,
        body: bytes = b"",
        **_: Any,
    ) -> BackendResponse:
        self.sent.append((origin, method, target, list(headers), body))
        return self.answer

    def stream(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Any,
        body: bytes = b"",
        **_: Any,
    ) -> Any:
        self.sent.append((origin, method, target, list(headers), body))
        recorder = self

        @asynccontextmanager
        async def opened() -> Any:
            stream = BufferedStream(recorder.answer)
            try:
                yield stream
            finally:
                recorder.closed += 1

        return opened()


def wrap(block: dict[str, Any], inner: Recorder) -> MartianClient:
    result, issues = parse(block)
    assert result is not None and not issues.errors
    return MartianClient(inner, result.request, result.response)


async def send(block: dict[str, Any], target: bytes = b"/a?x=1", **kw: Any) -> Recorder:
    inner = Recorder(kw.pop("answer", None))
    client = wrap(block, inner)
    await client.request(ORIGIN, b"GET", target, kw.pop("headers", []), kw.pop("body", b""))
    return inner


async def test_headers_and_query_reach_the_backend() -> None:
    block = {
        "fifo.Group": {
            "modifiers": [
                {"header.Modifier": {"name": "x-foo", "value": "bar"}},
                {"querystring.Modifier": {"name": "b", "value": "2"}},
            ]
        }
    }
    inner = await send(block, headers=[(b"User-Agent", b"KrakenD")])
    origin, _, target, headers, _ = inner.sent[0]
    assert origin == ORIGIN and target == b"/a?b=2&x=1"
    assert headers == [(b"User-Agent", b"KrakenD"), (b"X-Foo", b"bar")]


async def test_untouched_target_is_sent_as_it_came() -> None:
    inner = await send({"header.Modifier": {"name": "X", "value": "1"}}, b"/a%2Fb?z=%7E&a")
    assert inner.sent[0][2] == b"/a%2Fb?z=%7E&a"


async def test_url_modifier_moves_the_connection_not_the_host_header() -> None:
    block = {"url.Modifier": {"host": "127.0.0.2:9090", "path": "/new path"}}
    inner = await send(block)
    origin, _, target, _, _ = inner.sent[0]
    assert (origin.host, origin.port) == ("127.0.0.2", 9090)
    assert origin.host_header == b"127.0.0.1:8080"  # Request.Host, as Go sends it
    assert target == b"/new%20path?x=1"


async def test_host_header_modifier_changes_only_the_host_header() -> None:
    inner = await send({"header.Modifier": {"name": "Host", "value": "api.example.com"}})
    origin, _, _, headers, _ = inner.sent[0]
    assert origin == ORIGIN and origin.host_header == b"api.example.com"
    assert all(name.lower() != b"host" for name, _ in headers)


async def test_port_modifier_moves_the_connection() -> None:
    inner = await send({"port.Modifier": {"port": 9999}})
    origin, _, _, headers, _ = inner.sent[0]
    assert origin.port == 9999 and origin.host_header == b"127.0.0.1:8080"
    assert headers == []  # martian's Host map entry is never sent


async def test_body_modifier_replaces_the_request_body() -> None:
    block = {
        "body.Modifier": {"body": "aGVsbG8=", "contentType": "text/plain", "scope": ["request"]}
    }
    inner = await send(block, body=b"old")
    assert inner.sent[0][4] == b"hello"
    assert inner.sent[0][3] == [(b"Content-Type", b"text/plain")]


async def test_a_content_length_that_is_not_the_bodys_fails_as_go_does() -> None:
    block = {"header.Modifier": {"name": "Content-Length", "value": "5"}}
    with pytest.raises(MartianError, match="ContentLength=5 with Body length 3"):
        await send(block, body=b"abc")


async def test_a_request_modifier_error_calls_no_backend() -> None:
    inner = Recorder()
    client = wrap({"header.Append": {"name": "Host", "value": "x"}}, inner)
    with pytest.raises(MartianError, match="illegal header multiple: Host"):
        await client.request(ORIGIN, b"GET", b"/", [])
    assert inner.sent == []


async def test_response_modifiers_run_before_the_status_check() -> None:
    answer = BackendResponse(404, b"Not Found", [(b"x-b", b"1")], b"nope", "http://x/")
    block = {
        "fifo.Group": {
            "modifiers": [
                {"status.Modifier": {"statusCode": 200}},
                {"header.Blacklist": {"names": ["X-B"], "scope": ["response"]}},
                {"body.Modifier": {"body": "e30=", "contentType": "application/json"}},
            ]
        }
    }
    inner = Recorder(answer)
    got = await wrap(block, inner).request(ORIGIN, b"GET", b"/", [])
    assert (got.status, got.reason, got.body) == (200, b"OK", b"{}")
    assert got.headers == [(b"content-type", b"application/json"), (b"content-length", b"2")]


async def test_streams_get_the_response_modifiers() -> None:
    inner = Recorder(BackendResponse(200, b"OK", [(b"content-length", b"2")], b"{}", "http://x/"))
    client = wrap({"header.Modifier": {"name": "X-R", "value": "1", "scope": ["response"]}}, inner)
    context = client.stream(ORIGIN, b"GET", b"/", [])
    stream = await context.__aenter__()
    assert (b"x-r", b"1") in stream.headers
    assert [chunk async for chunk in stream] == [b"{}"]
    await context.__aexit__(None, None, None)
    assert inner.closed == 1


async def test_a_stream_body_replaced_closes_the_backends() -> None:
    inner = Recorder()
    client = wrap({"body.Modifier": {"body": "aGk=", "scope": ["response"]}}, inner)
    stream = await client.stream(ORIGIN, b"GET", b"/", []).__aenter__()
    assert inner.closed == 1  # the backend's body is not read
    assert [chunk async for chunk in stream] == [b"hi"]
    assert (b"content-length", b"2") in stream.headers
