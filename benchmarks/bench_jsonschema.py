"""Micro-benchmark: CPU per request body validated by `validation/json-schema`, by engine.

A realistic order schema (nested object, array of items, enum, pattern, bounds, required) and a
~1 KB body, valid and invalid. Engines: `fastjsonschema` (code generated at startup; drafts 4, 6
and 7 only) and `jsonschema` (a validator object made once; every draft), each measured as
decide-only (`is valid?`) and, for an invalid body, with every error listed (what KrakenD
writes). The body is parsed once per call as the gateway does (`json.loads`).

Usage (from the repository root):
    .venv/bin/python benchmarks/bench_jsonschema.py [-n 3000]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import fastjsonschema
import jsonschema

ITEM = {
    "type": "object",
    "required": ["sku", "quantity", "price"],
    "properties": {
        "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 1000},
        "price": {"type": "number", "exclusiveMinimum": 0},
        "gift": {"type": "boolean"},
    },
    "additionalProperties": False,
}

SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["customer", "items", "currency"],
    "properties": {
        "customer": {
            "type": "object",
            "required": ["id", "name", "address"],
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string", "minLength": 1, "maxLength": 100},
                "address": {
                    "type": "object",
                    "required": ["street", "city", "country"],
                    "properties": {
                        "street": {"type": "string"},
                        "city": {"type": "string"},
                        "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
                        "country": {"type": "string", "enum": ["ES", "FR", "DE", "IT", "PT"]},
                    },
                },
            },
        },
        "items": {"type": "array", "minItems": 1, "maxItems": 50, "items": ITEM},
        "currency": {"type": "string", "enum": ["EUR", "USD"]},
        "notes": {"type": "string", "maxLength": 500},
    },
}

BODY: dict[str, Any] = {
    "customer": {
        "id": 1234,
        "name": "Alice Example",
        "address": {"street": "Main St 1", "city": "Madrid", "zip": "28001", "country": "ES"},
    },
    "items": [
        {"sku": f"ABC-{1000 + i}", "quantity": i + 1, "price": 9.99 + i, "gift": i % 2 == 0}
        for i in range(12)
    ],
    "currency": "EUR",
    "notes": "leave at the door",
}
INVALID: dict[str, Any] = {
    **BODY,
    "currency": "GBP",
    "items": [*BODY["items"][:-1], {"sku": "bad", "quantity": 0}],
}


def timed(label: str, n: int, call: Callable[[], object]) -> float:
    call()
    started = time.process_time()
    for _ in range(n):
        call()
    per_call = (time.process_time() - started) / n * 1e6
    print(f"{label:58} {per_call:8.1f} µs")
    return per_call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3000)
    n = parser.parse_args().n
    valid_raw, invalid_raw = json.dumps(BODY).encode(), json.dumps(INVALID).encode()
    print(f"body: {len(valid_raw)} bytes; n = {n}")
    timed("json.loads only", n, lambda: json.loads(valid_raw))

    fast = fastjsonschema.compile(SCHEMA)

    def fast_valid(raw: bytes) -> bool:
        try:
            fast(json.loads(raw))
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    assert fast_valid(valid_raw) and not fast_valid(invalid_raw)
    timed("fastjsonschema draft-07, valid body", n, lambda: fast_valid(valid_raw))
    timed("fastjsonschema draft-07, invalid body (first error)", n, lambda: fast_valid(invalid_raw))

    for name, cls in (
        ("draft-07", jsonschema.Draft7Validator),
        ("2020-12", jsonschema.Draft202012Validator),
    ):
        schema = dict(SCHEMA, **{"$schema": cls.META_SCHEMA["$schema"]})
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        assert validator.is_valid(json.loads(valid_raw))
        timed(
            f"jsonschema {name} is_valid, valid body",
            n,
            lambda v=validator: v.is_valid(json.loads(valid_raw)),  # type: ignore[misc]
        )
        timed(
            f"jsonschema {name} every error, invalid body",
            n,
            lambda v=validator: list(v.iter_errors(json.loads(invalid_raw))),  # type: ignore[misc]
        )


if __name__ == "__main__":
    main()
