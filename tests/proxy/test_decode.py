"""A 200/201 body to data: gunzip, decode, format, in a thread when big (proxy/decode.py)."""

from __future__ import annotations

import gzip
import threading
from typing import Any

import orjson
import pytest
import trio

from trio_gateway.encoding import get_decoder
from trio_gateway.encoding.gunzip import GunzipTooLarge
from trio_gateway.errors import BackendDecodeError, BackendUnavailable
from trio_gateway.proxy import decode as decode_module
from trio_gateway.proxy.backend import BackendCall
from trio_gateway.proxy.decode import decode_answer
from trio_gateway.proxy.request import UrlTemplate
from trio_gateway.transport import BackendResponse

KiB = 1024
MiB = 1024 * KiB


class Where:
    """A formatter that notes the thread it ran in (the decoder runs in the same one)."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def __call__(self, data: dict[str, Any] | None) -> dict[str, Any] | None:
        self.threads.append(threading.get_ident())
        return data

    @property
    def in_a_thread(self) -> bool:
        assert len(self.threads) == 1
        return self.threads[0] != threading.get_ident()


def _call(encoding: str, formatter: Any = None, **kwargs: Any) -> BackendCall:
    return BackendCall(
        name="GET /x",
        method="GET",
        url=UrlTemplate("/x"),
        origins=(),
        decoder=get_decoder(encoding),
        formatter=formatter,
        **kwargs,
    )


def _answer(body: bytes, *headers: tuple[bytes, bytes]) -> BackendResponse:
    return BackendResponse(200, b"OK", list(headers), body, "http://backend:8080/x")


GZIP = (b"content-encoding", b"gzip")


def _json(size: int) -> bytes:
    """A JSON object of `size` bytes."""
    body = orjson.dumps({"a": "x" * (size - 8)})
    assert len(body) == size
    return body


def _xml(size: int) -> bytes:
    return b"<r>" + b"<i>x</i>" * (size // 8) + b"</r>"


@pytest.mark.parametrize(
    ("encoding", "body", "gzipped", "in_a_thread"),
    [
        ("json", _json(1 * KiB), False, False),
        ("json", _json(255 * KiB), False, False),
        ("json", _json(256 * KiB), False, True),  # OFFLOAD_BYTES
        ("safejson", _json(300 * KiB), False, True),
        ("unknown", _json(300 * KiB), False, True),  # decodes as JSON
        ("json", _json(200 * KiB), True, False),  # inflated and decoded inline
        # 300 KiB of JSON in ~1 KiB of gzip: the size it expands to counts
        ("json", _json(300 * KiB), True, True),
        # past GUNZIP_INLINE_BYTES: the rest of the inflating goes to the thread too
        ("json", _json(3 * MiB), True, True),
        ("xml", _xml(7 * KiB), False, False),
        ("xml", _xml(9 * KiB), False, True),  # Python-level parsing: from 8 KiB
        ("rss", b"<rss><channel>" + b"<item/>" * 3000 + b"</channel></rss>", False, True),
        ("string", b"x" * 4 * MiB, False, False),  # a copy: never worth a thread
        ("string", gzip.compress(b"x" * 900 * KiB), True, False),
        ("string", gzip.compress(b"x" * 2 * MiB), True, True),  # the inflating is
    ],
)
async def test_big_bodies_are_decoded_in_a_thread(
    encoding: str, body: bytes, gzipped: bool, in_a_thread: bool
) -> None:
    where = Where()
    call = _call(encoding, where)
    if gzipped and encoding != "string":
        body = gzip.compress(body)
    answer = _answer(body, GZIP) if gzipped else _answer(body)
    data, decoded = await decode_answer(call, answer)
    assert where.in_a_thread is in_a_thread
    expected_body = gzip.decompress(body) if gzipped else body
    assert decoded == expected_body
    assert data == call.decoder(expected_body, False)


async def test_the_formatter_runs_after_the_decoder() -> None:
    def keep_size(data: dict[str, Any] | None) -> dict[str, Any] | None:
        assert data is not None
        return {"size": len(data["a"])}

    for size in (10, 400 * KiB):
        data, _ = await decode_answer(_call("json", keep_size), _answer(_json(size)))
        assert data == {"size": len(orjson.loads(_json(size))["a"])}


async def test_decode_errors_come_from_the_thread_too() -> None:
    with pytest.raises(BackendDecodeError, match="invalid JSON"):
        await decode_answer(_call("json"), _answer(b"{" * (300 * KiB)))
    with pytest.raises(BackendDecodeError, match="gzip: unexpected EOF"):
        await decode_answer(_call("json"), _answer(gzip.compress(_json(3 * MiB))[:-20], GZIP))
    with pytest.raises(BackendDecodeError, match="incorrect header check"):
        await decode_answer(_call("json"), _answer(b"plain, not gzip", GZIP))


@pytest.mark.parametrize("expanded", [2 * MiB + 1, 100 * MiB])
async def test_a_body_expanding_past_the_limit_fails_like_a_too_big_one(
    expanded: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("trio_gateway.encoding.gunzip.MAX_GUNZIPPED_BYTES", 2 * MiB)
    bomb = gzip.compress(bytes(expanded), compresslevel=1)
    with pytest.raises(BackendUnavailable) as info:
        await decode_answer(_call("string"), _answer(bomb, GZIP))
    # The transport's wording for a body received past max_response_bytes, plus how it got there.
    assert str(info.value) == (
        f'Get "http://backend:8080/x": response body exceeds {2 * MiB} bytes once gunzipped'
    )
    assert isinstance(info.value.__cause__, GunzipTooLarge)


async def test_exactly_the_limit_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("trio_gateway.encoding.gunzip.MAX_GUNZIPPED_BYTES", 2 * MiB)
    _, body = await decode_answer(_call("string"), _answer(gzip.compress(bytes(2 * MiB)), GZIP))
    assert len(body) == 2 * MiB


async def test_other_codings_are_left_as_they_are() -> None:
    # lura gunzips only: a br or deflate body reaches the decoder as received
    data, body = await decode_answer(
        _call("string"), _answer(b"\x8b\x02", (b"content-encoding", b"br"))
    )
    assert (data, body) == ({"content": "\ufffd\x02"}, b"\x8b\x02")


async def test_a_cancelled_request_does_not_wait_for_its_thread() -> None:
    started, release = threading.Event(), threading.Event()

    def slow(data: dict[str, Any] | None) -> dict[str, Any] | None:
        started.set()
        release.wait(10)
        return data

    try:
        with trio.CancelScope() as scope:
            async with trio.open_nursery() as nursery:

                async def decode() -> None:
                    await decode_answer(_call("json", slow), _answer(_json(300 * KiB)))

                nursery.start_soon(decode)
                await trio.to_thread.run_sync(started.wait, 10)
                scope.cancel()
        assert scope.cancelled_caught
        assert not release.is_set()  # left while the thread still worked
    finally:
        release.set()


async def test_threads_are_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    running, most = 0, 0
    lock, release = threading.Lock(), threading.Event()

    def count(data: dict[str, Any] | None) -> dict[str, Any] | None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(10)
        with lock:
            running -= 1
        return data

    call = _call("json", count)
    async with trio.open_nursery() as nursery:
        for _ in range(5):
            nursery.start_soon(decode_answer, call, _answer(_json(300 * KiB)))
        limiter = decode_module._limiter()
        with trio.fail_after(10):
            while limiter.borrowed_tokens < decode_module.DECODE_THREADS:  # noqa: ASYNC110
                await trio.sleep(0.01)
        assert limiter.statistics().tasks_waiting == 5 - decode_module.DECODE_THREADS
        release.set()
    assert most == decode_module.DECODE_THREADS
