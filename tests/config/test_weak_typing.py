"""KrakenD's weak typing of the core configuration (mapstructure `WeaklyTypedInput`, as
krakend-koanf configures it): converted as KrakenD does, with a warning each, and served.

The conversion table is mapstructure's own `TestDecode_TypeConversion` (its weak column),
`TestSliceToMap`, `TestSliceCornerCases` and `TestWeakDecode`, put on the configuration's fields;
the string parsers are checked against Go's `strconv` tables (`atob_test.go`, `atoi_test.go`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trio_gateway.config import ConfigError, ServiceConfig, load_config, load_config_data
from trio_gateway.config.check import run_check
from trio_gateway.config.gostrconv import format_float_f, parse_bool, parse_int, sprint


def endpoint(**overrides: Any) -> dict[str, Any]:
    return {
        "endpoint": "/x",
        "backend": [{"host": ["http://b:8000"], "url_pattern": "/y"}],
        **overrides,
    }


def backend(**overrides: Any) -> dict[str, Any]:
    return {"endpoints": [endpoint(backend=[{"host": ["http://b:8000"], **overrides}])]}


Get = Callable[[ServiceConfig], Any]


def _first_endpoint(c: ServiceConfig) -> Any:
    return c.endpoints[0]


def _first_backend(c: ServiceConfig) -> Any:
    return c.endpoints[0].backend[0]


@pytest.mark.parametrize(
    ("data", "get", "expected", "path", "message"),
    [
        # TestDecode_TypeConversion, weak column
        (
            {"debug_endpoint": 1},
            lambda c: c.debug_endpoint,
            True,
            "$.debug_endpoint",
            "number 1 read as true",
        ),
        (
            {"debug_endpoint": 0},
            lambda c: c.debug_endpoint,
            False,
            "$.debug_endpoint",
            "number 0 read as false",
        ),
        (
            {"debug_endpoint": 42.42},
            lambda c: c.debug_endpoint,
            True,
            "$.debug_endpoint",
            "number 42.42 read as true",
        ),
        (
            {"debug_endpoint": "1"},
            lambda c: c.debug_endpoint,
            True,
            "$.debug_endpoint",
            'string "1" read as true',
        ),
        ({"port": True}, lambda c: c.port, 1, "$.port", "boolean true read as 1"),
        ({"port": 42.42}, lambda c: c.port, 42, "$.port", "number 42.42 truncated to 42"),
        ({"port": "42"}, lambda c: c.port, 42, "$.port", 'string "42" read as 42'),
        ({"name": 42}, lambda c: c.name, "42", "$.name", 'number 42 read as the string "42"'),
        ({"name": True}, lambda c: c.name, "1", "$.name", 'boolean true read as the string "1"'),
        (
            {"name": 42.42},
            lambda c: c.name,
            "42.42",
            "$.name",
            'number 42.42 read as the string "42.42"',
        ),
        ({"name": 1e21}, lambda c: c.name, "1000000000000000000000", "$.name", "number 1e+21 read"),
        (
            {"host": "A"},
            lambda c: c.host,
            ("A",),
            "$.host",
            'string "A" read as a one-element array',
        ),
        (
            {"host": 42},
            lambda c: c.host,
            ("42",),
            "$.host",
            "number 42 read as a one-element array",
        ),
        (
            {"extra_config": []},
            lambda c: c.extra_config.raw,
            {},
            "$.extra_config",
            "an array read as an empty object",
        ),
        (
            {"endpoints": {}},
            lambda c: c.endpoints,
            (),
            "$.endpoints",
            "an empty object read as an empty array",
        ),
        # TestSliceToMap: an array of objects is their merge
        (
            {"extra_config": [{"a/b": 1}, {"c/d": 2}]},
            lambda c: c.extra_config.raw,
            {"a/b": 1, "c/d": 2},
            "$.extra_config",
            "an array read as one object, the items merged",
        ),
        # TestSliceCornerCases: an object where an array of objects is expected is one item
        (
            {"endpoints": endpoint()},
            lambda c: [e.endpoint for e in c.endpoints],
            ["/x"],
            "$.endpoints",
            "an object read as a one-element array",
        ),
        # TestWeakDecode
        ({"port": "4"}, lambda c: c.port, 4, "$.port", 'string "4" read as 4'),
        # mapstructure maps "" to "0" before parsing a number, and "" is false
        ({"port": ""}, lambda c: c.port, 0, "$.port", 'string "" read as 0'),
        (
            {"debug_endpoint": ""},
            lambda c: c.debug_endpoint,
            False,
            "$.debug_endpoint",
            'string "" read as false',
        ),
        # strconv.ParseInt(s, 0, 64): the base from the prefix
        ({"port": "0x1F90"}, lambda c: c.port, 8080, "$.port", 'string "0x1F90" read as 8080'),
        ({"port": "017"}, lambda c: c.port, 15, "$.port", 'string "017" read as 15'),
        # the cases
        ({"version": "3"}, lambda c: c.version, 3, "$.version", 'string "3" read as 3'),
        (
            {"endpoints": [endpoint(concurrent_calls=True)]},
            lambda c: c.endpoints[0].concurrent_calls,
            1,
            "$.endpoints[0].concurrent_calls",
            "boolean true read as 1",
        ),
        (
            backend(host="http://a:8000"),
            lambda c: _first_backend(c).host,
            ("http://a:8000",),
            "$.endpoints[0].backend[0].host",
            'string "http://a:8000" read as a one-element array',
        ),
        (
            backend(mapping={"a": 1}),
            lambda c: _first_backend(c).mapping,
            {"a": "1"},
            "$.endpoints[0].backend[0].mapping.a",
            'number 1 read as the string "1"',
        ),
        (
            backend(mapping=[{"a": "b"}, {"c": "d"}]),
            lambda c: _first_backend(c).mapping,
            {"a": "b", "c": "d"},
            "$.endpoints[0].backend[0].mapping",
            "an array read as one object",
        ),
        (
            backend(is_collection="true"),
            lambda c: _first_backend(c).is_collection,
            True,
            "$.endpoints[0].backend[0].is_collection",
            'string "true" read as true',
        ),
        (
            {"endpoints": [endpoint(input_headers="X-A")]},
            lambda c: _first_endpoint(c).input_headers,
            ("X-A",),
            "$.endpoints[0].input_headers",
            'string "X-A" read as a one-element array',
        ),
        # a duration from a number: nanoseconds (only strings go through time.ParseDuration)
        ({"timeout": 3000}, lambda c: c.timeout, 3e-06, "$.timeout", "number 3000 read as 3µs"),
        ({"timeout": 1.5}, lambda c: c.timeout, 1e-09, "$.timeout", "number 1.5 read as 1ns"),
        (
            {"cache_ttl": True},
            lambda c: c.cache_ttl,
            1e-09,
            "$.cache_ttl",
            "boolean true read as 1ns",
        ),
        # keys matched case-insensitively (MatchName = strings.EqualFold), KELVIN SIGN included
        ({"Port": 9000}, lambda c: c.port, 9000, "$.Port", "`Port` read as `port`"),
        (
            {"disable_\u212aeep_alives": True},
            lambda c: c.disable_keep_alives,
            True,
            '$["disable_\u212aeep_alives"]',
            "read as `disable_keep_alives`",
        ),
        (
            {"u\u017fe_h2c": True},
            lambda c: c.use_h2c,
            True,
            '$["u\u017fe_h2c"]',
            "read as `use_h2c`",
        ),
        (
            {"ECHO_ENDPOINTS": True},
            lambda c: c.echo_endpoint,
            False,
            "$.ECHO_ENDPOINTS",
            "unknown key",
        ),
        (
            {"DEBUG_ENDPOINT": True},
            lambda c: c.debug_endpoint,
            True,
            "$.DEBUG_ENDPOINT",
            "read as `debug_endpoint`",
        ),
        # not read by lura: any value loads, one of the wrong type is dropped
        (
            {"$schema": 5},
            lambda c: c.schema,
            None,
            '$["$schema"]',
            "number 5 ignored: KrakenD does not read",
        ),
        (
            backend(concurrent_calls="many"),
            lambda c: _first_backend(c).concurrent_calls,
            None,
            "$.endpoints[0].backend[0].concurrent_calls",
            "ignored: KrakenD uses the endpoint's `concurrent_calls`",
        ),
    ],
)
def test_weak_conversions_load_with_a_warning(
    data: dict[str, Any], get: Get, expected: Any, path: str, message: str
) -> None:
    loaded = load_config_data({"version": 3, **data})
    assert get(loaded.config) == expected
    assert [w for w in loaded.warnings if w.path == path and message in w.message], loaded.warnings


@pytest.mark.parametrize(
    "data",
    [
        {"name": None},
        {"port": None},
        {"extra_config": None},
        {"host": None},
        {"endpoints": None},
    ],
)
def test_null_leaves_a_field_unset_silently(data: dict[str, Any]) -> None:
    # mapstructure's decode: "If the data is nil, then we don't set anything".
    loaded = load_config_data({"version": 3, **data})
    assert loaded.config == ServiceConfig(version=3)
    assert loaded.warnings == ()


def test_integral_numbers_are_integers_silently() -> None:
    # Every JSON number is a float64 in KrakenD: 8080.0 and 8080 are the same value.
    loaded = load_config_data(
        {"version": 3.0, "port": 8080.0, "endpoints": [endpoint(concurrent_calls=2.0)]}
    )
    assert (loaded.config.version, loaded.config.port) == (3, 8080)
    assert loaded.config.endpoints[0].concurrent_calls == 2
    assert loaded.warnings == ()


def test_a_weakly_typed_file_is_served_and_check_shows_each_conversion(tmp_path: Path) -> None:
    path = tmp_path / "krakend.json"
    path.write_text(
        '{"version": "3", "port": "8080", "host": "http://a:8000",'
        ' "endpoints": [{"endpoint": "/x", "concurrent_calls": true,'
        ' "backend": [{"url_pattern": "/y"}]}]}'
    )
    loaded = load_config(path, env={})
    assert (loaded.config.version, loaded.config.port) == (3, 8080)
    assert loaded.config.host == ("http://a:8000",)
    assert loaded.config.endpoints[0].concurrent_calls == 1

    import io

    out, err = io.StringIO(), io.StringIO()
    assert run_check(str(path), strict=False, dump=False, out=out, err=err, env={}) == 0
    assert err.getvalue().splitlines() == [
        f'{path}:1:2: warning: $.version: string "3" read as 3 (KrakenD\'s weak typing)'
        " (hint: write 3)",
        f'{path}:1:18: warning: $.port: string "8080" read as 8080 (KrakenD\'s weak typing)'
        " (hint: write 8080)",
        f'{path}:1:34: warning: $.host: string "http://a:8000" read as a one-element array'
        " (KrakenD's weak typing) (hint: write it inside [ ])",
        f"{path}:1:92: warning: $.endpoints[0].concurrent_calls: boolean true read as 1"
        " (KrakenD's weak typing)"
        " (hint: write 1)",
    ]
    assert out.getvalue().startswith("OK: ")
    # --strict refuses what needed a conversion
    assert run_check(str(path), strict=True, dump=False, out=out, err=err, env={}) == 1


def test_an_environment_override_is_converted_too(tmp_path: Path) -> None:
    path = tmp_path / "krakend.json"
    path.write_text('{"version": 3}')
    loaded = load_config(path, env={"KRAKEND_DEBUG_ENDPOINT": "1", "KRAKEND_PORT": "0x1F90"})
    assert loaded.config.debug_endpoint is True
    assert loaded.config.port == 8080
    assert any("KRAKEND_PORT" in (w.hint or "") for w in loaded.warnings)


def test_what_cannot_be_converted_is_still_an_error_at_its_path() -> None:
    with pytest.raises(ConfigError) as info:
        load_config_data({"version": 3, "port": "8080x", "debug_endpoint": "yes"})
    assert [(d.path, d.message) for d in info.value.errors] == [
        ("$.port", 'expected an integer, got string "8080x"'),
        ("$.debug_endpoint", 'expected a boolean, got string "yes"'),
    ]


# Go's strconv tables -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", False),
        ("f", False),
        ("F", False),
        ("FALSE", False),
        ("false", False),
        ("False", False),
        ("1", True),
        ("t", True),
        ("T", True),
        ("TRUE", True),
        ("true", True),
        ("True", True),
        ("", None),
        ("asdf", None),
        ("yes", None),
        ("tRUE", None),
        (" true", None),
    ],
)
def test_parse_bool_is_go_strconv(text: str, expected: bool | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            parse_bool(text)
    else:
        assert parse_bool(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("0", 0),
        ("-0", 0),
        ("1", 1),
        ("-1", -1),
        ("12345", 12345),
        ("-12345", -12345),
        ("012345", 0o12345),
        ("-012345", -0o12345),
        ("0x12345", 0x12345),
        ("-0X12345", -0x12345),
        ("12345x", None),
        ("-12345x", None),
        ("98765432100", 98765432100),
        ("-98765432100", -98765432100),
        ("9223372036854775807", (1 << 63) - 1),
        ("-9223372036854775807", -((1 << 63) - 1)),
        ("9223372036854775808", None),
        ("-9223372036854775808", -(1 << 63)),
        ("9223372036854775809", None),
        ("-9223372036854775809", None),
        ("0b101", 5),
        ("0o17", 15),
        ("08", None),
        ("0x", None),
        ("+5", 5),
        ("+", None),
        # underscores, with Go's rules
        ("1_2_3_4_5", 12345),
        ("-1_2_3_4_5", -12345),
        ("0x_1_2_3_4_5", 0x12345),
        ("-0x_1_2_3_4_5", -0x12345),
        ("0_1_2_3_4_5", 0o12345),
        ("-_012345", None),
        ("_-012345", None),
        ("_012345", None),
        ("0__12345", None),
        ("01234__5", None),
        ("012345_", None),
        ("1 2", None),
        ("١٢", None),  # Arabic-Indic digits: Python's int() takes them, Go does not
    ],
)
def test_parse_int_is_go_strconv_base_0(text: str, expected: int | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            parse_int(text)
    else:
        assert parse_int(text) == expected


@pytest.mark.parametrize(
    ("value", "f_format", "v_format"),
    [
        (5.0, "5", "5"),
        (42.42, "42.42", "42.42"),
        (1e6, "1000000", "1e+06"),
        (999999.0, "999999", "999999"),
        (123456789.0, "123456789", "1.23456789e+08"),
        (0.0001, "0.0001", "0.0001"),
        (0.00001, "0.00001", "1e-05"),
        (1e21, "1000000000000000000000", "1e+21"),
        (-2.5e-7, "-0.00000025", "-2.5e-07"),
    ],
)
def test_float_formatting_is_go(value: float, f_format: str, v_format: str) -> None:
    assert format_float_f(value) == f_format  # strconv.FormatFloat(f, 'f', -1, 64)
    assert sprint(value) == v_format  # fmt.Sprintf("%v", f)
