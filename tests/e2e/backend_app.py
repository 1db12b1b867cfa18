"""A loopback backend for end-to-end tests, modelled on KrakenD's integration mock backend.

Routes:
    /param_forwarding/...  echo: {"foo": 42, "headers": {...}, "path": ..., "query": {...}}
                           (+ "body" with ?dump_body=1; + "method")
    /collection/...        [{"i": 0, "path": ...}, ... 10 items]
    /delayed/...?ms=N      echo after N ms (default 200)
    /status/{code}         that status with a small text body
    /redirect/?status=N    redirect to /param_forwarding/?status=N with code N
    /json/{name}           a fixed document from DOCUMENTS
    /raw?ct=..&body=..     exactly that body
Every request is counted in `STATS` by path, so tests can assert what reached the backend.
"""

from __future__ import annotations

import collections
from typing import Any
from urllib.parse import parse_qs

import orjson
import trio

STATS: collections.Counter[str] = collections.Counter()
CANCELLED: list[str] = []

DOCUMENTS: dict[str, Any] = {
    "user": {"id": 1, "name": "a", "email": "some@email.com", "secret": "x"},
    "posts": [{"body": "some content", "date": "123456789"}, {"body": "other", "date": "2"}],
    "null": None,
    "scalar": 42,
    "html": {"text": "<b>&</b>"},
}


def _canonical(name: bytes) -> str:
    return "-".join(p[:1].upper() + p[1:].lower() for p in name.decode("latin-1").split("-"))


async def _send(
    send: Any,
    status: int,
    body: bytes,
    content_type: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]
    headers += extra or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def backend_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path: str = scope["path"]
    STATS[path] += 1
    query = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    headers: dict[str, list[str]] = {}
    for name, value in scope["headers"]:
        if name in (b"host", b"content-length", b"connection"):
            continue
        headers.setdefault(_canonical(name), []).append(value.decode("latin-1"))

    def echo() -> dict[str, Any]:
        doc: dict[str, Any] = {"foo": 42, "headers": headers, "path": path, "query": query}
        doc["method"] = scope["method"]
        if "dump_body" in query:
            doc["body"] = body.decode("utf-8", "replace")
        return doc

    if path.startswith("/param_forwarding/"):
        await _send(
            send,
            200,
            orjson.dumps(echo()),
            b"application/json",
            [(b"set-cookie", b"test1=test1"), (b"set-cookie", b"test2=test2")],
        )
    elif path.startswith("/collection/"):
        items = [{"i": i, "path": path} for i in range(10)]
        await _send(send, 200, orjson.dumps(items), b"application/json")
    elif path.startswith("/delayed/"):
        delay = int(query.get("ms", ["200"])[0]) / 1000
        # hypercorn does not cancel an app whose client left; it delivers http.disconnect.
        gone = False
        async with trio.open_nursery() as nursery:

            async def watch() -> None:
                nonlocal gone
                while (await receive())["type"] != "http.disconnect":
                    pass
                gone = True
                nursery.cancel_scope.cancel()

            nursery.start_soon(watch)
            await trio.sleep(delay)
            nursery.cancel_scope.cancel()
        if gone:
            CANCELLED.append(path)
            return
        await _send(send, 200, orjson.dumps(echo()), b"application/json")
    elif path.startswith("/status/"):
        code = int(path.split("/")[2])
        await _send(send, code, b"status %d\n" % code, b"text/plain; charset=utf-8")
    elif path == "/redirect/":
        code = int(query["status"][0])
        await _send(
            send, code, b"", b"text/plain", [(b"location", b"/param_forwarding/?status=%d" % code)]
        )
    elif path.startswith("/json/"):
        await _send(send, 200, orjson.dumps(DOCUMENTS[path.split("/")[2]]), b"application/json")
    elif path == "/raw":
        await _send(
            send,
            200,
            query.get("body", [""])[0].encode(),
            query.get("ct", ["text/plain"])[0].encode(),
        )
    else:
        await _send(send, 404, b"404 page not found\n", b"text/plain; charset=utf-8")
