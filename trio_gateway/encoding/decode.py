"""Backend body decoders, chosen by the backend's `encoding` (reference §3.2).

A decoder turns the raw body of a 200/201 answer into the response data: a fresh dict the
manipulation steps may change in place, or None for a JSON `null` (KrakenD's nil map, which makes
the response incomplete).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

import orjson

from trio_gateway.errors import BackendDecodeError

__all__ = [
    "Decoder",
    "decode_json",
    "decode_noop",
    "decode_safejson",
    "decode_string",
    "gunzip_if_needed",
]

MAX_GUNZIPPED_BYTES = 256 * 1024 * 1024

Decoder = Callable[[bytes, bool], "dict[str, Any] | None"]


def _first_json_value(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # Go's json.Decoder reads only the first value and ignores what follows; orjson rejects
        # trailing data, so retry the (rare) trailing-bytes case with the stdlib's raw_decode.
        try:
            text = body.decode("utf-8")
            value, _ = json.JSONDecoder().raw_decode(text.lstrip())
        except (UnicodeDecodeError, ValueError):
            raise BackendDecodeError(f"invalid JSON: {exc}") from None
        return value


def decode_json(body: bytes, is_collection: bool) -> dict[str, Any] | None:
    if not body.strip():
        raise BackendDecodeError("EOF")
    value = _first_json_value(body)
    if is_collection:
        if not isinstance(value, list):
            raise BackendDecodeError(
                f"json: cannot unmarshal {_go_kind(value)} into Go value of type []interface {{}}"
            )
        return {"collection": value}
    if value is None:
        return None
    if not isinstance(value, dict):
        kind = _go_kind(value)
        raise BackendDecodeError(
            f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
        )
    return value


def decode_safejson(body: bytes, is_collection: bool) -> dict[str, Any] | None:
    if not body.strip():
        raise BackendDecodeError("EOF")
    value = _first_json_value(body)
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return {"collection": value}
    return {"content": value}


def decode_string(body: bytes, is_collection: bool) -> dict[str, Any] | None:
    return {"content": body.decode("utf-8", "replace")}


def decode_noop(body: bytes, is_collection: bool) -> dict[str, Any] | None:
    return {}


def _go_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "null"
    return "number"


def gunzip_if_needed(body: bytes, content_encoding: bytes | None) -> bytes:
    """lura gunzips `Content-Encoding: gzip` bodies before decoding; other codings are left."""
    if content_encoding is None or content_encoding.strip().lower() != b"gzip":
        return body
    # Bounded: a few KiB of gzip can expand to gigabytes (a "zip bomb" from a broken backend).
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, MAX_GUNZIPPED_BYTES)
    except zlib.error as exc:
        raise BackendDecodeError(f"gzip: {exc}") from None
    if inflater.unconsumed_tail:
        raise BackendDecodeError(f"gzip: body expands beyond {MAX_GUNZIPPED_BYTES} bytes")
    if not inflater.eof:
        raise BackendDecodeError("gzip: unexpected EOF")
    return out
