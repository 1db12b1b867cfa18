"""The metrics registry behind `telemetry/metrics`: rcrowley/go-metrics' counters, gauges and
histograms, as krakend-metrics uses them, and the two ways they leave the process.

* `Counter` and `Gauge` are plain integers (`StandardCounter`, `StandardGauge`): bumping one on
  the request path is an attribute increment, no lock (trio runs one task at a time).
* `Histogram` keeps go-metrics' `UniformSample` with a reservoir of 1028 values: krakend-metrics'
  `defaultSample` is `metrics.NewUniformSample(1028)` (metrics.go), Vitter's Algorithm R
  (sample.go `UniformSample.Update`), *not* the exponentially decaying sample go-metrics offers
  elsewhere. Its statistics are ported from sample.go: min/max/mean/variance over the values in
  the reservoir (population variance), percentiles with `SamplePercentiles`' interpolation, and
  the count of every value ever recorded (until `clear`).
* `expvar_json` is the `/__stats` body: krakend-metrics serves `exp.ExpHandler(registry)`
  (mux/metrics.go `NewExpHandler`), go-metrics' exp/exp.go, which publishes every metric into
  Go's expvar and prints expvar's map: one flat JSON object, keys sorted, a counter or a gauge
  as its integer, a histogram as ten keys (`.count`, `.min`, `.max`, `.mean`, `.std-dev`,
  `.50-percentile`, `.75-percentile`, `.95-percentile`, `.99-percentile`, `.999-percentile`),
  floats printed as Go's `strconv.FormatFloat(f, 'g', -1, 64)`.
* `Registry.take_snapshot` is krakend-metrics' `TakeSnapshot` (metrics.go): the values of every
  metric, histograms summarised with krakend-metrics' percentiles and then cleared. It runs every
  `collection_time`; `telemetry/influx` pushes the latest one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Final

import attrs
import orjson

__all__ = [
    "RESERVOIR_SIZE",
    "SNAPSHOT_PERCENTILES",
    "Counter",
    "Gauge",
    "Histogram",
    "HistogramData",
    "Registry",
    "Snapshot",
    "expvar_json",
    "go_float",
    "go_float_f",
]

RESERVOIR_SIZE: Final = 1028  # krakend-metrics metrics.go defaultSample
# exp/exp.go publishHistogram
_EXP_PERCENTILES: Final = (0.5, 0.75, 0.95, 0.99, 0.999)
_EXP_SUFFIXES: Final = (
    ".50-percentile",
    ".75-percentile",
    ".95-percentile",
    ".99-percentile",
    ".999-percentile",
)
# krakend-metrics metrics.go `percentiles`, used by TakeSnapshot (and so by telemetry/influx)
SNAPSHOT_PERCENTILES: Final = (0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)


class Counter:
    """go-metrics' StandardCounter."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def inc(self, n: int = 1) -> None:
        self.count += n

    def clear(self) -> None:
        self.count = 0


