"""`telemetry/opentelemetry` as written: krakend-otel's `config/config.go`, key for key, and its
defaults (`UnsetFieldsToDefaults`, `FromLura`) and checks (`Exporters.Validate`).

Unset and zero differ where krakend-otel uses pointers: an absent `layers.backend.metrics` means
"everything on" (round_trip, read_payload, detailed_connection all true), but a present
`"metrics": {}` turns them all off (Go's zero values). `metric_reporting_period` and
`trace_sample_rate` are likewise None until defaulted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

import attrs

if TYPE_CHECKING:
    from trio_gateway.config.diagnostics import Path, Report
    from trio_gateway.namespace import Where
    from trio_gateway.telemetry.opentelemetry import OpenTelemetryConfig

__all__ = [
    "DEFAULT_SKIP_PATHS",
    "BackendMetricOpts",
    "BackendOpts",
    "BackendTraceOpts",
    "Exporters",
    "GlobalOpts",
    "KeyValue",
    "LayersOpts",
    "OTLPExporter",
    "PipeOpts",
    "PrometheusExporter",
    "check_config",
]

# config.go UnsetFieldsToDefaults: `[""]` is the way to skip nothing.
DEFAULT_SKIP_PATHS: Final = ("/__health", "/__debug/", "/__echo/", "/__stats/")
DEFAULT_REPORTING_PERIOD: Final = 30  # seconds
DEFAULT_SAMPLE_RATE: Final = 1.0
# exporter/otelcollector: 4317 whatever the protocol; exporter/prometheus: 9090.
DEFAULT_OTLP_PORT: Final = 4317
DEFAULT_OTLP_HOST: Final = "localhost"
DEFAULT_PROMETHEUS_PORT: Final = 9090
SEMANTIC_CONVENTIONS: Final = ("", "1.27")


@attrs.frozen(kw_only=True)
class KeyValue:
    """One static attribute; krakend-otel skips a pair whose key or value is empty."""

    key: str = ""
    value: str = ""


def static_pairs(pairs: Iterable[KeyValue]) -> tuple[tuple[str, str], ...]:
    """The pairs krakend-otel keeps (`kv.Key != "" && kv.Value != ""`), in order."""
    return tuple((kv.key, kv.value) for kv in pairs if kv.key and kv.value)


@attrs.frozen(kw_only=True)
class GlobalOpts:
    """`layers.global`: the HTTP server stage (the request as the client sees it)."""

    disable_metrics: bool = False
    disable_traces: bool = False
    disable_propagation: bool = False
    report_headers: bool = False
    skip_headers: tuple[str, ...] = ()
    metrics_static_attributes: tuple[KeyValue, ...] = ()
    traces_static_attributes: tuple[KeyValue, ...] = ()
    semantic_convention: str = ""


@attrs.frozen(kw_only=True)
class PipeOpts:
    """`layers.proxy`: the endpoint's pipe (around the merge of its backends)."""

    disable_metrics: bool = False
    disable_traces: bool = False
    report_headers: bool = False
    skip_headers: tuple[str, ...] = ()
    metrics_static_attributes: tuple[KeyValue, ...] = ()
    traces_static_attributes: tuple[KeyValue, ...] = ()


@attrs.frozen(kw_only=True)
class BackendMetricOpts:
    """`layers.backend.metrics`; `disable_stage` drops the stage metric, `round_trip` the
    `http.client.*` ones."""

    disable_stage: bool = False
    round_trip: bool = False
    read_payload: bool = False
    detailed_connection: bool = False
    static_attributes: tuple[KeyValue, ...] = ()

    @property
    def enabled(self) -> bool:
        return not self.disable_stage or self.round_trip or self.read_payload


@attrs.frozen(kw_only=True)
class BackendTraceOpts:
    """`layers.backend.traces`; `disable_stage` drops the stage span, `round_trip` the client
    span (and with it the `traceparent` sent to the backend)."""

    disable_stage: bool = False
    round_trip: bool = False
    read_payload: bool = False
    detailed_connection: bool = False
    static_attributes: tuple[KeyValue, ...] = ()
    report_headers: bool = False
    skip_headers: tuple[str, ...] = ()


