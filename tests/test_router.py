"""Routing: matches, precedence, and gin's answers for misses (reference §7.3)."""

from __future__ import annotations

import pytest

from trio_gateway.routing.router import (
    Match,
    MethodNotAllowed,
    NotFound,
    Redirect,
    Router,
    RouterOptions,
)

ROUTES = [
    ("GET", "/users/{id}", "user"),
    ("GET", "/users/me", "me"),
    ("POST", "/users/{id}", "user-post"),
    ("GET", "/users/{id}/orders", "orders"),
    ("GET", "/static", "static"),
    ("GET", "/files/", "files-dir"),
    ("PUT", "/things/{a}/{b}", "things"),
]


@pytest.fixture
def router() -> Router[str]:
    return Router(ROUTES)


@pytest.mark.parametrize(
    ("method", "path", "handler", "params"),
    [
        ("GET", "/users/42", "user", {"id": "42"}),
        ("GET", "/users/me", "me", {}),  # a static segment wins over a param
        ("POST", "/users/me", "user-post", {"id": "me"}),  # ...but only for its own method
        ("GET", "/users/42/orders", "orders", {"id": "42"}),
        ("GET", "/static", "static", {}),
        ("PUT", "/things/x/y", "things", {"a": "x", "b": "y"}),
        ("GET", "/users/a b", "user", {"id": "a b"}),
        ("GET", "/users/é", "user", {"id": "é"}),
    ],
)
def test_matches(
    router: Router[str], method: str, path: str, handler: str, params: dict[str, str]
) -> None:
    found = router.match(method, path)
    assert found == Match(handler, params)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/nope", NotFound()),
        ("GET", "/users", NotFound()),
        ("GET", "/users/", NotFound()),  # an empty segment never matches a param
        ("GET", "/users/1/2", NotFound()),
        ("DELETE", "/users/42", MethodNotAllowed(("GET", "POST"))),
        ("HEAD", "/static", MethodNotAllowed(("GET",))),  # HEAD is not mapped to GET
        ("GET", "/static/", Redirect("/static", 301)),
        ("GET", "/files", Redirect("/files/", 301)),
        ("POST", "/users/42/", Redirect("/users/42", 307)),
        ("GET", "/StAtic", Redirect("/static", 301)),
        ("GET", "/a/../static", Redirect("/static", 301)),
        ("GET", "//static", Redirect("/static", 301)),
    ],
)
def test_misses(router: Router[str], method: str, path: str, expected: object) -> None:
    assert router.match(method, path) == expected


def test_redirects_and_405_can_be_disabled() -> None:
    router = Router(
        ROUTES,
        RouterOptions(
            redirect_trailing_slash=False,
            redirect_fixed_path=False,
            handle_method_not_allowed=False,
        ),
    )
    assert router.match("GET", "/static/") == NotFound()
    assert router.match("GET", "/StAtic") == NotFound()
    assert router.match("DELETE", "/users/42") == NotFound()


def test_remove_extra_slash() -> None:
    router = Router(ROUTES, RouterOptions(remove_extra_slash=True))
    assert router.match("GET", "/users//42") == Match("user", {"id": "42"})


def test_param_inside_a_segment() -> None:
    # disable_rest lets a placeholder sit inside a segment; gin gives the rest of it to the param.
    router = Router([("GET", "/file.{ext}", "file")])
    assert router.match("GET", "/file.tar.gz") == Match("file", {"ext": "tar.gz"})
    assert router.match("GET", "/other.txt") == NotFound()


def test_backtracking_prefers_static_then_param() -> None:
    router = Router([("GET", "/a/b/c", "static"), ("GET", "/a/{x}/d", "param")])
    assert router.match("GET", "/a/b/d") == Match("param", {"x": "b"})
    assert router.match("GET", "/a/b/c") == Match("static", {})


def test_405_allow_is_the_union_over_method_trees() -> None:
    router = Router(
        [("GET", "/u/me", "me"), ("POST", "/u/{id}", "post"), ("PUT", "/u/{id}", "put")]
    )
    assert router.match("DELETE", "/u/me") == MethodNotAllowed(("GET", "POST", "PUT"))
