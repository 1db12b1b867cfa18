"""A `websocket` scope is served as the plain GET KrakenD sees (edge/websocket.py), in-process."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from trio_gateway.config import load_config_data
from trio_gateway.edge.app import GatewayApp
from trio_gateway.edge.websocket import PlainGet
from trio_gateway.plan import compile_plan
from trio_gateway.stack import EndpointStack
from trio_gateway.types import CANCEL_ON_DISCONNECT, Request, Response

UPGRADE = [
    (b"host", b"gw"),
    (b"upgrade", b"websocket"),
    (b"connection", b"Upgrade"),
    (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    (b"sec-websocket-version", b"13"),
]


def _scope(path: str = "/e", extensions: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "websocket",
        "http_version": "1.1",
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": UPGRADE,
        "client": ("127.0.0.1", 1),
        "subprotocols": [],
        "extensions": {"websocket.http.response": {}} if extensions is None else extensions,
    }


def _app(monkeypatch: pytest.MonkeyPatch, seen: list[Request]) -> GatewayApp:
    async def proxy(request: Request) -> Response:
        seen.append(request)
        return Response(data={"ok": True}, is_complete=True)

    config = load_config_data(
        {
            "version": 3,
            "host": ["http://127.0.0.1:10"],
            "endpoints": [{"endpoint": "/e", "backend": [{"url_pattern": "/"}]}],
        }
    ).config
    monkeypatch.setattr(
        "trio_gateway.edge.app.build_endpoint",
        lambda plan, context: EndpointStack(guards=(), responder=None, proxy=proxy),
    )
    app = GatewayApp(compile_plan(config))
    app.startup()
    return app


async def _serve(app: GatewayApp, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    inbox = [{"type": "websocket.connect"}]

    async def receive() -> dict[str, Any]:
        if inbox:
            return inbox.pop(0)
        await trio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with trio.fail_after(5):
        await app(scope, receive, send)
    return sent


async def test_the_handshake_is_answered_as_the_get(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Request] = []
    sent = await _serve(_app(monkeypatch, seen), _scope())
    assert [m["type"] for m in sent] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
    ]
    assert sent[0]["status"] == 200
    assert (b"x-krakend-completed", b"true") in sent[0]["headers"]
    assert sent[1]["body"] == b'{"ok":true}'
    assert [r.method for r in seen] == ["GET"]


async def test_a_miss_is_the_gets_miss(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Request] = []
    sent = await _serve(_app(monkeypatch, seen), _scope("/nowhere"))
    assert sent[0]["status"] == 404 and sent[1]["body"] == b"404 page not found"
    assert seen == []


async def test_a_server_without_the_extension_gets_a_close(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Request] = []
    sent = await _serve(_app(monkeypatch, seen), _scope(extensions={}))
    assert [m["type"] for m in sent] == ["websocket.close"]  # ASGI servers answer 403
    assert seen == []


async def test_the_tuned_servers_cancel_extension_is_not_passed_on() -> None:
    # hypercorn's tuned app task is cancelled on `http.disconnect` only; a websocket client's
    # leaving is `websocket.disconnect`, so the handler must keep its own watcher.
    async def nothing() -> dict[str, Any]:
        raise AssertionError

    async def drop(message: dict[str, Any]) -> None:
        pass

    scope = _scope(extensions={"websocket.http.response": {}, CANCEL_ON_DISCONNECT: {}})
    plain = PlainGet(scope, nothing, drop)
    assert plain.scope["extensions"] == {}
    assert (plain.scope["type"], plain.scope["method"], plain.scope["scheme"]) == (
        "http",
        "GET",
        "http",
    )
