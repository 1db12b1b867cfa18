"""`config/positions.py`: JSON path -> (line, column) in the source, for JSON, YAML and TOML."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.config.diagnostics import PathSegment, format_path
from trio_gateway.config.parse import Format
from trio_gateway.config.positions import position_of, source_positions

JSON_TEXT = '{\n\t"a": [1, {"b": "x"}],\n\t"c/d": {"e\\"f": null}, "g": -1.5e3\n}'


@pytest.mark.parametrize(
    ("text", "fmt", "path", "where"),
    [
        # JSON, tab-indented (PyYAML would refuse it): members at their key, items at their value
        (JSON_TEXT, "json", "$", (1, 1)),
        (JSON_TEXT, "json", "$.a", (2, 2)),
        (JSON_TEXT, "json", "$.a[0]", (2, 8)),
        (JSON_TEXT, "json", "$.a[1]", (2, 11)),
        (JSON_TEXT, "json", "$.a[1].b", (2, 12)),
        (JSON_TEXT, "json", '$["c/d"]', (3, 2)),
        (JSON_TEXT, "json", '$["c/d"]["e\\"f"]', (3, 10)),
        (JSON_TEXT, "json", "$.g", (3, 25)),
        # YAML: block and flow styles, an alias located where its key is
        ("a:\n  - x\n  - {b: 1}\nc: &k\n  d: 2\ne: *k\n", "yaml", "$.a", (1, 1)),
        ("a:\n  - x\n  - {b: 1}\nc: &k\n  d: 2\ne: *k\n", "yaml", "$.a[1]", (3, 5)),
        ("a:\n  - x\n  - {b: 1}\nc: &k\n  d: 2\ne: *k\n", "yaml", "$.a[1].b", (3, 6)),
        ("a:\n  - x\n  - {b: 1}\nc: &k\n  d: 2\ne: *k\n", "yaml", "$.c.d", (5, 3)),
        ("a:\n  - x\n  - {b: 1}\nc: &k\n  d: 2\ne: *k\n", "yaml", "$.e", (6, 1)),
        # TOML: tables, arrays of tables (nested), dotted and quoted keys
        (
            'x = 1\n[a.b]\nc = 2\n[[e]]\nf = 3\n[[e]]\n  f = 4\n[[e.g]]\n"h/i".j = 5\n',
            "toml",
            "$.x",
            (1, 1),
        ),
        (
            'x = 1\n[a.b]\nc = 2\n[[e]]\nf = 3\n[[e]]\n  f = 4\n[[e.g]]\n"h/i".j = 5\n',
            "toml",
            "$.a",
            (2, 1),
        ),
        (
            'x = 1\n[a.b]\nc = 2\n[[e]]\nf = 3\n[[e]]\n  f = 4\n[[e.g]]\n"h/i".j = 5\n',
            "toml",
            "$.a.b.c",
            (3, 1),
        ),
        (
            'x = 1\n[a.b]\nc = 2\n[[e]]\nf = 3\n[[e]]\n  f = 4\n[[e.g]]\n"h/i".j = 5\n',
            "toml",
            "$.e[0].f",
            (5, 1),
        ),
        (
            'x = 1\n[a.b]\nc = 2\n[[e]]\nf = 3\n[[e]]\n  f = 4\n[[e.g]]\n"h/i".j = 5\n',
            "toml",
            "$.e[1].f",
            (7, 3),
        ),
        (
            'x = 1\n[a.b]\nc = 2\n[[e]]\nf = 3\n[[e]]\n  f = 4\n[[e.g]]\n"h/i".j = 5\n',
            "toml",
            '$.e[1].g[0]["h/i"].j',
            (9, 1),
        ),
    ],
)
def test_positions(text: str, fmt: Format, path: str, where: tuple[int, int]) -> None:
    assert source_positions(text, fmt)[path] == where


def test_a_path_not_in_the_file_is_located_at_its_nearest_ancestor() -> None:
    positions = source_positions(JSON_TEXT, "json")
    assert position_of(positions, "$.a[1].missing[3]") == (2, 11)
    assert position_of(positions, '$["c/d"].nothing') == (3, 2)
    assert position_of(positions, "$.nowhere") == (1, 1)
    assert position_of(positions, "krakend.json:3:4") is None  # not a JSON path


def test_a_toml_multiline_string_is_not_read_as_keys() -> None:
    text = 'a = """\nb = 1\n"""\nc = 2\n'
    positions = source_positions(text, "toml")
    assert "$.b" not in positions
    assert positions["$.c"] == (4, 1)


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ('{"a": [1, 2', "json"),
        ('{"a" 1}', "json"),
        ('{"a\\q": 1}', "json"),
        ("[" * 5000, "json"),
        ("a: [1, 2\n", "yaml"),
        ("a: &x [*x]\n", "yaml"),
        ("[[[\n", "toml"),
        ("", "json"),
    ],
)
def test_bad_text_gives_what_was_found_and_never_raises(text: str, fmt: Format) -> None:
    assert source_positions(text, fmt)["$"] == (1, 1)


def test_a_minified_json_line_longer_than_yaml_allows_is_located() -> None:
    data = {f"key{index}": "v" * 50 for index in range(100)}
    text = json.dumps(data)
    positions = source_positions(text, "json")
    assert positions["$.key99"] == (1, text.index('"key99"') + 1)


def _paths(value: Any, path: tuple[PathSegment, ...] = ()) -> list[tuple[PathSegment, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(data=_JSON, indent=st.sampled_from([None, 2, "\t"]))
def test_every_json_path_points_at_its_key_or_item(data: Any, indent: int | str | None) -> None:
    text = json.dumps(data, indent=indent)
    lines = text.split("\n")
    positions = source_positions(text, "json")
    for path in _paths(data):
        line, column = positions[format_path(path)]
        at = lines[line - 1][column - 1 :]
        if path and isinstance(path[-1], str):
            assert at.startswith(json.dumps(path[-1]))
        elif path:  # an array item: its value starts there
            item = _get(data, path)
            start = {dict: "{", list: "["}.get(type(item)) or json.dumps(item)
            assert at.startswith(start)


def _get(data: Any, path: tuple[PathSegment, ...]) -> Any:
    for segment in path:
        data = data[segment]
    return data