# config.go: the blocks used when `layers.backend.metrics` / `.traces` are absent.
_DEFAULT_BACKEND_METRICS: Final = BackendMetricOpts(
    round_trip=True, read_payload=True, detailed_connection=True
)
_DEFAULT_BACKEND_TRACES: Final = BackendTraceOpts(
    round_trip=True, read_payload=True, detailed_connection=True
)


@attrs.frozen(kw_only=True)
class BackendOpts:
    """`layers.backend`."""

    metrics: BackendMetricOpts | None = None
    traces: BackendTraceOpts | None = None

    @property
    def metrics_or_default(self) -> BackendMetricOpts:
        return self.metrics if self.metrics is not None else _DEFAULT_BACKEND_METRICS

    @property
    def traces_or_default(self) -> BackendTraceOpts:
        return self.traces if self.traces is not None else _DEFAULT_BACKEND_TRACES


@attrs.frozen(kw_only=True)
class LayersOpts:
    """`layers`; the pipe's key is `proxy` (Go field `Pipe`)."""

    # `global` is a Python keyword: the converter reads the field from that key (its metadata).
    global_: GlobalOpts | None = attrs.field(default=None, metadata={"json_key": "global"})
    proxy: PipeOpts | None = None
    backend: BackendOpts | None = None


@attrs.frozen(kw_only=True)
class OTLPExporter:
    """One `exporters.otlp[]` entry (exporter/otelcollector)."""

    name: str = ""
    host: str = ""
    port: int = 0
    use_http: bool = False
    disable_metrics: bool = False
    disable_traces: bool = False
    custom_metric_reporting_period: int = 0


@attrs.frozen(kw_only=True)
class PrometheusExporter:
    """One `exporters.prometheus[]` entry (exporter/prometheus).

    krakend-otel's code reads the listen address from `host`; KrakenD's schema documents
    `listen_ip`. Both are read here (`host` first): a documented key that binds every interface
    instead would expose the metrics wider than asked."""

    name: str = ""
    port: int = 0
    host: str = ""
    listen_ip: str = ""
    process_metrics: bool = False
    go_metrics: bool = False
    disable_metrics: bool = False

    @property
    def address(self) -> str:
        return self.host or self.listen_ip or "0.0.0.0"  # Go's ":9090": every interface

    @property
    def bound_port(self) -> int:
        return self.port or DEFAULT_PROMETHEUS_PORT


@attrs.frozen(kw_only=True)
class Exporters:
    otlp: tuple[OTLPExporter, ...] = ()
    prometheus: tuple[PrometheusExporter, ...] = ()


def _check_pairs(pairs: tuple[KeyValue, ...], path: Path, report: Report) -> None:
    seen: set[str] = set()
    for index, kv in enumerate(pairs):
        if not kv.key or not kv.value:
            report.warning(
                (*path, index),
                "a static attribute with an empty key or value is skipped (krakend-otel)",
            )
        elif kv.key in seen:
            report.warning((*path, index), f"static attribute `{kv.key}` is set twice")
        seen.add(kv.key)


