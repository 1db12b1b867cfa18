"""go-metrics' statistics and the `/__stats` JSON, as krakend-metrics serves them."""

from __future__ import annotations

import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.telemetry.stats_registry import (
    RESERVOIR_SIZE,
    Histogram,
    Registry,
    expvar_json,
    go_float,
    go_float_f,
)


def test_a_histogram_below_its_reservoir_size_is_exact() -> None:
    # values 1..100: every statistic has a closed form; the percentiles follow sample.go's
    # SamplePercentiles (position p*(n+1), linear between its neighbours).
    histogram = Histogram()
    for value in range(100, 0, -1):
        histogram.update(value)
    assert histogram.count == 100
    assert (histogram.min(), histogram.max(), histogram.mean()) == (1, 100, 50.5)
    assert histogram.variance() == pytest.approx((100**2 - 1) / 12)
    assert histogram.std_dev() == pytest.approx(math.sqrt((100**2 - 1) / 12))
    assert histogram.percentiles([0.005, 0.5, 0.75, 0.99, 0.999]) == pytest.approx(
        [1.0, 50.5, 75.75, 99.99, 100.0]
    )


def test_an_empty_histogram_is_all_zeros() -> None:
    histogram = Histogram()
    assert (histogram.count, histogram.min(), histogram.max(), histogram.mean()) == (0, 0, 0, 0.0)
    assert histogram.std_dev() == 0.0
    assert histogram.percentiles([0.5, 0.99]) == [0.0, 0.0]


def test_the_reservoir_is_uniform_sample_1028() -> None:
    # krakend-metrics' defaultSample: NewUniformSample(1028). Past it, the count goes on and
    # the reservoir keeps 1028 of the values seen (Algorithm R).
    histogram = Histogram(rng=random.Random(1))
    for value in range(10_000):
        histogram.update(value)
    assert histogram.count == 10_000
    assert len(histogram.values) == RESERVOIR_SIZE == 1028
    assert set(histogram.values) <= set(range(10_000))
    # uniform: the kept values come from the whole stream, not only its head or its tail
    assert min(histogram.values) < 1000 and max(histogram.values) > 9000
    histogram.clear()
    assert (histogram.count, histogram.values) == (0, [])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-(10**12), max_value=10**12), min_size=1, max_size=300))
def test_statistics_agree_with_their_definitions(values: list[int]) -> None:
    histogram = Histogram()
    for value in values:
        histogram.update(value)
    mean = sum(values) / len(values)
    assert histogram.min() == min(values) and histogram.max() == max(values)
    assert histogram.mean() == pytest.approx(mean)
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    assert histogram.variance() == pytest.approx(variance, rel=1e-9, abs=1e-6)
    scores = histogram.percentiles([0.0, 0.5, 1.0])
    assert scores[0] == min(values) and scores[2] == max(values)
    assert min(values) <= scores[1] <= max(values)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # strconv.FormatFloat(v, 'g', -1, 64), what expvar.Float prints
        (0.0, "0"),
        (3.0, "3"),
        (12.5, "12.5"),
        (563687.0, "563687"),
        (999999.0, "999999"),
        (1e6, "1e+06"),
        (1563687.0, "1.563687e+06"),
        (1234567.5, "1.2345675e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (-2.5, "-2.5"),
        (28.86607004772212, "28.86607004772212"),
        (1 / 3, "0.3333333333333333"),
        (1e21, "1e+21"),
    ],
)
def test_go_float_is_format_float_g(value: float, expected: str) -> None:
    assert go_float(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, "0"), (3.0, "3"), (1e21, "1000000000000000000000"), (1e-7, "0.0000001"), (0.5, "0.5")],
)
def test_go_float_f_is_format_float_f(value: float, expected: str) -> None:
    assert go_float_f(value) == expected


def test_expvar_json_is_exp_handler_output() -> None:
    registry = Registry()
    registry.counter("krakend.router.connected").inc(3)
    registry.gauge("krakend.router.connected-gauge").update(7)
    histogram = registry.histogram("krakend.router.response./a.size")
    for value in (10, 20, 30, 40):
        histogram.update(value)
    body = expvar_json(registry, {"cmdline": ["trio-gateway", "run"]})
    # exp.go: `{\n`, `"key": value` joined by `,\n`, keys sorted (expvar.Do), `\n}\n`
    assert body.decode() == (
        "{\n"
        '"cmdline": ["trio-gateway","run"],\n'
        '"krakend.router.connected": 3,\n'
        '"krakend.router.connected-gauge": 7,\n'
        '"krakend.router.response./a.size.50-percentile": 25,\n'
        '"krakend.router.response./a.size.75-percentile": 37.5,\n'
        '"krakend.router.response./a.size.95-percentile": 40,\n'
        '"krakend.router.response./a.size.99-percentile": 40,\n'
        '"krakend.router.response./a.size.999-percentile": 40,\n'
        '"krakend.router.response./a.size.count": 4,\n'
        '"krakend.router.response./a.size.max": 40,\n'
        '"krakend.router.response./a.size.mean": 25,\n'
        '"krakend.router.response./a.size.min": 10,\n'
        '"krakend.router.response./a.size.std-dev": 11.180339887498949\n'
        "}\n"
    )
    assert json.loads(body)["krakend.router.response./a.size.count"] == 4


def test_a_snapshot_summarises_and_clears_the_histograms() -> None:
    registry = Registry()
    registry.counter("c").inc(2)
    histogram = registry.histogram("h")
    for value in range(1, 11):
        histogram.update(value)
    snapshot = registry.take_snapshot(5)
    assert snapshot.time == 5 and snapshot.counters == {"c": 2} and snapshot.gauges == {}
    data = snapshot.histograms["h"]
    assert (data.min, data.max, data.mean, data.variance) == (1, 10, 5.5, 8.25)
    # krakend-metrics' percentiles: 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99
    assert data.percentiles == pytest.approx((1.1, 2.75, 5.5, 8.25, 9.9, 10.0, 10.0))
    assert histogram.count == 0 and registry.counter("c").count == 2


def test_a_name_keeps_its_kind() -> None:
    registry = Registry()
    registry.counter("x")
    with pytest.raises(TypeError):
        registry.histogram("x")
