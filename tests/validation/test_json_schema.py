"""`validation/json-schema`: KrakenD's body parsing, its error texts, the engines, `check`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trio_gateway.config import ConfigError, load_config_data
from trio_gateway.validation.json_body import JSONBodyError, go_syntax_error, parse_json_body
from trio_gateway.validation.schema_engine import CompiledSchema, schema_problems
from trio_gateway.validation.schema_errors import go_value

# Go's encoding/json messages for json.Unmarshal (scanner.go), byte for byte.
GO_SYNTAX = [
    (b"x", "invalid character 'x' looking for beginning of value"),
    (b"{}x", "invalid character 'x' after top-level value"),
    (b"1 2", "invalid character '2' after top-level value"),
    (b'{"a" 1}', "invalid character '1' after object key"),
    (b'{"a":1 "b":2}', "invalid character '\"' after object key:value pair"),
    (b"[1 2]", "invalid character '2' after array element"),
    (b"{1:2}", "invalid character '1' looking for beginning of object key string"),
    (b'"a\x01"', "invalid character '\\x01' in string literal"),
    (b'"\\x"', "invalid character 'x' in string escape code"),
    (b'"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"),
    (b"-a", "invalid character 'a' in numeric literal"),
    (b"1.a", "invalid character 'a' after decimal point in numeric literal"),
    (b"1ea", "invalid character 'a' in exponent of numeric literal"),
    (b"tx", "invalid character 'x' in literal true (expecting 'r')"),
    (b"fals", "invalid character ' ' in literal false (expecting 'e')"),
    (b"nul", "invalid character ' ' in literal null (expecting 'l')"),
    (b'{"a":', "unexpected end of JSON input"),
    (b"[", "unexpected end of JSON input"),
    (b"   ", "unexpected end of JSON input"),
    (b"'a'", "invalid character '\\'' looking for beginning of value"),
    (b"\xef\xbb\xbf{}", "invalid character '\u00ef' looking for beginning of value"),
    (b"NaN", "invalid character 'N' looking for beginning of value"),
    (b"01", "invalid character '1' after top-level value"),
]


@pytest.mark.parametrize(("body", "message"), GO_SYNTAX)
def test_go_json_errors(body: bytes, message: str) -> None:
    assert go_syntax_error(body) == message
    with pytest.raises(JSONBodyError) as caught:
        parse_json_body(body)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b"1", 1),
        (b' {"a": [1, 2.5, null, true]} \n', {"a": [1, 2.5, None, True]}),
        (b'"\xff"', "\ufffd"),  # invalid UTF-8 in a string: U+FFFD, as Go
        (b'{"a":1,"a":2}', {"a": 2}),  # the last duplicate wins, as Go
    ],
)
def test_bodies_go_accepts(body: bytes, value: Any) -> None:
    assert go_syntax_error(body) is None
    assert parse_json_body(body) == value


def test_numbers_beyond_float64_are_go_errors() -> None:
    for text in ("1e400", "-1e400", "1" + "0" * 400):
        with pytest.raises(JSONBodyError, match="cannot unmarshal number"):
            parse_json_body(text.encode())


@given(st.binary(max_size=40))
@settings(max_examples=300, deadline=None)
def test_scanner_agrees_with_python_on_validity(raw: bytes) -> None:
    # Go's scanner and Python's parser accept the same ASCII documents.
    if not raw.isascii():
        return
    try:
        json.loads(raw.decode(), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        python_ok = True
    except (ValueError, RecursionError):
        python_ok = False
    assert (go_syntax_error(raw) is None) == python_ok


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (1, "1"),
        (1.5, "1.5"),
        (-2.25, "-2.25"),
        (1e6, "1e+06"),
        (999999, "999999"),
        (123456789, "1.23456789e+08"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (12.5, "12.5"),
    ],
)
def test_go_float_formatting(value: float, text: str) -> None:
    assert go_value(value) == text


LOCATION = "jsonschema validation failed with 'file:///{cwd}/schema#'"

# (schema, body, KrakenD's lines after the first): santhosh-tekuri/jsonschema v6 wording.
ERRORS = [
    ({"type": "number"}, {"foo": 42}, ["- at '': got object, want number"]),
    ({"type": ["string", "null"]}, 1, ["- at '': got number, want null or string"]),
    ({"required": ["a"]}, {}, ["- at '': missing property 'a'"]),
    ({"required": ["a", "b"]}, {}, ["- at '': missing properties 'a', 'b'"]),
    ({"enum": ["x", 1]}, 2, ["- at '': value must be one of 'x', 1"]),
    ({"enum": ["x"]}, 2, ["- at '': value must be 'x'"]),
    ({"const": "x"}, 2, ["- at '': value must be 'x'"]),
    ({"minLength": 3}, "ab", ["- at '': minLength: got 2, want 3"]),
    ({"maxItems": 1}, [1, 2], ["- at '': maxItems: got 2, want 1"]),
    ({"minimum": 1}, 0, ["- at '': minimum: got 0, want 1"]),
    ({"exclusiveMaximum": 1.5}, 2, ["- at '': exclusiveMaximum: got 2, want 1.5"]),
    ({"multipleOf": 3}, 4, ["- at '': multipleOf: got 4, want 3"]),
    ({"pattern": "^a"}, "b'", ["- at '': 'b\\'' does not match pattern '^a'"]),
    ({"uniqueItems": True}, [1, 2, 1], ["- at '': items at 0 and 2 are equal"]),
    (
        {"properties": {"a": {"type": "string"}}, "additionalProperties": False},
        {"a": "x", "b": 1, "c": 2},
        ["- at '': additional properties 'b', 'c' not allowed"],
    ),
    (
        {"properties": {"a": {"properties": {"b": {"type": "integer"}}}}},
        {"a": {"b": "x"}},
        ["- at '/a/b': got string, want integer"],
    ),
    (
        {"items": {"required": ["id"], "properties": {"id": {"type": "integer"}}}},
        [{"id": 1}, {"id": "x", "n": 1}, {}],
        ["- at '/1/id': got string, want integer", "- at '/2': missing property 'id'"],
    ),
    (
        {"properties": {"o": {"required": ["a"], "properties": {"b": {"maximum": 1}}}}},
        {"o": {"b": 2}},
        [
            "- at '/o': validation failed",
            "  - at '/o': missing property 'a'",
            "  - at '/o/b': maximum: got 2, want 1",
        ],
    ),
    (
        {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        1.5,
        [
            "- at '': anyOf failed",
            "  - at '': got number, want string",
            "  - at '': got number, want integer",
        ],
    ),
    (
        {"oneOf": [{"type": "number"}, {"minimum": 0}]},
        1,
        ["- at '': oneOf failed, subschemas 0, 1 matched"],
    ),
    (
        {"allOf": [{"type": "string"}, {"minimum": 0}]},
        -1,
        [
            "- at '': allOf failed",
            "  - at '': got number, want string",
            "  - at '': minimum: got -1, want 0",
        ],
    ),
    ({"not": {"type": "string"}}, "x", ["- at '': not failed"]),
    (
        {"dependentRequired": {"a": ["b", "c"]}},
        {"a": 1},
        ["- at '': properties 'b', 'c' required, if 'a' exists"],
    ),
    (
        {"$schema": "http://json-schema.org/draft-07/schema#", "dependencies": {"a": ["b"]}},
        {"a": 1},
        ["- at '': properties 'b' required, if 'a' exists"],
    ),
    (
        {"prefixItems": [{}], "items": False},
        [1, 2, 3],
        ["- at '/1': false schema", "- at '/2': false schema"],
    ),
    (
        {"$schema": "http://json-schema.org/draft-07/schema#", "format": "email"},
        "nope",
        ["- at '': 'nope' is not valid email"],
    ),
    (
        {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "minimum": 1,
            "exclusiveMinimum": True,
        },
        1,
        ["- at '': exclusiveMinimum: got 1, want 1"],
    ),
    (
        {
            "definitions": {"id": {"type": "integer"}},
            "properties": {"a": {"$ref": "#/definitions/id"}},
        },
        {"a": "x"},
        ["- at '/a': got string, want integer"],
    ),
]


@pytest.mark.parametrize(("schema", "body", "lines"), ERRORS)
def test_error_texts(schema: dict[str, Any], body: Any, lines: list[str]) -> None:
    import os

    compiled = CompiledSchema.compile(schema)
    failure = compiled.check(json.dumps(body).encode())
    assert failure is not None
    first, *rest = failure.text.split("\n")
    assert first == LOCATION.format(cwd=os.getcwd().strip("/"))
    assert rest == lines


@pytest.mark.parametrize(
    ("schema", "valid", "invalid"),
    [
        # no $schema: 2020-12, where `format` is an annotation only (santhosh's default)
        ({"format": "email"}, ["nope"], []),
        (
            {"$schema": "http://json-schema.org/draft-07/schema#", "format": "ipv4"},
            ["1.2.3.4"],
            ["x"],
        ),
        # 2020-12 `items` is one schema; `prefixItems` the tuple; draft-07's array `items` too
        ({"prefixItems": [{"type": "string"}], "items": False}, [["a"]], [["a", 1], [1]]),
        (
            {"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "string"}]},
            [["a", 1]],
            [[1]],
        ),
        # 2020-12 applies the keywords beside a $ref, draft-07 ignores them
        ({"$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s", "minLength": 2}, ["ab"], ["a"]),
        (
            {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "definitions": {"s": {"type": "string"}},
                "$ref": "#/definitions/s",
                "minLength": 2,
            },
            ["a", "ab"],
            [1],
        ),
        ({"dependentRequired": {"a": ["b"]}}, [{"a": 1, "b": 2}, {}], [{"a": 1}]),
        ({"unevaluatedProperties": False, "properties": {"a": {}}}, [{"a": 1}], [{"b": 1}]),
        (True, [1, "x"], []),
        (False, [], [1, {}]),
    ],
)
def test_drafts_as_krakend_reads_them(schema: Any, valid: list[Any], invalid: list[Any]) -> None:
    compiled = CompiledSchema.compile(schema)
    for body in valid:
        assert compiled.check(json.dumps(body).encode()) is None, body
    for body in invalid:
        assert compiled.check(json.dumps(body).encode()) is not None, body


def test_the_fast_engine_is_used_where_it_reads_the_schema_as_krakend() -> None:
    portable = {"type": "object", "properties": {"a": {"type": "string", "format": "email"}}}
    assert CompiledSchema.compile(portable).fast
    assert CompiledSchema.compile({"$schema": "http://json-schema.org/draft-04/schema#"}).fast
    assert not CompiledSchema.compile({"prefixItems": [{}]}).fast
    assert not CompiledSchema.compile(
        {"$defs": {"a": {}}, "$ref": "#/$defs/a", "type": "object"}
    ).fast
    assert not CompiledSchema.compile(
        {"$schema": "https://json-schema.org/draft/2019-09/schema", "dependentRequired": {}}
    ).fast


def test_empty_and_malformed_bodies() -> None:
    compiled = CompiledSchema.compile({"type": "object"})
    empty = compiled.check(b"")
    assert empty is not None and empty.text == "could not validate an empty body"
    malformed = compiled.check(b"{")
    assert malformed is not None and malformed.text == "unexpected end of JSON input"
    deep = compiled.check(b"[" * 100_000 + b"]" * 100_000)
    assert deep is None or deep.text == "exceeded max depth"


# ---- hypothesis: random schemas and bodies never raise, and the two engines agree -----------

_LEAF = st.sampled_from(
    [
        {"type": "string"},
        {"type": "integer"},
        {"type": "number", "minimum": 0},
        {"type": ["string", "null"]},
        {"enum": [1, "a", None]},
        {"const": 1},
        {"minLength": 2},
        {"maxItems": 2},
        {"pattern": "^[a-z]+$"},
        {"multipleOf": 2},
        {"uniqueItems": True},
        {},
    ]
)
_SCHEMA = st.recursive(
    _LEAF,
    lambda inner: st.one_of(
        st.builds(
            lambda p, r, a: {
                "type": "object",
                "properties": p,
                "required": r,
                "additionalProperties": a,
            },
            st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3),
            st.lists(st.sampled_from(["a", "b"]), max_size=2, unique=True),
            st.booleans(),
        ),
        st.builds(lambda i: {"type": "array", "items": i}, inner),
        st.builds(lambda xs: {"anyOf": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"oneOf": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"allOf": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=6,
)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(-5, 5, allow_nan=False)
    | st.sampled_from(["", "a", "ab", "B", "a1"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(_SCHEMA, _JSON)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_schemas_and_bodies(schema: dict[str, Any], body: Any) -> None:
    import jsonschema

    compiled = CompiledSchema.compile(schema)
    failure = compiled.check(json.dumps(body).encode())
    expected = jsonschema.Draft202012Validator(schema).is_valid(body)
    assert (failure is None) == expected
    if failure is not None:
        assert failure.text.startswith("jsonschema validation failed with ")
        assert len(failure.text.split("\n")) >= 2


@given(st.binary(max_size=64))
@settings(max_examples=200, deadline=None)
def test_random_bytes_never_raise(raw: bytes) -> None:
    failure = CompiledSchema.compile({"type": "object", "required": ["a"]}).check(raw)
    assert failure is None or failure.text


# ---- check ---------------------------------------------------------------------------------


def _config(schema: Any, method: str = "POST") -> dict[str, Any]:
    return {
        "version": 3,
        "host": ["http://127.0.0.1:8080"],
        "endpoints": [
            {
                "endpoint": "/v",
                "method": method,
                "extra_config": {"validation/json-schema": schema},
                "backend": [{"url_pattern": "/"}],
            }
        ],
    }


_AT = '$.endpoints[0].extra_config["validation/json-schema"]'


@pytest.mark.parametrize(
    ("schema", "path", "message"),
    [
        ({"type": "not a valid type"}, f"{_AT}.type", "invalid schema"),
        ({"properties": {"x": {"type": 5}}}, f"{_AT}.properties.x.type", "invalid schema"),
        ({"minLength": -1}, f"{_AT}.minLength", "invalid schema"),
        ({"$ref": "#/definitions/nope"}, f'{_AT}["$ref"]', "does not resolve"),
        ({"$schema": "http://example.com/s"}, f'{_AT}["$schema"]', "unknown $schema"),
        ([1], _AT, "object or a boolean"),
        ({"x-detailed-errors": "yes"}, f'{_AT}["x-detailed-errors"]', "true or false"),
    ],
)
def test_check_reports_an_invalid_schema_at_its_path(schema: Any, path: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_data(_config(schema))
    errors = [d for d in caught.value.diagnostics if d.is_error]
    assert any(d.path == path and message in d.message for d in errors), errors


def test_check_accepts_a_valid_schema_and_warns_on_get() -> None:
    loaded = load_config_data(_config({"type": "object", "const": None}))
    endpoint = loaded.config.endpoints[0]
    from trio_gateway.validation.json_schema import JSONSchemaConfig

    config = endpoint.extra_config.get(JSONSchemaConfig)
    assert config is not None and config.schema == {"type": "object", "const": None}  # as written
    warned = load_config_data(_config({"type": "object"}, method="GET")).warnings
    assert any("could not validate an empty body" in d.message for d in warned)


def test_schema_problems_of_valid_schemas() -> None:
    assert schema_problems({"type": "object", "x-detailed-errors": True}) == []
    assert schema_problems(True) == []
