"""The editor schema's problems with a configuration, found by `jsonschema` (draft-07) and said in
the words `check` uses (`expected a string, got 3`, `unknown key `x``), one per place, in file
order.

draft-07 because KrakenD's own schema is draft-07 (`krakend/krakend-schema`) and editors read it.
jsonschema reports an object's unknown keys in one error; here each key is its own problem, with
the keys the schema knows there (for a did-you-mean). A type mismatch hides the other keywords'
complaints about the same value (they would only repeat it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import jsonschema

from trio_gateway.config.converter import describe_json
from trio_gateway.config.diagnostics import Path

__all__ = ["Problem", "validate"]


@attrs.frozen
class Problem:
    """One place where the instance does not match: its path, what is wrong, a fix if known."""

    path: Path
    message: str
    # for an unknown key: the keys the schema knows there (for a did-you-mean)
    known_keys: tuple[str, ...] = ()
    kind: str = ""


_ARTICLE = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "boolean": "a boolean",
    "null": "null",
    "number": "a number",
    "integer": "an integer",
}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def validate(instance: Any, schema: Mapping[str, Any]) -> Iterator[Problem]:
    """Every problem of `instance` against `schema`, in document order."""
    validator = jsonschema.Draft7Validator(schema)
    problems: list[Problem] = []
    for error in validator.iter_errors(instance):
        problems.extend(_problems(error))
    typed = {p.path for p in problems if p.kind == "type"}
    order = _document_order(instance)
    kept = [p for p in problems if p.kind == "type" or p.path not in typed]
    kept.sort(key=lambda p: order.get(p.path, len(order)))
    yield from kept


def _problems(error: jsonschema.ValidationError) -> Iterator[Problem]:
    path: Path = tuple(error.absolute_path)
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    value = error.instance
    keyword = error.validator
    if keyword == "type":
        expected = error.validator_value
        names = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_ARTICLE.get(str(name), str(name)) for name in names)
        yield Problem(path, f"expected {wanted}, got {describe_json(value)}", kind="type")
    elif keyword == "const":
        got = describe_json(value)
        yield Problem(path, f"expected {_json(error.validator_value)}, got {got}", kind="const")
    elif keyword == "enum":
        options = ", ".join(_json(option) for option in error.validator_value)
        yield Problem(path, f"expected one of {options}, got {describe_json(value)}", kind="enum")
    elif keyword == "minimum":
        yield Problem(path, f"{describe_json(value)} is below {error.validator_value}")
    elif keyword == "maximum":
        yield Problem(path, f"{describe_json(value)} is above {error.validator_value}")
    elif keyword == "pattern":
        message = f"{describe_json(value)} does not match {error.validator_value}"
        yield Problem(path, message, kind="pattern")
    elif keyword == "required":
        for key in error.validator_value:
            if isinstance(value, Mapping) and key not in value:
                yield Problem(path, f"missing required key `{key}`", kind="required")
    elif keyword == "minItems":
        yield Problem(path, f"expected at least {error.validator_value} items", kind="length")
    elif keyword == "maxItems":
        yield Problem(path, f"expected at most {error.validator_value} items", kind="length")
    elif keyword == "additionalProperties" and isinstance(value, Mapping):
        properties: Mapping[str, Any] = schema.get("properties", {})
        patterns = list(schema.get("patternProperties", {}))
        for key in value:
            if key in properties or any(re.search(p, key) for p in patterns):
                continue
            yield Problem(
                (*path, key), f"unknown key `{key}`", known_keys=tuple(properties), kind="unknown"
            )
    else:
        yield Problem(path, error.message, kind=str(keyword))


def _document_order(instance: Any) -> dict[Path, int]:
    """Every path of `instance` numbered in the order a reader meets it (iteratively: deep
    documents were refused by the loader, but lint may see any JSON)."""
    order: dict[Path, int] = {}
    stack: list[tuple[Path, Any]] = [((), instance)]
    while stack:
        path, value = stack.pop()
        order.setdefault(path, len(order))
        if isinstance(value, Mapping):
            children = [((*path, k), v) for k, v in value.items()]
        elif isinstance(value, list | tuple):
            children = [((*path, i), v) for i, v in enumerate(value)]
        else:
            continue
        stack.extend(reversed(children))
    return order
