"""Validation errors worded and nested as KrakenD writes them.

KrakenD CE 2.13 (krakend-jsonschema v2.2, santhosh-tekuri/jsonschema v6) answers an invalid
body with the error's text, the library's `ValidationError.Error()`:

    jsonschema validation failed with 'file:///etc/krakend/schema#'
    - at '/customer': missing property 'name'
    - at '/items/3': validation failed
      - at '/items/3/sku': 'x' does not match pattern '^[A-Z]+$'
      - at '/items/3/quantity': minimum: got 0, want 1

One line per error, `at '<JSON pointer>': <message>` with the library's wording
(santhosh-tekuri/jsonschema `kind/kind.go`); a sub-schema that fails in more than one way is a
`validation failed` line with its errors nested under it. The schema's location is the file URL
KrakenD gives it (`schema` beside the process's working directory).

The errors come from python-jsonschema here: this module rebuilds santhosh's tree from them
(sub-schema by sub-schema, as its validator walks them). Where the order of errors differs,
KrakenD's own order is not stable either (it walks a Go map). `format` errors say what is not
valid but not the library's detailed reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs
from jsonschema.exceptions import ValidationError

__all__ = ["Item", "basic_output", "go_value", "krakend_text", "tree"]

# Applicators: the schema-path steps into a sub-schema, and whether they step into the instance.
_KEYED = {"properties": True, "patternProperties": True, "dependencies": False}
_KEYED |= {"dependentSchemas": False, "$defs": False, "definitions": False}
_INDEXED = {"items": True, "prefixItems": True, "allOf": False, "anyOf": False, "oneOf": False}
_INTO_ONE = frozenset({"additionalProperties", "additionalItems", "unevaluatedProperties"})
_INTO_ONE |= {"unevaluatedItems", "contains"}
_TYPE_ORDER = ("null", "boolean", "number", "integer", "string", "array", "object")


@attrs.define
class Item:
    """One line of the answer and the lines nested under it."""

    instance: tuple[str | int, ...]
    keyword: tuple[str | int, ...]
    message: str
    causes: list[Item] = attrs.field(factory=list)


def _quote(text: str) -> str:
    """santhosh's `quote`: Go's %q, with `\\"` unescaped and `'` escaped, in single quotes."""
    body = json.dumps(text, ensure_ascii=False)[1:-1].replace('\\"', '"').replace("'", "\\'")
    return f"'{body}'"


def go_value(value: Any) -> str:
    """A number as Go's `%v` prints a float64 (strconv's `'g'` with the shortest digits: an
    exponent below 1e-4 and from 1e6 on: `100`, `1.5`, `1e+06`, `1e-05`)."""
    number = float(value)
    if number == 0 or number != number or number in (float("inf"), float("-inf")):
        return {0.0: "0"}.get(number, "NaN" if number != number else repr(number)[:4])
    sign, digits_t, exp = Decimal(repr(number)).as_tuple()
    digits = list(digits_t)
    assert isinstance(exp, int)
    while len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exp += 1
    text = "".join(map(str, digits))
    point = len(digits) + exp - 1  # the decimal exponent of the first digit
    minus = "-" if sign else ""
    if point < -4 or point >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{minus}{mantissa}e{'-' if point < 0 else '+'}{abs(point):02d}"
    if exp >= 0:
        return minus + text + "0" * exp
    if point >= 0:
        return minus + text[: point + 1] + "." + text[point + 1 :]
    return minus + "0." + "0" * (-point - 1) + text


def _display(value: Any) -> str:
    """santhosh's `display`, for primitives."""
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, list | dict):
        return "value"
    return go_value(value)


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _additional(instance: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    properties = schema.get("properties", {})
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return [
        name
        for name in instance
        if name not in properties and not any(p.search(name) for p in patterns)
    ]


def _duplicates(items: list[Any]) -> tuple[int, int]:
    from jsonschema._utils import equal

    for j in range(len(items)):
        for i in range(j):
            if equal(items[i], items[j]):
                return i, j
    return 0, 0


def _message(error: ValidationError) -> str:
    """The wording of santhosh's kind for this error (`kind/kind.go`)."""
    keyword, want, got, schema = (
        error.validator,
        error.validator_value,
        error.instance,
        error.schema,
    )
    if keyword == "type":
        wanted = [want] if isinstance(want, str) else list(want)
        wanted.sort(key=lambda t: _TYPE_ORDER.index(t) if t in _TYPE_ORDER else 99)
        return f"got {_type_of(got)}, want {' or '.join(wanted)}"
    if keyword == "enum":
        if all(not isinstance(v, list | dict) for v in want):
            if len(want) == 1:
                return f"value must be {_display(want[0])}"
            return "value must be one of " + ", ".join(_display(v) for v in want)
        return "enum failed"
    if keyword == "const":
        if isinstance(want, list | dict):
            return "const failed"
        return f"value must be {_display(want)}"
    if keyword in ("minLength", "maxLength"):
        return f"{keyword}: got {len(got)}, want {want}"
    if keyword in ("minItems", "maxItems", "minProperties", "maxProperties"):
        return f"{keyword}: got {len(got)}, want {want}"
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        flag = {"minimum": "exclusiveMinimum", "maximum": "exclusiveMaximum"}.get(keyword)
        if flag is not None and schema.get(flag) is True:  # draft-04's boolean form
            keyword = flag
        return f"{keyword}: got {go_value(got)}, want {go_value(want)}"
    if keyword == "pattern":
        return f"{_quote(got)} does not match pattern {_quote(want)}"
    if keyword == "format":
        return f"{_display(got)} is not valid {want}"
    if keyword == "additionalProperties" and isinstance(got, dict):
        extra = _additional(got, schema)
        return "additional properties " + ", ".join(_quote(p) for p in extra) + " not allowed"
    if keyword == "additionalItems" and isinstance(got, list):
        count = len(got) - len(schema.get("items", []))
        return f"last {count} additionalItem(s) not allowed"
    if keyword == "uniqueItems":
        i, j = _duplicates(got)
        return f"items at {i} and {j} are equal"
    if keyword == "contains":
        return "no items match contains schema"
    if keyword == "not":
        return "not failed"
    if keyword == "propertyNames":
        return f"invalid propertyName {_quote(str(got))}"
    if keyword is None and error.schema is False:
        return "false schema"
    return str(error.message)


@attrs.define
class _Node:
    """One sub-schema evaluated at one instance location."""

    instance: tuple[str | int, ...]
    keyword: tuple[str | int, ...]
    entries: list[Any] = attrs.field(factory=list)  # ValidationError | (step, _Node)
    children: dict[tuple[Any, ...], _Node] = attrs.field(factory=dict)


def _insert(root: _Node, error: ValidationError, base_schema: int, base_instance: int) -> None:
    schema_path = list(error.absolute_schema_path)[base_schema:]
    instance_path = list(error.absolute_path)
    node, depth, i = root, base_instance, 0
    steps = schema_path[:-1] if schema_path else []
    while i < len(steps):
        key = steps[i]
        step: tuple[Any, ...]
        if key in _KEYED and i + 1 < len(steps):
            step, into = (key, steps[i + 1]), _KEYED[str(key)]
            i += 2
        elif key in _INDEXED and i + 1 < len(steps) and isinstance(steps[i + 1], int):
            step, into = (key, steps[i + 1]), _INDEXED[str(key)]
            i += 2
        else:
            step, into = (key,), key in _INTO_ONE or key in ("items",)
            i += 1
        if into:
            depth += 1
        child_id = (*step, tuple(instance_path[:depth]))
        child = node.children.get(child_id)
        if child is None:
            child = _Node(tuple(instance_path[:depth]), (*node.keyword, *step))
            node.children[child_id] = child
            node.entries.append((step, child))
        node = child
    node.entries.append(error)


def _unit(node: _Node, schema_root: int) -> Item | None:
    """What a sub-schema's evaluation answers: its one error, or a `validation failed` group."""
    items = _items(node, schema_root)
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    return Item(node.instance, node.keyword, "validation failed", items)


def _items(node: _Node, schema_root: int) -> list[Item]:
    items: list[Item] = []
    missing: list[str] = []  # santhosh reports every missing property of `required` at once
    done: set[str] = set()
    required_at = len(items)
    all_of: Item | None = None
    for entry in node.entries:
        if isinstance(entry, tuple):
            step, child = entry
            unit = _unit(child, schema_root)
            if unit is None:
                continue
            if step[0] == "allOf":
                if all_of is None:
                    all_of = Item(node.instance, (*node.keyword, "allOf"), "allOf failed")
                    items.append(all_of)
                all_of.causes.append(unit)
            else:
                items.append(unit)
            continue
        error: ValidationError = entry
        instance = tuple(error.absolute_path)
        keyword = (*node.keyword, error.validator)
        if error.validator == "required":
            if not missing:
                required_at = len(items)
            missing.append(_missing_name(error))
        elif error.validator in ("dependentRequired", "dependencies") and not _is_schema_form(
            error
        ):
            if error.validator not in done:  # one error per property, all its missing names
                done.add(error.validator)
                items.extend(Item(instance, keyword, m) for m in _dependency_messages(error))
        elif error.validator == "items" and error.validator_value is False:
            # 2020-12 `items: false`: santhosh checks each extra item against `false`
            start = len(error.schema.get("prefixItems", ()))
            for index in range(start, len(error.instance)):
                items.append(Item((*instance, index), keyword, "false schema"))
        elif error.validator in ("anyOf", "oneOf") and error.context:
            items.append(_choice(error, instance, keyword))
        elif error.validator == "oneOf":
            items.append(Item(instance, keyword, _one_of_matched(error)))
        else:
            items.append(Item(instance, keyword, _message(error)))
    if missing:
        text = (
            f"missing property {_quote(missing[0])}"
            if len(missing) == 1
            else "missing properties " + ", ".join(_quote(n) for n in missing)
        )
        items.insert(required_at, Item(node.instance, (*node.keyword, "required"), text))
    return items


def _is_schema_form(error: ValidationError) -> bool:
    """`dependencies` with a sub-schema (its errors are the sub-schema's, not a name list)."""
    return any(not isinstance(v, list) for v in dict(error.validator_value).values())


def _dependency_messages(error: ValidationError) -> list[str]:
    """santhosh's `Dependency` / `DependentRequired`: one line per property present."""
    present = error.instance if isinstance(error.instance, dict) else {}
    lines = []
    for name, needed in dict(error.validator_value).items():
        if name not in present or not isinstance(needed, list):
            continue
        absent = [n for n in needed if n not in present]
        if absent:
            names = ", ".join(_quote(str(n)) for n in absent)
            lines.append(f"properties {names} required, if {_quote(str(name))} exists")
    return lines


def _missing_name(error: ValidationError) -> str:
    """The property a `required` error is about (python-jsonschema words it `'x' is a required
    property`; the instance and the list tell which exactly)."""
    present = error.instance if isinstance(error.instance, dict) else {}
    for name in error.validator_value:
        if name not in present and repr(name) in error.message:
            return str(name)
    return str(error.message)


def _choice(error: ValidationError, instance: tuple[str | int, ...], keyword: Any) -> Item:
    root = _Node(instance, keyword)
    for sub in error.context or ():
        # a context error's schema path goes on from the keyword with the sub-schema's index
        _insert(root, sub, len(error.absolute_schema_path), len(instance))
    causes = [
        unit
        for unit in (
            _unit(child, 0)
            for entry in root.entries
            if isinstance(entry, tuple)
            for child in (entry[1],)
        )
        if unit is not None
    ]
    label = "anyOf failed" if error.validator == "anyOf" else "oneOf failed, none matched"
    return Item(instance, keyword, label, causes)


def _one_of_matched(error: ValidationError) -> str:
    from jsonschema.validators import validator_for

    cls = validator_for(error.schema)
    subschemas = error.validator_value
    try:
        matched = [i for i, sub in enumerate(subschemas) if cls(sub).is_valid(error.instance)]
    except Exception:  # a sub-schema with a $ref into the whole schema: no indexes then
        matched = []
    if len(matched) < 2:
        return "oneOf failed, none matched"
    return f"oneOf failed, subschemas {matched[0]}, {matched[1]} matched"


def tree(errors: Iterable[ValidationError]) -> list[Item]:
    """The top-level lines for these errors (each error of the root schema, or its sub-schemas'
    units), as santhosh's `Schema.Validate` returns them under its `jsonschema validation
    failed with ...` line."""
    root = _Node((), ())
    for error in errors:
        _insert(root, error, 0, 0)
    return _items(root, 0)


def _pointer(path: Sequence[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _lines(items: list[Item], indent: int, out: list[str]) -> None:
    for item in items:
        out.append("  " * (indent - 1) + f"- at {_quote(_pointer(item.instance))}: {item.message}")
        _lines(item.causes, indent + 1, out)


def krakend_text(items: list[Item], location: str) -> str:
    """The error text KrakenD sends (with `return_error_msg`)."""
    out = [f"jsonschema validation failed with {_quote(location)}"]
    _lines(items, 1, out)
    return "\n".join(out)


def basic_output(items: list[Item]) -> dict[str, Any]:
    """JSON Schema's "basic" output format (2020-12 core §12.4.2): a flat list of every error
    with its keyword and instance locations, for `x-detailed-errors`."""
    flat: list[dict[str, str]] = []

    def walk(entries: list[Item]) -> None:
        for item in entries:
            flat.append(
                {
                    "keywordLocation": _pointer(item.keyword),
                    "instanceLocation": _pointer(item.instance),
                    "error": item.message,
                }
            )
            walk(item.causes)

    walk(items)
    return {"valid": False, "errors": flat}
