"""Shared by the examples: serve a tiny ASGI app on a free loopback port."""

from __future__ import annotations

from typing import Any

import trio
from hypercorn.config import Config
from hypercorn.trio import serve


async def _answer_lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def start_backend(nursery: trio.Nursery, app: Any) -> str:
    """Serve `app` (http scopes only) on 127.0.0.1, a free port, in `nursery`; return its URL."""

    async def with_lifespan(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _answer_lifespan(receive, send)
        else:
            await app(scope, receive, send)

    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    config.errorlog = None
    urls: list[str] = await nursery.start(
        lambda task_status: serve(
            with_lifespan,  # type: ignore[arg-type]  # a plain-dict ASGI app
            config,
            mode="asgi",
            task_status=task_status,
        )
    )
    return urls[0]
