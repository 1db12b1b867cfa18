"""`aggregate`: two backend calls chained without a config file.

The second call's URL takes the `id` the first one returned (`{resp0_id}`), as an endpoint with
`"proxy": {"sequential": true}` would do.

    .venv/bin/python examples/sequential_chain.py
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import trio
from _backends import start_backend

from trio_gateway import BackendConfig, aggregate

USERS = {"ada": {"id": 7, "name": "Ada"}}
ORDERS = {"7": [{"order": "A-1001", "total": 42.5}]}


async def backend(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """`/users/{name}` and `/orders/{user_id}` (a JSON array)."""
    parts = scope["path"].strip("/").split("/")
    document: Any = {"error": "not found"}
    status = 404
    if parts[0] == "users" and parts[-1] in USERS:
        document, status = USERS[parts[-1]], 200
    elif parts[0] == "orders" and parts[-1] in ORDERS:
        document, status = ORDERS[parts[-1]], 200
    body = orjson.dumps(document)
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def main() -> None:
    async with trio.open_nursery() as nursery:
        url = await start_backend(nursery, backend)
        result = await aggregate(
            [
                BackendConfig(host=(url,), url_pattern="/users/{name}", allow=("id", "name")),
                {
                    "host": [url],
                    "url_pattern": "/orders/{resp0_id}",
                    "is_collection": True,
                    "mapping": {"collection": "orders"},
                },
            ],
            sequential=True,
            params={"name": "ada"},
            timeout=2.0,
        )
        print("complete" if result.complete else f"partial: {result.errors}")
        print(json.dumps(result.data, indent=2, sort_keys=True))
        assert result.complete
        assert result.data == {"id": 7, "name": "Ada", "orders": ORDERS["7"]}
        nursery.cancel_scope.cancel()


if __name__ == "__main__":
    trio.run(main)
