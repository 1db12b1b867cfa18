"""Hooks for `examples/hook_claim_header.py`: API keys turned into claim headers."""

from __future__ import annotations

from trio_gateway.modifier.python import Reject, del_header, get_header, set_header
from trio_gateway.types import Request, Response

# In real life: a lookup in a local cache refreshed in the background (keep sync hooks quick).
API_KEYS = {"k-ada": ("1", "pro"), "k-bob": ("2", "free")}


def api_key_to_claims(request: Request) -> None:
    """Answer 401 for an unknown `X-Api-Key`; else swap it for `X-User-Id` / `X-Plan`."""
    claims = API_KEYS.get(get_header(request.headers, "x-api-key") or "")
    if claims is None:
        raise Reject(401, b'{"error": "unknown api key"}', [("Content-Type", "application/json")])
    del_header(request.headers, "x-api-key")  # the backend never sees the key
    set_header(request.headers, "X-User-Id", claims[0])
    set_header(request.headers, "X-Plan", claims[1])


async def tag_response(response: Response) -> None:
    """An async hook: add a field to every answer."""
    if response.data is not None:
        response.data["via"] = "trio-gateway hooks example"
