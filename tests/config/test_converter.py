"""The converter: strict JSON types (after weak typing), paths in every error, namespaces
structured and kept raw."""

from __future__ import annotations

from typing import Any

import pytest

from trio_gateway.config import (
    BackendHTTPConfig,
    ConfigError,
    Diagnostic,
    ProxyConfig,
    RouterConfig,
    ServiceConfig,
    load_config_data,
)
from trio_gateway.config.converter import CONVERTER, describe_json
from trio_gateway.config.structure_errors import structure_issues


def endpoint(**overrides: Any) -> dict[str, Any]:
    backend = {"host": ["http://b:8000"], "url_pattern": "/x"}
    return {"endpoint": "/x", "backend": [backend], **overrides}


def errors_of(data: dict[str, Any]) -> list[Diagnostic]:
    with pytest.raises(ConfigError) as info:
        load_config_data(data)
    return list(info.value.errors)


@pytest.mark.parametrize(
    ("data", "path", "message", "hint"),
    [
        # What KrakenD's weak typing cannot convert either (weak conversions: test_weak_typing.py).
        (
            {"debug_endpoint": "yes"},
            "$.debug_endpoint",
            'expected a boolean, got string "yes"',
            None,
        ),
        ({"debug_endpoint": [True]}, "$.debug_endpoint", "expected a boolean, got an array", None),
        ({"name": {"a": 1}}, "$.name", "expected a string, got an object", None),
        ({"port": "80 80"}, "$.port", 'expected an integer, got string "80 80"', None),
        (
            {"port": 1e30},
            "$.port",
            "number 1e+30 is out of range for a 64-bit integer",
            "KrakenD's int64 cannot hold it",
        ),
        ({"host": [["http://a:80"]]}, "$.host[0]", "expected a string, got an array", None),
        (
            {"timeout": "3000"},
            "$.timeout",
            'missing unit in duration "3000"',
            'use a Go duration such as "2s", "1500ms" or "1m30s"',
        ),
        (
            {"cache_ttl": "1 hour"},
            "$.cache_ttl",
            'unknown unit " hour" in duration "1 hour"',
            'use a Go duration such as "2s", "1500ms" or "1m30s"',
        ),
        ({"tls": []}, "$.tls", "expected an object, got an array", None),
        (
            {"extra_config": "router"},
            "$.extra_config",
            'expected an object, got string "router"',
            None,
        ),
        (
            {"endpoints": [endpoint(), "GET /x"]},
            "$.endpoints[1]",
            'expected an object, got string "GET /x"',
            None,
        ),
        (
            {"endpoints": [{"backend": [{"url_pattern": "/x"}]}]},
            "$.endpoints[0].endpoint",
            "required key missing",
            None,
        ),
        (
            {"endpoints": [endpoint(backend=[{"host": ["http://b:10"], "mapping": {"a": [1]}}])]},
            "$.endpoints[0].backend[0].mapping.a",
            "expected a string, got an array",
            None,
        ),
        # lura's gin router reads its namespace with json.Unmarshal: no weak typing there.
        (
            {"extra_config": {"router": {"return_error_msg": "yes"}}},
            "$.extra_config.router.return_error_msg",
            'expected a boolean, got string "yes"',
            None,
        ),
        (
            {"extra_config": {"router": True}},
            "$.extra_config.router",
            "expected an object, got boolean true",
            None,
        ),
        # lura asserts `combiner` unchecked (a panic in KrakenD).
        (
            {"endpoints": [endpoint(extra_config={"proxy": {"combiner": 1}})]},
            "$.endpoints[0].extra_config.proxy.combiner",
            "expected a string, got number 1",
            'write "1" in quotes',
        ),
    ],
)
def test_what_weak_typing_cannot_convert_is_rejected_with_a_path(
    data: dict[str, Any], path: str, message: str, hint: str | None
) -> None:
    errors = errors_of({"version": 3, **data})
    assert errors == [Diagnostic("error", path, message, hint)]


def test_missing_version_is_a_structure_error_with_a_hint() -> None:
    errors = errors_of({"endpoints": []})
    assert errors == [
        Diagnostic(
            "error", "$.version", "required key missing", 'KrakenD v3 files declare "version": 3'
        )
    ]


def test_a_root_that_is_not_an_object_is_one_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_config_data([1, 2])  # type: ignore[arg-type]
    assert [str(d) for d in info.value.diagnostics] == [
        "error: $: expected an object, got an array"
    ]


