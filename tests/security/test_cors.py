"""`security/cors` with rs/cors v1.11.1 semantics as KrakenD CE wires it (reference §11)."""

from __future__ import annotations

import pytest

from tests.security import (
    CE_FIXTURE,
    PREFLIGHT_VARY,
    Headers,
    allow_headers,
    answer,
    answer_for,
    as_dict,
    cors,
    hdrs,
)
from trio_gateway.config.model import Seconds
from trio_gateway.security import CORS

# --- the CE integration specs cors_1..cors_5 -------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "request_headers", "expected"),
    [
        (
            "cors_1",
            {
                "user_agent": "some",
                "origin": "http://foo.example",
                "access_control_request_method": "GET",
                "access_control_request_headers": "content-type,origin",
            },
            {
                "access-control-allow-origin": ["*"],
                "access-control-allow-methods": ["GET"],
                "access-control-allow-headers": ["content-type,origin"],
            },
        ),
        (
            "cors_2",
            {
                "user_agent": "some",
                "origin": "http://foo.example.tld",
                "access_control_request_method": "PUT",
            },
            {},
        ),
        (
            "cors_3",
            {
                "user_agent": "some",
                "origin": "http://foo.example",
                "access_control_request_method": "POST",
                "access_control_request_headers": "X-PINGOTHER",
            },
            {},
        ),
        (
            "cors_4",
            {
                "user_agent": "some",
                "origin": "http://foo.example.tld",
                "access_control_request_method": "GET",
                "access_control_request_headers": "content-type,origin",
            },
            {
                "access-control-allow-origin": ["*"],
                "access-control-allow-methods": ["GET"],
                "access-control-allow-headers": ["content-type,origin"],
            },
        ),
    ],
)
def test_ce_preflight_specs(
    spec: str, request_headers: dict[str, str], expected: dict[str, list[str]]
) -> None:
    result = answer(CORS.from_config(CE_FIXTURE), **request_headers)
    assert result.status == 204, spec
    got = as_dict(result.headers)
    assert got["vary"] == [PREFLIGHT_VARY.decode()]
    for name in ("content-type", "cache-control", "x-krakend-completed"):
        assert name not in got
    assert allow_headers(result.headers) == expected
    if expected:  # the fixture's "12h"
        assert got["access-control-max-age"] == ["43200"]
    else:
        assert "access-control-max-age" not in got


def test_ce_spec_cors_5_actual_request() -> None:
    layer = CORS.from_config(CE_FIXTURE)
    headers = hdrs(user_agent="some", origin="http://foo.example.tld")
    assert layer.preflight("GET", headers) is None
    assert as_dict(layer.response_headers("GET", headers)) == {
        "vary": ["Origin"],
        "access-control-allow-origin": ["*"],
        "access-control-expose-headers": ["Content-Length"],
    }


# --- preflight ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", hdrs(origin="http://a", access_control_request_method="GET")),
        ("OPTIONS", hdrs(origin="http://a")),
        ("OPTIONS", hdrs(origin="http://a", access_control_request_method="")),
        # Go's Header.Get reads the first value only.
        (
            "OPTIONS",
            [(b"access-control-request-method", b""), (b"access-control-request-method", b"GET")],
        ),
        ("options", hdrs(origin="http://a", access_control_request_method="GET")),
    ],
)
def test_not_a_preflight(method: str, headers: Headers) -> None:
    assert cors().preflight(method, headers) is None


def test_defaults_allow_any_origin_and_header_but_only_simple_methods() -> None:
    layer = cors()
    for method in ("GET", "POST", "HEAD", "OPTIONS"):
        result = answer(layer, origin="http://x.test", access_control_request_method=method)
        assert allow_headers(result.headers)["access-control-allow-origin"] == ["*"], method
    refused = answer(layer, origin="http://x.test", access_control_request_method="PUT")
    assert allow_headers(refused.headers) == {}
    echoed = answer(
        layer,
        origin="http://x.test",
        access_control_request_method="GET",
        access_control_request_headers="X-Anything,  Weird",
    )
    # "*" echoes the requested headers verbatim, without checking them.
    assert allow_headers(echoed.headers)["access-control-allow-headers"] == ["X-Anything,  Weird"]


@pytest.mark.parametrize(
    ("origins", "origin", "allowed"),
    [
        (("http://a.test",), "http://a.test", True),
        (("http://a.test",), "HTTP://A.TEST", True),  # rs/cors compares case-insensitively
        (("HTTP://A.test",), "http://a.TEST", True),
        (("http://a.test",), "http://a.test:8080", False),
        (("http://a.test",), "http://b.test", False),
        (("https://*.example.com",), "https://api.example.com", True),
        (("https://*.example.com",), "https://a.b.example.com", True),
        (("https://*.example.com",), "https://example.com", False),
        (("https://*.example.com",), "http://api.example.com", False),
        (("https://*.example.com",), "https://.example.com", True),  # * matches zero chars
        (("https://*example.com",), "https://example.com", True),
        (("http://a.test", "*"), "http://anything", True),
        (("http://*.a.test", "http://b.test"), "http://b.test", True),
        (("http://*", "http://b.test"), "https://b.test", False),
    ],
)
def test_origins(origins: tuple[str, ...], origin: str, allowed: bool) -> None:
    layer = cors(allow_origins=origins)
    result = answer(layer, origin=origin, access_control_request_method="GET")
    expected_origin = "*" if "*" in origins else origin
    expected = {"access-control-allow-origin": [expected_origin]} if allowed else {}
    got = allow_headers(result.headers)
    assert {k: v for k, v in got.items() if k.endswith("origin")} == expected
    actual = layer.response_headers("GET", hdrs(origin=origin))
    assert ("access-control-allow-origin" in as_dict(actual)) is allowed


