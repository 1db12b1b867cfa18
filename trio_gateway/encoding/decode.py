"""Backend body decoders, chosen by the backend's `encoding` (reference §3.2).

A decoder turns the raw body of a 200/201 answer into the response data: a fresh dict the
manipulation steps may change in place, or None for a JSON `null` (KrakenD's nil map, which makes
the response incomplete). A gzip body is gunzipped first (encoding/gunzip.py). Decoders are pure
functions of their arguments: a big body is decoded in a worker thread (proxy/decode.py).
"""

from __future__ import annotations

import json
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
]

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
