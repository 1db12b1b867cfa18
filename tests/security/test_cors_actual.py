"""`security/cors`: actual requests, passthrough, private network and fuzzing (reference §11)."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.security import PREFLIGHT_VARY, Headers, answer, answer_for, as_dict, cors, hdrs
from trio_gateway.config.model import Seconds
from trio_gateway.security import CORS
from trio_gateway.security.cors import CORSConfig, canonical_header_key


def test_options_passthrough_routes_the_preflight_but_keeps_its_headers() -> None:
    layer = cors(options_passthrough=True, max_age=Seconds(5.0))
    headers = hdrs(
        origin="http://a", access_control_request_method="GET", access_control_request_headers="x-a"
    )
    assert layer.preflight("OPTIONS", headers) is None
    assert as_dict(layer.response_headers("OPTIONS", headers)) == {
        "vary": [PREFLIGHT_VARY.decode()],
        "access-control-allow-origin": ["*"],
        "access-control-allow-methods": ["GET"],
        "access-control-allow-headers": ["x-a"],
        "access-control-max-age": ["5"],
    }


def test_private_network() -> None:
    layer = cors(allow_private_network=True)
    base = hdrs(origin="http://a", access_control_request_method="GET")
    granted = answer_for(layer, [*base, (b"access-control-request-private-network", b"true")])
    got = as_dict(granted.headers)
    assert got["vary"] == [PREFLIGHT_VARY.decode() + ", Access-Control-Request-Private-Network"]
    assert got["access-control-allow-private-network"] == ["true"]
    for value in (b"false", b"TRUE"):
        other = as_dict(
            answer_for(layer, [*base, (b"access-control-request-private-network", value)]).headers
        )
        assert "access-control-allow-private-network" not in other
    off = as_dict(
        answer_for(cors(), [*base, (b"access-control-request-private-network", b"true")]).headers
    )
    assert "access-control-allow-private-network" not in off
    assert off["vary"] == [PREFLIGHT_VARY.decode()]


# --- actual requests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "headers", "granted"),
    [
        ("GET", hdrs(origin="http://a.test"), True),
        ("OPTIONS", hdrs(origin="http://a.test"), True),  # an OPTIONS that is not a preflight
        ("DELETE", hdrs(origin="http://a.test"), False),  # method not allowed: served, no grant
        ("GET", hdrs(origin="http://evil.test"), False),
        ("GET", hdrs(user_agent="x"), False),
        ("GET", [], False),
    ],
)
def test_vary_origin_on_every_actual_response(method: str, headers: Headers, granted: bool) -> None:
    layer = cors(allow_origins=("http://a.test",))
    got = as_dict(layer.response_headers(method, headers))
    assert got["vary"] == ["Origin"]
    assert ("access-control-allow-origin" in got) is granted
    assert "access-control-allow-methods" not in got


def test_debug_logs_refusals(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="trio_gateway.security.cors")
    cors(allow_origins=("http://a",), debug=True).response_headers("GET", hdrs(origin="http://b"))
    assert any(r.getMessage().startswith("[CORS] actual request: origin") for r in caplog.records)
    caplog.clear()
    cors(allow_origins=("http://a",)).response_headers("GET", hdrs(origin="http://b"))
    assert caplog.records == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("content-length", "Content-Length"),
        ("X-TOTAL-count", "X-Total-Count"),
        ("bad name", "bad name"),
        ("", ""),
    ],
)
def test_canonical_header_key(name: str, expected: str) -> None:
    assert canonical_header_key(name) == expected


NAMES = st.sampled_from(
    [
        b"origin",
        b"access-control-request-method",
        b"access-control-request-headers",
        b"access-control-request-private-network",
        b"user-agent",
    ]
)


@given(
    method=st.sampled_from(["OPTIONS", "GET", "POST", "PUT"]) | st.text(max_size=8),
    headers=st.lists(st.tuples(NAMES | st.binary(max_size=8), st.binary(max_size=40)), max_size=8),
    config=st.builds(
        CORSConfig,
        allow_origins=st.sampled_from([(), ("http://a",), ("http://*.a", "http://b")]),
        allow_headers=st.sampled_from([(), ("x-a", "origin")]),
        allow_credentials=st.booleans(),
        allow_private_network=st.booleans(),
        options_passthrough=st.booleans(),
    ),
)
def test_arbitrary_headers_never_raise(method: str, headers: Headers, config: CORSConfig) -> None:
    layer = CORS.from_config(config)
    result = layer.preflight(method, headers)
    added = layer.response_headers(method, headers)
    assert added[0][0] == b"vary"
    if result is not None:
        assert result.headers[0][0] == b"vary"
        assert all(isinstance(v, bytes) for _, v in result.headers)


def test_listed_origin_is_echoed_with_credentials_and_vary() -> None:
    layer = cors(
        allow_origins=("https://app.test",),
        allow_credentials=True,
        expose_headers=("x-total", "etag"),
    )
    result = answer(layer, origin="https://app.test", access_control_request_method="POST")
    assert as_dict(result.headers) == {
        "vary": [PREFLIGHT_VARY.decode()],
        "access-control-allow-origin": ["https://app.test"],
        "access-control-allow-methods": ["POST"],
        "access-control-allow-credentials": ["true"],
    }
    actual = layer.response_headers("POST", hdrs(origin="https://app.test"))
    assert as_dict(actual) == {
        "vary": ["Origin"],
        "access-control-allow-origin": ["https://app.test"],
        "access-control-expose-headers": ["X-Total, Etag"],
        "access-control-allow-credentials": ["true"],
    }
