"""Tests for `trio_gateway.proxy.flatmap` (reference §3.3, §3.4, §8).

The `PORTED_*` tables and the `ported` tests are `krakend/flatmap` v1.2.0's `tree/tree_test.go`
and `tree_example_test.go`, with the expected tree dumps written as JSON. Every expectation in
`SPEC` and `PORTED_*` was also checked by running that Go package on the same input (visiting
object keys in document order where Go's map order is random: only the duplicate-label cases
depend on it).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_gateway.proxy.flatmap import _explode, _get, compile_flatmap

Ops = list[tuple[str, list[str]]]


def run(data: dict[str, Any] | None, ops: Ops) -> dict[str, Any] | None:
    fn = compile_flatmap(ops)
    assert fn is not None
    return fn(data)


def move(src: str, dst: str) -> tuple[str, list[str]]:
    return ("move", [src, dst])


def delete(*paths: str) -> tuple[str, list[str]]:
    return ("del", list(paths))


def append(src: str, dst: str) -> tuple[str, list[str]]:
    return ("append", [src, dst])


NESTED_B = [
    {"b": [{"c": {"a": 1}, "aa": 1}, {"c": {"a": 2}, "aa": 1}], "aa": 1},
    {"b": [{"c": {"a": 1}, "aa": 1}], "aa": 1},
]

PORTED_DEL: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("unknown", "abc", {"supu": 42, "tupu": False}, {"supu": 42, "tupu": False}),
    ("empty slice", "data.*.password", {"data": []}, {"data": []}),
    ("empty map", "data.*.password", {"data": {}}, {"data": {}}),
    ("plain", "supu", {"supu": 42, "tupu": False}, {"tupu": False}),
    (
        "element_in_struct",
        "internal.supu",
        {"internal": {"supu": 42, "tupu": False}, "tupu": False},
        {"internal": {"tupu": False}, "tupu": False},
    ),
    (
        "element_in_struct_with_wildcard",
        "a.*.supu",
        {
            "a": {
                "first": {"supu": 42, "tupu": False},
                "0": {"supu": 42, "tupu": True},
                "last": {"supu": 42, "tupu": False},
            },
            "tupu": False,
        },
        {
            "a": {"first": {"tupu": False}, "0": {"tupu": True}, "last": {"tupu": False}},
            "tupu": False,
        },
    ),
    (
        "struct",
        "internal",
        {"internal": {"supu": 42, "tupu": False}, "tupu": False},
        {"tupu": False},
    ),
    (
        "element_in_substruct",
        "internal.internal.supu",
        {
            "internal": {"supu": 42, "tupu": False, "internal": {"supu": 42, "tupu": False}},
            "tupu": False,
        },
        {"internal": {"supu": 42, "tupu": False, "internal": {"tupu": False}}, "tupu": False},
    ),
    (
        "similar_names",
        "a.a.a",
        {"a": {"a": {"a": {"a": 1}, "aa": 1}, "aa": 1}, "tupu": False},
        {"a": {"a": {"aa": 1}, "aa": 1}, "tupu": False},
    ),
    (
        "collection_element_attributes",
        "a.*.a",
        {"a": [{"a": {"a": {"a": 1}, "aa": 1}, "aa": 1}, {"a": 42, "aa": 1}], "tupu": False},
        {"a": [{"aa": 1}, {"aa": 1}], "tupu": False},
    ),
    (
        "nested_collection_element_attributes",
        "a.*.b.*.c",
        {"a": NESTED_B, "tupu": False},
        {"a": [{"b": [{"aa": 1}, {"aa": 1}], "aa": 1}, {"b": [{"aa": 1}], "aa": 1}], "tupu": False},
    ),
    (
        "large_collection_element_attributes",
        "a.*.a",
        {"a": [{"a": i % 2 + 1, "aa": 1} for i in range(12)], "tupu": False},
        {"a": [{"aa": 1}] * 12, "tupu": False},
    ),
]


@pytest.mark.parametrize(
    ("pattern", "data", "expected"), [c[1:] for c in PORTED_DEL], ids=[c[0] for c in PORTED_DEL]
)
def test_ported_del(pattern: str, data: dict[str, Any], expected: dict[str, Any]) -> None:
    assert run(data, [delete(pattern)]) == expected


PORTED_MOVE: list[tuple[str, str, str, dict[str, Any], dict[str, Any]]] = [
    ("plain", "a", "b", {"a": 42}, {"b": 42}),
    ("in_struct", "b.a", "b.c", {"a": 1, "b": {"a": 42}}, {"a": 1, "b": {"c": 42}}),
    (
        "in_struct_depth",
        "b.a",
        "b.b.a.b.a.b.c",
        {"a": 1, "b": {"a": 42}},
        {"a": 1, "b": {"b": {"a": {"b": {"a": {"b": {"c": 42}}}}}}},
    ),
    ("from_struct", "b.a", "c", {"a": 1, "b": {"a": 42}}, {"a": 1, "b": None, "c": 42}),
    (
        "from_struct_with_wildcard",
        "b.*.c",
        "b.*.x",
        {"c": 42, "b": {"first": {"c": {"d": 42}}, "last": {"m": 42, "c": {"d": 42}}}},
        {"c": 42, "b": {"first": {"x": {"d": 42}}, "last": {"m": 42, "x": {"d": 42}}}},
    ),
    (
        "from_struct_with_wildcard_deep",
        "b.*.c",
        "b.*.c.b.x",
        {"c": 42, "b": {"first": {"c": {"d": 42}}, "last": {"m": 42, "c": {"d": 42}}}},
        {
            "c": 42,
            "b": {
                "first": {"c": {"b": {"x": {"d": 42}}}},
                "last": {"m": 42, "c": {"b": {"x": {"d": 42}}}},
            },
        },
    ),
    (
        "from_collection",
        "b.*.c",
        "b.*.x",
        {"a": 42, "b": [{"c": 42}, {"c": {"d": 42}}]},
        {"a": 42, "b": [{"x": 42}, {"x": {"d": 42}}]},
    ),
    (
        "from_struct_nested",
        "b.b",
        "c",
        {"a": 42, "b": {"a": 42, "bb": True, "b": {"a": 42}}},
        {"a": 42, "b": {"a": 42, "bb": True}, "c": {"a": 42}},
    ),
    (
        "collection",
        "a.*.b",
        "a.*.c",
        {"a": NESTED_B, "tupu": False},
        {"a": [{"aa": 1, "c": e["b"]} for e in NESTED_B], "tupu": False},
    ),
    (
        "recursive_collection",
        "a.*.b.*.c",
        "a.*.b.*.x",
        {"a": NESTED_B, "tupu": False},
        {
            "a": [
                {"b": [{"x": {"a": 1}, "aa": 1}, {"x": {"a": 2}, "aa": 1}], "aa": 1},
                {"b": [{"x": {"a": 1}, "aa": 1}], "aa": 1},
            ],
            "tupu": False,
        },
    ),
]


@pytest.mark.parametrize(
    ("src", "dst", "data", "expected"),
    [c[1:] for c in PORTED_MOVE],
    ids=[c[0] for c in PORTED_MOVE],
)
def test_ported_move(src: str, dst: str, data: dict[str, Any], expected: dict[str, Any]) -> None:
    assert run(data, [move(src, dst)]) == expected


def test_ported_append_plain() -> None:
    assert run({"a": [42], "b": [1]}, [append("a", "b")]) == {"b": [1, 42]}


def test_ported_get() -> None:
    root = _explode({"a": [{"a": i, "aa": 1} for i in range(12)], "b": {"c": [1, 2, 3, 4]}})
    assert _get(root, ["a", "1", "a"]) == 1
    assert _get(root, ["a", "*", "a"]) == list(range(12))
    assert _get(root, ["b", "c"]) == [1, 2, 3, 4]
    assert _get(root, ["b", "x"]) is None


def test_ported_example_new() -> None:
    """`ExampleNew`: deleted object fields vanish; an emptied element becomes null."""
    inner = {"b": True, "c": 42, "d": "tupu"}
    five = [1, 2, 3, 4, 5]
    sample = {
        "supu": 42,
        "tupu": False,
        "foo": "bar",
        "aa": 23,
        "a": {
            "aa": 23,
            "ac": 23,
            "abc": 23,
            "a": {"a": dict(inner), **inner},
            "ab": dict(inner),
            **inner,
            "collection": [{"b": False, "d": "aaaa", "dx": "foobar"}, dict(inner)],
            "collection2": [
                {"d": [{"a": 1, "d": five}, {"d": five}, {"d": five}]},
                {"d": five},
                {"d": five},
            ],
        },
    }
    out = run(sample, [delete("a.b"), delete("a.collection.0"), delete("a.collection2.*.d.*.d")])
    expected_a = {
        "a": {"a": dict(inner), **inner},
        "aa": 23,
        "ab": dict(inner),
        "abc": 23,
        "ac": 23,
        "c": 42,
        "collection": [dict(inner)],
        "collection2": [{"d": [{"a": 1}, None, None]}, {"d": five}, {"d": five}],
        "d": "tupu",
    }
    assert out == {"a": expected_a, "aa": 23, "foo": "bar", "supu": 42, "tupu": False}


COLLECTION = {"collection": [{"i": i, "path": "/collection/2"} for i in range(10)]}
LURA_COLLECTION = {
    "collection": [
        {"body": "some content", "date": "123456789"},
        {"body": "some other content", "date": "123496789"},
    ]
}

SPEC: list[tuple[str, dict[str, Any], Ops, dict[str, Any] | None]] = [
    # §8.2/§8.3 krakend-ce `flatmap_1`
    (
        "ce flatmap_1",
        COLLECTION,
        [
            move("collection", "paths"),
            delete("paths.*.i"),
            move("paths.*.path", "paths.*.url"),
        ],
        {"paths": [{"url": "/collection/2"}] * 10},
    ),
    # §8.4 lura integration suite
    (
        "lura flatmap del",
        LURA_COLLECTION,
        [delete("collection.*.date")],
        {"collection": [{"body": "some content"}, {"body": "some other content"}]},
    ),
    (
        "lura flatmap rename",
        LURA_COLLECTION,
        [move("collection.*.date", "collection.*.created_at")],
        {
            "collection": [
                {"body": "some content", "created_at": "123456789"},
                {"body": "some other content", "created_at": "123496789"},
            ]
        },
    ),
    # §3.4
    ("emptied object is null", {"a": {"b": 1}}, [delete("a.b")], {"a": None}),
    ("del a.0 compacts", {"a": [1, 2, 3]}, [delete("a.0")], {"a": [2, 3]}),
    ("del last wildcard", {"a": [1, 2], "b": 0}, [delete("a.*")], {"a": None, "b": 0}),
    ("del wildcard object", {"a": {"x": 1}}, [delete("*.x")], {"a": None}),
    ("del several args", {"a": 1, "b": 2, "c": 3}, [delete("a", "c")], {"b": 2}),
    ("del through scalar", {"a": 1}, [delete("a.b")], {"a": 1}),
    ("del root emptied", {"a": 1}, [delete("a")], None),
    ("del on empty root", {}, [delete("a")], {}),
    (
        "rename ignores dst middle",
        {"a": {"b": 1}},
        [move("a.b", "x.c")],
        {"a": {"c": 1}},
    ),
    ("rename onto existing key", {"a": 1, "b": 2}, [move("a", "b")], {"b": 2}),
    (
        "promotion",
        {"zone": {"state": "CA", "zip": "1"}, "n": 1},
        [move("zone.state", "shipping_state")],
        {"zone": {"zip": "1"}, "n": 1, "shipping_state": "CA"},
    ),
    (
        "promotion empties parent",
        {"zone": {"state": "CA"}},
        [move("zone.state", "shipping_state")],
        {"zone": None, "shipping_state": "CA"},
    ),
    (
        "promotion wildcard dst label from src",
        {"a": [{"b": {"c": 1}}, {"b": {"c": 2}}]},
        [move("a.*.b.c", "a.*.x")],
        {"a": [{"b": None, "x": 1}, {"b": None, "x": 2}]},
    ),
    (
        "promotion deepest found parent is root",
        {"a": {"b": {"c": 1}}},
        [move("a.b.c", "x.y")],
        {"a": {"b": None}, "y": 1},
    ),
    (
        "promotion deepest found parent",
        {"a": {"b": {"c": 1}}, "x": {"q": 0}},
        [move("a.b.c", "x.y")],
        {"a": {"b": None}, "x": {"q": 0, "y": 1}},
    ),
    (
        "promotion stops at the deepest found parent",
        {"a": {"b": {"c": {"d": 1}}}, "x": {"q": 0}},
        [move("a.b.c.d", "x.m.y")],
        {"a": {"b": {"c": None}}, "x": {"q": 0, "y": 1}},
    ),
    (
        "promotion under a scalar",
        {"s": 5, "b": {"c": {"d": 1}}},
        [move("b.c.d", "s.q")],
        {"s": {"q": 1}, "b": {"c": None}},
    ),
    (
        "promotion of many, later wins",
        {"a": [{"b": 1}, {"b": 2}]},
        [move("a.*.b", "c")],
        {"a": [None, None], "c": 2},
    ),
    ("embedding", {"a": 1, "k": 0}, [move("a", "b.c")], {"b": {"c": 1}, "k": 0}),
    (
        "embedding under src parent",
        {"a": {"b": 1}, "c": {"d": 2}},
        [move("c.d", "a.b.q")],
        {"a": {"b": 1}, "c": {"b": {"q": 2}}},
    ),
    (
        "embedding in each element",
        {"a": [{"b": 1, "c": 0}, {"b": 2, "c": 0}]},
        [move("a.*.b", "a.*.x.b")],
        {"a": [{"c": 0, "x": {"b": 1}}, {"c": 0, "x": {"b": 2}}]},
    ),
    ("embedding into array appends", {"x": 7, "a": [1, 2]}, [move("x", "a.foo")], {"a": [1, 2, 7]}),
    ("append", {"a": [1], "b": [2, 3]}, [append("b", "a")], {"a": [1, 2, 3]}),
    ("append src not array", {"a": [1, 2], "b": "x"}, [append("b", "a")], {"a": [1, 2], "b": "x"}),
    ("append dst missing", {"a": [1, 2]}, [append("a", "b")], {"a": [1, 2]}),
    ("append into empty array", {"a": [], "s": [3]}, [append("s", "a")], {"a": [3]}),
    ("append nested dst", {"a": [1], "b": {"c": [3]}}, [append("a", "b.c")], {"b": {"c": [3, 1]}}),
    ("append to itself", {"a": [1, 2]}, [append("a", "a")], None),
    # Quirks of the Go tree (reference §11.7: code-derived; checked against the Go package).
    ("array labels survive del", {"a": [1, 2, 3]}, [delete("a.0", "a.0")], {"a": [2, 3]}),
    ("del by original index", {"a": [1, 2, 3]}, [delete("a.0", "a.1")], {"a": [3]}),
    (
        "renamed array edge",
        {"a": [1, 2, 3]},
        [move("a.0", "a.x"), delete("a.1")],
        {"a": [1, 3]},
    ),
    (
        "emptied array keeps collection flag",
        {"a": {"b": [1, 2]}, "x": 3},
        [delete("a.b.*"), move("x", "a.b.c")],
        {"a": {"b": [3]}},
    ),
    (
        "emptied object gains edge",
        {"a": {"b": {"k": 1}}, "x": 3},
        [delete("a.b.k"), move("x", "a.b.c")],
        {"a": {"b": {"c": 3}}},
    ),
    (
        "duplicate label: del removes the first",  # the first in document order
        {"a": 1, "b": 2},
        [move("a", "b"), delete("b")],
        {"b": 2},
    ),
    (
        "nested duplicate label: del removes the first",
        {"x": {"a": 1, "b": 2}},
        [move("x.a", "x.b"), delete("x.b")],
        {"x": {"b": 2}},
    ),
    ("array labels are canonical", {"a": ["x", "y"]}, [delete("a.01", "a.1")], {"a": ["x"]}),
    (
        "append after del merges by label",
        {"a": [10, 11, 12], "s": [1, 2]},
        [delete("a.0"), append("s", "a")],
        {"a": [12, 1, 11, 2]},
    ),
    (
        "append merges objects",
        {"a": [{"x": [1, 2]}, {"x": [3]}], "b": [{"x": [7]}]},
        [delete("a.0.x.0"), append("b", "a")],
        {"a": [{"x": [2, 2]}, {"x": [3]}, {"x": [7]}]},
    ),
    (
        "append wildcard src",
        {"a": [1, 2], "s": {"x": 5, "y": 6}},
        [append("s.*", "a")],
        {"a": [1, 2, 5, 6], "s": None},
    ),
    (
        "append wildcard dst is a literal key",
        {"a": [1, 2], "s": [3]},
        [append("s", "a.*")],
        {"a": [1, 2, [1, 2, 3]]},
    ),
    (
        "wildcard label in promotion dst is literal when last",
        {"u": {"v": {"w": 1}}, "p": {"q": 0}},
        [move("u.*.w", "p.*")],
        {"u": {"v": None}, "p": {"q": 0, "*": 1}},
    ),
    (
        # Go builds candidate paths with `append(nap.p, label)`: from the fourth segment on,
        # siblings share a backing array, so `*` in dst takes the last sibling's label.
        "promotion path slice aliasing",
        {"a": [{"b": [{"c": {"d": 1}}, {"c": {"d": 2}}, {"c": {"d": 3}}]}]},
        [move("a.*.b.*.c.d", "a.*.b.*.x")],
        {"a": [{"b": [{"c": None}, {"c": None}, {"c": None, "x": 3}]}]},
    ),
]


@pytest.mark.parametrize(
    ("data", "ops", "expected"), [c[1:] for c in SPEC], ids=[c[0] for c in SPEC]
)
def test_semantics(data: dict[str, Any], ops: Ops, expected: dict[str, Any] | None) -> None:
    before = copy.deepcopy(data)
    assert run(data, ops) == expected
    assert data == before  # the input is never mutated


def test_deep_merge_past_recursion_limit() -> None:
    def nest(depth: int, leaf: int) -> Any:
        value: Any = leaf
        for _ in range(depth):
            value = [value]
        return value

    def unnest(value: Any) -> tuple[int, Any]:  # iterative: `==` would hit the limit too
        depth = 0
        while isinstance(value, list) and len(value) == 1:
            value, depth = value[0], depth + 1
        return depth, value

    out = run({"a": [0, nest(3000, 1)], "s": [nest(3000, 2)]}, [delete("a.0"), append("s", "a")])
    assert out is not None
    assert len(out["a"]) == 2
    assert [unnest(v) for v in out["a"]] == [(3000, 2), (3000, 1)]  # same-label merge, as Go


def test_compile_parsing() -> None:
    assert compile_flatmap([]) is None
    assert compile_flatmap([("move", ["a"]), ("append", [])]) is None
    fn = compile_flatmap([("move", ["a"]), ("del", ["b.c"])])
    assert fn is not None
    assert fn({"a": 1, "b": {"c": 1, "d": 2}}) == {"a": 1, "b": {"d": 2}}
    fn = compile_flatmap([("move", ["a", "b", "c"])])  # extra args are ignored
    assert fn is not None
    assert fn({"a": 1}) == {"b": 1}


@pytest.mark.parametrize("ops", [[("del", [])], [("mov", ["a", "b"])]])
def test_noop_operations_still_compile(ops: Ops) -> None:
    """lura keeps such items, so the flatmap formatter still replaces allow/deny/mapping."""
    fn = compile_flatmap(ops)
    assert fn is not None
    data = {"a": {"b": 1}}
    assert fn(data) == {"a": {"b": 1}}


@pytest.mark.parametrize("data", [None, [1, 2], 3, "x"])
def test_non_object_data_gives_none(data: Any) -> None:
    assert run(data, [delete("a")]) is None


# --- properties ---------------------------------------------------------------------------

KEYS = ["a", "b", "c", "0", "1"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["s", ""]),
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from(KEYS), kids, max_size=4)
    ),
    max_leaves=25,
)
documents = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=5)
paths = st.lists(st.sampled_from([*KEYS, "*", "2", ""]), min_size=1, max_size=4).map(".".join)
operations = st.lists(
    st.tuples(st.sampled_from(["move", "del", "append", "other"]), st.lists(paths, max_size=3)),
    max_size=6,
)


@given(documents, operations)
def test_never_raises_and_never_mutates(data: dict[str, Any], ops: Ops) -> None:
    before = copy.deepcopy(data)
    fn = compile_flatmap(ops)
    if fn is None:
        assert all(kind in ("move", "append") and len(args) < 2 for kind, args in ops)
        return
    out = fn(data)
    assert out is None or isinstance(out, dict)
    json.dumps(out)  # plain JSON values only
    assert data == before


@given(documents, st.lists(st.sampled_from([*KEYS, "*"]), max_size=3))
def test_del_missing_path_is_identity(data: dict[str, Any], prefix: list[str]) -> None:
    out = run(data, [delete(".".join([*prefix, "missing"]))])
    assert out == data


no_b_values = st.recursive(
    st.none() | st.integers(-5, 5),
    lambda kids: (
        st.lists(kids, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "c", "0"]), kids, max_size=3)
    ),
    max_leaves=20,
)


@given(
    st.dictionaries(st.sampled_from(["a", "c", "0"]), no_b_values, max_size=4),
    st.lists(st.sampled_from(["a", "c", "0", "*"]), max_size=3),
)
def test_move_there_and_back_restores(data: dict[str, Any], prefix: list[str]) -> None:
    src, dst = ".".join([*prefix, "a"]), ".".join([*prefix, "b"])
    out = run(data, [move(src, dst), move(dst, src)])
    assert out == data
    assert out is not None and list(out) == list(data)  # a rename keeps the key's position


@given(
    st.lists(json_values, min_size=1, max_size=6).flatmap(
        lambda v: st.tuples(st.just(v), st.permutations(range(len(v))))
    )
)
def test_deleting_every_element_gives_null(case: tuple[list[Any], list[int]]) -> None:
    items, order = case
    assert run({"k": items, "z": 1}, [delete(*(f"k.{i}" for i in order))]) == {"k": None, "z": 1}
    assert run({"k": items}, [delete("k.*")]) == {"k": None}


# --- differential test against a literal, eager port of the Go tree ----------------------


class RefNode:
    """Go's `node`, built eagerly: the oracle for the lazy, copy-on-write implementation."""

    def __init__(self) -> None:
        self.edges: list[list[Any]] = []  # [label, RefNode]
        self.coll = False
        self.value: Any = None


