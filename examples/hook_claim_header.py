"""Python hooks: an endpoint whose request hook turns an API key into claim headers.

`hooks/claims.py` holds the hooks; the config names them by import path under
`extra_config."modifier/python"`. See docs/hooks.md.

    .venv/bin/python examples/hook_claim_header.py
"""

from __future__ import annotations

import json
from typing import Any

import trio
from _backends import start_backend

from trio_gateway import open_gateway


async def echo_headers(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A backend that answers with the request headers it received."""
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    body = json.dumps({"headers": headers}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def config(backend_url: str) -> dict[str, Any]:
    return {
        "version": 3,
        "endpoints": [
            {
                "endpoint": "/me",
                "input_headers": ["X-Api-Key"],  # what the request hook reads
                "extra_config": {
                    "modifier/python": {
                        "request": "hooks.claims:api_key_to_claims",
                        "response": "hooks.claims:tag_response",
                    }
                },
                "backend": [{"host": [backend_url], "url_pattern": "/whoami"}],
            }
        ],
    }


async def main() -> None:
    async with trio.open_nursery() as nursery:
        backend_url = await start_backend(nursery, echo_headers)
        async with open_gateway(config(backend_url)) as gw:
            ok = await gw.handle("GET", "/me", headers={"X-Api-Key": "k-ada"})
            denied = await gw.handle("GET", "/me", headers={"X-Api-Key": "nope"})
        print(ok.status, json.dumps(ok.data, indent=2, sort_keys=True))
        print(denied.status, denied.body.decode())
        seen = ok.data["headers"]
        assert ok.status == 200 and seen["x-user-id"] == "1" and seen["x-plan"] == "pro"
        assert "x-api-key" not in seen
        assert ok.data["via"] == "trio-gateway hooks example"
        assert denied.status == 401 and denied.data == {"error": "unknown api key"}
        nursery.cancel_scope.cancel()


if __name__ == "__main__":
    trio.run(main)
