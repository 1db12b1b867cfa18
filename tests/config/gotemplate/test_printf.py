"""Go's fmt.Sprintf as printf runs it: explicit argument indexes and `%#v`, cases from Go's
src/fmt/fmt_test.go (reorderTests and the `%#v` rows of fmtTests) for the values a template
holds (JSON values, Sprig's typed results)."""

from __future__ import annotations

from typing import Any

import pytest

from trio_gateway.config.gotemplate.goprintf import go_sprintf
from trio_gateway.config.gotemplate.gotypes import Int64, int_list, nil_list, string_list

# fmt_test.go reorderTests (SE{...} are the arguments)
REORDER: list[tuple[str, tuple[Any, ...], str]] = [
    ("%[1]d", (1,), "1"),
    ("%[2]d", (2, 1), "1"),
    ("%[2]d %[1]d", (1, 2), "2 1"),
    ("%[2]*[1]d", (2, 5), "    2"),
    ("%6.2f", (12.0,), " 12.00"),
    ("%[3]*.[2]*[1]f", (12.0, 2, 6), " 12.00"),
    ("%[1]*.[2]*[3]f", (6, 2, 12.0), " 12.00"),
    ("%10f", (12.0,), " 12.000000"),
    ("%[1]*[3]f", (10, 99, 12.0), " 12.000000"),
    ("%.6f", (12.0,), "12.000000"),
    ("%.[1]*[3]f", (6, 99, 12.0), "12.000000"),
    ("%6.f", (12.0,), "    12"),
    ("%[1]*.[3]f", (6, 3, 12.0), "    12"),
    ("%d %d %d %#[1]o %#o %#o", (11, 12, 13), "11 12 13 013 014 015"),
    # erroneous cases
    ("%[d", (2, 1), "%!d(BADINDEX)"),
    ("%]d", (2, 1), "%!](int=2)d%!(EXTRA int=1)"),
    ("%[]d", (2, 1), "%!d(BADINDEX)"),
    ("%[-3]d", (2, 1), "%!d(BADINDEX)"),
    ("%[99]d", (2, 1), "%!d(BADINDEX)"),
    ("%[3]", (2, 1), "%!(NOVERB)"),
    ("%[1].2d", (5, 6), "%!d(BADINDEX)"),
    ("%[1]2d", (2, 1), "%!d(BADINDEX)"),
    ("%3.[2]d", (7,), "%!d(BADINDEX)"),
    ("%.[2]d", (7,), "%!d(BADINDEX)"),
    ("%d %d %d %#[1]o %#o %#o %#o", (11, 12, 13), "11 12 13 013 014 015 %!o(MISSING)"),
    ("%[5]d %[2]d %d", (1, 2, 3), "%!d(BADINDEX) 2 3"),
    ("%d %[3]d %d", (1, 2), "1 %!d(BADINDEX) 2"),
    ("%.[]", (), "%!](BADINDEX)"),
    ("%.-3d", (42,), "%!-(int=42)3d"),
    ("%2147483648d", (42,), "%!(NOVERB)%!(EXTRA int=42)"),
    ("%-2147483648d", (42,), "%!(NOVERB)%!(EXTRA int=42)"),
    ("%.2147483648d", (42,), "%!(NOVERB)%!(EXTRA int=42)"),
]

# fmt_test.go's %#v rows, for the types a template value can have
SHARP_V: list[tuple[str, Any, str]] = [
    ("%#v", 1000000000, "1000000000"),
    ("%#v", "foo", '"foo"'),
    ("%#v", 1.2345678, "1.2345678"),
    ("%#v", 1.0, "1"),
    ("%#v", 1000000.0, "1e+06"),
    ("%#v", None, "<nil>"),
    ("%#v", string_list(["a", "b"]), '[]string{"a", "b"}'),
    ("%#v", nil_list("[]int"), "[]int(nil)"),
    ("%#v", int_list([]), "[]int{}"),
    ("%#v", [1, "hello", 2.5, None], '[]interface {}{1, "hello", 2.5, interface {}(nil)}'),
    ("%#v", {"a": 1}, 'map[string]interface {}{"a":1}'),
    ("%#v", {}, "map[string]interface {}{}"),
    # leaves are padded, as in fmt_test.go's []byte rows
    ("%#6v", [1, 11], "[]interface {}{     1,     11}"),
    ("%#06v", [1, 11], "[]interface {}{000001, 000011}"),
    ("%#-6v", [1, 11], "[]interface {}{1     , 11    }"),
    ("%#v", True, "true"),
    ("%#v", Int64(-3), "-3"),
    (
        "%#v",
        {"b": [None], "a": {"c": "d"}},
        'map[string]interface {}{"a":map[string]interface {}{"c":"d"}, '
        '"b":[]interface {}{interface {}(nil)}}',
    ),
    ("%#v", '\n"', '"\\n\\""'),
    ("%#8v", "a", '     "a"'),
]


@pytest.mark.parametrize(("text", "args", "want"), REORDER)
def test_argument_indexes(text: str, args: tuple[Any, ...], want: str) -> None:
    assert go_sprintf(text, *args) == want


@pytest.mark.parametrize(("text", "value", "want"), SHARP_V)
def test_go_syntax(text: str, value: Any, want: str) -> None:
    assert go_sprintf(text, value) == want


@pytest.mark.parametrize(
    ("text", "args", "want"),
    [
        ("%*d", (Int64(3), 1), "  1"),  # intFromArg takes any int kind
        ("%*d", (1.0, 1), "%!(BADWIDTH)1"),
        ("%*d", (True, 1), "%!(BADWIDTH)1"),
        ("%*d|", (-3, 1), "1  |"),
        ("%.*f", (-1, 1.5), "%!(BADPREC)1.500000"),
        ("%*d", (10_000_000, 1), "%!(BADWIDTH)1"),
        ("%.", (1,), "%!.(int=1)"),
        ("%5", (1,), "%!(NOVERB)%!(EXTRA int=1)"),
        ("%[1]v", (1, 2), "1"),  # an index turns the EXTRA check off
        ("%v %v", (1, 2, 3, None), "1 2%!(EXTRA int=3, <nil>)"),
        ("%10T|%-10T|%.3T", ({}, "s", []), "map[string]interface {}|string    |[]i"),
        ("%T %T %T", (None, Int64(1), string_list([])), "<nil> int64 []string"),
        ("%s", (Int64(3),), "%!s(int64=3)"),
    ],
)
def test_width_precision_and_errors(text: str, args: tuple[Any, ...], want: str) -> None:
    assert go_sprintf(text, *args) == want
