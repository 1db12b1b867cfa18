"""Diagnostics: formatting, paths, did-you-mean, ConfigError; and the package's exports."""

from __future__ import annotations

import pytest

import trio_gateway.config
from trio_gateway.config.diagnostics import (
    ConfigError,
    Diagnostic,
    did_you_mean,
    format_path,
    is_under,
)


def test_diagnostic_str_with_and_without_hint() -> None:
    with_hint = Diagnostic(
        "error",
        "$.endpoints[0].backend[1].url_pattern",
        "undefined placeholder {usr_id}: not an endpoint parameter",
        "did you mean {user_id}?",
    )
    assert str(with_hint) == (
        "error: $.endpoints[0].backend[1].url_pattern: undefined placeholder {usr_id}: not an"
        " endpoint parameter (hint: did you mean {user_id}?)"
    )
    assert str(Diagnostic("warning", "$.x", "ignored")) == "warning: $.x: ignored"


def test_as_error() -> None:
    warning = Diagnostic("warning", "$.x", "m", "h")
    assert warning.as_error() == Diagnostic("error", "$.x", "m", "h")
    assert not warning.is_error
    assert warning.as_error().is_error


@pytest.mark.parametrize(
    ("segments", "path"),
    [
        ((), "$"),
        (("endpoints", 3, "backend", 0, "url_pattern"), "$.endpoints[3].backend[0].url_pattern"),
        (("extra_config", "backend/http"), '$.extra_config["backend/http"]'),
        (("$schema",), '$["$schema"]'),
        (("mapping", "a.b"), '$.mapping["a.b"]'),
        (("_x9",), "$._x9"),
    ],
)
def test_format_path(segments: tuple[str | int, ...], path: str) -> None:
    assert format_path(segments) == path


@pytest.mark.parametrize(
    ("path", "prefix", "under"),
    [
        ("$.a", "$.a", True),
        ("$.a.b", "$.a", True),
        ("$.a[0]", "$.a", True),
        ('$.a["x/y"]', "$.a", True),
        ("$.ab", "$.a", False),
        ("$.b", "$.a", False),
    ],
)
def test_is_under(path: str, prefix: str, under: bool) -> None:
    assert is_under(path, prefix) is under


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("url_patern", "url_pattern"),
        ("URL_PATTERN", "url_pattern"),  # case-insensitive exact match first
        ("zzz", None),
        ("encodng", "encoding"),
    ],
)
def test_did_you_mean(word: str, expected: str | None) -> None:
    assert did_you_mean(word, ["url_pattern", "encoding", "group"]) == expected


def test_config_error_orders_errors_first() -> None:
    warning = Diagnostic("warning", "$.a", "w")
    error = Diagnostic("error", "$.b", "e")
    exc = ConfigError([warning, error], "krakend.json")
    assert exc.diagnostics == (error, warning)
    assert exc.errors == (error,)
    assert exc.source == "krakend.json"
    assert str(exc) == (
        "krakend.json: 1 error(s) in the configuration\nerror: $.b: e\nwarning: $.a: w"
    )


def test_package_exports() -> None:
    exported = trio_gateway.config.__all__
    assert exported == sorted(exported)
    for name in exported:
        assert getattr(trio_gateway.config, name) is not None
    assert {"load_config", "load_config_data", "LoadedConfig", "ConfigError", "Diagnostic"} <= set(
        exported
    )
    assert {"ServiceConfig", "EndpointConfig", "BackendConfig", "parse_duration"} <= set(exported)
