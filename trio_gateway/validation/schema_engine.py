"""A `validation/json-schema` schema compiled once at startup, and a body checked against it.

Drafts are KrakenD CE 2.13's (santhosh-tekuri/jsonschema v6): draft-04, -06, -07, 2019-09 and
2020-12, chosen by `$schema`; **a schema without `$schema` is 2020-12** (the library's latest).
`format` is asserted for draft-07 and older only (the library's default).

Two engines, chosen per schema at startup (benchmarks/bench_jsonschema.py: a 1 KB order body
against a 12-item schema costs ~32 µs with fastjsonschema and ~540-640 µs with python-jsonschema):

* `fastjsonschema` (code generated from the schema) decides, when it can: for a draft-04/06/07
  schema, and for a 2019-09/2020-12 one whose keywords all mean the same in draft-07
  (`_portable`: no `$ref` beside other keywords, no array `items`, no `dependentX`/`unevaluatedX`/
  `prefixItems`/`$anchor`/`$dynamicRef`), with `format` not asserted, as 2020-12 does not;
* `jsonschema` (a validator made once) decides for every other schema, and words the errors of
  an invalid body for both (every error, as KrakenD lists them: trio_gateway/validation/
  schema_errors.py): a valid body never pays for it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import fastjsonschema
import jsonschema
from jsonschema.validators import validator_for

from trio_gateway.validation.json_body import JSONBodyError, parse_json_body
from trio_gateway.validation.schema_errors import Item, krakend_text, tree

__all__ = ["EMPTY_BODY", "CompiledSchema", "Failure", "schema_problems"]

# krakend-jsonschema `ErrEmptyBody`
EMPTY_BODY = "could not validate an empty body"

_DRAFT7 = "http://json-schema.org/draft-07/schema#"
_OLD_DRAFTS = frozenset(
    {jsonschema.Draft4Validator, jsonschema.Draft6Validator, jsonschema.Draft7Validator}
)
# Keywords that mean the same in draft-07 and 2019-09/2020-12 (`format` too: not asserted).
_PORTABLE = frozenset(
    {
        "$schema", "$id", "$comment", "title", "description", "default", "examples",
        "readOnly", "writeOnly", "deprecated", "type", "enum", "const",
        "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
        "maxLength", "minLength", "pattern", "items", "maxItems", "minItems", "uniqueItems",
        "contains", "maxProperties", "minProperties", "required", "properties",
        "patternProperties", "additionalProperties", "propertyNames",
        "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$defs", "definitions",
        "$ref", "format", "x-detailed-errors",
    }
)  # fmt: skip
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_ONE = ("items", "additionalProperties", "propertyNames", "contains", "not", "if", "then")


def _portable(schema: Any) -> bool:
    """Whether draft-07 reads this 2019-09/2020-12 schema exactly as 2020-12 does."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    if not set(schema) <= _PORTABLE or ("$ref" in schema and len(schema) > 1):
        return False
    ref = schema.get("$ref")
    if ref is not None and not (isinstance(ref, str) and ref.startswith("#/")):
        return False
    if isinstance(schema.get("items"), list):  # draft-07's tuple form is 2020-12's prefixItems
        return False
    for key in _SCHEMA_MAPS:
        value = schema.get(key, {})
        if not isinstance(value, dict) or not all(_portable(s) for s in value.values()):
            return False
    for key in _SCHEMA_LISTS:
        value = schema.get(key, [])
        if not isinstance(value, list) or not all(_portable(s) for s in value):
            return False
    return all(_portable(schema[key]) for key in (*_SCHEMA_ONE, "else") if key in schema)


def _draft(schema: Any) -> type[Any] | None:
    """The validator class for the schema's `$schema` (2020-12 without one), or None."""
    if not isinstance(schema, dict) or "$schema" not in schema:
        latest: type[Any] = jsonschema.Draft202012Validator
        return latest
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found: Any = validator_for(schema, default=None)
    return found if isinstance(found, type) else None


