"""krakend-influx's points and InfluxDB's line protocol, from a snapshot."""

from __future__ import annotations

import pytest

from trio_gateway.telemetry.influx import write_url
from trio_gateway.telemetry.influx_points import CounterDeltas, encode, points
from trio_gateway.telemetry.stats_registry import HistogramData, Snapshot


@pytest.mark.parametrize(
    ("point", "line"),
    [
        # models/points.go: tags and fields sorted, integers `i`, floats 'f' -1
        (("m", {"b": "2", "a": "1"}, {"y": 2, "x": 0.5}), "m,a=1,b=2 x=0.5,y=2i 7"),
        # tag values escape `,` `=` and space; measurements `,` and space
        (("m m,x", {"name": "/a?b=c d,e"}, {"v": 1}), r"m\ m\,x,name=/a?b\=c\ d\,e v=1i 7"),
        # a tag without a value is left out; a whole float has no decimals
        (
            ("m", {"host": "", "k": "v"}, {"f": 3.0, "g": 1e21}),
            "m,k=v f=3,g=1000000000000000000000 7",
        ),
    ],
)
def test_line_protocol(point: tuple[str, dict[str, str], dict[str, float]], line: str) -> None:
    assert encode(point, 7) == line


def test_points_are_krakend_influx_measurements() -> None:
    histogram = HistogramData(5, 1, 2.7, 1.2, 1.44, (1.0, 1.5, 2.0, 3.0, 4.0, 4.5, 5.0))
    empty = HistogramData(0, 0, 0.0, 0.0, 0.0, (0.0,) * 7)
    snapshot = Snapshot(
        time=0,
        counters={
            "krakend.proxy.requests.layer.backend.name./u/{{.Id}}.complete.true.error.false": 4,
            "krakend.router.response./u/:id.status.200.count": 4,
            "krakend.router.response./u/:id.status": 0,
            "krakend.router.connected": 1,
            "krakend.router.connected-total": 9,
            "krakend.router.disconnected": 0,
            "krakend.router.disconnected-total": 8,
        },
        gauges={"krakend.router.connected-gauge": 2, "krakend.router.disconnected-gauge": 3},
        histograms={
            "krakend.proxy.latency.layer.pipe.name./u/:id.complete.true.error.false": histogram,
            "krakend.proxy.latency.layer.pipe.name./u/:id.complete.false.error.true": empty,
            "krakend.router.response./u/:id.size": histogram,
        },
    )
    deltas = CounterDeltas()
    made = list(points(snapshot, "h", deltas))
    fields = {
        "max": 5,
        "min": 1,
        "mean": 2,  # int(h.Mean): truncated
        "stddev": 1,
        "variance": 1,
        "p0.1": 1.0,
        "p0.25": 1.5,
        "p0.5": 2.0,
        "p0.75": 3.0,
        "p0.9": 4.0,
        "p0.95": 4.5,
        "p0.99": 5.0,
    }
    backend = {"layer": "backend", "name": "/u/{{.Id}}", "complete": "true", "error": "false"}
    pipe = {"layer": "pipe", "name": "/u/:id", "complete": "true", "error": "false"}
    assert made == [
        ("requests", {"host": "h", **backend}, {"total": 4, "count": 4}),
        ("responses", {"host": "h", "name": "/u/:id", "status": "200"}, {"total": 4, "count": 4}),
        ("router", {"host": "h", "direction": "in"}, {"current": 1, "total": 9}),
        ("router", {"host": "h", "direction": "out"}, {"current": 0, "total": 8}),
        ("router", {"host": "h", "direction": "in"}, {"gauge": 2}),
        ("router", {"host": "h", "direction": "out"}, {"gauge": 3}),
        ("requests", {"host": "h", **pipe}, fields),  # the empty histogram is skipped
        ("router.response-size", {"host": "h", "name": "/u/:id"}, fields),
    ]
    # the next push counts what changed since this one
    again = list(points(snapshot, "h", deltas))
    assert again[0][2] == {"total": 4, "count": 0}


@pytest.mark.parametrize(
    ("address", "url"),
    [
        ("http://influx:8086", "http://influx:8086/write"),
        ("http://influx:8086/", "http://influx:8086/write"),
        ("https://h/base", "https://h/base/write"),
    ],
)
def test_write_url_is_path_join(address: str, url: str) -> None:
    assert write_url(address) == url
