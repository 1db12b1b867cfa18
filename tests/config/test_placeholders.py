"""Path and placeholder helpers reproduce lura's regexes (reference §1.7)."""

from __future__ import annotations

import pytest

from trio_gateway.config.placeholders import (
    backend_placeholders,
    clean_path,
    endpoint_params,
    gin_path,
    is_invalid_endpoint_path,
    is_sequential_or_jwt,
)


@pytest.mark.parametrize(
    ("path", "disable_rest", "params"),
    [
        ("/user/{id}", False, ("id",)),
        ("/user/{id}", True, ("id",)),
        ("/a/{b}/{c-d_9}", False, ("b", "c-d_9")),
        ("/file.{ext}", False, ()),  # strict REST: a parameter is a whole segment
        ("/file.{ext}", True, ("ext",)),
        ("/x/{id}.json", False, ("id",)),  # extracted, although gin will name it "id.json"
        ("/a/{b.c}", False, ()),
        ("/a/{b.c}", True, ("b.c",)),
        ("/a/{}", False, ()),
        ("/a/{ünï}", True, ()),  # Go's \w is ASCII-only
        ("/a?x={q}", False, ()),
        ("/a?x={q}", True, ("q",)),
        ("/a/{id}/b/{id}", False, ("id", "id")),
    ],
)
def test_endpoint_params(path: str, disable_rest: bool, params: tuple[str, ...]) -> None:
    assert endpoint_params(path, disable_rest) == params


@pytest.mark.parametrize(
    ("path", "disable_rest", "route"),
    [
        ("/user/{id}", False, "/user/:id"),
        ("/file.{ext}", False, "/file.{ext}"),
        ("/file.{ext}", True, "/file.:ext"),
        ("/a/{id}?x={id}", False, "/a/:id?x={id}"),  # only the part before "?" is rewritten
        ("/static", False, "/static"),
    ],
)
def test_gin_path(path: str, disable_rest: bool, route: str) -> None:
    assert gin_path(path, disable_rest) == route


@pytest.mark.parametrize(
    ("url_pattern", "placeholders"),
    [
        ("/users/{id}?x={q}", ("id", "q")),
        ("/{resp0_a.b}/{JWT.sub}", ("resp0_a.b", "JWT.sub")),
        ("/{a:b/c}", ("a:b/c",)),
        ("/file.{ext}", ("ext",)),
        ("/{}", ()),
        ("/{a b}", ()),
        ("/plain", ()),
    ],
)
def test_backend_placeholders(url_pattern: str, placeholders: tuple[str, ...]) -> None:
    assert backend_placeholders(url_pattern) == placeholders


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("resp0_id", True),
        ("resp12_a.b", True),
        ("JWT.sub", True),
        ("JWT.https://example.com/roles", True),
        ("resp0_JWT.sub", True),
        ("resp0", False),  # no underscore: a plain placeholder in KrakenD too
        ("resp_x", False),
        ("JWT.", False),
        ("jwt.sub", False),
        ("id", False),
        ("resp0_x\n", False),  # Go's "." and "$" do not accept a trailing newline
        ("", True),  # the regex matches the empty string (a placeholder is never empty)
    ],
)
def test_is_sequential_or_jwt(name: str, expected: bool) -> None:
    assert is_sequential_or_jwt(name) is expected


@pytest.mark.parametrize(
    ("path", "cleaned"),
    [("users", "/users"), ("/users", "/users"), ("//users", "//users"), ("", "/")],
)
def test_clean_path_adds_exactly_one_leading_slash(path: str, cleaned: str) -> None:
    assert clean_path(path) == cleaned


@pytest.mark.parametrize(
    ("path", "invalid"),
    [
        ("/__health", True),
        ("/foo/__health", True),
        ("/__health/x", True),
        ("/__debug", True),
        ("/__debug/", True),
        ("/__echo", True),
        ("/__debugger", False),
        ("/__health\n", False),  # Go's "$" is the end of the text
        ("/a*b", True),
        ("/a/**", True),
        ("/a/*", False),  # passes lura's validation (gin then panics: see validate)
        ("users", True),
        ("/users/{id}", False),
    ],
)
def test_is_invalid_endpoint_path(path: str, invalid: bool) -> None:
    assert is_invalid_endpoint_path(path) is invalid
