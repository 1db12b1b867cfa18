"""`telemetry/opentelemetry` (service): krakend-otel, on the OpenTelemetry Python SDK.

Its layers, in krakend-ce's places (stack.py): the global stage around everything served
(`otellura.GlobalRunServer`; it takes the matched endpoint's route from the router's mark on the
scope, where krakend-ce's `otelgin.New` sets it outermost of the endpoint's handlers), the proxy
stage outermost of the endpoint layers (`otellura.ProxyFactory`), the backend stage outermost of
the backend layers (`otellura.BackendFactory`), and the instrumented client around
the HTTP client, outside the HTTP cache (`otellura.InstrumentedHTTPClientFactory`). A stage that
its `layers` options switch off builds nothing; endpoints in `skip_paths` get no instrumentation.

Beyond krakend-otel, what the QoS layers decide is counted from their own statistics
(`namespace.Observed`, read when metrics are collected, never on the request path):
`krakend.router.ratelimit.rejected` (by endpoint and 429/503), `krakend.backend.circuit_breaker
.rejected` and `krakend.backend.cache.hits` / `.misses` (by backend).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from trio_gateway.namespace import Layer, Level, Namespace, Observed, Resources, Slot
from trio_gateway.telemetry.otel_config import (
    DEFAULT_REPORTING_PERIOD,
    DEFAULT_SAMPLE_RATE,
    DEFAULT_SKIP_PATHS,
    BackendOpts,
    Exporters,
    GlobalOpts,
    LayersOpts,
    PipeOpts,
    check_config,
    static_pairs,
)

# The OpenTelemetry SDK (otel_layers, otel_state and what they import) loads only when a
# configuration asks for telemetry: a gateway without it neither imports nor holds it.
if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, Observation

    from trio_gateway.config.model import ExtraConfig
    from trio_gateway.plan import EndpointPlan
    from trio_gateway.proxy.backend import BackendCall
    from trio_gateway.telemetry.otel_layers import (
        GlobalStage,
        InstrumentedClient,
        StageProxy,
    )
    from trio_gateway.telemetry.otel_state import OTelState
    from trio_gateway.types import ProxyFunction

__all__ = [
    "BACKEND_LAYER",
    "CLIENT_WRAPPER",
    "ENDPOINT_LAYER",
    "NAMESPACE",
    "SERVICE_LAYER",
    "OpenTelemetryConfig",
    "otel_state",
]


@attrs.frozen(kw_only=True)
class OpenTelemetryConfig:
    """`extra_config."telemetry/opentelemetry"` (service)."""

    NAMESPACE: ClassVar[str] = "telemetry/opentelemetry"

    service_name: str = ""
    service_version: str = ""
    deploy_env: str = ""
    layers: LayersOpts | None = None
    exporters: Exporters = attrs.field(factory=Exporters)
    skip_paths: tuple[str, ...] = ()
    metric_reporting_period: int | None = None
    trace_sample_rate: float | None = None

    # ---- the defaults krakend-otel fills in (config.go UnsetFieldsToDefaults) ----
    @property
    def global_opts(self) -> GlobalOpts:
        layers = self.layers
        return layers.global_ if layers is not None and layers.global_ is not None else GlobalOpts()

    @property
    def pipe_opts(self) -> PipeOpts:
        layers = self.layers
        return layers.proxy if layers is not None and layers.proxy is not None else PipeOpts()

    @property
    def backend_opts(self) -> BackendOpts:
        layers = self.layers
        if layers is not None and layers.backend is not None:
            return layers.backend
        return BackendOpts()

    @property
    def skipped_paths(self) -> frozenset[str]:
        return frozenset(self.skip_paths or DEFAULT_SKIP_PATHS)

    @property
    def reporting_period(self) -> int:
        period = self.metric_reporting_period
        return DEFAULT_REPORTING_PERIOD if period is None else period

    @property
    def sample_rate(self) -> float:
        rate = self.trace_sample_rate
        return DEFAULT_SAMPLE_RATE if rate is None else rate


NAMESPACE = Namespace(
    name="telemetry/opentelemetry",
    levels=frozenset({Level.SERVICE}),
    config=OpenTelemetryConfig,
    check=check_config,
)

_STATE_KEY: Final = "telemetry/opentelemetry"


def otel_state(config: OpenTelemetryConfig, context: Any, key: object = _STATE_KEY) -> OTelState:
    """The gateway's one `OTelState` for `config`, made (exporters started) on first use and
    shut down with the app. `telemetry/opencensus` shares the machinery under its own key."""
    from trio_gateway.telemetry.otel_state import OTelState

    resources: Resources = context.resources

    def make() -> OTelState:
        state = OTelState(config, context.service_name)
        if state.meter is not None:
            _observe_qos(state, resources)
        return state

    state: OTelState = resources.once(key, make, OTelState.shutdown, OTelState.run)
    return state


def _config(context: Any) -> OpenTelemetryConfig | None:
    service: ExtraConfig | None = getattr(context, "service", None)
    return None if service is None else service.get(OpenTelemetryConfig)


def _skip_headers(names: Iterable[str]) -> frozenset[str]:
    return frozenset(name.lower() for name in names)


# ---- the stages --------------------------------------------------------------------------------


def build_service_layer(next_app: Any, extra: ExtraConfig, context: Any) -> GlobalStage | None:
    return service_layer(next_app, extra.get(OpenTelemetryConfig), context)


def service_layer(
    next_app: Any, config: OpenTelemetryConfig | None, context: Any, key: object = _STATE_KEY
) -> GlobalStage | None:
    if config is None or context is None:
        return None
    opts = config.global_opts
    if opts.disable_metrics and opts.disable_traces and opts.disable_propagation:
        return None
    state = otel_state(config, context, key)
    metrics = not opts.disable_metrics and state.meter is not None
    traces = not opts.disable_traces and state.spans is not None
    if not metrics and not traces:
        return None
    from trio_gateway.telemetry.otel_layers import GlobalStage

    return GlobalStage(
        next_app,
        state,
        metrics=metrics,
        traces=traces,
        propagation=not opts.disable_propagation,
        report_headers=opts.report_headers,
        skip_headers=_skip_headers(opts.skip_headers),
        metrics_attributes=dict(static_pairs(opts.metrics_static_attributes)),
        traces_attributes=dict(static_pairs(opts.traces_static_attributes)),
        semantic_convention=opts.semantic_convention,
    )


def build_proxy_stage(
    next_proxy: ProxyFunction, plan: EndpointPlan, context: Any
) -> StageProxy | None:
    return proxy_stage(next_proxy, plan, context, _config(context))


def proxy_stage(
    next_proxy: ProxyFunction,
    plan: EndpointPlan,
    context: Any,
    config: OpenTelemetryConfig | None,
    key: object = _STATE_KEY,
) -> StageProxy | None:
    if config is None or plan.path in config.skipped_paths:
        return None
    opts = config.pipe_opts
    if opts.disable_metrics and opts.disable_traces:
        return None
    state = otel_state(config, context, key)
    base = {"http.request.method": plan.method, "http.route": plan.path}
    metrics = (
        None
        if opts.disable_metrics
        else {**base, **static_pairs_dict(opts.metrics_static_attributes)}
    )
    traces = (
        None
        if opts.disable_traces
        else {**base, **static_pairs_dict(opts.traces_static_attributes)}
    )
    if (metrics is None or state.meter is None) and (traces is None or state.spans is None):
        return None
    from trio_gateway.telemetry.otel_layers import StageProxy

    return StageProxy(
        next_proxy,
        state,
        stage="proxy",
        name=plan.path,
        metrics_attributes=metrics,
        traces_attributes=traces,
        report_headers=opts.report_headers,
        skip_headers=_skip_headers(opts.skip_headers),
    )


def static_pairs_dict(pairs: Any) -> dict[str, str]:
    return dict(static_pairs(pairs))


def _backend_attributes(call: BackendCall, plan: EndpointPlan) -> dict[str, Any]:
    from trio_gateway.telemetry.otel_layers import normalize_url_pattern

    return {
        "http.request.method": call.method,
        "http.route": normalize_url_pattern(call.url.pattern),
        "krakend.endpoint.route": plan.path,
        "krakend.endpoint.method": plan.method,
    }


def build_backend_stage(
    next_proxy: ProxyFunction, call: BackendCall, plan: EndpointPlan, context: Any
) -> StageProxy | None:
    return backend_stage(next_proxy, call, plan, context, _config(context))


def backend_stage(
    next_proxy: ProxyFunction,
    call: BackendCall,
    plan: EndpointPlan,
    context: Any,
    config: OpenTelemetryConfig | None,
    key: object = _STATE_KEY,
) -> StageProxy | None:
    if config is None or plan.path in config.skipped_paths:
        return None
    backend = config.backend_opts
    # lura/proxy.go BackendFactory: a stage is off only when its block says disable_stage.
    metrics_off = backend.metrics is not None and backend.metrics.disable_stage
    traces_off = backend.traces is not None and backend.traces.disable_stage
    if metrics_off and traces_off:
        return None
    state = otel_state(config, context, key)
    base = _backend_attributes(call, plan)
    metrics = traces = None
    if not metrics_off and state.meter is not None:
        metrics = {**base, **static_pairs_dict(backend.metrics_or_default.static_attributes)}
    traced = backend.traces_or_default
    if not traces_off and state.spans is not None:
        traces = {**base, **static_pairs_dict(traced.static_attributes)}
    if metrics is None and traces is None:
        return None
    from trio_gateway.telemetry.otel_layers import StageProxy

    return StageProxy(
        next_proxy,
        state,
        stage="backend",
        name=base["http.route"],
        metrics_attributes=metrics,
        traces_attributes=traces,
        report_headers=traced.report_headers,
        skip_headers=_skip_headers(traced.skip_headers),
    )


def build_client(
    client: Any, call: BackendCall, endpoint: EndpointPlan, context: Any
) -> InstrumentedClient | None:
    return instrumented_client(client, call, endpoint, context, _config(context))


def instrumented_client(
    client: Any,
    call: BackendCall,
    endpoint: EndpointPlan,
    context: Any,
    config: OpenTelemetryConfig | None,
    key: object = _STATE_KEY,
) -> InstrumentedClient | None:
    if config is None or endpoint.path in config.skipped_paths:
        return None
    backend = config.backend_opts
    metric_opts = backend.metrics_or_default
    trace_opts = backend.traces_or_default
    # transport_metrics.go / transport_traces.go Enabled(): round_trip or read_payload
    metrics_on = metric_opts.round_trip or metric_opts.read_payload
    traces_on = trace_opts.round_trip or trace_opts.read_payload
    if not metrics_on and not traces_on:
        return None
    state = otel_state(config, context, key)
    base = _backend_attributes(call, endpoint)
    metrics = traces = None
    if metrics_on and state.meter is not None:
        metrics = {
            **base,
            **static_pairs_dict(metric_opts.static_attributes),
            "clientname": base["http.route"],
        }
    if traces_on and state.spans is not None:
        traces = {
            **base,
            "krakend.stage": "backend-request",
            **static_pairs_dict(trace_opts.static_attributes),
        }
    if metrics is None and traces is None:
        return None
    from trio_gateway.telemetry.otel_layers import InstrumentedClient

    return InstrumentedClient(
        client,
        state,
        name=base["http.route"],
        method=call.method,
        metrics_attributes=metrics,
        traces_attributes=traces,
        semantic_convention=config.global_opts.semantic_convention,
        report_headers=trace_opts.report_headers,
        skip_headers=_skip_headers(trace_opts.skip_headers),
    )


# ---- what the QoS layers observe -------------------------------------------------------------


def _endpoint_attributes(observed: Observed) -> dict[str, Any]:
    plan = observed.endpoint
    if plan is None:
        return {}
    return {"krakend.endpoint.route": plan.path, "krakend.endpoint.method": plan.method}


def _backend_observation_attributes(observed: Observed) -> dict[str, Any]:
    attributes = _endpoint_attributes(observed)
    call = observed.backend
    if call is not None:
        from trio_gateway.telemetry.otel_layers import normalize_url_pattern

        attributes["http.request.method"] = call.method
        attributes["http.route"] = normalize_url_pattern(call.url.pattern)
    else:
        attributes["krakend.cache.shared"] = True
    return attributes


def _observe_qos(state: OTelState, resources: Resources) -> None:
    """Observable counters over `resources.observed`, which the QoS layers fill while the
    stack is built; read in the exporter's thread (the reads are plain attribute reads)."""
    from opentelemetry.metrics import Observation

    def unique(kind: str) -> list[Observed]:
        seen: set[int] = set()
        found = []
        for observed in resources.observed:
            if observed.kind == kind and id(observed.source) not in seen:
                seen.add(id(observed.source))
                found.append(observed)
        return found

    def ratelimit(options: CallbackOptions) -> Iterable[Observation]:
        for observed in unique("qos/ratelimit/router"):
            stats = observed.read()
            attributes = _endpoint_attributes(observed)
            yield Observation(
                stats.rejections_429, {**attributes, "http.response.status_code": 429}
            )
            yield Observation(
                stats.rejections_503, {**attributes, "http.response.status_code": 503}
            )

    def breaker(options: CallbackOptions) -> Iterable[Observation]:
        for observed in unique("qos/circuit-breaker"):
            yield Observation(observed.read(), _backend_observation_attributes(observed))

    def cache(field: str) -> Any:
        def read(options: CallbackOptions) -> Iterable[Observation]:
            for observed in unique("qos/http-cache"):
                stats = observed.read()
                yield Observation(getattr(stats, field), _backend_observation_attributes(observed))

        return read

    state.observable_counter("krakend.router.ratelimit.rejected", ratelimit)
    state.observable_counter("krakend.backend.circuit_breaker.rejected", breaker)
    state.observable_counter("krakend.backend.cache.hits", cache("hits"))
    state.observable_counter("krakend.backend.cache.misses", cache("misses"))


SERVICE_LAYER = Layer(
    name=NAMESPACE.name + ": global", namespace=NAMESPACE, slot=Slot.SERVICE_LAYER,
    build=build_service_layer,
)  # fmt: skip
ENDPOINT_LAYER = Layer(
    name=NAMESPACE.name + ": proxy", namespace=NAMESPACE, slot=Slot.ENDPOINT_LAYER,
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
