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
    /param_forwarding      301 to /param_forwarding/ (Go's ServeMux adds the slash this way)
    /xml                   the fixed XML document of KrakenD's mock (specs xml_1, negotitate_*)
    /lura/bN/...           backends b1..b12 of lura's integration suite (test/integration_test.go),
                           each answering as if mounted at "/" (the "/lura/bN" prefix is stripped)
Every request is counted in `STATS` by path, so tests can assert what reached the backend.
"""

from __future__ import annotations

import collections
import ipaddress
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


# KrakenD's mock `/xml` (krakend-ce tests/integration.go, xmlEndpoint), byte for byte.
XML_DOCUMENT = b"""<?xml version="1.0" encoding="UTF-8"?>
<user type="admin">
  <name>Elliot</name>
  <social>
    <facebook>https://facebook.com</facebook>
    <twitter>https://twitter.com</twitter>
    <youtube>https://youtube.com</youtube>
  </social>
</user>"""

LURA_POSTS = [
    {"body": "some content", "date": "123456789"},
    {"body": "some other content", "date": "123496789"},
]
LURA_USER = {"email": "some@email.com", "name": "a"}


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


async def _sleep_unless_disconnected(delay: float, receive: Any, path: str) -> bool:
    """Sleep; True (and `path` recorded in CANCELLED) if the client left first.

    Plain hypercorn delivers `http.disconnect` to an app whose client left; with the gateway's
    hypercorn tuning (imported in this process) the app's task is cancelled instead. Both count.
    """
    gone = False
    slept = False
    try:
        async with trio.open_nursery() as nursery:

            async def watch() -> None:
                nonlocal gone
                while (await receive())["type"] != "http.disconnect":
                    pass
                gone = True
                nursery.cancel_scope.cancel()

            nursery.start_soon(watch)
            await trio.sleep(delay)
            slept = True
            nursery.cancel_scope.cancel()
    finally:
        # A cancellation leaves the nursery wrapped in an exception group: a flag is simpler.
        if gone or not slept:
            CANCELLED.append(path)
    return gone


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
        if await _sleep_unless_disconnected(delay, receive, path):
            return
        await _send(send, 200, orjson.dumps(echo()), b"application/json")
    elif path.startswith("/cacheable/"):
        # hypercorn adds Date; with max-age the gateway's http-cache may keep this for 60 s
        await _send(
            send,
            200,
            orjson.dumps(echo()),
            b"application/json",
            [(b"cache-control", b"public, max-age=60")],
        )
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
    elif path == "/param_forwarding":
        await _go_redirect(send, scope, "/param_forwarding/", 301)
    elif path == "/xml":
        await _send(send, 200, XML_DOCUMENT, b"application/xml; charset=utf-8")
    elif path.startswith("/lura/b"):
        await _lura_backend(scope, receive, send, body, headers, query)
    else:
        await _send(send, 404, b"404 page not found\n", b"text/plain; charset=utf-8")


async def _go_redirect(send: Any, scope: dict[str, Any], location: str, code: int) -> None:
    """A redirect as Go's `http.Redirect` writes it (the query string is kept)."""
    if scope["query_string"]:
        location += "?" + scope["query_string"].decode("latin-1")
    body = b""
    if scope["method"] in ("GET", "HEAD"):
        body = b'<a href="%s">Moved Permanently</a>.\n\n' % location.encode()
    await _send(send, code, body, b"text/html; charset=utf-8", [(b"location", location.encode())])


async def _sleep_unless_gone(receive: Any, seconds: float) -> bool:
    """Sleep, but stop early if the client disconnects: True when it left."""
    gone = False
    async with trio.open_nursery() as nursery:

        async def watch() -> None:
            nonlocal gone
            while (await receive())["type"] != "http.disconnect":
                pass
            gone = True
            nursery.cancel_scope.cancel()

        nursery.start_soon(watch)
        await trio.sleep(seconds)
        nursery.cancel_scope.cancel()
    return gone


def _is_loopback(value: str) -> bool:
    try:
        return ipaddress.ip_address(value.strip()).is_loopback
    except ValueError:
        return False


async def _lura_backend(
    scope: dict[str, Any],
    receive: Any,
    send: Any,
    body: bytes,
    headers: dict[str, list[str]],
    query: dict[str, list[str]],
) -> None:
    """lura's test backends b1..b12, with the same bodies as its Go handlers."""
    _, _, name, *rest = scope["path"].split("/")
    path = "/" + "/".join(rest)
    url = path + ("?" + scope["query_string"].decode("latin-1") if scope["query_string"] else "")
    json_ct = b"application/json"

    def first(header: str) -> str:
        return headers.get(header, [""])[0]

    if name == "b1":  # validates the forwarded POST
        for header, wanted in (
            ("Content-Type", "application/json"),
            ("Authorization", "bearer AuthorizationToken"),
            ("X-Y-Z", "x-y-z"),
        ):
            if first(header) != wanted:
                await _send(send, 400, b"bad %s\n" % header.encode(), b"text/plain")
                return
        if body != b'{"foo":"bar"}':
            await _send(send, 400, b"bad body\n", b"text/plain")
            return
        await _send(send, 200, orjson.dumps({"path": path}), json_ct)
    elif name == "b2":  # collection
        await _send(send, 200, orjson.dumps(LURA_POSTS), json_ct)
    elif name == "b3":  # a regular object
        await _send(send, 200, orjson.dumps(LURA_USER), json_ct)
    elif name == "b4":  # http.Error(rw, "sad panda", 429)
        await _send(
            send,
            429,
            b"sad panda\n",
            b"text/plain; charset=utf-8",
            [(b"x-content-type-options", b"nosniff")],
        )
    elif name == "b5":  # b3, one second late
        if await _sleep_unless_gone(receive, 1.0):
            CANCELLED.append(scope["path"])
            return
        await _send(send, 200, orjson.dumps(LURA_USER), json_ct)
    elif name == "b6":  # query/header echo; requires a loopback X-Forwarded-For, then drops it
        if not _is_loopback(first("X-Forwarded-For")):
            await _send(send, 400, b"invalid X-Forwarded-For\n", b"text/plain; charset=utf-8")
            return
        shown = {k: v for k, v in headers.items() if k != "X-Forwarded-For"}
        await _send(
            send, 200, orjson.dumps({"headers": shown, "path": path, "query": query}), json_ct
        )
    elif name == "b7":  # path validator
        await _send(send, 200, orjson.dumps({"path": path, "random": 42}), json_ct)
    elif name in ("b8", "b9"):  # 301 / 302 to b7's root
        await _go_redirect(
            send, {**scope, "query_string": b""}, "/lura/b7/", 301 if name == "b8" else 302
        )
    elif name == "b11":  # header echo, X-Forwarded-For kept
        await _send(send, 200, orjson.dumps({"headers": headers}), json_ct)
    elif name == "b12":  # request echo
        doc = {
            "body": body.decode("utf-8", "replace"),
            "headers": headers,
            "method": scope["method"],
            "url": url,
        }
        await _send(send, 200, orjson.dumps(doc), json_ct)
    else:
        await _send(send, 404, b"404 page not found\n", b"text/plain; charset=utf-8")
