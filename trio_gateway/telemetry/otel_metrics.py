"""The request-path instruments: pre-aggregated here, handed to the SDK's readers when collected.

The OpenTelemetry Python SDK spends 10-50 µs per measurement (it cleans and hashes the
attributes of every `record`), and a request through three backends makes about twenty: more
than the whole budget telemetry has (issue 14: metrics within 5 % of b3's throughput). So the
stages record into *points* bound once per attribute set (`Histogram.point(attributes)`), which
is a bisect and a few additions, and the readers (`PrometheusReader`, `PushReader`, subclasses
of the SDK's own) add these points to what the SDK collected (its observable QoS counters) just
before they export. Temporality is cumulative, as the Prometheus exporter and krakend-otel's OTLP
set-up expect; the data classes are the SDK's, so exporters see nothing unusual.

Thread-safety: points are written on the trio thread and read by an exporter's thread. A point
is one list, copied whole when collected (a list copy does not release the GIL), so a scrape
never sees a count without its sum.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricsData,
    NumberDataPoint,
    PeriodicExportingMetricReader,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

__all__ = [
    "Aggregates",
    "CounterInstrument",
    "HistogramInstrument",
    "PrometheusReader",
    "PushReader",
]

_CUMULATIVE = AggregationTemporality.CUMULATIVE


class HistogramPoint:
    """One attribute set of a histogram: `[count, sum, min, max, bucket...]`."""

    __slots__ = ("_bounds", "attributes", "data")

    def __init__(self, attributes: Mapping[str, Any], bounds: tuple[float, ...]) -> None:
        self.attributes = dict(attributes)
        self._bounds = bounds
        self.data: list[float] = [0, 0.0, float("inf"), float("-inf"), *([0] * (len(bounds) + 1))]

    def record(self, value: float) -> None:
        data = self.data
        data[0] += 1
        data[1] += value
        if value < data[2]:
            data[2] = value
        if value > data[3]:
            data[3] = value
        # OTel explicit buckets are (previous, bound]: bisect_left puts `bound` in its bucket.
        data[4 + bisect_left(self._bounds, value)] += 1


class CounterPoint:
    __slots__ = ("attributes", "data")

    def __init__(self, attributes: Mapping[str, Any]) -> None:
        self.attributes = dict(attributes)
        self.data = [0]

    def add(self, value: int) -> None:
        self.data[0] += value


def _key(attributes: Mapping[str, Any]) -> frozenset[tuple[str, Any]]:
    return frozenset(attributes.items())


class HistogramInstrument:
    def __init__(self, name: str, unit: str, bounds: Sequence[float]) -> None:
        self.name = name
        self.unit = unit
        self.bounds = tuple(float(b) for b in bounds)
        self.points: dict[frozenset[tuple[str, Any]], HistogramPoint] = {}

    def point(self, attributes: Mapping[str, Any]) -> HistogramPoint:
        """The point for `attributes`, made on first use (an attribute set nobody recorded is
        not exported, as with the SDK). Call it at build time, or cache what it returns."""
        key = _key(attributes)
        found = self.points.get(key)
        if found is None:
            found = self.points[key] = HistogramPoint(attributes, self.bounds)
        return found

    def collect(self, start: int, now: int) -> Metric | None:
        points = []
        for point in list(self.points.values()):
            data = list(point.data)
            if not data[0]:
                continue
            points.append(
                HistogramDataPoint(
                    attributes=point.attributes,
                    start_time_unix_nano=start,
                    time_unix_nano=now,
                    count=int(data[0]),
                    sum=data[1],
                    bucket_counts=[int(c) for c in data[4:]],
                    explicit_bounds=self.bounds,
                    min=data[2],
                    max=data[3],
                )
            )
        if not points:
            return None
        return Metric(
            name=self.name,
            description="",
            unit=self.unit,
            data=Histogram(data_points=points, aggregation_temporality=_CUMULATIVE),
        )


class CounterInstrument:
    def __init__(self, name: str, unit: str) -> None:
        self.name = name
        self.unit = unit
        self.points: dict[frozenset[tuple[str, Any]], CounterPoint] = {}

    def point(self, attributes: Mapping[str, Any]) -> CounterPoint:
        key = _key(attributes)
        found = self.points.get(key)
        if found is None:
            found = self.points[key] = CounterPoint(attributes)
        return found

    def collect(self, start: int, now: int) -> Metric | None:
        points = [
            NumberDataPoint(
                attributes=point.attributes,
                start_time_unix_nano=start,
                time_unix_nano=now,
                value=point.data[0],
            )
            for point in list(self.points.values())
        ]
        if not points:
            return None
        return Metric(
            name=self.name,
            description="",
            unit=self.unit,
            data=Sum(data_points=points, aggregation_temporality=_CUMULATIVE, is_monotonic=True),
        )


class Aggregates:
    """Every pre-aggregated instrument of one gateway, by kind and name."""

    def __init__(self, scope: str, resource: Resource) -> None:
        self.scope = InstrumentationScope(scope)
        self.resource = resource
        self.start = time.time_ns()
        self._instruments: dict[tuple[str, str], Any] = {}

    def histogram(self, name: str, bounds: Sequence[float], unit: str = "") -> HistogramInstrument:
        key = ("histogram", name)
        found = self._instruments.get(key)
        if found is None:
            found = self._instruments[key] = HistogramInstrument(name, unit, bounds)
        return found

    def counter(self, name: str, unit: str = "") -> CounterInstrument:
        key = ("counter", name)
        found = self._instruments.get(key)
        if found is None:
            found = self._instruments[key] = CounterInstrument(name, unit)
        return found

    def metrics(self) -> list[Metric]:
        now = time.time_ns()
        collected = (i.collect(self.start, now) for i in list(self._instruments.values()))
        return [m for m in collected if m is not None]

    def merged(self, data: MetricsData | None) -> MetricsData:
        """`data` (what the SDK collected) with these instruments added under their scope."""
        ours = self.metrics()
        resources = list(data.resource_metrics) if data is not None else []
        if not ours:
            return MetricsData(resource_metrics=resources)
        for index, resource in enumerate(resources):
            scopes = list(resource.scope_metrics)
            for at, scope in enumerate(scopes):
                if scope.scope.name == self.scope.name:
                    scopes[at] = ScopeMetrics(
                        scope=scope.scope,
                        metrics=[*scope.metrics, *ours],
                        schema_url=scope.schema_url,
                    )
                    break
            else:
                scopes.append(ScopeMetrics(scope=self.scope, metrics=ours, schema_url=""))
            resources[index] = ResourceMetrics(
                resource=resource.resource, scope_metrics=scopes, schema_url=resource.schema_url
            )
            return MetricsData(resource_metrics=resources)
        scope = ScopeMetrics(scope=self.scope, metrics=ours, schema_url="")
        resources.append(
            ResourceMetrics(resource=self.resource, scope_metrics=[scope], schema_url="")
        )
        return MetricsData(resource_metrics=resources)


def _collect_merged(reader: Any, aggregates: Aggregates, timeout_millis: float) -> None:
    """MetricReader.collect, with the pre-aggregated instruments added; also when the SDK has
    nothing of its own (it returns None then, and the base class would export nothing)."""
    collect = reader._collect
    if collect is None:  # not registered on a MeterProvider yet
        return
    data = collect(reader, timeout_millis=timeout_millis)
    reader._receive_metrics(aggregates.merged(data), timeout_millis=timeout_millis)


class PrometheusReader(PrometheusMetricReader):
    """The SDK's Prometheus reader, with the pre-aggregated instruments added to each scrape."""

    def __init__(self, aggregates: Aggregates, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._aggregates = aggregates

    # `collect` is final in the SDK, but the base one drops a collection in which the SDK itself
    # had nothing, and so would ours; this is the same method plus the merge.
    def collect(self, timeout_millis: float = 10_000) -> None:  # type: ignore[misc]
        _collect_merged(self, self._aggregates, timeout_millis)


class PushReader(PeriodicExportingMetricReader):
    """The SDK's periodic OTLP reader, with the pre-aggregated instruments added to each push."""

    def __init__(self, aggregates: Aggregates, *args: Any, **kwargs: Any) -> None:
        self._aggregates = aggregates
        super().__init__(*args, **kwargs)

    # `collect` is final in the SDK, but the base one drops a collection in which the SDK itself
    # had nothing, and so would ours; this is the same method plus the merge.
    def collect(self, timeout_millis: float = 10_000) -> None:  # type: ignore[misc]
        _collect_merged(self, self._aggregates, timeout_millis)
