"""`Gateway.serve`: the gateway's HTTP server in your own nursery, next to your own tasks.

Starts a backend, serves a one-endpoint gateway on a free port, makes one real HTTP request to it
with httpx, then cancels everything.

    .venv/bin/python examples/embed_serve.py
"""

from __future__ import annotations

from typing import Any

import httpx
import trio
from _backends import start_backend

from trio_gateway import BackendConfig, EndpointConfig, ServiceConfig, open_gateway
from trio_gateway.demo.backends import demo_backend_app


def gateway_config(backend_url: str) -> ServiceConfig:
    """Built in Python from the config classes; `open_gateway` checks it as `check` would."""
    return ServiceConfig(
        version=3,
        endpoints=(
            EndpointConfig(
                endpoint="/api/users/{user_id}",
                backend=(
                    BackendConfig(
                        host=(backend_url,),
                        url_pattern="/users/{user_id}",
                        deny=("password_hash", "internal"),
                    ),
                ),
            ),
        ),
    )


async def main() -> None:
    async with trio.open_nursery() as nursery:
        backend_url = await start_backend(nursery, demo_backend_app)
        async with open_gateway(gateway_config(backend_url)) as gw:
            urls: list[str] = await nursery.start(
                lambda task_status: gw.serve(port=0, task_status=task_status)
            )
            print("gateway listening on", ", ".join(urls))
            async with httpx.AsyncClient() as http:
                response = await http.get(f"{urls[0]}/api/users/2")
            user: dict[str, Any] = response.json()
            print(response.status_code, response.headers["x-krakend-completed"], user)
            assert response.status_code == 200
            assert user == {
                "id": 2,
                "name": "Alan Turing",
                "email": "alan@example.com",
                "plan": "free",
            }
            nursery.cancel_scope.cancel()


if __name__ == "__main__":
    trio.run(main)
