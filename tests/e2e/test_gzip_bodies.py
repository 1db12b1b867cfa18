"""Backend bodies that are big or gzipped, through the real gateway (proxy/decode.py).

The backend here is this module's own: a gzip bomb (100 MiB of JSON in about 100 KiB), a big
plain body and small ones, on loopback hypercorn like conftest's.
"""

from __future__ import annotations

import functools
import gzip
import threading
import tracemalloc
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

import trio_gateway.encoding
from tests.e2e.conftest import StartGateway
from trio_gateway.encoding.decode import decode_json

MiB = 1024 * 1024
BOMB_EXPANDS_TO = 100 * MiB


@functools.cache
def _bomb() -> bytes:
    """`{"data": "000…"}`, 100 MiB of valid JSON, gzipped without ever holding it whole."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    head, tail = b'{"data": "', b'"}'
    zeros = b"0" * MiB
    parts = [packer.compress(head)]
    parts += [packer.compress(zeros) for _ in range(BOMB_EXPANDS_TO // MiB - 1)]
    parts += [packer.compress(zeros[: MiB - len(head) - len(tail)] + tail), packer.flush()]
    return b"".join(parts)


def _big_json(size: int) -> bytes:
    return orjson.dumps({"big": "x" * (size - 10)})


ROUTES: dict[str, tuple[bytes, list[tuple[bytes, bytes]]]] = {}


def _routes() -> dict[str, tuple[bytes, list[tuple[bytes, bytes]]]]:
    if not ROUTES:
        json_type = (b"content-type", b"application/json")
        gzipped = [json_type, (b"content-encoding", b"gzip")]
        ROUTES.update(
            {
                "/bomb": (_bomb(), gzipped),
                "/gzipped": (gzip.compress(orjson.dumps({"n": list(range(400_000))})), gzipped),
                "/small-gzipped": (gzip.compress(b'{"small": "gzipped"}'), gzipped),
                "/small": (b'{"small": true}', [json_type]),
                "/big": (_big_json(2 * MiB), [json_type]),
            }
        )
    return ROUTES


async def _backend(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    body, headers = _routes()[scope["path"]]
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def gzip_backend(nursery: trio.Nursery) -> str:
    _routes()  # built before any test measures memory
    config = HypercornConfig()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    binds = await nursery.start(
        lambda task_status: hypercorn_serve(_backend, config, mode="asgi", task_status=task_status)  # type: ignore[arg-type]
    )
    return str(binds[0])


def _config(backend: str, *endpoints: dict[str, Any], **service: Any) -> dict[str, Any]:
    return {"version": 3, "host": [backend], "endpoints": list(endpoints), **service}


def _one(path: str, **backend: Any) -> dict[str, Any]:
    return {"endpoint": path, "backend": [{"url_pattern": path, **backend}]}


async def _traced_peak(request: Callable[[], Any]) -> tuple[Any, int]:
    """The result of `await request()` and the most memory Python held meanwhile."""
    tracemalloc.start()
    try:
        result = await request()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


async def test_a_gzip_bomb_is_not_served(
    gzip_backend: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    assert len(_bomb()) < 200 * 1024
    gw = await start_gateway(_config(gzip_backend, _one("/bomb")))
    response, peak = await _traced_peak(lambda: client.get(f"{gw}/bomb"))
    # A backend error, as a body received past the bound is (the default bound: 64 MiB).
    assert (response.status_code, response.content) == (500, b"")
    # The bound and one step of inflating, not the 100 MiB the body expands to (nor the
    # decoded document and its rendering, as when it was served).
    assert peak < 80 * MiB


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/big", "response body exceeds 1048576 bytes"),
        ("/bomb", "response body exceeds 1048576 bytes once gunzipped"),
    ],
)
async def test_a_body_expanding_past_the_bound_fails_as_one_received_past_it(
    path: str,
    reason: str,
    gzip_backend: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from trio_gateway.edge import app as asgi

    monkeypatch.setattr(asgi, "MAX_BACKEND_BODY", MiB)
    monkeypatch.setattr("trio_gateway.encoding.gunzip.MAX_GUNZIPPED_BYTES", MiB)
    gw = await start_gateway(
        _config(
            gzip_backend,
            _one(path),
            {
                "endpoint": "/partial",
                "backend": [{"url_pattern": path, "group": "x"}, {"url_pattern": "/small"}],
            },
            extra_config={"router": {"return_error_msg": True}},
        )
    )
    response, peak = await _traced_peak(lambda: client.get(f"{gw}{path}"))
    assert response.status_code == 500
    assert response.text == f'Get "{gzip_backend}{path}": {reason}'
    assert peak < 24 * MiB  # refused after 1 MiB of the 100 MiB
    # With another backend: its part is served, marked incomplete, as for any failing backend.
    partial = await client.get(f"{gw}/partial")
    assert partial.status_code == 200
    assert (partial.json(), partial.headers["x-krakend-completed"]) == ({"small": True}, "false")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/small-gzipped", {"small": "gzipped"}),
        ("/gzipped", {"n": list(range(400_000))}),  # 3 MiB once gunzipped: in a thread
    ],
)
async def test_gzipped_bodies_under_the_bound_are_served(
    path: str,
    expected: dict[str, Any],
    gzip_backend: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    gw = await start_gateway(_config(gzip_backend, _one(path)))
    response = await client.get(f"{gw}{path}")
    assert response.status_code == 200
    assert "content-encoding" not in response.headers  # the gateway renders its own body
    assert response.json() == expected


async def test_a_no_op_endpoint_relays_the_bomb_as_sent(
    gzip_backend: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    # Nothing is inflated: the compressed bytes and their Content-Encoding reach the client.
    gw = await start_gateway(
        _config(gzip_backend, {**_one("/bomb", encoding="no-op"), "output_encoding": "no-op"})
    )

    async def relay() -> tuple[httpx.Response, bytes]:
        async with client.stream("GET", f"{gw}/bomb") as response:
            return response, b"".join([chunk async for chunk in response.aiter_raw()])

    (response, raw), peak = await _traced_peak(relay)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert raw == _bomb()
    assert peak < 24 * MiB


async def test_other_requests_are_served_while_a_big_body_decodes(
    gzip_backend: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The decoder of the big body waits (up to 10 s) for the small request to be answered. On
    # the event loop it would stop the loop itself: the small request could not be answered
    # before the wait ran out.
    small_served, decoding = threading.Event(), threading.Event()
    big_decoded_on: list[str] = []
    served_meanwhile: list[bool] = []
    loop_thread = threading.current_thread().name

    def decode(body: bytes, is_collection: bool) -> dict[str, Any] | None:
        if len(body) > MiB:
            big_decoded_on.append(threading.current_thread().name)
            decoding.set()
            served_meanwhile.append(small_served.wait(10))
        return decode_json(body, is_collection)

    monkeypatch.setattr(trio_gateway.encoding, "DECODERS", {"json": decode})
    gw = await start_gateway(_config(gzip_backend, _one("/big"), _one("/small")))
    answered: list[str] = []

    async def get(path: str) -> None:
        response = await client.get(f"{gw}{path}")
        assert response.status_code == 200
        answered.append(path)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(get, "/big")
        await trio.to_thread.run_sync(decoding.wait, 10)
        await get("/small")
        small_served.set()
    assert served_meanwhile == [True]
    assert answered == ["/small", "/big"]
    assert len(big_decoded_on) == 1
    assert big_decoded_on != [loop_thread]
