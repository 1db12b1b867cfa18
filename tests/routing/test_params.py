"""Which params and claim values may reach a backend path (routing/params.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_gateway.proxy.request import UrlTemplate
from trio_gateway.routing.gourl import UrlParseError
from trio_gateway.routing.params import ENCODED_PARAMS, bad_params, bad_value
from trio_gateway.routing.router import Match, Router

ENCODED = ENCODED_PARAMS.decode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # lura router/gin/engine_test.go TestNewEngine_paramsAreChecked (gin gives the params
        # decoded: /user/123%3f/public has the param "123?")
        ("123", None),
        ("123?", ENCODED),
        ("123#", ENCODED),
        # Go's PathUnescape (url_test.go unescapeTests) on what the decoded path can hold
        ("1%41", ENCODED),  # /p/1%2541: unescaping changes it
        ("%", 'error: invalid URL escape "%"'),  # /p/%25
        ("100%", 'error: invalid URL escape "%"'),  # /p/100%25 and a raw /p/100%
        ("%a", 'error: invalid URL escape "%a"'),
        ("%1", 'error: invalid URL escape "%1"'),
        ("123%45%6", 'error: invalid URL escape "%6"'),  # the bad escape wins over a good one
        ("%zzzzz", 'error: invalid URL escape "%zz"'),  # a raw /p/%zzzzz
        ("a+b", None),
        ("a b", None),
        ("\u00e9", None),
        # dot segments (ours): as they are, with ;params (Tomcat, Jetty), with \ as a separator
        (".", ENCODED),
        ("..", ENCODED),
        ("..;", ENCODED),
        ("..;jsessionid=1", ENCODED),
        (".;x", ENCODED),
        ("..\\", ENCODED),
        ("a\\..", ENCODED),
        ("a\\..\\b", ENCODED),
        ("...", None),
        ("a..b", None),
        ("..a", None),
        (".a", None),
        (";..", None),
        # claim values, which may hold `/`
        ("../../admin", ENCODED),
        ("a/../b", ENCODED),
        ("a/./b", ENCODED),
        ("/..", ENCODED),
        ("a/b", None),
        ("tenant/..x", None),
        ("a%2F..", ENCODED),
    ],
)
def test_bad_value(value: str, expected: str | None) -> None:
    problem = bad_value(value)
    assert (problem.decode() if problem is not None else None) == expected


def test_bad_params_reports_the_first_param_in_path_order() -> None:
    # gin's c.Params are in path order; the router gives them in that order too.
    found = Router([("GET", "/a/{x}/{y}", "h")]).match("GET", "/a/%zz/b?c")
    assert isinstance(found, Match)
    assert list(found.params) == ["x", "y"]
    assert bad_params(found.params) == b'error: invalid URL escape "%zz"'
    assert bad_params({"x": "ok", "y": "1?"}) == ENCODED_PARAMS
    assert bad_params({"x": "ok", "y": "fine"}) is None


@given(st.text(min_size=1, max_size=12))
def test_an_accepted_claim_never_leaves_its_place_in_the_backend_path(value: str) -> None:
    # What the checker lets through stays below /backend/ and before /tail, with no dot segment
    # and no query or fragment of its own.
    if bad_value(value) is not None:
        return
    try:
        path = UrlTemplate("/backend/{JWT.sub}/tail").render({"JWT.sub": value})
    except UrlParseError as exc:  # a control byte: Go's url.Parse fails the call (500)
        assert exc.reason == "net/url: invalid control character in URL"
        return
    segments = path.split("/")
    assert segments[:2] == ["", "backend"] and segments[-1] == "tail"
    assert "?" not in path and "." not in segments and ".." not in segments
