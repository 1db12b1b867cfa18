"""Output encodings that issue 2 ships: json, json-collection, string (reference §6)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_gateway.encoding import get_renderer
from trio_gateway.encoding.render import dumps_go


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": [1, 2]}, b'{"a":[1,2],"b":1}'),
        ({"h": "<a>&</a>"}, b'{"h":"\\u003ca\\u003e\\u0026\\u003c/a\\u003e"}'),
        ({"s": "\u2028\u2029"}, b'{"s":"\\u2028\\u2029"}'),
        ({"u": "é"}, '{"u":"é"}'.encode()),
        (None, b"null"),
        ({"big": 2**70}, b'{"big":1180591620717411303424}'),
    ],
)
def test_dumps_go(value: Any, expected: bytes) -> None:
    assert dumps_go(value) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(), c, max_size=3),
    max_leaves=10,
)


@given(json_values)
def test_dumps_go_round_trips(value: Any) -> None:
    assert json.loads(dumps_go(value)) == value


@pytest.mark.parametrize(
    ("encoding", "data", "content_type", "body"),
    [
        ("json", {"a": 1}, b"application/json; charset=utf-8", b'{"a":1}'),
        ("unknown", {"a": 1}, b"application/json; charset=utf-8", b'{"a":1}'),
        ("json-collection", {"collection": [1, 2]}, b"application/json; charset=utf-8", b"[1,2]"),
        ("json-collection", {"other": 1}, b"application/json; charset=utf-8", b"[]"),
        ("string", {"content": "hi"}, b"text/plain; charset=utf-8", b"hi"),
        ("string", {"content": 42}, b"text/plain; charset=utf-8", b""),
    ],
)
def test_renderers(encoding: str, data: dict[str, Any], content_type: bytes, body: bytes) -> None:
    assert get_renderer(encoding)(data) == (content_type, body)
