"""krakend-otel's instrumentation, stage by stage, as trio-gateway layers.

    global   http/server (server.go, metrics.go, traces.go): a SERVER span named by the path,
             `http.server.duration` / `http.server.response.size` by route and status
    proxy    lura/proxy*.go: a span named by the endpoint, `krakend.proxy.duration`
    backend  lura/proxy*.go: a span named by the url_pattern, `krakend.backend.duration`
    client   http/client (transport*.go): a CLIENT span, `traceparent` injected,
             `http.client.*`

Everything a measurement needs that does not change per request (instruments, attribute dicts)
is made when the layer is built; per request a stage looks up a dict by status and records.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Final

import trio

from trio_gateway.telemetry.otel_metrics import CounterPoint
from trio_gateway.telemetry.otel_spans import (
    CLIENT,
    INTERNAL,
    SERVER,
    Attributes,
    Span,
    SpanRef,
    encode_attributes,
    parse_traceparent,
)
from trio_gateway.telemetry.otel_state import SIZE_BUCKETS, TIME_BUCKETS, OTelState
from trio_gateway.transport import BackendResponse, Origin, TransportError
from trio_gateway.types import (
    ENDPOINT_KEY,
    TRACE_ID_KEY,
    BodyStream,
    Headers,
    ProxyFunction,
    Request,
    Response,
)

__all__ = [
    "GlobalStage",
    "InstrumentedClient",
    "StageProxy",
    "normalize_url_pattern",
]

# server/metrics.go validMethod: anything else is `_OTHER` (bounded cardinality).
_METHODS: Final = frozenset(
    {"_OTHER", "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}
)
_PARAM: Final = re.compile(r"\{([^{}]*)\}")

# Metric names by `layers.global.semantic_convention` (server/metrics.go, transport_metrics.go).
SERVER_NAMES: Final[Mapping[str, tuple[str, str, str]]] = {
    # latency, response size, unit of the latency
    "": ("http.server.duration", "http.server.response.size", ""),
    "1.27": ("http.server.request.duration", "http.server.response.body.size", "s"),
}
CLIENT_DURATION: Final[Mapping[str, tuple[str, str, str]]] = {
    "": ("http.client.duration", "http.client.response.size", ""),
    "1.27": ("http.client.request.duration", "http.client.response.body.size", "s"),
}


def normalize_url_pattern(pattern: str) -> str:
    """config/path_pattern.go NormalizeURLPattern on lura's `{{.Id}}` form: `/u/{id}` -> `/u/:id`
    (lura turns a backend's `{id}` into `{{.Id}}`, which krakend-otel lower-cases back)."""
    return _PARAM.sub(lambda m: ":" + m.group(1).lower(), pattern)


def _status_text(status: int) -> str:
    from http import HTTPStatus

    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} "


def _cancelled(exc: BaseException) -> bool:
    """A cancellation that is not a deadline: Go's `context.Canceled` (trio >= 0.31 records
    the reason in `Cancelled.source`)."""
    if isinstance(exc, trio.Cancelled):
        return getattr(exc, "source", "unknown") != "deadline"
    if isinstance(exc, BaseExceptionGroup):
        return all(_cancelled(e) for e in exc.exceptions)
    return False


def _deadline(exc: BaseException) -> bool:
    if isinstance(exc, trio.Cancelled):
        return getattr(exc, "source", "unknown") == "deadline"
    if isinstance(exc, BaseExceptionGroup):
        return any(_deadline(e) for e in exc.exceptions)
    return False


def _remote_parent(headers: list[tuple[bytes, bytes]]) -> SpanRef | None:
    """The client's W3C trace context and baggage (krakend-otel: autoprop's default,
    `tracecontext,baggage`); a `traceparent` sent twice is invalid (W3C §3.2)."""
    traceparent: list[bytes] = []
    state: list[bytes] = []
    baggage: list[bytes] = []
    for name, value in headers:
        if name == b"traceparent":
            traceparent.append(value)
        elif name == b"tracestate":
            state.append(value)
        elif name == b"baggage":
            baggage.append(value)
    if len(traceparent) != 1:
        return None
    return parse_traceparent(
        traceparent[0].decode("latin-1"),
        b",".join(state).decode("latin-1"),
        b",".join(baggage).decode("latin-1") if sum(map(len, baggage)) <= 8192 else "",
    )


