"""Namespaces read as their KrakenD components read them: a type assertion skips a value of the
wrong type (the option is unset, with a warning), `json.Unmarshal` refuses it (an error), an
unchecked assertion panics in KrakenD (an error)."""

from __future__ import annotations

from typing import Any

import pytest

from trio_gateway.config import (
    BackendHTTPConfig,
    ConfigError,
    ExtraConfig,
    FlatmapOperation,
    ProxyConfig,
    StaticConfig,
    load_config_data,
)
from trio_gateway.qos.circuit_breaker import CircuitBreakerConfig
from trio_gateway.qos.ratelimit_proxy import RateLimitProxyConfig
from trio_gateway.qos.ratelimit_router import RateLimitRouterConfig
from trio_gateway.security.cors import CORSConfig
from trio_gateway.security.http import HTTPSecureConfig

HOST = ["http://b:8000"]


def service(extra: dict[str, Any]) -> dict[str, Any]:
    return {"version": 3, "host": HOST, "extra_config": extra}


def at_endpoint(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": 3,
        "host": HOST,
        "endpoints": [{"endpoint": "/x", "extra_config": extra, "backend": [{"url_pattern": "/"}]}],
    }


def at_backend(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": 3,
        "host": HOST,
        "endpoints": [{"endpoint": "/x", "backend": [{"url_pattern": "/", "extra_config": extra}]}],
    }


def service_extra(data: dict[str, Any]) -> tuple[ExtraConfig, list[str]]:
    loaded = load_config_data(data)
    return loaded.config.extra_config, [str(w) for w in loaded.warnings]


@pytest.mark.parametrize(
    ("options", "expected", "warning"),
    [
        # the case: a quoted number is skipped by getInt64, so no STS header
        (
            {"sts_seconds": "31536000"},
            HTTPSecureConfig(),
            'warning: $.extra_config["security/http"].sts_seconds: ignored: krakend-httpsecure'
            ' reads `sts_seconds` only as a number, so string "31536000" leaves it unset, as in'
            " KrakenD (hint: write 31536000 without quotes)",
        ),
        (
            {"sts_seconds": 31536000.9},
            HTTPSecureConfig(sts_seconds=31536000),
            'warning: $.extra_config["security/http"].sts_seconds: number 31536000.9 truncated to'
            " 31536000 by krakend-httpsecure, as in KrakenD (hint: write 31536000)",
        ),
        (
            {"frame_deny": "true"},
            HTTPSecureConfig(),
            'warning: $.extra_config["security/http"].frame_deny: ignored: krakend-httpsecure'
            ' reads `frame_deny` only as a boolean, so string "true" leaves it unset, as in'
            " KrakenD (hint: write true without quotes)",
        ),
        (
            {"content_security_policy": 1},
            HTTPSecureConfig(),
            'warning: $.extra_config["security/http"].content_security_policy: ignored:'
            " krakend-httpsecure reads `content_security_policy` only as a string, so number 1"
            " leaves it unset, as in KrakenD (hint: write it in quotes)",
        ),
        (
            {"allowed_hosts": ["a.example", 5]},
            HTTPSecureConfig(allowed_hosts=("a.example",)),
            'warning: $.extra_config["security/http"].allowed_hosts[1]: ignored:'
            " krakend-httpsecure keeps only the strings of `allowed_hosts`, so number 5 is"
            " skipped, as in KrakenD",
        ),
        (
            {"allowed_hosts": "a.example"},
            HTTPSecureConfig(),
            'warning: $.extra_config["security/http"].allowed_hosts: ignored: krakend-httpsecure'
            ' reads `allowed_hosts` only as an array of strings, so string "a.example" leaves it'
            ' unset, as in KrakenD (hint: write ["a.example"])',
        ),
        (
            {"ssl_proxy_headers": {"X-Forwarded-Proto": "https", "X-N": 1}},
            HTTPSecureConfig(ssl_proxy_headers={"X-Forwarded-Proto": "https"}),
            'warning: $.extra_config["security/http"].ssl_proxy_headers["X-N"]: ignored:'
            " krakend-httpsecure keeps only the string values of `ssl_proxy_headers`, so number 1"
            " is skipped, as in KrakenD",
        ),
        ({"sts_seconds": None, "frame_deny": None}, HTTPSecureConfig(), None),
    ],
)
def test_security_http_is_read_as_krakend_httpsecure_does(
    options: dict[str, Any], expected: HTTPSecureConfig, warning: str | None
) -> None:
    extra, warnings = service_extra(service({"security/http": options}))
    assert extra.get(HTTPSecureConfig) == expected
    assert warnings == ([warning] if warning else [])


def test_security_http_that_is_not_an_object_is_no_middleware() -> None:
    extra, warnings = service_extra(service({"security/http": ["frame_deny"]}))
    assert extra.get(HTTPSecureConfig) is None
    assert "security/http" not in extra.raw
    assert warnings == [
        'warning: $.extra_config["security/http"]: ignored: krakend-httpsecure reads this'
        " namespace only as an object, so an array disables it, as in KrakenD"
    ]


def test_the_legacy_name_is_read_the_same_way() -> None:
    extra, warnings = service_extra(
        service({"github_com/devopsfaith/krakend-httpsecure": {"sts_seconds": "60"}})
    )
    assert extra.get(HTTPSecureConfig) == HTTPSecureConfig()
    assert len(warnings) == 1 and "sts_seconds" in warnings[0]