def test_errors_deep_in_lists_carry_their_index() -> None:
    backends = [{"host": ["http://b:10"], "url_pattern": "/ok"}] * 2 + [{"url_pattern": [9]}]
    endpoints = [endpoint(endpoint=f"/e{i}") for i in range(3)]
    endpoints.append(endpoint(endpoint="/e3", backend=backends))
    errors = errors_of({"version": 3, "endpoints": endpoints})
    assert [e.path for e in errors] == ["$.endpoints[3].backend[2].url_pattern"]


def test_lists_become_tuples_and_durations_seconds() -> None:
    config = CONVERTER.structure(
        {
            "version": 3,
            "$schema": "https://www.krakend.io/schema/krakend.json",
            "host": ["http://a:80"],
            "timeout": "1m30s",
            "cache_ttl": "1500ms",
            "endpoints": [endpoint(input_headers=["X-A"], timeout="250us")],
        },
        ServiceConfig,
    )
    assert config.schema == "https://www.krakend.io/schema/krakend.json"
    assert config.host == ("http://a:80",)
    assert config.timeout == 90.0
    assert config.cache_ttl == 1.5
    assert config.endpoints[0].input_headers == ("X-A",)
    assert config.endpoints[0].timeout == 0.00025
    assert isinstance(config.endpoints, tuple)
    assert isinstance(config.endpoints[0].backend, tuple)


def test_implemented_namespaces_are_typed_and_every_namespace_is_kept_raw() -> None:
    extra = {
        "github_com/luraproject/lura/router/gin": {"return_error_msg": True},
        "qos/ratelimit/router": {"max_rate": 10},
        "made/up": 1,
        "@comment": "skipped",
    }
    config = CONVERTER.structure({"version": 3, "extra_config": extra}, ServiceConfig)
    assert config.extra_config.router == RouterConfig(return_error_msg=True)
    assert config.extra_config.raw == {
        "router": {"return_error_msg": True},
        "qos/ratelimit/router": {"max_rate": 10},
        "made/up": 1,
    }


def test_backend_namespaces_are_structured_under_their_canonical_names() -> None:
    backend = {
        "host": ["http://b:10"],
        "extra_config": {
            "github.com/devopsfaith/krakend/http": {"return_error_code": True},
            "github.com/devopsfaith/krakend/proxy": {"shadow": True, "shadow_timeout": "1s"},
        },
    }
    config = CONVERTER.structure(
        {"version": 3, "endpoints": [endpoint(backend=[backend])]}, ServiceConfig
    )
    extra = config.endpoints[0].backend[0].extra_config
    assert extra.backend_http == BackendHTTPConfig(return_error_code=True)
    assert extra.proxy == ProxyConfig(shadow=True, shadow_timeout=1.0)  # type: ignore[arg-type]
    assert set(extra.raw) == {"backend/http", "proxy"}


def test_the_v3_name_wins_when_both_spellings_are_present() -> None:
    extra = {
        "github.com/devopsfaith/krakend/proxy": {"sequential": False},
        "proxy": {"sequential": True},
    }
    config = CONVERTER.structure(
        {"version": 3, "endpoints": [endpoint(extra_config=extra)]}, ServiceConfig
    )
    proxy = config.endpoints[0].extra_config.proxy
    assert proxy is not None
    assert proxy.sequential is True
    assert config.endpoints[0].extra_config.raw == {"proxy": {"sequential": True}}


def test_unknown_keys_are_not_structure_errors() -> None:
    config = CONVERTER.structure({"version": 3, "url_patern": 1, "Port": "x"}, ServiceConfig)
    assert config.port == 0


def test_all_structure_errors_come_out_of_one_exception() -> None:
    data = {"version": "3", "port": "1", "endpoints": [{"endpoint": 1, "backend": {}}]}
    with pytest.raises(Exception) as info:
        CONVERTER.structure(data, ServiceConfig)
    paths = [issue.diagnostic().path for issue in structure_issues(info.value)]
    assert sorted(paths) == [
        "$.endpoints[0].backend",
        "$.endpoints[0].endpoint",
        "$.port",
        "$.version",
    ]


@pytest.mark.parametrize(
    ("value", "description"),
    [
        (None, "null"),
        (False, "boolean false"),
        (2, "number 2"),
        (2.5, "number 2.5"),
        ("x", 'string "x"'),
        ("y" * 50, 'string "' + "y" * 37 + '..."'),
        ([], "an array"),
        ({}, "an object"),
    ],
)
def test_describe_json(value: Any, description: str) -> None:
    assert describe_json(value) == description