def _refs(
    schema: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref":
                yield (*path, key), value
            elif key not in ("enum", "const", "default", "examples"):
                yield from _refs(value, (*path, key))
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _refs(value, (*path, index))


def schema_problems(schema: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """What makes KrakenD's library refuse this schema at startup (KrakenD then logs it and
    serves the endpoint without validation): (path inside the schema, message) pairs."""
    if not isinstance(schema, dict | bool):
        return [((), f"a JSON schema is an object or a boolean, not {type(schema).__name__}")]
    cls = _draft(schema)
    if cls is None:
        assert isinstance(schema, dict)
        return [(("$schema",), f"unknown $schema {schema.get('$schema')!r}: KrakenD knows"
                 " draft-04, draft-06, draft-07, 2019-09 and 2020-12")]  # fmt: skip
    problems: list[tuple[tuple[str | int, ...], str]] = []
    meta = cls(cls.META_SCHEMA)
    for error in sorted(meta.iter_errors(schema), key=lambda e: list(map(str, e.path))):
        problems.append((tuple(error.path), f"invalid schema: {error.message}"))
    if problems or isinstance(schema, bool):
        return problems
    validator = cls(schema)
    for path, ref in _refs(schema):
        try:
            validator._resolver.lookup(ref)  # resolved as the library does, from the root
        except Exception:
            problems.append((path, f"$ref {ref!r} does not resolve inside the schema"))
    for key in ("x-detailed-errors",):
        if key in schema and not isinstance(schema[key], bool):
            problems.append(((key,), f"{key} must be true or false"))
    return problems


@attrs.frozen
class Failure:
    """Why a body is refused: KrakenD's text, and the errors one by one."""

    text: str
    items: list[Item]


class CompiledSchema:
    """One endpoint's schema, ready to check bodies. Build with `compile`."""

    __slots__ = ("_decide", "_location", "_validator", "detailed")

    def __init__(
        self,
        validator: Any,
        decide: Callable[[Any], Any] | None,
        detailed: bool,
        location: str,
    ) -> None:
        self._validator = validator
        self._decide = decide
        self._location = location
        self.detailed = detailed

    @classmethod
    def compile(cls, schema: Any) -> CompiledSchema:
        """Compile a schema `schema_problems` finds nothing wrong with (ValueError otherwise)."""
        problems = schema_problems(schema)
        if problems:
            raise ValueError(problems[0][1])
        draft = _draft(schema)
        assert draft is not None
        formats = draft.FORMAT_CHECKER if draft in _OLD_DRAFTS else None
        validator = draft(schema, format_checker=formats)
        decide = None
        try:
            if draft in _OLD_DRAFTS:
                decide = fastjsonschema.compile(schema, use_default=False)
            elif _portable(schema):
                as_draft7 = (
                    dict(schema, **{"$schema": _DRAFT7}) if isinstance(schema, dict) else schema
                )
                decide = fastjsonschema.compile(as_draft7, use_formats=False, use_default=False)
        except fastjsonschema.JsonSchemaDefinitionException:
            # fastjsonschema refuses some valid schemas (`required` beside
            # `additionalProperties: false` without those properties): jsonschema decides.
            decide = None
        detailed = isinstance(schema, dict) and schema.get("x-detailed-errors") is True
        # krakend-jsonschema compiles the resource "schema": santhosh makes it a file URL in
        # the working directory (`file:///etc/krakend/schema#` in KrakenD's image).
        location = f"file://{os.getcwd().rstrip('/')}/schema#"
        return cls(validator, decide, detailed, location)

    @property
    def fast(self) -> bool:
        """Whether fastjsonschema decides for this schema."""
        return self._decide is not None

    def check(self, body: bytes) -> Failure | None:
        """None when the body is valid, else why not (KrakenD answers 400 with that text)."""
        if not body:
            return Failure(EMPTY_BODY, [Item((), (), EMPTY_BODY)])
        try:
            document = parse_json_body(body)
        except JSONBodyError as exc:
            return Failure(str(exc), [Item((), (), str(exc))])
        first_error: str | None = None
        if self._decide is not None:
            try:
                self._decide(document)
                return None
            except fastjsonschema.JsonSchemaValueException as exc:
                first_error = exc.message
            except RecursionError:
                return Failure("exceeded max depth", [Item((), (), "exceeded max depth")])
        try:
            errors = list(self._validator.iter_errors(document))
        except RecursionError:
            return Failure("exceeded max depth", [Item((), (), "exceeded max depth")])
        if not errors:
            if first_error is None:
                return None
            # The engines disagree (a format only fastjsonschema checks): its verdict stands.
            items = [Item((), (), first_error)]
        else:
            items = tree(errors)
        return Failure(krakend_text(items, self._location), items)