@pytest.mark.parametrize(
    ("options", "expected", "fragment"),
    [
        ({"allow_credentials": "true"}, CORSConfig(), "only as a boolean"),
        ({"options_success_status": "200"}, CORSConfig(), "only as a number"),
        ({"allow_origins": "*"}, CORSConfig(), "only as an array of strings"),
        ({"max_age": "12 hours"}, CORSConfig(), 'unknown unit " hours"'),
    ],
)
def test_cors_is_read_as_krakend_cors_does(
    options: dict[str, Any], expected: CORSConfig, fragment: str
) -> None:
    extra, warnings = service_extra(service({"security/cors": options}))
    assert extra.get(CORSConfig) == expected
    assert len(warnings) == 1 and fragment in warnings[0], warnings


@pytest.mark.parametrize("max_age", [3600, None])
def test_a_cors_max_age_that_is_not_a_string_is_an_error(max_age: Any) -> None:
    # krakend-cors: time.ParseDuration(maxAge.(string)), an unchecked assertion: a panic.
    with pytest.raises(ConfigError) as info:
        load_config_data(service({"security/cors": {"max_age": max_age}}))
    assert [d.path for d in info.value.errors] == ['$.extra_config["security/cors"].max_age']


def test_circuit_breaker_numbers_are_truncated_and_strings_skipped() -> None:
    loaded = load_config_data(
        at_backend(
            {
                "qos/circuit-breaker": {
                    "interval": 60.7,
                    "timeout": "10",
                    "max_errors": 1,
                    "log_status_change": 1,
                }
            }
        )
    )
    got = loaded.config.endpoints[0].backend[0].extra_config.get(CircuitBreakerConfig)
    assert got == CircuitBreakerConfig(interval=60, timeout=0, max_errors=1)
    assert [w.path.rsplit(".", 1)[-1] for w in loaded.warnings] == [
        "interval",
        "timeout",
        "log_status_change",
    ]


def test_rate_limits_print_and_parse_as_krakend_ratelimit_does() -> None:
    loaded = load_config_data(
        at_endpoint(
            {
                "qos/ratelimit/router": {
                    "max_rate": "10",
                    "client_max_rate": 5,
                    "strategy": "ip",
                    "key": 7,  # fmt.Sprintf("%v", v)
                    "every": 60,  # "60": no unit, so KrakenD's default
                }
            }
        )
    )
    got = loaded.config.endpoints[0].extra_config.get(RateLimitRouterConfig)
    assert got == RateLimitRouterConfig(client_max_rate=5.0, strategy="ip", key="7")
    messages = [w.message for w in loaded.warnings]
    assert any("`max_rate` only as a number" in m for m in messages)
    assert any('number 7 read as the string "7"' in m for m in messages)
    assert any('missing unit in duration "60"' in m for m in messages)


def test_proxy_rate_limit_with_a_bad_every_uses_the_default() -> None:
    loaded = load_config_data(
        at_backend({"qos/ratelimit/proxy": {"max_rate": 1, "capacity": 1, "every": "1 minute"}})
    )
    got = loaded.config.endpoints[0].backend[0].extra_config.get(RateLimitProxyConfig)
    assert got == RateLimitProxyConfig(max_rate=1.0, capacity=1)


def test_lura_proxy_options_are_read_as_lura_does() -> None:
    loaded = load_config_data(
        at_endpoint(
            {
                "proxy": {
                    "sequential": 1,
                    "static": {"strategy": 5, "data": {"a": 1}},
                    "flatmap_filter": [{"type": "del", "args": ["a"]}, {"args": ["b"]}, "x"],
                }
            }
        )
    )
    proxy = loaded.config.endpoints[0].extra_config.proxy
    assert proxy == ProxyConfig(
        static=StaticConfig(data={"a": 1}),
        flatmap_filter=(FlatmapOperation(type="del", args=("a",)),),
    )
    assert [w.path for w in loaded.warnings][:4] == [
        "$.endpoints[0].extra_config.proxy.sequential",
        "$.endpoints[0].extra_config.proxy.static.strategy",
        "$.endpoints[0].extra_config.proxy.flatmap_filter[1]",
        "$.endpoints[0].extra_config.proxy.flatmap_filter[2]",
    ]


def test_a_static_without_a_data_object_is_not_applied() -> None:
    loaded = load_config_data(at_endpoint({"proxy": {"static": {"data": [1]}}}))
    assert loaded.config.endpoints[0].extra_config.proxy == ProxyConfig()
    assert [w.path for w in loaded.warnings] == ["$.endpoints[0].extra_config.proxy.static"]


def test_return_error_details_that_is_not_a_string_counts_as_set_and_empty() -> None:
    # lura status.go: the key is present, so return_error_code is not consulted.
    loaded = load_config_data(
        at_backend({"backend/http": {"return_error_details": 5, "return_error_code": True}})
    )
    http = loaded.config.endpoints[0].backend[0].extra_config.backend_http
    assert http == BackendHTTPConfig(return_error_code=True, return_error_details="")
    assert len(loaded.warnings) == 1


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        # json.Unmarshal into the component's struct: a type error is an error
        ({"security/bot-detector": {"cache_size": "10"}}, "cache_size"),
        ({"security/bot-detector": {"deny": "curl"}}, "deny"),
        ({"router": {"disable_health": "true"}}, "disable_health"),
    ],
)
def test_components_that_json_unmarshal_refuse_the_wrong_type(
    extra: dict[str, Any], path: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_data(service(extra))
    assert [d.path.rsplit(".", 1)[-1] for d in info.value.errors] == [path]


def test_json_unmarshal_leaves_an_option_alone_for_null() -> None:
    loaded = load_config_data(service({"security/bot-detector": {"cache_size": None}}))
    assert loaded.warnings == ()
