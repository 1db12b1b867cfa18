"""`telemetry/metrics` (service): krakend-metrics v2, the go-metrics registry KrakenD fills on
the request path and serves as JSON on its own listener (`GET /__stats`).

Where it counts (krakend-ce's factories, one wrapper each):
  * router (`handler_factory.go`: `metricCollector.NewHTTPHandlerFactory`, gin/metrics.go, an
    endpoint guard after the bot detector that watches the answer): per
    request `krakend.router.connected` (+1 on entry) and `.disconnected` (+1 when done), then
    `krakend.router.response.<endpoint>.status.<code>.count` and the `.size` and `.time`
    histograms (bytes, nanoseconds). `<endpoint>` is lura's name for the endpoint: the path with
    `{param}` written `:param` (config.go `GetEndpointPath`);
  * pipe (`proxy_factory.go`: `metricCollector.ProxyFactory("pipe", …)`, outermost around the
    merge) and backend (`backend_factory.go`: `metricCollector.BackendFactory("backend", …)`,
    around the circuit breaker): `krakend.proxy.requests.layer.<pipe|backend>.name.<name>.
    complete.<bool>.error.<bool>` and the matching `krakend.proxy.latency…` histogram (ns), all
    four combinations registered at startup (proxy.go `registerProxyMiddlewareMetrics`). A
    backend's name is lura's url_pattern (`/users/{{.Id}}`).

Every `collection_time` (metrics.go `processMetrics`): `connected`/`disconnected` move into
`connected-total`/`disconnected-total` and the `-gauge`s, and a snapshot is taken for
`telemetry/influx` (histograms are cleared then, so `/__stats` shows the current period's).
KrakenD adds Go's runtime statistics (`krakend.service.runtime.MemStats.*`,
`krakend.service.debug.GCStats.*`, expvar's `memstats`); a Python process has no such numbers
and they are left out. The listener is `stats_server.py`; the registry, `stats_registry.py`.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs
import trio

from trio_gateway.config.model import Seconds
from trio_gateway.config.placeholders import PLACEHOLDER
from trio_gateway.namespace import Admission, Layer, Level, Namespace, Slot, Where
from trio_gateway.telemetry.stats_registry import Counter, Histogram, Registry, Snapshot
from trio_gateway.telemetry.stats_server import listen_address, serve_stats
from trio_gateway.types import ProxyFunction, Request, Response

if TYPE_CHECKING:
    from trio_gateway.config.diagnostics import Report
    from trio_gateway.config.model import ExtraConfig
    from trio_gateway.plan import EndpointPlan
    from trio_gateway.proxy.backend import BackendCall

__all__ = [
    "BACKEND_LAYER",
    "DEFAULT_COLLECTION_TIME",
    "DEFAULT_LISTEN_ADDRESS",
    "ENDPOINT_GUARD",
    "ENDPOINT_LAYER",
    "NAMESPACE",
    "SERVICE",
    "WORKER_INDEX_ENV",
    "Metrics",
    "MetricsConfig",
    "backend_name",
    "endpoint_name",
    "listen_address",
]

LOGGER = logging.getLogger(__name__)

DEFAULT_COLLECTION_TIME: Final = 60.0  # metrics.go ConfigGetter: time.Minute
DEFAULT_LISTEN_ADDRESS: Final = ":8090"  # metrics.go defaultListenAddr
# `run --workers N` sets it in each worker (0..N-1): worker i serves /__stats on port + i.
WORKER_INDEX_ENV: Final = "TRIO_GATEWAY_WORKER_INDEX"


@attrs.frozen(kw_only=True)
class MetricsConfig:
    """`extra_config."telemetry/metrics"` (service), as metrics.go ConfigGetter reads it."""

    NAMESPACE: ClassVar[str] = "telemetry/metrics"

    collection_time: Seconds | None = None  # default one minute
    listen_address: str = DEFAULT_LISTEN_ADDRESS
    proxy_disabled: bool = False
    router_disabled: bool = False
    backend_disabled: bool = False
    endpoint_disabled: bool = False  # no /__stats listener; the metrics are still collected


def check(config: MetricsConfig, where: Where, report: Report) -> None:
    if config.collection_time is not None and config.collection_time <= 0:
        report.error(
            (*where.path, "collection_time"),
            "must be positive: KrakenD's time.NewTicker panics on a non-positive interval",
            'use a Go duration such as "60s"',
        )
    try:
        listen_address(config.listen_address)
    except ValueError as exc:
        report.error(
            (*where.path, "listen_address"),
            f"invalid listen address {config.listen_address!r}: {exc}",
            'write host:port, such as ":8090" or "127.0.0.1:8090"',
        )


NAMESPACE = Namespace(
    name="telemetry/metrics",
    levels=frozenset({Level.SERVICE}),
    config=MetricsConfig,
    aliases=("github_com/devopsfaith/krakend-metrics",),
    check=check,
)


class Metrics:
    """One gateway's collector (metrics.go `Metrics` with router.go's `RouterMetrics`)."""

    def __init__(self, config: MetricsConfig, *, worker_index: int = 0) -> None:
        self.config = config
        self.worker_index = worker_index
        self.registry = registry = Registry()
        self.connected = registry.counter("krakend.router.connected")
        self.disconnected = registry.counter("krakend.router.disconnected")
        self._connected_total = registry.counter("krakend.router.connected-total")
        self._disconnected_total = registry.counter("krakend.router.disconnected-total")
        self._connected_gauge = registry.gauge("krakend.router.connected-gauge")
        self._disconnected_gauge = registry.gauge("krakend.router.disconnected-gauge")
        self.stats_urls: list[str] = []  # where /__stats is served, once it is
        # NewStats() until the first collection: telemetry/influx sends nothing before it.
        self.latest: Snapshot = Snapshot.empty(time.time_ns())

    @property
    def collection_time(self) -> float:
        return self.config.collection_time or DEFAULT_COLLECTION_TIME

    def aggregate(self) -> None:
        """router.go `Aggregate`: this period's (dis)connections into the totals and gauges."""
        for counter, total, gauge in (
            (self.connected, self._connected_total, self._connected_gauge),
            (self.disconnected, self._disconnected_total, self._disconnected_gauge),
        ):
            gauge.update(counter.count)
            total.inc(counter.count)
            counter.clear()

    def collect(self) -> None:
        """One tick of metrics.go `processMetrics`."""
        self.aggregate()
        self.latest = self.registry.take_snapshot(time.time_ns())

    def published(self) -> dict[str, object]:
        """The expvar vars Go publishes besides the registry's (expvar's `cmdline`)."""
        return {"cmdline": list(sys.argv)}

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The collection ticker and, unless `endpoint_disabled`, the /__stats listener."""
        async with trio.open_nursery() as nursery:
            if not self.config.endpoint_disabled:
                await nursery.start(serve_stats, self)
            task_status.started()
            while True:
                await trio.sleep(self.collection_time)
                self.collect()


def endpoint_name(plan: EndpointPlan) -> str:
    """lura's `cfg.Endpoint`: `{param}` written `:param` before any `?` (GetEndpointPath)."""
    path, question, query = plan.path.partition("?")
    for param in plan.params:
        path = path.replace("{" + param + "}", ":" + param)
    return path + question + query