def _request_fields(
    cache: dict[Any, bytes], key: Any, host: bytes, method: str, size: int, agent: bytes
) -> bytes:
    """The encoded request attributes a span's host, method, body size (none when negative:
    chunked) and User-Agent give, kept in `cache` under `key` (bounded: hosts x sizes x agents)."""
    fields: dict[str, Any] = {
        "server.address": host.decode("latin-1"),
        "http.request.method": method,
    }
    if size >= 0:
        fields["http.request.body.size"] = size
    if agent:
        fields["user_agent.original"] = agent.decode("latin-1")
    encoded = encode_attributes(fields)
    if len(cache) < 1000:
        cache[key] = encoded
    return encoded


class _Tracking:
    """One request as the global stage follows it (server/tracking.go)."""

    __slots__ = ("response_headers", "size", "status")

    def __init__(self) -> None:
        self.status = 200  # newTracking: 200 until a status is written
        self.size = 0
        self.response_headers: list[tuple[bytes, bytes]] | None = None


def _header_attributes(prefix: str, headers: Any, skip: frozenset[str]) -> dict[str, Any]:
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        key = name.decode("latin-1").lower() if isinstance(name, bytes) else name.lower()
        if key in skip:
            continue
        grouped.setdefault(key, []).append(
            value.decode("latin-1") if isinstance(value, bytes) else value
        )
    return {prefix + k: tuple(v) for k, v in grouped.items()}