def test_missing_or_empty_origin_is_refused() -> None:
    layer = cors(allow_origins=("http://a.test",))
    for headers in (
        hdrs(access_control_request_method="GET"),
        hdrs(origin="", access_control_request_method="GET"),
    ):
        result = layer.preflight("OPTIONS", headers)
        assert result is not None
        assert result.headers == [(b"vary", PREFLIGHT_VARY)]
        assert layer.response_headers("GET", headers[:1]) == [(b"vary", b"Origin")]


@pytest.mark.parametrize(
    ("methods", "requested", "allowed"),
    [
        (("GET", "PUT"), "PUT", True),
        (("GET", "PUT"), "DELETE", False),
        (("GET",), "OPTIONS", True),  # rs/cors always allows OPTIONS
        (("get",), "GET", False),  # v1.11 compares methods case-sensitively
        (("PATCH",), "GET", False),  # an explicit list replaces the defaults
    ],
)
def test_methods(methods: tuple[str, ...], requested: str, allowed: bool) -> None:
    layer = cors(allow_methods=methods)
    result = answer(layer, origin="http://a", access_control_request_method=requested)
    expected = {"access-control-allow-origin": ["*"], "access-control-allow-methods": [requested]}
    assert allow_headers(result.headers) == (expected if allowed else {})


@pytest.mark.parametrize(
    ("requested", "allowed"),
    [
        ("content-type", True),
        ("authorization,content-type", True),
        ("authorization, content-type", True),  # one byte of OWS is tolerated
        (" authorization ,content-type ", True),
        ("authorization,  content-type", False),  # two are not
        ("content-type,authorization", False),  # browsers sort: unsorted is refused
        ("content-type,content-type", False),  # and unique
        ("Content-Type", False),  # and lower-case
        ("x-pingother", False),
        ("", True),  # present but empty: allowed, no Allow-Headers echoed
        ("content-type,,", True),  # a few empty elements are tolerated
        ("," * 15, True),  # 16 empty elements
        ("," * 16, False),  # 17 are too many
        ("  ", True),
        ("   ", False),
    ],
)
def test_listed_headers(requested: str, allowed: bool) -> None:
    layer = cors(allow_headers=("Content-Type", "AUTHORIZATION"))
    result = answer(
        layer,
        origin="http://a",
        access_control_request_method="GET",
        access_control_request_headers=requested,
    )
    got = allow_headers(result.headers)
    assert ("access-control-allow-origin" in got) is allowed
    if allowed and requested:
        assert got["access-control-allow-headers"] == [requested]
    else:
        assert "access-control-allow-headers" not in got


def test_split_request_headers_are_checked_together_and_all_echoed() -> None:
    layer = cors(allow_headers=("a", "b"))
    base = hdrs(origin="http://x", access_control_request_method="GET")
    split = [
        *base,
        (b"access-control-request-headers", b"a"),
        (b"access-control-request-headers", b"b"),
    ]
    got = allow_headers(answer_for(layer, split).headers)
    assert got["access-control-allow-headers"] == ["a", "b"]
    wrong = [
        *base,
        (b"access-control-request-headers", b"b"),
        (b"access-control-request-headers", b"a"),
    ]
    assert allow_headers(answer_for(layer, wrong).headers) == {}


@pytest.mark.parametrize(
    ("max_age", "expected"),
    [
        (None, None),
        (0.0, None),
        (600.0, "600"),
        (90.9, "90"),
        (0.5, None),
        (-1.0, "0"),
        (float("inf"), None),
    ],
)
def test_max_age(max_age: float | None, expected: str | None) -> None:
    layer = cors(max_age=None if max_age is None else Seconds(max_age))
    got = as_dict(answer(layer, origin="http://a", access_control_request_method="GET").headers)
    assert got.get("access-control-max-age") == (None if expected is None else [expected])
    refused = as_dict(answer(layer, origin="http://a", access_control_request_method="PUT").headers)
    assert "access-control-max-age" not in refused
    # Max-Age belongs to preflights only.
    assert "access-control-max-age" not in as_dict(
        layer.response_headers("GET", hdrs(origin="http://a"))
    )


@pytest.mark.parametrize(("configured", "expected"), [(204, 204), (200, 200), (0, 204)])
def test_options_success_status(configured: int, expected: int) -> None:
    layer = cors(options_success_status=configured)
    assert answer(layer, origin="http://a", access_control_request_method="GET").status == expected
    assert answer(layer, origin="http://a", access_control_request_method="PUT").status == expected