def backend_name(call: BackendCall) -> str:
    """lura's `cfg.URLPattern`: each `{param}` written `{{.Param}}` (initBackendURLMappings)."""
    return PLACEHOLDER.sub(
        lambda found: "{{." + found.group(1)[:1].upper() + found.group(1)[1:] + "}}",
        call.url.pattern,
    )


# ---- the router: an endpoint guard that watches the answer -----------------------------------


class _Answer:
    """One request's answer as gin's ResponseWriter sees it: status (200 until written) and body
    size (-1, gin's `noWritten`, until a body byte is written)."""

    __slots__ = ("_send", "begin", "size", "status")

    def __init__(self, send: Any) -> None:
        self._send = send
        self.begin = time.perf_counter_ns()
        self.status = 200
        self.size = -1

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
        elif kind == "http.response.body":
            body = message.get("body", b"")
            if body:
                self.size = len(body) if self.size < 0 else self.size + len(body)
        await self._send(message)


class RouterStats:
    """gin/metrics.go `NewHTTPHandlerFactory`, as an endpoint guard in the handler factory's
    place (inside the bot detector, around the JWT validator and all after it): it admits every
    request and records its answer once the request is over."""

    __slots__ = ("_metrics", "_prefix", "_size", "_statuses", "_time")

    def __init__(self, name: str, metrics: Metrics) -> None:
        registry = metrics.registry
        self._metrics = metrics
        self._prefix = "krakend.router.response." + name
        # router.go RegisterResponseWriterMetrics: these exist before the first request.
        registry.counter(self._prefix + ".status")
        self._size = registry.histogram(self._prefix + ".size")
        self._time = registry.histogram(self._prefix + ".time")
        self._statuses: dict[int, Counter] = {}

    async def __call__(self, admission: Admission) -> None:
        self._metrics.connected.count += 1
        answer = _Answer(admission.send)
        admission.send = answer.send
        admission.finishers.append(lambda: self._end(answer))

    def _end(self, answer: _Answer) -> None:
        """ginResponseWriter.end, then rm.Disconnection()."""
        counter = self._statuses.get(answer.status)
        if counter is None:
            counter = self._statuses[answer.status] = self._metrics.registry.counter(
                f"{self._prefix}.status.{answer.status}.count"
            )
        counter.count += 1
        self._size.update(answer.size)
        self._time.update(time.perf_counter_ns() - answer.begin)
        self._metrics.disconnected.count += 1


