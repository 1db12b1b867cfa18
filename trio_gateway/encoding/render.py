"""Endpoint output encodings: response data -> (Content-Type, body) (reference §6).

JSON is written as Go's `encoding/json` writes it for KrakenD: keys sorted, compact, `<` `>` `&`
and U+2028/U+2029 escaped. Those characters can only occur inside JSON strings, so escaping them in
the encoded bytes is exact and costs one scan only when one of them is present.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

__all__ = [
    "JSON_CONTENT_TYPE",
    "GoStruct",
    "Renderer",
    "dumps_go",
    "render_json",
    "render_json_collection",
    "render_string",
]

JSON_CONTENT_TYPE = b"application/json; charset=utf-8"
TEXT_CONTENT_TYPE = b"text/plain; charset=utf-8"

# data is the response data (None for a JSON null) or the _NO_RESPONSE sentinel handled by callers.
Renderer = Callable[[dict[str, Any] | None], tuple[bytes, bytes]]

_GO_ESCAPES = (
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    (b"&", b"\\u0026"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)


class GoStruct(dict[str, Any]):
    """A dict written in insertion order, not sorted: what Go writes for a struct (lura's
    `return_error_details` object is one: `http_status_code`, `http_body`, `http_body_encoding`)."""


def _struct_fields(value: Any) -> Any:
    if isinstance(value, GoStruct):
        return orjson.Fragment(dumps_go(dict(value), sort_keys=False))
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps_go(value: Any, *, sort_keys: bool = True) -> bytes:
    """Encode like Go's json.Marshal (sorted map keys, HTML-safe escapes)."""
    options = orjson.OPT_PASSTHROUGH_SUBCLASS | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    try:
        out = orjson.dumps(value, option=options, default=_struct_fields)
    except orjson.JSONEncodeError:
        # orjson refuses integers beyond 64 bits (data from hooks or static config can hold
        # them); the stdlib writes them exactly, only slower.
        out = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    for raw, escaped in _GO_ESCAPES:
        if raw in out:
            out = out.replace(raw, escaped)
    return out


def render_json(data: dict[str, Any] | None) -> tuple[bytes, bytes]:
    return JSON_CONTENT_TYPE, dumps_go(data)


def render_json_collection(data: dict[str, Any] | None) -> tuple[bytes, bytes]:
    collection = data.get("collection") if data else None
    return JSON_CONTENT_TYPE, b"[]" if collection is None else dumps_go(collection)


def render_string(data: dict[str, Any] | None) -> tuple[bytes, bytes]:
    content = data.get("content") if data else None
    return TEXT_CONTENT_TYPE, content.encode("utf-8") if isinstance(content, str) else b""
