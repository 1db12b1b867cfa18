"""The providers, exporters and instruments one gateway owns (krakend-otel `state/state.go`,
`exporter/*`), made at startup and flushed and shut down with the app.

Nothing here is global: the MeterProvider is an explicit object (the SDK's `set_*_provider` is
never called), the span recorder and the Prometheus registry are this gateway's own. Two
gateways in one process (tests, the library) do not meet.

Off the request path: spans leave through `otel_export.SpanExporter` (a trio task of the
services; a full queue drops spans, never blocks), OTLP metrics through a
`PeriodicExportingMetricReader` (its own thread), Prometheus is read by its scrape thread. An
unreachable collector costs spans and points, not requests.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

import trio
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

from trio_gateway._version import __version__
from trio_gateway.telemetry.otel_carrier import Carrier
from trio_gateway.telemetry.otel_config import DEFAULT_OTLP_HOST, DEFAULT_OTLP_PORT, OTLPExporter
from trio_gateway.telemetry.otel_export import SpanExporter
from trio_gateway.telemetry.otel_metrics import (
    Aggregates,
    CounterInstrument,
    HistogramInstrument,
    PrometheusReader,
    PushReader,
)
from trio_gateway.telemetry.otel_prometheus import MetricsServer, worker_slot
from trio_gateway.telemetry.otel_spans import SpanRecorder

if TYPE_CHECKING:
    from trio_gateway.telemetry.opentelemetry import OpenTelemetryConfig

__all__ = ["SCOPE", "OTelState", "otlp_base_url"]

LOGGER = logging.getLogger(__name__)

SCOPE: Final = "io.krakend.krakend-otel"  # state.go providerName: the instrumentation scope
# config/histogram_buckets.go
TIME_BUCKETS: Final = (
    0.010, 0.020, 0.050, 0.075, 0.100, 0.125, 0.150, 0.175, 0.200, 0.250,
    0.300, 0.350, 0.500, 0.750, 1.000, 1.500, 2.000, 3.500, 5.000, 10.000,
)  # fmt: skip
SIZE_BUCKETS: Final = (
    128, 256, 512, 1024, 4 * 1024, 8 * 1024, 16 * 1024, 32 * 1024, 64 * 1024,
    4 * 64 * 1024, 8 * 64 * 1024, 16 * 64 * 1024, 4 * 1024 * 1024, 16 * 1024 * 1024,
    64 * 1024 * 1024,
)  # fmt: skip
# How long shutdown waits for the last export (a dead collector must not hold the exit).
SHUTDOWN_TIMEOUT: Final = 2.0
_EXPORT_TIMEOUT: Final = 5.0


def otlp_base_url(exporter: OTLPExporter) -> str:
    """otelcollector.go: `host:port`, plain HTTP unless the host says `https://`."""
    host = exporter.host or DEFAULT_OTLP_HOST
    port = exporter.port or DEFAULT_OTLP_PORT
    if host.startswith("https://"):
        return f"{host}:{port}"
    if host.startswith("http://"):
        return f"{host}:{port}"
    return f"http://{host}:{port}"


class OTelState:
    """Everything `telemetry/opentelemetry` made for one gateway."""

    def __init__(self, config: OpenTelemetryConfig, service_name: str) -> None:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        self.config = config
        attributes: dict[str, Any] = {
            # config/lura.go FromLura: the service's `name`, else "KrakenD"
            "service.name": config.service_name or service_name or "KrakenD",
            "service.version": config.service_version or __version__,
        }
        if config.deploy_env:
            attributes["deployment.environment"] = config.deploy_env
        resource = Resource(attributes)
        self.aggregates = Aggregates(SCOPE, resource)
        self.carrier = Carrier()
        self._servers: list[MetricsServer] = []
        readers: list[MetricReader] = []
        trace_targets: list[str] = []
        try:
            slot = worker_slot()
            for prometheus in config.exporters.prometheus:
                if prometheus.disable_metrics:
                    continue
                registry = CollectorRegistry(auto_describe=True)
                if prometheus.process_metrics:
                    ProcessCollector(registry=registry)
                if prometheus.go_metrics:  # the runtime's own metrics: Python's GC and version
                    GCCollector(registry=registry)
                    PlatformCollector(registry=registry)
                readers.append(PrometheusReader(self.aggregates, registry=registry))
                try:
                    server = MetricsServer(
                        registry, prometheus.address, prometheus.bound_port, slot
                    )
                except OSError as exc:
                    raise OSError(
                        f"prometheus exporter {prometheus.name!r} cannot listen on "
                        f"{prometheus.address}:{prometheus.bound_port}: {exc}"
                    ) from exc
                self._servers.append(server)
            for otlp in config.exporters.otlp:
                base = otlp_base_url(otlp)
                if not otlp.disable_metrics:
                    period = otlp.custom_metric_reporting_period
                    if period < 1:
                        period = config.reporting_period
                    readers.append(
                        PushReader(
                            self.aggregates,
                            OTLPMetricExporter(
                                endpoint=base + "/v1/metrics", timeout=_EXPORT_TIMEOUT
                            ),
                            export_interval_millis=period * 1000 if period > 0 else None,
                        )
                    )
                if not otlp.disable_traces:
                    trace_targets.append(base)
        except BaseException:
            self._close_servers()
            raise
        self.meter_provider: MeterProvider | None = None
        # Spans: recorded and exported by otel_spans.py (the SDK's tracer costs too much).
        self.spans: SpanRecorder | None = None
        self.meter: Any = None
        if readers:
            self.meter_provider = MeterProvider(
                metric_readers=readers, resource=resource, exemplar_filter=AlwaysOffExemplarFilter()
            )
            self.meter = self.meter_provider.get_meter(SCOPE)
        self._exporter: SpanExporter | None = None
        if trace_targets:
            self.spans = SpanRecorder(
                resource=attributes, scope=SCOPE, sample_rate=config.sample_rate
            )
            self._exporter = SpanExporter(
                self.spans,
                trace_targets,
                timeout=_EXPORT_TIMEOUT,
                shutdown_timeout=SHUTDOWN_TIMEOUT,
            )

    @property
    def servers(self) -> tuple[MetricsServer, ...]:
        return tuple(self._servers)

    def histogram(
        self, name: str, buckets: tuple[float, ...], unit: str = ""
    ) -> HistogramInstrument:
        """One histogram per name (pre-aggregated: otel_metrics.py), made at build time."""
        return self.aggregates.histogram(name, buckets, unit)

    def counter(self, name: str, unit: str = "") -> CounterInstrument:
        return self.aggregates.counter(name, unit)

    def observable_counter(self, name: str, callback: Any) -> None:
        self.meter.create_observable_counter(name, callbacks=[callback])

    def _close_servers(self) -> None:
        for server in self._servers:
            server.close()
        self._servers.clear()

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The span exporter, while the services run (it sends what is queued when stopped)."""
        if self._exporter is None:
            task_status.started()
            return
        await self._exporter.run(task_status)

    def shutdown(self) -> None:
        """Flush the metrics and stop their threads (blocking: run it in a thread); the spans
        were sent when `run` stopped."""
        try:
            if self.meter_provider is not None:
                self.meter_provider.shutdown(timeout_millis=SHUTDOWN_TIMEOUT * 1000)
        finally:
            self._close_servers()
