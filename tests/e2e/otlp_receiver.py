"""A loopback OTLP/HTTP collector for tests: decodes what the gateway exports.

`POST /v1/traces` bodies are `ExportTraceServiceRequest`s, `POST /v1/metrics` bodies
`ExportMetricsServiceRequest`s (opentelemetry-proto); each is kept decoded, and answered with an
empty success, as a collector does.
"""

from __future__ import annotations

import gzip
from typing import Any

import attrs
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@attrs.define
class Received:
    traces: list[ExportTraceServiceRequest] = attrs.field(factory=list)
    metrics: list[ExportMetricsServiceRequest] = attrs.field(factory=list)
    arrived: trio.Event = attrs.field(factory=trio.Event)
    # (path, Content-Encoding) of each request, "" when the body was sent as it is
    encodings: list[tuple[str, str]] = attrs.field(factory=list)

    async def wait_for_spans(self, count: int, seconds: float = 10.0) -> list[Any]:
        """The spans once at least `count` have arrived (bounded: `seconds`)."""
        with trio.fail_after(seconds):
            while len(self.spans()) < count:
                self.arrived = trio.Event()
                await self.arrived.wait()
        return self.spans()

    def spans(self) -> list[Any]:
        return [
            span
            for request in self.traces
            for resource in request.resource_spans
            for scope in resource.scope_spans
            for span in scope.spans
        ]

    def metric_names(self) -> set[str]:
        return {
            metric.name
            for request in self.metrics
            for resource in request.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
        }


def collector(received: Received) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                done = message["type"] == "lifespan.shutdown"
                kind = "shutdown" if done else "startup"
                await send({"type": f"lifespan.{kind}.complete"})
                if done:
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        encoding = dict(scope["headers"]).get(b"content-encoding", b"").decode()
        received.encodings.append((scope["path"], encoding))
        if encoding == "gzip":  # OTLP/HTTP: a client may gzip, with Content-Encoding
            body = gzip.decompress(body)
        answer: bytes
        if scope["path"] == "/v1/traces":
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            received.traces.append(request)
            answer = ExportTraceServiceResponse().SerializeToString()
        elif scope["path"] == "/v1/metrics":
            metrics = ExportMetricsServiceRequest()
            metrics.ParseFromString(body)
            received.metrics.append(metrics)
            answer = ExportMetricsServiceResponse().SerializeToString()
        else:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        received.arrived.set()
        headers = [(b"content-type", b"application/x-protobuf")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    return app


async def start_collector(nursery: trio.Nursery) -> tuple[int, Received]:
    """A collector on a loopback port, serving until the nursery ends."""
    received = Received()
    config = HypercornConfig()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    binds = await nursery.start(
        lambda task_status: hypercorn_serve(
            collector(received), config, mode="asgi", task_status=task_status
        )  # type: ignore[arg-type]
    )
    return int(str(binds[0]).rsplit(":", 1)[1]), received