def _router_guard(plan: EndpointPlan, context: Any) -> RouterStats | None:
    metrics = context.components.get(NAMESPACE.name)
    if metrics is None or metrics.config.router_disabled:
        return None
    return RouterStats(endpoint_name(plan), metrics)


# ---- the pipe and the backends ---------------------------------------------------------------


class ProxyStats:
    """proxy.go `NewProxyMiddleware`: counts and times every call of the proxy it wraps."""

    __slots__ = ("_counters", "_histograms", "_next")

    def __init__(self, next_proxy: ProxyFunction, layer: str, name: str, metrics: Metrics) -> None:
        self._next = next_proxy
        counters: list[Counter] = []
        histograms: list[Histogram] = []
        labels = f"layer.{layer}.name.{name}"
        # index: 2 * complete + errored
        for complete in ("false", "true"):
            for errored in ("false", "true"):
                tail = f"{labels}.complete.{complete}.error.{errored}"
                counters.append(metrics.registry.counter("krakend.proxy.requests." + tail))
                histograms.append(metrics.registry.histogram("krakend.proxy.latency." + tail))
        self._counters = tuple(counters)
        self._histograms = tuple(histograms)

    async def __call__(self, request: Request) -> Response:
        begin = time.perf_counter_ns()
        try:
            response = await self._next(request)
        except BaseException:
            # An error and no response (a timeout is the deadline's error in lura: counted too).
            self._record(1, begin)
            raise
        self._record(2 * response.is_complete + (response.error is not None), begin)
        return response

    def _record(self, index: int, begin: int) -> None:
        self._counters[index].count += 1
        self._histograms[index].update(time.perf_counter_ns() - begin)


def _pipe_layer(next_proxy: ProxyFunction, plan: EndpointPlan, context: Any) -> Any:
    metrics = context.components.get(NAMESPACE.name)
    if metrics is None or metrics.config.proxy_disabled:
        return None
    return ProxyStats(next_proxy, "pipe", endpoint_name(plan), metrics)


def _backend_layer(
    next_proxy: ProxyFunction, call: BackendCall, plan: EndpointPlan, context: Any
) -> Any:
    metrics = context.components.get(NAMESPACE.name)
    if metrics is None or metrics.config.backend_disabled:
        return None
    return ProxyStats(next_proxy, "backend", backend_name(call), metrics)


def _service(extra: ExtraConfig, context: Any) -> Metrics | None:
    config = extra.get(MetricsConfig)
    if config is None:
        return None
    return Metrics(config, worker_index=int(os.environ.get(WORKER_INDEX_ENV) or 0))


SERVICE = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.SERVICE, build=_service)
ENDPOINT_GUARD = Layer(
    name=NAMESPACE.name + " (router)",
    namespace=NAMESPACE,
    slot=Slot.ENDPOINT_GUARD,
    build=_router_guard,
)
ENDPOINT_LAYER = Layer(
    name=NAMESPACE.name + " (pipe)",
    namespace=NAMESPACE,
    slot=Slot.ENDPOINT_LAYER,
    build=_pipe_layer,
)
BACKEND_LAYER = Layer(
    name=NAMESPACE.name + " (backend)",
    namespace=NAMESPACE,
    slot=Slot.BACKEND_LAYER,
    build=_backend_layer,
)
