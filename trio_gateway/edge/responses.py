"""Writing whole responses to ASGI, and the fixed answers KrakenD gives for routing misses.

Every response here is sent as exactly two ASGI messages (start + one body) with an explicit
Content-Length, so hypercorn never falls back to chunked encoding and sends no extra frames.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from trio_gateway.encoding.html import html_escape
from trio_gateway.encoding.render import JSON_CONTENT_TYPE, dumps_go
from trio_gateway.types import Headers

__all__ = [
    "ASGIReceive",
    "ASGISend",
    "BodyTooLarge",
    "read_body",
    "send_redirect",
    "send_response",
    "send_routing_error",
]

ASGISend = Callable[[dict[str, Any]], Awaitable[None]]
ASGIReceive = Callable[[], Awaitable[dict[str, Any]]]

TEXT_PLAIN = b"text/plain"
TEXT_PLAIN_UTF8 = b"text/plain; charset=utf-8"
HTML_UTF8 = b"text/html; charset=utf-8"


async def send_response(send: ASGISend, status: int, headers: Headers, body: bytes = b"") -> None:
    headers.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_routing_error(
    send: ASGISend,
    status: int,
    version_header: bytes,
    error_body: Mapping[str, Any] | None,
    extra: Headers | None = None,
) -> None:
    """404 / 405 as gin writes them, plus the X-Krakend headers CE adds (reference §7.3)."""
    headers: Headers = [(b"x-krakend", version_header), (b"x-krakend-completed", b"false")]
    if extra:
        headers.extend(extra)
    custom = error_body.get(str(status)) if error_body else None
    if custom is not None:
        headers.append((b"content-type", JSON_CONTENT_TYPE))
        body = dumps_go(custom)
    else:
        headers.append((b"content-type", TEXT_PLAIN))
        body = b"404 page not found" if status == 404 else b"405 method not allowed"
    await send_response(send, status, headers, body)


async def send_redirect(send: ASGISend, method: str, location: str, query: bytes) -> None:
    """Go's http.Redirect as gin uses it: 301 with a small HTML body for GET, 307 otherwise."""
    if query:
        location = location + "?" + query.decode("latin-1")
    encoded = location.encode("utf-8")
    headers: Headers = [(b"location", encoded)]
    if method == "GET":
        headers.append((b"content-type", HTML_UTF8))
        body = b'<a href="' + html_escape(encoded) + b'">Moved Permanently</a>.\n\n'
        await send_response(send, 301, headers, body)
    else:
        await send_response(send, 307, headers)


class BodyTooLarge(Exception):
    """The request body is larger than the gateway accepts (answered 413)."""


async def read_body(receive: ASGIReceive, limit: int = 0) -> tuple[bytes, bool]:
    """Read the whole request body. Returns (body, disconnected).

    Raises:
        BodyTooLarge: more than `limit` bytes (0 = no limit) arrived; reading stops there, so a
            huge upload costs at most `limit` bytes of memory.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if limit and size > limit:
                raise BodyTooLarge(f"request body over {limit} bytes")
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if len(chunks) == 1:
        return chunks[0], False
    return b"".join(chunks), False