class GlobalStage:
    """The SERVICE_LAYER: every request the service serves, outside everything else."""

    def __init__(
        self,
        next_app: Callable[..., Any],
        state: OTelState,
        *,
        metrics: bool,
        traces: bool,
        propagation: bool,
        report_headers: bool,
        skip_headers: frozenset[str],
        metrics_attributes: Mapping[str, str],
        traces_attributes: Mapping[str, str],
        semantic_convention: str,
    ) -> None:
        self._next = next_app
        self._skip = state.config.skipped_paths
        self._carrier = state.carrier
        self._propagate = propagation
        self._spans = state.spans if traces else None
        self._report_headers = report_headers
        self._skip_headers = skip_headers
        self._fixed = Attributes({"krakend.stage": "global", **traces_attributes})
        self._latency: Any = None
        self._size: Any = None
        if metrics and state.meter is not None:
            latency, size, unit = SERVER_NAMES.get(semantic_convention, SERVER_NAMES[""])
            self._latency = state.histogram(latency, TIME_BUCKETS, unit)
            self._size = state.histogram(size, SIZE_BUCKETS, "By" if unit else "")
        self._metrics_attributes = dict(metrics_attributes)
        self._by_key: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        # encoded span attributes by what they are made of (bounded: see where they are added)
        self._requests: dict[tuple[bytes, str, int, bytes], bytes] = {}
        self._done: dict[tuple[str, int, int], bytes] = {}

    def _points(self, route: str, method: str, status: int) -> tuple[Any, Any]:
        key = (route, method, status)
        found = self._by_key.get(key)
        if found is None:
            attributes = {
                **self._metrics_attributes,
                "http.request.method": method if method in _METHODS else "_OTHER",
                "url.scheme": "http",  # Go's server-side r.URL.Scheme is empty: "http"
                "http.route": route,
                "http.response.status_code": status,
            }
            found = (self._latency.point(attributes), self._size.point(attributes))
            if len(self._by_key) < 10_000:  # routes x methods x statuses; bounded anyway
                self._by_key[key] = found
        return found

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["path"] in self._skip:
            await self._next(scope, receive, send)
            return
        track = _Tracking()
        span = None
        token = None
        if self._spans is not None:
            parent = _remote_parent(scope["headers"]) if self._propagate else None
            opened = self._spans.start(scope["path"], SERVER, parent, self._fixed)
            if isinstance(opened, Span):
                span = opened
                self._start_attributes(scope, span)
                scope[TRACE_ID_KEY] = span.trace.id  # for the access log
            token = self._carrier.enter(opened)  # sampled out: so are its children
        report_headers = self._report_headers and span is not None

        async def tracked_send(message: dict[str, Any]) -> None:
            kind = message["type"]
            if kind == "http.response.body":
                track.size += len(message.get("body", b""))
            elif kind == "http.response.start":
                track.status = message["status"]
                if report_headers:
                    track.response_headers = list(message.get("headers", ()))
            await send(message)

        started = time.perf_counter()
        try:
            await self._next(scope, receive, tracked_send)
        finally:
            elapsed = time.perf_counter() - started
            # krakend-otel's otelgin names the route for the endpoints it instruments (not
            # those in skip_paths); the router marks the scope of every matched request.
            route = scope.get(ENDPOINT_KEY) or ""
            if not route or route in self._skip:
                route = _status_text(track.status)
            if self._latency is not None:
                latency, size = self._points(route, scope["method"], track.status)
                latency.record(elapsed)
                size.record(track.size)
            if token is not None:
                self._carrier.exit(token)
            if span is not None:
                key = (route, track.status, track.size)
                done = self._done.get(key)
                if done is None:
                    done = encode_attributes(
                        {
                            "http.route": route,
                            "http.response.status_code": track.status,
                            "http.response.body.size": track.size,
                        }
                    )
                    if len(self._done) < 10_000:  # routes x statuses x sizes; bounded anyway
                        self._done[key] = done
                span.encoded += done
                if track.response_headers is not None:
                    span.update(
                        _header_attributes(
                            "http.response.header.", track.response_headers, self._skip_headers
                        )
                    )
                span.end()

    def _start_attributes(self, scope: dict[str, Any], span: Span) -> None:
        # http/attributes.go TraceIncomingRequestAttrs
        headers = scope["headers"]
        target = scope.get("raw_path") or scope["path"].encode("utf-8")
        query = scope.get("query_string") or b""
        host = b""
        user_agent = b""
        length = 0
        for name, value in headers:
            if name == b"host":
                host = value
            elif name == b"user-agent":
                user_agent = value
            elif name == b"content-length" and value.isdigit():
                length = int(value)
            elif name == b"transfer-encoding":
                length = -1
        attributes = span.dynamic
        attributes["url.full"] = (target + (b"?" + query if query else b"")).decode("latin-1")
        # what repeats from request to request (host, method, size, agent), encoded once each
        method: str = scope["method"]
        key = (host, method, length, user_agent)
        known = self._requests.get(key)
        if known is None:
            known = _request_fields(self._requests, key, host, method, length, user_agent)
        span.encoded = known
        client = scope.get("client")
        if client:
            attributes["client.address"] = f"{client[0]}:{client[1]}"  # Go's RemoteAddr
        if self._report_headers:
            attributes.update(
                _header_attributes("http.request.header.", headers, self._skip_headers)
            )


