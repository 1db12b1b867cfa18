"""The points krakend-influx writes from a krakend-metrics snapshot, in InfluxDB v1's line
protocol (counter/counter.go, gauge/gauge.go, histogram/histogram.go; the encoding is
influxdb models/points.go, as the v1 client sends it with `precision=s`).

Measurements, tags and fields, exactly as krakend-influx makes them:
  * `requests` (host, layer, name, complete, error): `total` and `count` (the change since the
    last push) from `krakend.proxy.requests.…`; and, from each non-empty
    `krakend.proxy.latency.…` histogram, `max`, `min`, `mean`, `stddev`, `variance` (integers)
    and `p0.1` … `p0.99` (floats);
  * `responses` (host, name, status): `total` and `count` from
    `krakend.router.response.<name>.status.<code>.count`;
  * `router` (host, direction=in|out): `current` and `total` from `krakend.router.connected`
    (`disconnected`) and `…-total`, and a second point with `gauge` from the `-gauge`s;
  * `router.response-size` and `router.response-time` (host, name): the histogram fields.
KrakenD's `debug`/`runtime` points carry Go's runtime gauges, which a Python gateway has not.
Points come out sorted (Go's map order is random); a line is
`measurement,tag=v,… field=v,… seconds`, tags and fields sorted by key, integers with `i`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Final

from trio_gateway.telemetry.stats_registry import HistogramData, Snapshot, go_float_f

__all__ = ["CounterDeltas", "Point", "encode", "points"]

_REQUESTS: Final = re.compile(
    r"krakend\.proxy\.requests\.layer\.([a-zA-Z]+)\.name\.(.*)\.complete\.(true|false)"
    r"\.error\.(true|false)"
)
_RESPONSES: Final = re.compile(r"krakend\.router\.response\.(.*)\.status\.([\d]{3})\.count")
_LATENCY: Final = re.compile(
    r"krakend\.proxy\.latency\.layer\.([a-zA-Z]+)\.name\.(.*)\.complete\.(true|false)"
    r"\.error\.(true|false)"
)
_ROUTER: Final = re.compile(r"krakend\.router\.response\.(.*)\.(size|time)")
_PERCENTILE_FIELDS: Final = ("p0.1", "p0.25", "p0.5", "p0.75", "p0.9", "p0.95", "p0.99")

Field = int | float
Point = tuple[str, Mapping[str, str], Mapping[str, Field]]


class CounterDeltas:
    """counter.go's `lastRequestCount`/`lastResponseCount`: `count` is the change since the last
    push (the whole total on the first one)."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, ...], int] = {}

    def delta(self, key: tuple[str, ...], total: int) -> int:
        last = self._last.get(key, 0)
        self._last[key] = total
        return total - last


def _histogram_fields(data: HistogramData) -> dict[str, Field]:
    """histogram.go newFields: the summary truncated to integers, the percentiles as floats."""
    fields: dict[str, Field] = {
        "max": int(data.max),
        "min": int(data.min),
        "mean": int(data.mean),
        "stddev": int(data.stddev),
        "variance": int(data.variance),
    }
    if len(data.percentiles) == len(_PERCENTILE_FIELDS):
        fields.update(zip(_PERCENTILE_FIELDS, data.percentiles, strict=True))
    return fields


def _is_empty(data: HistogramData) -> bool:
    """histogram.go isEmpty."""
    return (
        data.max == 0
        and data.min == 0
        and data.mean == 0
        and data.stddev == 0
        and data.variance == 0
        and (not data.percentiles or (data.percentiles[0] == 0 and data.percentiles[-1] == 0))
    )


def points(snapshot: Snapshot, host: str, deltas: CounterDeltas) -> Iterator[Point]:
    """krakend-influx's points for one snapshot (counters, gauges, then histograms)."""
    counters = snapshot.counters
    for name in sorted(counters):
        found = _REQUESTS.search(name)  # Go's MatchString: unanchored
        if found:
            layer, endpoint, complete, errored = found.groups()
            total = counters[name]
            tags = {
                "host": host,
                "layer": layer,
                "name": endpoint,
                "complete": complete,
                "error": errored,
            }
            count = deltas.delta(("requests", *found.groups()), total)
            yield "requests", tags, {"total": total, "count": count}
    for name in sorted(counters):
        found = _RESPONSES.search(name)
        if found:
            endpoint, status = found.groups()
            total = counters[name]
            count = deltas.delta(("responses", endpoint, status), total)
            tags = {"host": host, "name": endpoint, "status": status}
            yield "responses", tags, {"total": total, "count": count}
    for direction, prefix in (
        ("in", "krakend.router.connected"),
        ("out", "krakend.router.disconnected"),
    ):
        fields = {"current": counters.get(prefix, 0), "total": counters.get(prefix + "-total", 0)}
        yield "router", {"host": host, "direction": direction}, fields
    gauges = snapshot.gauges
    for direction, name in (
        ("in", "krakend.router.connected-gauge"),
        ("out", "krakend.router.disconnected-gauge"),
    ):
        yield "router", {"host": host, "direction": direction}, {"gauge": gauges.get(name, 0)}
    histograms = snapshot.histograms
    for name in sorted(histograms):
        found = _LATENCY.search(name)
        if found and not _is_empty(histograms[name]):
            layer, endpoint, complete, errored = found.groups()
            tags = {
                "host": host,
                "layer": layer,
                "name": endpoint,
                "complete": complete,
                "error": errored,
            }
            yield "requests", tags, _histogram_fields(histograms[name])
    for name in sorted(histograms):
        found = _ROUTER.search(name)
        if found and not _is_empty(histograms[name]):
            endpoint, kind = found.groups()
            tags = {"host": host, "name": endpoint}
            yield "router.response-" + kind, tags, _histogram_fields(histograms[name])


# models/points.go escaping: measurements escape commas and spaces; tag keys, tag values and
# field keys escape commas, equal signs and spaces.
_MEASUREMENT: Final = str.maketrans({",": r"\,", " ": r"\ "})
_KEY: Final = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})


def _field(value: Field) -> str:
    """appendField: int64 as `12i`, float64 as strconv.FormatFloat(v, 'f', -1, 64)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    return go_float_f(value)


def encode(point: Point, timestamp_s: int) -> str:
    """One line: `measurement,tags fields timestamp` (tags without a value are left out, as
    models.NewPoint does)."""
    measurement, tags, fields = point
    line = [measurement.translate(_MEASUREMENT)]
    for key in sorted(tags):
        if tags[key]:
            line.append(f",{key.translate(_KEY)}={tags[key].translate(_KEY)}")
    line.append(" ")
    line.append(",".join(f"{k.translate(_KEY)}={_field(fields[k])}" for k in sorted(fields)))
    line.append(f" {timestamp_s}")
    return "".join(line)
