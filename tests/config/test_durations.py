"""Go duration parsing and formatting (`time.ParseDuration`, `Duration.String`)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_gateway.config.durations import (
    format_duration,
    format_duration_ns,
    parse_duration,
    parse_duration_ns,
)

MAX_NS = (1 << 63) - 1
MIN_NS = -(1 << 63)


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("0", 0),
        ("+0", 0),
        ("-0", 0),
        ("0s", 0),
        ("5s", 5_000_000_000),
        ("30s", 30_000_000_000),
        ("1478s", 1_478_000_000_000),
        ("-5s", -5_000_000_000),
        ("+5s", 5_000_000_000),
        ("-0s", 0),
        ("5.0s", 5_000_000_000),
        ("5.6s", 5_600_000_000),
        ("5.s", 5_000_000_000),
        (".5s", 500_000_000),
        ("1.0s", 1_000_000_000),
        ("1.00s", 1_000_000_000),
        ("1.004s", 1_004_000_000),
        ("1.0040s", 1_004_000_000),
        ("100.00100s", 100_001_000_000),
        ("10ns", 10),
        ("11us", 11_000),
        ("12µs", 12_000),  # U+00B5
        ("12μs", 12_000),  # U+03BC
        ("13ms", 13_000_000),
        ("300ms", 300_000_000),
        ("14s", 14_000_000_000),
        ("15m", 900_000_000_000),
        ("16h", 57_600_000_000_000),
        ("3h30m", 12_600_000_000_000),
        ("2h45m", 9_900_000_000_000),
        ("10.5s4m", 250_500_000_000),
        ("-2m3.4s", -123_400_000_000),
        ("1h2m3s4ms5us6ns", 3_723_004_005_006),
        ("39h9m14.425s", 140_954_425_000_000),
        ("-1.5h", -5_400_000_000_000),
        ("1h1h", 7_200_000_000_000),
        ("52763797000ns", 52_763_797_000),
        ("0.3333333333333333333h", 1_200_000_000_000),
        ("0.1ns", 0),  # fractions below a nanosecond truncate
        ("1.000000001h", 3_600_000_003_600),
        ("9007199254.740993ms", (1 << 53) + 1),
        ("9223372036854775807ns", MAX_NS),
        ("9223372036854775.807us", MAX_NS),
        ("2562047h47m16.854775807s", MAX_NS),
        ("9223372036s854ms775us807ns", MAX_NS),
        ("-9223372036854775808ns", MIN_NS),
        ("-9223372036854775.808us", MIN_NS),
        ("-9223372036s854ms775us808ns", MIN_NS),
        ("-2562047h47m16.854775808s", MIN_NS),
        ("0.100000000000000000000h", 360_000_000_000),
        ("0.830103483285477580700h", 2_988_372_539_827),
    ],
)
def test_parse_accepts_what_go_accepts(text: str, nanoseconds: int) -> None:
    assert parse_duration_ns(text) == nanoseconds
    assert parse_duration(text) == nanoseconds / 1e9


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'invalid duration ""'),
        ("3", 'missing unit in duration "3"'),
        ("00", 'missing unit in duration "00"'),
        ("0.0", 'missing unit in duration "0.0"'),
        ("-", 'invalid duration "-"'),
        ("s", 'invalid duration "s"'),
        (".", 'invalid duration "."'),
        ("-.", 'invalid duration "-."'),
        (".s", 'invalid duration ".s"'),
        ("+.s", 'invalid duration "+.s"'),
        ("--1s", 'invalid duration "--1s"'),
        ("+-1s", 'invalid duration "+-1s"'),
        (" 1s", 'invalid duration " 1s"'),
        ("1.5.5s", 'missing unit in duration "1.5.5s"'),
        ("1s ", 'unknown unit "s " in duration "1s "'),
        ("2 s", 'unknown unit " s" in duration "2 s"'),
        ("1S", 'unknown unit "S" in duration "1S"'),
        ("1d", 'unknown unit "d" in duration "1d"'),
        ("1e3s", 'unknown unit "e" in duration "1e3s"'),
        ("3000 ms", 'unknown unit " ms" in duration "3000 ms"'),
        ("9223372036854775808ns", 'invalid duration "9223372036854775808ns"'),
        ("9223372036854775.808us", 'invalid duration "9223372036854775.808us"'),
        ("2562047h47m16.854775808s", 'invalid duration "2562047h47m16.854775808s"'),
        ("-9223372036854775809ns", 'invalid duration "-9223372036854775809ns"'),
        ("99999999999999999999s", 'invalid duration "99999999999999999999s"'),
        ("3000000h", 'invalid duration "3000000h"'),
    ],
)
def test_parse_rejects_what_go_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("nanoseconds", "text"),
    [
        (0, "0s"),
        (1, "1ns"),
        (1_100, "1.1µs"),
        (1_000, "1µs"),
        (2_200_000, "2.2ms"),
        (500_000_000, "500ms"),
        (1_500_000_000, "1.5s"),
        (3_300_000_000, "3.3s"),
        (90_000_000_000, "1m30s"),
        (4 * 60_000_000_000 + 5_000_000_000, "4m5s"),
        (4 * 60_000_000_000 + 5_001_000_000, "4m5.001s"),
        (3_600_000_000_000, "1h0m0s"),
        (9_900_000_000_000, "2h45m0s"),
        (5 * 3_600_000_000_000 + 6 * 60_000_000_000 + 7_001_000_000, "5h6m7.001s"),
        (8 * 60_000_000_000 + 1, "8m0.000000001s"),
        (-1_500_000_000, "-1.5s"),
        (-1, "-1ns"),
        (MAX_NS, "2562047h47m16.854775807s"),
        (MIN_NS, "-2562047h47m16.854775808s"),
    ],
)
def test_format_matches_go_duration_string(nanoseconds: int, text: str) -> None:
    assert format_duration_ns(nanoseconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0s"), (0.5, "500ms"), (1.5, "1.5s"), (90.0, "1m30s"), (2.0, "2s"), (1e-6, "1µs")],
)
def test_format_duration_takes_float_seconds(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@given(st.integers(min_value=MIN_NS, max_value=MAX_NS))
def test_format_then_parse_is_identity_on_nanoseconds(nanoseconds: int) -> None:
    assert parse_duration_ns(format_duration_ns(nanoseconds)) == nanoseconds


@given(st.integers(min_value=-(1 << 50), max_value=1 << 50))
def test_format_then_parse_is_identity_on_float_seconds(nanoseconds: int) -> None:
    seconds = nanoseconds / 1e9
    assert parse_duration(format_duration(seconds)) == seconds
