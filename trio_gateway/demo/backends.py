"""Three small demo services (users, orders, notifications) for `trio-gateway demo`.

A plain ASGI app, so the demo needs nothing beyond the gateway's own dependencies; each service
listens on its own loopback port (the ports `demo.json` names).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import orjson
import trio

from trio_gateway.types import answer_lifespan

__all__ = ["DEMO_PORTS", "demo_backend_app"]

DEMO_PORTS = {"users": 9101, "orders": 9102, "notifications": 9103}

_USERS: dict[str, dict[str, Any]] = {
    "1": {
        "id": 1,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "plan": "pro",
        "password_hash": "$2b$12$not-for-your-eyes",
        "internal": {"risk_score": 0.02},
    },
    "2": {
        "id": 2,
        "name": "Alan Turing",
        "email": "alan@example.com",
        "plan": "free",
        "password_hash": "$2b$12$not-for-your-eyes-either",
        "internal": {"risk_score": 0.01},
    },
}

_ORDERS: dict[str, list[dict[str, Any]]] = {
    "1": [
        {"id": "A-1001", "total": 42.5, "status": "shipped"},
        {"id": "A-1002", "total": 12.0, "status": "processing"},
    ],
    "2": [{"id": "B-2001", "total": 99.9, "status": "delivered"}],
}

_NOTIFICATIONS: dict[str, dict[str, Any]] = {
    "1": {"unread": 2, "latest": "Your order A-1001 has shipped", "tracking": "internal-7731"},
    "2": {"unread": 0, "latest": None, "tracking": "internal-7732"},
}


async def _send_json(send: Any, status: int, document: Any) -> None:
    body = orjson.dumps(document)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def demo_backend_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Route by path: /users/{id}, /users/{id}/orders, POST /orders, /notifications?user=."""
    if scope["type"] == "lifespan":
        await answer_lifespan(receive, send)
        return
    parts = scope["path"].strip("/").split("/")
    query = parse_qs(scope["query_string"].decode("latin-1"))
    user = query.get("user", [""])[0]
    if scope["method"] == "POST" and parts == ["orders"]:
        order = orjson.loads(await _read_body(receive) or b"{}")
        await _send_json(send, 201, {"id": "N-0001", "status": "created", "order": order})
    elif len(parts) == 2 and parts[0] == "users" and parts[1] in _USERS:
        await _send_json(send, 200, _USERS[parts[1]])
    elif len(parts) == 3 and parts[0] == "users" and parts[2] == "orders":
        await _send_json(send, 200, _ORDERS.get(parts[1], []))
    elif parts == ["notifications"] and user in _NOTIFICATIONS:
        await _send_json(send, 200, _NOTIFICATIONS[user])
    elif parts == ["notifications", "stream"]:
        # A deliberately slow service, to show partial responses.
        await trio.sleep(float(query.get("delay", ["5"])[0]))
        await _send_json(send, 200, _NOTIFICATIONS.get(user, {}))
    else:
        await _send_json(send, 404, {"error": "not found"})