def check_config(config: OpenTelemetryConfig, where: Where, report: Report) -> None:
    """krakend-otel's own checks as errors (KrakenD logs them and then exports nothing), and
    warnings where its behaviour surprises."""
    path = where.path
    names: dict[str, int] = {}
    every: tuple[tuple[str, tuple[OTLPExporter | PrometheusExporter, ...]], ...] = (
        ("otlp", config.exporters.otlp),
        ("prometheus", config.exporters.prometheus),
    )
    for kind, exporters in every:
        for index, exporter in enumerate(exporters):
            at = (*path, "exporters", kind, index)
            label = "OTLP exporter" if kind == "otlp" else "prometheus"
            if exporter.name in names:
                # exporter.go Validate: KrakenD then registers no exporter at all.
                report.error(
                    (*at, "name"),
                    f"{label} with duplicate name: {exporter.name} (at idx {index})",
                    "give every exporter its own name",
                )
            names.setdefault(exporter.name, index)
            if not 0 <= exporter.port <= 65535:
                report.error((*at, "port"), f"port {exporter.port} is not a TCP port (0-65535)")
    ports: dict[tuple[str, int], int] = {}
    for index, prometheus in enumerate(config.exporters.prometheus):
        key = (prometheus.address, prometheus.bound_port)
        if key in ports:
            report.error(
                (*path, "exporters", "prometheus", index, "port"),
                f"prometheus exporter {index} listens on the same address as exporter "
                f"{ports[key]} ({key[0]}:{key[1]}): the second cannot bind",
            )
        ports.setdefault(key, index)
        if prometheus.host and prometheus.listen_ip and prometheus.host != prometheus.listen_ip:
            report.warning(
                (*path, "exporters", "prometheus", index, "listen_ip"),
                f"both `host` and `listen_ip` are set: listening on `host` ({prometheus.host})",
            )
    for index, otlp in enumerate(config.exporters.otlp):
        at = (*path, "exporters", "otlp", index)
        if not otlp.use_http:
            report.error(
                (*at, "use_http"),
                "OTLP over gRPC (krakend-otel's default, `use_http: false`) is not available: "
                "the gRPC exporter is not installed, and nothing would be exported",
                'set `"use_http": true` and point `port` at the collector\'s OTLP/HTTP '
                "receiver (usually 4318)",
            )
        elif otlp.port == 0:
            report.warning(
                (*at, "port"),
                f"no port: krakend-otel sends OTLP/HTTP to port {DEFAULT_OTLP_PORT} (the gRPC "
                "port of most collectors)",
                "set the collector's OTLP/HTTP port, usually 4318",
            )
        if otlp.disable_metrics and otlp.disable_traces:
            report.warning(at, f"OTLP exporter {otlp.name!r} exports nothing (both disabled)")
    if not config.exporters.otlp and not config.exporters.prometheus:
        report.warning(
            (*path, "exporters"), "no exporter configured: no metric or trace leaves the gateway"
        )
    rate = config.trace_sample_rate
    if rate is not None and not 0.0 < rate <= 1.0:
        # state.go: a ratio sampler only for 0 < rate < 1; anything else samples everything.
        report.warning(
            (*path, "trace_sample_rate"),
            f"trace_sample_rate {rate:g} samples every trace (krakend-otel uses a ratio only "
            "strictly between 0 and 1)",
            "to trace nothing, set layers.global.disable_traces (and proxy, backend)",
        )
    period = config.metric_reporting_period
    if period is not None and period <= 0:
        report.warning(
            (*path, "metric_reporting_period"),
            f"metric_reporting_period {period} is ignored: OTLP metrics are pushed every 60 s "
            "(the SDK's default)",
        )
    global_opts = config.global_opts
    if global_opts.semantic_convention not in SEMANTIC_CONVENTIONS:
        report.warning(
            (*path, "layers", "global", "semantic_convention"),
            f"unknown semantic_convention {global_opts.semantic_convention!r}: the default "
            "metric names are used",
            'use "" or "1.27"',
        )
    layers = (*path, "layers")
    _check_pairs(
        global_opts.metrics_static_attributes,
        (*layers, "global", "metrics_static_attributes"),
        report,
    )
    _check_pairs(
        global_opts.traces_static_attributes,
        (*layers, "global", "traces_static_attributes"),
        report,
    )
    pipe = config.pipe_opts
    _check_pairs(
        pipe.metrics_static_attributes, (*layers, "proxy", "metrics_static_attributes"), report
    )
    _check_pairs(
        pipe.traces_static_attributes, (*layers, "proxy", "traces_static_attributes"), report
    )
    backend = config.backend_opts
    if backend.metrics is not None:
        _check_pairs(
            backend.metrics.static_attributes,
            (*layers, "backend", "metrics", "static_attributes"),
            report,
        )
    if backend.traces is not None:
        _check_pairs(
            backend.traces.static_attributes,
            (*layers, "backend", "traces", "static_attributes"),
            report,
        )
