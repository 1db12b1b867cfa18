"""`telemetry/opencensus` (service, deprecated in KrakenD: audit rule 7.2.3), mapped onto the
`telemetry/opentelemetry` machinery.

krakend-opencensus (`opencensus.go` Config) exports views and traces through exporters of which
only one has an equivalent here: `exporters.prometheus` becomes a Prometheus exporter on
`:port` (every interface, as `fmt.Sprintf(":%d", port)`), with the process and runtime
collectors that exporter always registers, and `namespace` as the metric name prefix. The metrics
are krakend-otel's (`http_server_duration`, `krakend_backend_duration`, ...), not OpenCensus's
view names. `enabled_layers` switches the global, proxy and backend stages. Traces have no
exporter here (jaeger, zipkin, xray, stackdriver, datadog, ocagent and logger are not
installed; influxdb is metrics to InfluxDB): `check` says exactly what is and is not exported.

When `telemetry/opentelemetry` is configured too, it alone is served (two sets of the same
instruments would count every request twice), and `check` says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from trio_gateway.namespace import Layer, Level, Namespace, Slot
from trio_gateway.telemetry import opentelemetry
from trio_gateway.telemetry.opentelemetry import OpenTelemetryConfig
from trio_gateway.telemetry.otel_config import (
    BackendMetricOpts,
    BackendOpts,
    BackendTraceOpts,
    Exporters,
    GlobalOpts,
    LayersOpts,
    PipeOpts,
    PrometheusExporter,
)

if TYPE_CHECKING:
    from trio_gateway.config.diagnostics import Report
    from trio_gateway.config.model import ExtraConfig
    from trio_gateway.namespace import Where
    from trio_gateway.plan import EndpointPlan
    from trio_gateway.proxy.backend import BackendCall
    from trio_gateway.types import ProxyFunction

__all__ = ["NAMESPACE", "OpenCensusConfig", "to_opentelemetry"]

_STATE_KEY: Final = "telemetry/opencensus"
_NOT_EXPORTED: Final = (
    "influxdb",
    "zipkin",
    "jaeger",
    "logger",
    "xray",
    "stackdriver",
    "ocagent",
    "datadog",
)


@attrs.frozen(kw_only=True)
class EnabledLayers:
    router: bool = False
    pipe: bool = False
    backend: bool = False


@attrs.frozen(kw_only=True)
class PrometheusConfig:
    namespace: str = ""
    port: int = 0
    tag_host: bool = False
    tag_path: bool = False
    tag_method: bool = False
    tag_statuscode: bool = False


@attrs.frozen(kw_only=True)
class OpenCensusExporters:
    prometheus: PrometheusConfig | None = None
    # The others are kept as written: nothing here can export to them.
    influxdb: dict[str, Any] | None = None
    zipkin: dict[str, Any] | None = None
    jaeger: dict[str, Any] | None = None
    logger: dict[str, Any] | None = None
    xray: dict[str, Any] | None = None
    stackdriver: dict[str, Any] | None = None
    ocagent: dict[str, Any] | None = None
    datadog: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class OpenCensusConfig:
    """`extra_config."telemetry/opencensus"` (service)."""

    NAMESPACE: ClassVar[str] = "telemetry/opencensus"

    sample_rate: int = 0
    reporting_period: int = 0
    enabled_layers: EnabledLayers | None = None  # absent: all three (opencensus.go Register)
    exporters: OpenCensusExporters = attrs.field(factory=OpenCensusExporters)


def to_opentelemetry(config: OpenCensusConfig) -> OpenTelemetryConfig:
    """The krakend-otel configuration that exports what can be exported of `config`."""
    layers = config.enabled_layers or EnabledLayers(router=True, pipe=True, backend=True)
    prometheus = config.exporters.prometheus
    exporters = Exporters(
        prometheus=()
        if prometheus is None
        else (
            PrometheusExporter(
                name="opencensus",
                port=prometheus.port,
                process_metrics=True,
                go_metrics=True,
            ),
        )
    )
    backend_off = BackendOpts(
        metrics=BackendMetricOpts(disable_stage=True), traces=BackendTraceOpts(disable_stage=True)
    )
    return OpenTelemetryConfig(
        layers=LayersOpts(
            global_=GlobalOpts(disable_metrics=not layers.router, disable_traces=True),
            proxy=PipeOpts(disable_metrics=not layers.pipe, disable_traces=True),
            backend=None if layers.backend else backend_off,
        ),
        exporters=exporters,
        metric_reporting_period=config.reporting_period or None,
    )


def check(config: OpenCensusConfig, where: Where, report: Report) -> None:
    path = where.path
    if where.service.extra_config.get(OpenTelemetryConfig) is not None:
        report.warning(
            path,
            "telemetry/opencensus is not served: telemetry/opentelemetry is configured and "
            "exports the same measurements",
            "remove telemetry/opencensus (KrakenD deprecates it)",
        )
        return
    exporters = config.exporters
    for name in _NOT_EXPORTED:
        if getattr(exporters, name) is not None:
            report.warning(
                (*path, "exporters", name),
                f"the opencensus `{name}` exporter is not available: nothing is sent to it "
                "(no traces are exported from telemetry/opencensus)",
                "use telemetry/opentelemetry with an OTLP exporter",
            )
    if exporters.prometheus is not None:
        report.warning(
            (*path, "exporters", "prometheus"),
            f"exported to Prometheus on :{exporters.prometheus.port or 9090}/metrics with "
            "krakend-otel's metric names (http_server_duration, krakend_proxy_duration, "
            "krakend_backend_duration, http_client_*), not OpenCensus's view names; the tag_* "
            "options do not apply",
        )
    else:
        report.warning(
            (*path, "exporters"), "no exporter that trio-gateway has: nothing is exported"
        )


NAMESPACE = Namespace(
    name="telemetry/opencensus",
    levels=frozenset({Level.SERVICE}),
    config=OpenCensusConfig,
    aliases=("github_com/devopsfaith/krakend-opencensus",),
    check=check,
)


def _mapped(service: ExtraConfig | None) -> OpenTelemetryConfig | None:
    if service is None or service.get(OpenTelemetryConfig) is not None:
        return None
    config = service.get(OpenCensusConfig)
    if config is None or config.exporters.prometheus is None:
        return None
    return to_opentelemetry(config)


def _service(context: Any) -> ExtraConfig | None:
    service: ExtraConfig | None = getattr(context, "service", None)
    return service


def build_service_layer(next_app: Any, extra: ExtraConfig, context: Any) -> Any:
    return opentelemetry.service_layer(next_app, _mapped(extra), context, _STATE_KEY)


def build_proxy_stage(next_proxy: ProxyFunction, plan: EndpointPlan, context: Any) -> Any:
    config = _mapped(_service(context))
    return opentelemetry.proxy_stage(next_proxy, plan, context, config, _STATE_KEY)


def build_backend_stage(
    next_proxy: ProxyFunction, call: BackendCall, plan: EndpointPlan, context: Any
) -> Any:
    config = _mapped(_service(context))
    return opentelemetry.backend_stage(next_proxy, call, plan, context, config, _STATE_KEY)


def build_client(client: Any, call: BackendCall, plan: EndpointPlan, context: Any) -> Any:
    config = _mapped(_service(context))
    return opentelemetry.instrumented_client(client, call, plan, context, config, _STATE_KEY)


SERVICE_LAYER = Layer(
    name=NAMESPACE.name + ": router", namespace=NAMESPACE, slot=Slot.SERVICE_LAYER,
    build=build_service_layer,
)  # fmt: skip
ENDPOINT_LAYER = Layer(
    name=NAMESPACE.name + ": pipe", namespace=NAMESPACE, slot=Slot.ENDPOINT_LAYER,
    build=build_proxy_stage,
)  # fmt: skip
BACKEND_LAYER = Layer(
    name=NAMESPACE.name + ": backend", namespace=NAMESPACE, slot=Slot.BACKEND_LAYER,
    build=build_backend_stage,
)  # fmt: skip
CLIENT_WRAPPER = Layer(
    name=NAMESPACE.name + ": client", namespace=NAMESPACE, slot=Slot.CLIENT_WRAPPER,
    build=build_client,
)  # fmt: skip
