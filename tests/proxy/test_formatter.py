"""Per-backend manipulation, table-driven from the reference §3.3."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_gateway.proxy.formatter import compile_formatter

DOC: dict[str, Any] = {
    "a": {"b": 1, "c": {"d": 2, "e": 3}},
    "f": [1, 2],
    "g": "text",
    "h": {},
}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"target": "a"}, {"b": 1, "c": {"d": 2, "e": 3}}),
        ({"target": "a.c"}, {"d": 2, "e": 3}),
        ({"target": "missing"}, {}),
        ({"target": "f"}, {}),  # not an object
        ({"target": "a.b"}, {}),
        ({"allow": ["g"]}, {"g": "text"}),
        ({"allow": ["a.c.d", "g"]}, {"a": {"c": {"d": 2}}, "g": "text"}),
        ({"allow": ["f.0"]}, {}),  # allow never walks into arrays
        ({"allow": ["h.x"]}, {}),  # nothing survives inside -> key removed
        ({"allow": ["a", "a.b"]}, {"a": {"b": 1}}),  # order-dependent, as in lura
        ({"allow": ["a.b", "a"]}, {"a": {"b": 1, "c": {"d": 2, "e": 3}}}),
        ({"allow": ["g"], "deny": ["g"]}, {"g": "text"}),  # allow wins
        ({"deny": ["a.c.e", "f"]}, {"a": {"b": 1, "c": {"d": 2}}, "g": "text", "h": {}}),
        ({"deny": ["a"]}, {"f": [1, 2], "g": "text", "h": {}}),
        ({"deny": ["zz.y"]}, DOC),
        ({"mapping": {"g": "text"}}, {"a": DOC["a"], "f": [1, 2], "text": "text", "h": {}}),
        ({"mapping": {"g": "x.y"}}, {"a": DOC["a"], "f": [1, 2], "x": "text", "h": {}}),
        ({"mapping": {"nope": "x"}}, DOC),
        ({"group": "grp"}, {"grp": DOC}),
        (
            {"target": "a", "allow": ["c"], "mapping": {"c": "cc"}, "group": "g"},
            {"g": {"cc": {"d": 2, "e": 3}}},
        ),
        ({"target": "missing", "group": "g"}, {"g": {}}),  # group always applies
    ],
)
def test_manipulation_table(options: dict[str, Any], expected: dict[str, Any]) -> None:
    formatter = compile_formatter(**options)
    assert formatter is not None
    assert formatter(copy.deepcopy(DOC)) == expected


def test_no_options_means_no_formatter() -> None:
    assert compile_formatter() is None


def test_group_of_null_data() -> None:
    formatter = compile_formatter(group="g")
    assert formatter is not None
    assert formatter(None) == {"g": None}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=12,
)
documents = st.dictionaries(st.text(max_size=3), json_values, max_size=5)
paths = st.lists(st.text(alphabet="ab.", min_size=1, max_size=5), max_size=3)


@given(documents, paths, paths)
def test_allow_deny_never_raise(doc: dict[str, Any], allow: list[str], deny: list[str]) -> None:
    formatter = compile_formatter(allow=allow, deny=deny)
    if formatter is not None:
        assert isinstance(formatter(copy.deepcopy(doc)), dict)


@given(documents)
def test_allow_all_top_level_keys_is_identity(doc: dict[str, Any]) -> None:
    keys = [k for k in doc if k and "." not in k]
    formatter = compile_formatter(allow=keys)
    if formatter is not None and doc:
        assert formatter(copy.deepcopy(doc)) == {k: doc[k] for k in keys}


@given(documents, paths)
def test_deny_is_idempotent(doc: dict[str, Any], deny: list[str]) -> None:
    formatter = compile_formatter(deny=deny)
    if formatter is not None:
        once = formatter(copy.deepcopy(doc))
        assert formatter(copy.deepcopy(once)) == once