def ref_flatten(n: RefNode, v: Any) -> None:
    n.coll = isinstance(v, list)
    if isinstance(v, dict | list) and v:
        pairs = v.items() if isinstance(v, dict) else ((str(i), e) for i, e in enumerate(v))
        for k, e in pairs:
            ref_add(n, [k], e)
    else:
        n.value = v


def ref_add(n: RefNode, ks: list[str], v: Any) -> None:
    if not ks:
        ref_flatten(n, v)
        return
    child = next((e[1] for e in n.edges if e[0] == ks[0]), None)
    if child is None:
        child = RefNode()
        n.edges.append([ks[0], child])
    ref_add(child, ks[1:], v)


def ref_del(n: RefNode, ks: list[str]) -> None:
    if not ks or not n.edges:
        return
    if ks[0] == "*" and len(ks) == 1:
        n.edges.clear()
        return
    if ks[0] == "*":
        for e in n.edges:
            ref_del(e[1], ks[1:])
        return
    for i, e in enumerate(n.edges):
        if e[0] == ks[0]:
            if len(ks) == 1:
                del n.edges[i]
            else:
                ref_del(e[1], ks[1:])
            return


def ref_get(n: RefNode, ks: list[str]) -> Any:
    if not ks:
        if not n.edges:
            return n.value
        kids = [ref_get(e[1], []) for e in n.edges]
        return kids if n.coll else {e[0]: k for e, k in zip(n.edges, kids, strict=True)}
    if not n.edges:
        return None
    if ks[0] == "*":
        return [ref_get(e[1], ks[1:]) for e in n.edges]
    return next((ref_get(e[1], ks[1:]) for e in n.edges if e[0] == ks[0]), None)


