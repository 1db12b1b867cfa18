"""A small JSON Schema (draft-07) validator: exactly the keywords `config/schema.py` generates.

No JSON Schema library is a dependency of trio-gateway (neither `jsonschema` nor
`fastjsonschema` is installed), and the editor schema uses a handful of keywords only: `$ref`
(local `#/definitions/...`), `allOf`, `type`, `const`, `enum`, `minimum`, `maximum`,
`pattern`, `required`, `properties`, `patternProperties`, `additionalProperties`, `items` (one
schema, or a list for a fixed-length array), `minItems` and `maxItems`. Their meaning is
draft-07's (json-schema-validation §6): `integer` is any number with a zero fractional part
(`3.0` is an integer), booleans are not numbers, `pattern` is searched, not anchored.
`title`, `description` and `default` are annotations. A schema using any other keyword is a bug
in the generator: `validate` raises `ValueError` for it, so a test catches it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from trio_gateway.config.converter import describe_json
from trio_gateway.config.diagnostics import Path

__all__ = ["Problem", "validate"]

_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "default", "definitions"})
_KNOWN = _ANNOTATIONS | {
    "$ref",
    "allOf",
    "type",
    "const",
    "enum",
    "minimum",
    "maximum",
    "pattern",
    "required",
    "properties",
    "patternProperties",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
}


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


def _is_type(value: Any, name: str) -> bool:
    if name == "object":
        return isinstance(value, Mapping)
    if name == "array":
        return isinstance(value, list | tuple)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if name == "number":
        return True
    if name == "integer":
        return isinstance(value, int) or value.is_integer()
    raise ValueError(f"unknown JSON Schema type {name!r}")


def _resolve(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported, got {ref!r}")
    node: Any = root
    for token in ref[2:].split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node  # type: ignore[no-any-return]


def validate(
    instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any] | None = None
) -> Iterator[Problem]:
    """Every problem of `instance` against `schema`, in document order."""
    yield from _validate(instance, schema, root if root is not None else schema, ())


def _validate(
    instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any], path: Path
) -> Iterator[Problem]:
    unknown = set(schema) - _KNOWN
    if unknown:
        raise ValueError(f"unsupported JSON Schema keywords {sorted(unknown)}")
    if "$ref" in schema:
        yield from _validate(instance, _resolve(schema["$ref"], root), root, path)
    for sub in schema.get("allOf", ()):
        yield from _validate(instance, sub, root, path)
    expected = schema.get("type")
    if expected is not None:
        names = expected if isinstance(expected, list) else [expected]
        if not any(_is_type(instance, name) for name in names):
            wanted = " or ".join(_ARTICLE[name] for name in names)
            yield Problem(path, f"expected {wanted}, got {describe_json(instance)}", kind="type")
            return  # the other keywords would only repeat it
    if "const" in schema and not _equal(instance, schema["const"]):
        yield Problem(
            path, f"expected {_json(schema['const'])}, got {describe_json(instance)}", kind="const"
        )
    if "enum" in schema and not any(_equal(instance, option) for option in schema["enum"]):
        options = ", ".join(_json(option) for option in schema["enum"])
        yield Problem(
            path, f"expected one of {options}, got {describe_json(instance)}", kind="enum"
        )
    if _is_type(instance, "number"):
        if "minimum" in schema and instance < schema["minimum"]:
            yield Problem(path, f"{describe_json(instance)} is below {schema['minimum']}")
        if "maximum" in schema and instance > schema["maximum"]:
            yield Problem(path, f"{describe_json(instance)} is above {schema['maximum']}")
    if (
        "pattern" in schema
        and isinstance(instance, str)
        and re.search(schema["pattern"], instance) is None
    ):
        yield Problem(
            path, f"{describe_json(instance)} does not match {schema['pattern']}", kind="pattern"
        )
    if isinstance(instance, Mapping):
        yield from _validate_object(instance, schema, root, path)
    if isinstance(instance, list | tuple):
        yield from _validate_array(instance, schema, root, path)


def _equal(a: Any, b: Any) -> bool:
    # JSON equality: true is not 1
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def _validate_object(
    instance: Mapping[str, Any], schema: Mapping[str, Any], root: Mapping[str, Any], path: Path
) -> Iterator[Problem]:
    for key in schema.get("required", ()):
        if key not in instance:
            yield Problem(path, f"missing required key `{key}`", kind="required")
    properties: Mapping[str, Any] = schema.get("properties", {})
    patterns: Mapping[str, Any] = schema.get("patternProperties", {})
    additional = schema.get("additionalProperties", True)
    for key, value in instance.items():
        matched = False
        if key in properties:
            matched = True
            yield from _validate(value, properties[key], root, (*path, key))
        for pattern, sub in patterns.items():
            if re.search(pattern, key):
                matched = True
                yield from _validate(value, sub, root, (*path, key))
        if matched:
            continue
        if additional is False:
            yield Problem(
                (*path, key), f"unknown key `{key}`", known_keys=tuple(properties), kind="unknown"
            )
        elif isinstance(additional, Mapping):
            yield from _validate(value, additional, root, (*path, key))


def _validate_array(
    instance: list[Any] | tuple[Any, ...],
    schema: Mapping[str, Any],
    root: Mapping[str, Any],
    path: Path,
) -> Iterator[Problem]:
    if "minItems" in schema and len(instance) < schema["minItems"]:
        yield Problem(path, f"expected at least {schema['minItems']} items", kind="length")
    if "maxItems" in schema and len(instance) > schema["maxItems"]:
        yield Problem(path, f"expected at most {schema['maxItems']} items", kind="length")
    items = schema.get("items")
    if items is None:
        return
    for index, value in enumerate(instance):
        sub = items if isinstance(items, Mapping) else (items[index] if index < len(items) else {})
        yield from _validate(value, sub, root, (*path, index))
