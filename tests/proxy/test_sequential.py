"""Sequential proxy pieces: which values flow where, and how they are written (reference §5.2)."""

from __future__ import annotations

from typing import Any

import pytest

from trio_gateway.proxy.sequential import Replacement, format_param, replacements_for


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "abc"),
        (42, "42"),
        (1.5, "1.5"),
        (True, "true"),
        (False, "false"),
        (None, "<nil>"),
        ([1, "a", None], "1,a,<nil>"),
        ([], ""),
        ([[1, 2], {"b": 1, "a": 2}], "[1 2],map[a:2 b:1]"),
        ({"z": 1, "a": {"b": True}}, "map[a:map[b:true] z:1]"),
    ],
)
def test_format_param(value: Any, expected: str) -> None:
    assert format_param(value) == expected


def test_replacements_from_url_patterns_and_propagated_params() -> None:
    found = replacements_for(
        ["/a/{id}", "/b/{resp0_user.id}", "/c/{resp1_x}?y={resp0_y}"],
        ["resp0_first.foo", "resp1", "resp9_never"],
    )
    assert found[0] == ()  # the first backend has nothing earlier to read
    assert found[1] == (
        Replacement(0, "Resp0_user.id", ("user", "id")),
        Replacement(0, "Resp0_first.foo", ("first", "foo")),
    )
    assert Replacement(1, "Resp1", ()) in found[2]
    assert Replacement(1, "Resp1_x", ("x",)) in found[2]
    assert Replacement(0, "Resp0_y", ("y",)) in found[2]
    assert all(r.backend < 2 for r in found[2])