class GoStrings:
    """A Go []string: appends write into a shared backing array while it has room."""

    def __init__(self, array: list[str], length: int) -> None:
        self.array, self.length = array, length

    def append(self, s: str) -> GoStrings:
        if self.length < len(self.array):
            self.array[self.length] = s
            return GoStrings(self.array, self.length + 1)
        cap = 1 if not self.array else 2 * len(self.array)
        grown = self.array[: self.length] + [s] + [""] * (cap - self.length - 1)
        return GoStrings(grown, self.length + 1)


def ref_move(root: RefNode, src: list[str], dst: list[str]) -> None:
    cands = [(root, GoStrings([], 0))]
    for step in src[:-1]:
        cands = [
            (e[1], p.append(e[0]))
            for n, p in cands
            for e in (n.edges if step == "*" else [e for e in n.edges if e[0] == step][:1])
        ]
    moved = []
    for n, p in cands:
        for i, e in enumerate(n.edges):
            if e[0] == src[-1]:
                if len(src) == len(dst):
                    e[0] = dst[-1]
                else:
                    moved.append((n, p, e))
                    del n.edges[i]
                break
    for n, p, e in moved:
        if len(src) > len(dst):
            parent = root
            for i, seg in enumerate(dst[:-1]):
                label = p.array[i] if seg == "*" else seg
                found = next((f[1] for f in parent.edges if f[0] == label), None)
                if found is None:
                    break
                parent = found
        else:
            parent = n
            for seg in dst[len(src) - 1 : -1]:
                found = next((f[1] for f in parent.edges if f[0] == seg), None)
                if found is None:
                    found = RefNode()
                    parent.edges.append([seg, found])
                parent = found
        e[0] = dst[-1]
        parent.edges.append(e)