class Gauge:
    """go-metrics' StandardGauge (an int64)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def update(self, value: int) -> None:
        self.value = value


class Histogram:
    """go-metrics' StandardHistogram over a UniformSample (Vitter's Algorithm R)."""

    __slots__ = ("_random", "count", "size", "values")

    def __init__(self, size: int = RESERVOIR_SIZE, rng: random.Random | None = None) -> None:
        self.size = size
        self.count = 0
        self.values: list[int] = []
        self._random = (rng or _RANDOM).random

    def update(self, value: int) -> None:
        """sample.go `UniformSample.Update`: fill the reservoir, then replace a random slot with
        probability size/count."""
        self.count += 1
        values = self.values
        if len(values) < self.size:
            values.append(value)
        else:
            # rand.Int63n(count), uniform in [0, count): random() is C-fast where randrange
            # is not (this runs for nearly every request once the reservoir is full).
            slot = int(self._random() * self.count)
            if slot < len(values):
                values[slot] = value

    def clear(self) -> None:
        self.count = 0
        self.values = []

    def snapshot(self) -> Histogram:
        """A copy to read (go-metrics' `Histogram.Snapshot`): the statistics of one moment,
        whatever the request path records meanwhile (the stats dump runs in a thread)."""
        copy = Histogram(self.size)
        copy.count, copy.values = self.count, list(self.values)
        return copy

    def min(self) -> int:
        return min(self.values) if self.values else 0

    def max(self) -> int:
        return max(self.values) if self.values else 0

    def mean(self) -> float:
        values = self.values
        return sum(values) / len(values) if values else 0.0

    def variance(self) -> float:
        """sample.go SampleVariance: the population variance of the reservoir."""
        values = self.values
        if not values:
            return 0.0
        mean = sum(values) / len(values)
        return sum((v - mean) * (v - mean) for v in values) / len(values)

    def std_dev(self) -> float:
        return math.sqrt(self.variance())

    def percentiles(self, ps: Sequence[float]) -> list[float]:
        """sample.go SamplePercentiles: position p*(n+1), linear between the two neighbours."""
        ordered = sorted(self.values)
        size = len(ordered)
        scores = [0.0] * len(ps)
        if not size:
            return scores
        for i, p in enumerate(ps):
            pos = p * (size + 1)
            if pos < 1.0:
                scores[i] = float(ordered[0])
            elif pos >= size:
                scores[i] = float(ordered[size - 1])
            else:
                lower = float(ordered[int(pos) - 1])
                upper = float(ordered[int(pos)])
                scores[i] = lower + (pos - math.floor(pos)) * (upper - lower)
        return scores


_RANDOM = random.Random()

Metric = Counter | Gauge | Histogram


@attrs.frozen
class HistogramData:
    """krakend-metrics stats.go HistogramData."""

    max: int
    min: int
    mean: float
    stddev: float
    variance: float
    percentiles: tuple[float, ...]


@attrs.frozen
class Snapshot:
    """krakend-metrics stats.go Stats: `time` in Unix nanoseconds."""

    time: int
    counters: Mapping[str, int]
    gauges: Mapping[str, int]
    histograms: Mapping[str, HistogramData]

    @classmethod
    def empty(cls, now_ns: int) -> Snapshot:
        return cls(now_ns, {}, {}, {})


class Registry:
    """A flat map of names to metrics (go-metrics' StandardRegistry under krakend-metrics'
    prefixes, which are spelled out in the names here: `krakend.router.connected`)."""

    __slots__ = ("_metrics",)

    def __init__(self) -> None:
        self._metrics: dict[str, Metric] = {}

    def counter(self, name: str) -> Counter:
        """GetOrRegisterCounter."""
        found = self._metrics.get(name)
        if found is None:
            found = self._metrics[name] = Counter()
        if not isinstance(found, Counter):
            raise TypeError(f"{name} is registered as a {type(found).__name__}")
        return found

    def gauge(self, name: str) -> Gauge:
        """GetOrRegisterGauge."""
        found = self._metrics.get(name)
        if found is None:
            found = self._metrics[name] = Gauge()
        if not isinstance(found, Gauge):
            raise TypeError(f"{name} is registered as a {type(found).__name__}")
        return found

    def histogram(self, name: str) -> Histogram:
        """GetOrRegisterHistogram with krakend-metrics' sample."""
        found = self._metrics.get(name)
        if found is None:
            found = self._metrics[name] = Histogram()
        if not isinstance(found, Histogram):
            raise TypeError(f"{name} is registered as a {type(found).__name__}")
        return found

    def items(self) -> Iterator[tuple[str, Metric]]:
        # list() copies in one step under the GIL: safe while the loop registers more
        return iter(sorted(list(self._metrics.items())))

    def take_snapshot(self, now_ns: int) -> Snapshot:
        """krakend-metrics TakeSnapshot: every value, histograms summarised then cleared."""
        counters: dict[str, int] = {}
        gauges: dict[str, int] = {}
        histograms: dict[str, HistogramData] = {}
        for name, metric in list(self._metrics.items()):
            if isinstance(metric, Counter):
                counters[name] = metric.count
            elif isinstance(metric, Gauge):
                gauges[name] = metric.value
            else:
                kept = metric.snapshot()
                metric.clear()
                histograms[name] = HistogramData(
                    max=kept.max(),
                    min=kept.min(),
                    mean=kept.mean(),
                    stddev=kept.std_dev(),
                    variance=kept.variance(),
                    percentiles=tuple(kept.percentiles(SNAPSHOT_PERCENTILES)),
                )
        return Snapshot(now_ns, counters, gauges, histograms)


def go_float(value: float) -> str:
    """Go's `strconv.FormatFloat(value, 'g', -1, 64)` (what expvar.Float prints): the shortest
    digits, with an exponent below 1e-4 and from 1e6 on (ftoa.go: the shortest precision
    decides with precision 6): `1.5e+06`, `0.001`, `1e-05`, `12.5`, `3`."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + exponent - 1  # the decimal exponent of the first digit
    if point < -4 or point >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if point < 0 else '+'}{abs(point):02d}"
    return sign + format(Decimal(repr(abs(value))).normalize(), "f")


def go_float_f(value: float) -> str:
    """Go's `strconv.FormatFloat(value, 'f', -1, 64)`: the shortest digits, never an exponent
    (`1e21` -> `1000000000000000000000`, `3.0` -> `3`, `0.5` -> `0.5`)."""
    if math.isnan(value) or math.isinf(value):
        return go_float(value)
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    return format(Decimal(repr(value)).normalize(), "f")


def _exp_values(name: str, metric: Metric) -> Iterator[tuple[str, str]]:
    """exp/exp.go's publish*: the expvar keys and printed values of one metric."""
    if isinstance(metric, Counter):
        yield name, str(metric.count)
    elif isinstance(metric, Gauge):
        yield name, str(metric.value)
    else:
        metric = metric.snapshot()
        yield name + ".count", str(metric.count)
        yield name + ".min", go_float(float(metric.min()))
        yield name + ".max", go_float(float(metric.max()))
        yield name + ".mean", go_float(metric.mean())
        yield name + ".std-dev", go_float(metric.std_dev())
        for suffix, score in zip(_EXP_SUFFIXES, metric.percentiles(_EXP_PERCENTILES), strict=True):
            yield name + suffix, go_float(score)


def expvar_json(registry: Registry, published: Mapping[str, object]) -> bytes:
    """The body exp.ExpHandler writes: `{\\n"key": value,\\n...\\n}\\n`, keys sorted (expvar.Do),
    the registry's metrics with the other `published` vars (Go's own `cmdline`), as JSON."""
    entries = {key: orjson.dumps(value).decode() for key, value in published.items()}
    for name, metric in registry.items():
        entries.update(_exp_values(name, metric))
    lines = [f"{orjson.dumps(key).decode()}: {entries[key]}" for key in sorted(entries)]
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode("utf-8")
