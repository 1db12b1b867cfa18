"""The demo dashboard, through the whole gateway pipeline, with no HTTP server in front.

Starts the demo backends on a free loopback port, loads the shipped demo config (pointed at
them), and asks `open_gateway(...).handle` for `GET /api/dashboard/1`.

    .venv/bin/python examples/dashboard.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import trio
from _backends import start_backend

import trio_gateway.demo
from trio_gateway import open_gateway
from trio_gateway.demo.backends import demo_backend_app

DEMO_CONFIG = Path(trio_gateway.demo.__file__).with_name("demo.json")


def demo_config(backend_url: str) -> dict[str, Any]:
    """The demo config, with every backend host pointed at `backend_url`."""
    config: dict[str, Any] = json.loads(DEMO_CONFIG.read_text())
    for endpoint in config["endpoints"]:
        for backend in endpoint["backend"]:
            backend["host"] = [backend_url]
    return config


async def main() -> None:
    async with trio.open_nursery() as nursery:
        backend_url = await start_backend(nursery, demo_backend_app)
        async with open_gateway(demo_config(backend_url)) as gw:
            response = await gw.handle("GET", "/api/dashboard/1")
        print(response.status, "complete" if response.complete else "partial")
        print(json.dumps(response.data, indent=2, sort_keys=True))
        assert response.status == 200 and response.complete
        assert response.data["user"]["name"] == "Ada Lovelace"
        assert "password_hash" not in response.data["user"]
        nursery.cancel_scope.cancel()


if __name__ == "__main__":
    trio.run(main)