def reference(data: dict[str, Any], ops: Ops) -> dict[str, Any] | None:
    root = RefNode()
    ref_flatten(root, data)
    for kind, args in ops:
        ps = [a.split(".") for a in args]
        if kind == "del":
            for p in ps:
                ref_del(root, p)
        elif kind == "move" and len(ps) > 1:
            ref_move(root, ps[0], ps[1])
        elif kind == "append" and len(ps) > 1:
            a, b = ref_get(root, ps[0]), ref_get(root, ps[1])
            if isinstance(a, list) and isinstance(b, list):
                ref_add(root, ps[1], b + a)
                ref_del(root, ps[0])
    out = ref_get(root, [])
    return out if isinstance(out, dict) else None


dense_paths = st.lists(st.sampled_from(["a", "b", "0", "1", "*"]), min_size=1, max_size=4)
dense_ops = st.lists(
    st.tuples(
        st.sampled_from(["move", "del", "append"]),
        st.lists(dense_paths.map(".".join), min_size=2, max_size=2),
    ),
    min_size=1,
    max_size=8,
)


@given(documents, dense_ops)
def test_matches_eager_reference(data: dict[str, Any], ops: Ops) -> None:
    assert run(data, ops) == reference(data, ops)


@pytest.mark.parametrize(
    ("data", "ops", "expected"), [c[1:] for c in SPEC], ids=[c[0] for c in SPEC]
)
def test_reference_agrees_with_table(
    data: dict[str, Any], ops: Ops, expected: dict[str, Any] | None
) -> None:
    assert reference(data, ops) == expected
