"""`backend/graphql` request building, table-driven from lura's graphql tests and Go's json."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_gateway.errors import BackendError
from trio_gateway.proxy.graphql import GraphQLConfig, compile_graphql
from trio_gateway.types import Request

QUERY = "{ q(func: uid(1)) { uid } }"
MUTATION = (
    "mutation addAuthor($author: [AddAuthorInput!]!) {\n  addAuthor(input: $author) {\n"
    "    author {\n      id\n      name\n    }\n  }\n}\n"
)


def request(body: bytes = b"", **params: str) -> Request:
    return Request(method="GET", path="/", params=params, query=[], headers=[], body=body)


def call(names: dict[str, str] | None = None, **config: Any) -> Any:
    return compile_graphql(GraphQLConfig(**config), names or {})


def test_a_query_without_placeholders_is_one_precomputed_body() -> None:
    graphql = call(type="query", query=QUERY, variables={"a": 1, "b": "x"})
    assert graphql.static_body == b'{"query":"' + QUERY.encode() + b'","variables":{"a":1,"b":"x"}}'
    assert graphql.body(request(id="7")) is graphql.static_body
    assert graphql.method == "POST"


def test_query_placeholders_are_filled_from_the_request_params() -> None:
    # lura's TestNewGraphQLMiddleware_query, with the endpoint spelling of the params
    graphql = call(
        {"Foo": "foo", "Bar": "bar"},
        method="get",
        type="query",
        query=QUERY,
        variables={"name": "{foo}", "dob": "{bar}", "posts": []},
    )
    assert graphql.method == "GET"
    pairs = dict(graphql.query_pairs(request(foo="foo", bar="bar")))
    assert pairs["query"] == QUERY
    assert json.loads(pairs["variables"]) == {"name": "foo", "dob": "bar", "posts": []}
    assert "operationName" not in pairs


def test_a_missing_param_is_an_empty_string_as_gos_map_gives() -> None:
    graphql = call({"Id": "id"}, type="query", query=QUERY, variables={"id": "{id}"})
    assert json.loads(graphql.body(request()))["variables"] == {"id": ""}


def test_a_mutation_takes_the_body_and_fills_missing_keys_from_the_config() -> None:
    graphql = call(
        type="mutation",
        query=MUTATION,
        variables={"author": {"name": "A.N. Author", "dob": "2000-01-01", "posts": []}, "n": 1},
    )
    sent = json.loads(graphql.body(request(b'{"author": {"name": "foo"}, "extra": true}')))
    assert sent == {
        "query": MUTATION,
        "variables": {"author": {"name": "foo"}, "extra": True, "n": 1},
    }


def test_mutation_placeholders_are_not_filled() -> None:
    # lura builds the replacements but BodyFromBody never uses them (krakend-ce#1052)
    graphql = call({"Id": "id"}, type="mutation", query=MUTATION, variables={"id": "{id}"})
    assert json.loads(graphql.body(request(b"{}", id="7")))["variables"] == {"id": "{id}"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "unexpected end of JSON input"),
        (b"[1]", "cannot unmarshal"),
        (b'"x"', "cannot unmarshal"),
        (b"{nope", "invalid request body"),
    ],
)
def test_a_mutation_body_that_is_not_a_json_object_fails_the_call(
    body: bytes, message: str
) -> None:
    graphql = call(type="mutation", query=MUTATION)
    with pytest.raises(BackendError, match=message):
        graphql.body(request(body))


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (5, b"5"),
        (5.0, b"5"),
        (0.1, b"0.1"),
        (1e-7, b"1e-7"),
        (1e21, b"1e+21"),
        (123456789012345678901234, b"1.2345678901234569e+23"),
        ("<a&b>", b'"\\u003ca\\u0026b\\u003e"'),
    ],
)
def test_values_are_marshalled_as_go_marshals_a_decoded_body(value: Any, written: bytes) -> None:
    graphql = call(type="mutation", query="m")
    body = graphql.body(request(json.dumps({"v": value}).encode()))
    assert body == b'{"query":"m","variables":{"v":' + written + b"}}"


def test_operation_name_is_sent_when_set() -> None:
    graphql = call(type="query", query="q", operationName="Op")
    assert graphql.body(request()) == b'{"query":"q","operationName":"Op"}'
    assert graphql.query_pairs(request()) == [("query", "q"), ("operationName", "Op")]


def test_headers_carry_the_json_content_type_and_no_stale_length() -> None:
    graphql = call(type="query", query="q")
    headers = graphql.headers(
        [(b"Content-Type", b"text/plain"), (b"Content-Length", b"3"), (b"X-A", b"1")], b"{}"
    )
    assert headers == [(b"X-A", b"1"), (b"Content-Type", b"application/json")]


def test_query_path_replaces_the_query(tmp_path: Any) -> None:
    path = tmp_path / "q.graphql"
    path.write_text("{ fromfile }")
    graphql = call(type="QUERY", query="ignored", query_path=str(path))
    assert json.loads(graphql.body(request())) == {"query": "{ fromfile }"}


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none()
            | st.booleans()
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.integers(-(2**60), 2**60)
            | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=4), inner, max_size=3)
            ),
            max_leaves=10,
        ),
        max_size=5,
    )
)
def test_any_json_object_body_becomes_valid_json_with_the_same_values(body: dict[str, Any]) -> None:
    graphql = call(type="mutation", query="m")
    sent = json.loads(graphql.body(request(json.dumps(body).encode())))
    assert sent["query"] == "m"
    got = sent.get("variables", {})
    assert set(got) == set(body)
    for key, value in body.items():
        if isinstance(value, float | int) and not isinstance(value, bool):
            assert got[key] == pytest.approx(float(value))