class StageProxy:
    """The proxy and backend stages (lura/proxy.go `middleware`): a span and a duration."""

    __slots__ = (
        "_carrier",
        "_done",
        "_duration",
        "_fixed",
        "_metric_sets",
        "_metrics_attributes",
        "_name",
        "_next",
        "_on_error",
        "_report_headers",
        "_skip_headers",
        "_spans",
    )

    def __init__(
        self,
        next_proxy: ProxyFunction,
        state: OTelState,
        *,
        stage: str,
        name: str,
        metrics_attributes: Mapping[str, Any] | None,
        traces_attributes: Mapping[str, Any] | None,
        report_headers: bool = False,
        skip_headers: frozenset[str] = frozenset(),
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._next = next_proxy
        self._name = name
        self._carrier = state.carrier
        self._spans = state.spans if traces_attributes is not None else None
        self._fixed = Attributes({**(traces_attributes or {}), "krakend.stage": stage})
        self._report_headers = report_headers
        self._skip_headers = skip_headers
        self._on_error = on_error
        # (status, complete) -> those attributes of a successful span, encoded
        self._done: dict[tuple[int, bool], bytes] = {}
        self._duration = None
        # (error, canceled, complete) -> its point, made on first use
        self._metric_sets: dict[tuple[bool, bool, bool], Any] = {}
        self._metrics_attributes = dict(metrics_attributes or {})
        if metrics_attributes is not None and state.meter is not None:
            self._duration = state.histogram(f"krakend.{stage}.duration", TIME_BUCKETS)

    async def __call__(self, request: Request) -> Response:
        span: Span | None = None
        token = None
        if self._spans is not None:
            parent = self._carrier.current()
            opened = self._spans.start(self._name, INTERNAL, parent, self._fixed)
            ref = opened
            if isinstance(opened, Span):
                span = opened
                if self._report_headers:
                    span.update(
                        _header_attributes(
                            "http.request.header.", request.headers, self._skip_headers
                        )
                    )
            token = self._carrier.enter(ref)
        started = time.perf_counter()
        response: Response | None = None
        failure: BaseException | None = None
        try:
            response = await self._next(request)
            return response
        except BaseException as exc:
            failure = exc
            if self._on_error is not None:
                self._on_error(exc)
            raise
        finally:
            elapsed = time.perf_counter() - started
            if failure is None and response is not None and response.error is None:
                # the usual case, without the failure bookkeeping below
                complete = response.is_complete
                if self._duration is not None:
                    self._point(False, False, complete).record(elapsed)
                if token is not None:
                    self._carrier.exit(token)
                if span is not None:
                    key = (response.status, complete)
                    done = self._done.get(key)
                    if done is None:
                        done = encode_attributes(
                            {"http.response.status_code": key[0], "complete": complete}
                        )
                        if len(self._done) < 1000:
                            self._done[key] = done
                    span.encoded += done
                    if self._report_headers and response.headers:
                        span.update(
                            _header_attributes(
                                "http.response.header.", response.headers, self._skip_headers
                            )
                        )
                    span.end()
            else:
                canceled = failure is not None and _cancelled(failure)
                error = (failure is not None and not canceled) or (
                    response is not None and response.error is not None
                )
                complete = response is not None and response.is_complete
                if self._duration is not None:
                    self._point(error, canceled, complete).record(elapsed)
                if token is not None:
                    self._carrier.exit(token)
                if span is not None:
                    self._end(span, response, failure, canceled, complete)

    def _point(self, error: bool, canceled: bool, complete: bool) -> Any:
        key = (error, canceled, complete)
        point = self._metric_sets.get(key)
        if point is None:
            assert self._duration is not None
            point = self._metric_sets[key] = self._duration.point(
                {
                    **self._metrics_attributes,
                    "error": error,
                    "canceled": canceled,
                    "complete": complete,
                }
            )
        return point

    def _end(
        self,
        span: Any,
        response: Response | None,
        failure: BaseException | None,
        canceled: bool,
        complete: bool,
    ) -> None:
        # lura/proxy_tracer.go end
        problem = failure if failure is not None else (response.error if response else None)
        if problem is not None:
            if canceled:
                span.set("canceled", True)
            else:
                span.set("error", str(problem) or type(problem).__name__)
            span.set("http.response.status_code", 500)
        elif response is not None:
            span.set("http.response.status_code", response.status)
            if self._report_headers and response.headers:
                span.update(
                    _header_attributes(
                        "http.response.header.", response.headers, self._skip_headers
                    )
                )
        span.set("complete", complete)
        span.end()


class _ClientPoints:
    """The points one (host, port, status) of a backend records into on every call."""

    __slots__ = ("attributes", "latency", "request_size", "response_size", "started")

    def __init__(self, metrics: _ClientMetrics, attributes: dict[str, Any]) -> None:
        self.attributes = attributes
        self.started = metrics.started.point(attributes)
        self.request_size = metrics.request_size.point(attributes)
        self.latency = metrics.latency.point(attributes)
        self.response_size = metrics.response_size.point(attributes)


class _ClientMetrics:
    """http/client/transport_metrics.go: the round trip's instruments and attribute sets."""

    def __init__(
        self, state: OTelState, fixed: Mapping[str, Any], semantic_convention: str, method: str
    ) -> None:
        duration, size, unit = CLIENT_DURATION.get(semantic_convention, CLIENT_DURATION[""])
        self.started = state.counter("http.client.request.started.count")
        self.failed = state.counter("http.client.request.failed.count")
        self.canceled = state.counter("http.client.request.canceled.count")
        self.timedout = state.counter("http.client.request.timedout.count")
        self.request_size: Any = (
            state.counter("http.client.request.size")
            if not unit
            else state.histogram("http.client.request.body.size", SIZE_BUCKETS, "By")
        )
        self.latency = state.histogram(duration, TIME_BUCKETS, unit)
        self.response_size = state.histogram(size, SIZE_BUCKETS, "By" if unit else "")
        self.no_content_length = state.counter("http.client.response.no-content-length")
        self._fixed = dict(fixed)
        self._method = method
        self._sets: dict[tuple[str, int, int], _ClientPoints] = {}

    def points(self, origin: Origin, status: int) -> _ClientPoints:
        key = (origin.host, origin.port, status)
        found = self._sets.get(key)
        if found is None:
            attributes = {
                **self._fixed,
                "http.request.method": self._method,
                "server.address": origin.host,
                # krakend-otel's requestServerAndPort inverts its parse check (80 for any
                # explicit port, 0 without): the real port is reported here.
                "server.port": origin.port,
                "http.response.status_code": status,
            }
            found = _ClientPoints(self, attributes)
            if len(self._sets) < 1000:
                self._sets[key] = found
        return found


class InstrumentedClient:
    """The CLIENT_WRAPPER: one backend's round trips (http/client/transport.go RoundTrip)."""

    def __init__(
        self,
        client: Any,
        state: OTelState,
        *,
        name: str,
        method: str,
        metrics_attributes: Mapping[str, Any] | None,
        traces_attributes: Mapping[str, Any] | None,
        semantic_convention: str,
        report_headers: bool = False,
        skip_headers: frozenset[str] = frozenset(),
    ) -> None:
        self._client = client
        self._name = name
        self._carrier = state.carrier
        self._spans = state.spans if traces_attributes is not None else None
        self._fixed = Attributes(traces_attributes or {})
        self._report_headers = report_headers
        self._skip_headers = skip_headers
        # encoded span attributes by what they are made of (bounded: hosts x sizes x agents)
        self._requests: dict[tuple[Origin, bytes, int, bytes], bytes] = {}
        self._answers: dict[tuple[int, int], bytes] = {}
        self._metrics = (
            _ClientMetrics(state, metrics_attributes, semantic_convention, method)
            if metrics_attributes is not None and state.meter is not None
            else None
        )

    @property
    def client(self) -> Any:
        return self._client

    def _start(
        self, origin: Origin, method: bytes, target: bytes, headers: Headers, body: bytes
    ) -> tuple[Any, Headers]:
        spans = self._spans
        if spans is None:
            return None, headers
        span = spans.start(self._name, CLIENT, self._carrier.current(), self._fixed)
        if type(span) is not Span:  # sampled out: no span, no traceparent (transport_traces)
            return None, headers
        span.dynamic["url.full"] = origin.base_url + target.decode("latin-1")
        # One pass: the User-Agent noted, the client's propagation fields replaced by ours (Go's
        # `propagator.Inject` sets a header, it does not add one).
        trace = span.trace
        replaced = trace.replaced
        sent: Headers = []
        agent = b""
        for header in headers:
            name = header[0].lower()
            if name in replaced:
                continue
            if not agent and name == b"user-agent":
                agent = header[1]
            sent.append(header)
        # what the request's host, method, size and agent give, encoded once for each
        key = (origin, method, len(body), agent)
        known = self._requests.get(key)
        if known is None:
            known = _request_fields(
                self._requests, key, origin.host_header, method.decode("latin-1"), len(body), agent
            )
        span.encoded = known
        if self._report_headers:
            span.update(_header_attributes("http.request.header.", headers, self._skip_headers))
        sent.append((b"traceparent", span.traceparent()))
        if trace.extra_headers:
            sent += trace.extra_headers
        return span, sent

    def _finish(
        self,
        span: Any,
        origin: Origin,
        method: bytes,
        body: bytes,
        elapsed: float,
        status: int,
        headers: list[tuple[bytes, bytes]] | None,
        failure: BaseException | None,
    ) -> None:
        metrics = self._metrics
        if metrics is not None:
            points = metrics.points(origin, 0 if failure is not None else status)
            points.started.add(1)
            size = points.request_size
            if isinstance(size, CounterPoint):
                size.add(len(body))
            else:  # semantic convention 1.27: a histogram
                size.record(len(body))
            if failure is not None:
                attributes = points.attributes
                if _cancelled(failure):  # a cancelled request is not a failed one
                    metrics.canceled.point(attributes).add(1)
                elif _deadline(failure):
                    metrics.timedout.point(attributes).add(1)
                    metrics.failed.point(attributes).add(1)
                else:
                    metrics.failed.point(attributes).add(1)
            points.latency.record(elapsed)
            if method != b"HEAD" and failure is None and headers is not None:
                length = _content_length(headers)
                if length is not None:
                    points.response_size.record(length)
                else:
                    metrics.no_content_length.point(points.attributes).add(1)
        if span is not None:
            if failure is not None:
                span.record_exception(failure)
            else:
                length = _content_length(headers) if headers else None
                key = (status, -1 if length is None else length)
                answered = self._answers.get(key)
                if answered is None:
                    answered = encode_attributes(
                        {"http.response.status_code": status, "http.response.body.size": key[1]}
                    )
                    if len(self._answers) < 1000:
                        self._answers[key] = answered
                span.encoded += answered
                span.dynamic["response-duration"] = elapsed
                if self._report_headers and headers:
                    span.update(
                        _header_attributes("http.response.header.", headers, self._skip_headers)
                    )
            span.end()

    async def request(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes = b"",
        *,
        follow_redirects: bool = True,
    ) -> BackendResponse:
        span, headers = self._start(origin, method, target, headers, body)
        started = time.perf_counter()
        try:
            answer: BackendResponse = await self._client.request(
                origin, method, target, headers, body, follow_redirects=follow_redirects
            )
        except BaseException as exc:
            if isinstance(exc, TransportError | trio.Cancelled | BaseExceptionGroup):
                self._finish(
                    span, origin, method, body, time.perf_counter() - started, 0, None, exc
                )
            elif span is not None:
                span.end()
            raise
        self._finish(
            span,
            origin,
            method,
            body,
            time.perf_counter() - started,
            answer.status,
            answer.headers,
            None,
        )
        return answer

    def stream(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes = b"",
        *,
        follow_redirects: bool = True,
    ) -> AbstractAsyncContextManager[BodyStream]:
        return _MeasuredStream(self, origin, method, target, headers, body, follow_redirects)


class _MeasuredStream(AbstractAsyncContextManager[BodyStream]):
    """A `no-op` backend's stream, measured up to its head. Callers may leave it by closing the
    stream (proxy/backend.py StreamingProxy), so entering does all the measuring."""

    def __init__(
        self,
        owner: InstrumentedClient,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes,
        follow_redirects: bool,
    ) -> None:
        self._owner = owner
        self._args = (origin, method, target, headers, body, follow_redirects)
        self._context: AbstractAsyncContextManager[BodyStream] | None = None

    async def __aenter__(self) -> BodyStream:
        owner = self._owner
        origin, method, target, headers, body, follow_redirects = self._args
        span, headers = owner._start(origin, method, target, headers, body)
        started = time.perf_counter()
        self._context = owner.client.stream(
            origin, method, target, headers, body, follow_redirects=follow_redirects
        )
        try:
            stream = await self._context.__aenter__()
        except BaseException as exc:
            owner._finish(span, origin, method, body, time.perf_counter() - started, 0, None, exc)
            raise
        owner._finish(
            span,
            origin,
            method,
            body,
            time.perf_counter() - started,
            stream.status,
            list(getattr(stream, "headers", ()) or ()),
            None,
        )
        return stream

    async def __aexit__(self, *exc_info: Any) -> None:
        if self._context is not None:
            await self._context.__aexit__(*exc_info)


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
