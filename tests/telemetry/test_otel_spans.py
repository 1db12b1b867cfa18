"""The hand-written OTLP encoding of spans, read back with opentelemetry-proto's own classes."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from trio_gateway.telemetry.otel_spans import (
    CLIENT,
    INTERNAL,
    SERVER,
    Attributes,
    Span,
    SpanRecorder,
    SpanRef,
    Trace,
    parse_traceparent,
)

TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
REMOTE_SPAN = 0xB7AD6B7169203331


def _recorder(rate: float = 1.0) -> SpanRecorder:
    # no exporter: the tests take the encoded spans by hand
    return SpanRecorder(
        resource={"service.name": "gw"}, scope="io.krakend.krakend-otel", sample_rate=rate
    )


def _decoded(recorder: SpanRecorder) -> list[Any]:
    request = ExportTraceServiceRequest.FromString(recorder.request(recorder.take(100)))
    (resource,) = request.resource_spans
    assert [(a.key, a.value.string_value) for a in resource.resource.attributes] == [
        ("service.name", "gw")
    ]
    (scope,) = resource.scope_spans
    assert scope.scope.name == "io.krakend.krakend-otel"
    return list(scope.spans)


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return tuple(_value(v) for v in any_value.array_value.values)
    return getattr(any_value, kind)


def _attributes(span: Any) -> dict[str, Any]:
    return {a.key: _value(a.value) for a in span.attributes}


def test_a_trace_of_server_internal_and_client_spans_reads_back_exactly() -> None:
    recorder = _recorder()
    remote = parse_traceparent(f"00-{TRACE_ID:032x}-{REMOTE_SPAN:016x}-01", "k=v", "b=1")
    assert remote is not None
    server = recorder.start("/b3/1", SERVER, remote, Attributes({"krakend.stage": "global"}))
    assert isinstance(server, Span)
    server.update({"http.response.status_code": 200, "url.full": "/b3/1?x=1"})
    proxy = recorder.start("/b3/{id}", INTERNAL, server, Attributes({"krakend.stage": "proxy"}))
    assert isinstance(proxy, Span)
    proxy.set("complete", True)
    client = recorder.start("/small/:id", CLIENT, proxy, Attributes({}))
    assert isinstance(client, Span)
    client.update({"response-duration": 0.25, "http.response.body.size": -1, "t": ("a", "b")})
    client.record_exception(OSError("connection refused"))
    for span in (client, proxy, server):
        span.end()
    decoded = {s.name: s for s in _decoded(recorder)}
    got_server, got_proxy, got_client = decoded["/b3/1"], decoded["/b3/{id}"], decoded["/small/:id"]
    for got, span in ((got_server, server), (got_proxy, proxy), (got_client, client)):
        assert got.trace_id == TRACE_ID.to_bytes(16, "big")
        assert got.span_id == span.span_id.to_bytes(8, "big")
        assert got.trace_state == "k=v"  # the client's, carried by every span of its trace
        assert (got.start_time_unix_nano, got.end_time_unix_nano) == (span.start_ns, span.end_ns)
        assert got.start_time_unix_nano <= got.end_time_unix_nano
    assert got_server.parent_span_id == REMOTE_SPAN.to_bytes(8, "big")
    assert got_proxy.parent_span_id == server.span_id.to_bytes(8, "big")
    assert got_client.parent_span_id == proxy.span_id.to_bytes(8, "big")
    assert (got_server.kind, got_proxy.kind, got_client.kind) == (
        ProtoSpan.SPAN_KIND_SERVER,
        ProtoSpan.SPAN_KIND_INTERNAL,
        ProtoSpan.SPAN_KIND_CLIENT,
    )
    assert _attributes(got_server) == {
        "krakend.stage": "global",
        "http.response.status_code": 200,
        "url.full": "/b3/1?x=1",
    }
    assert _attributes(got_proxy) == {"krakend.stage": "proxy", "complete": True}
    assert _attributes(got_client) == {
        "response-duration": 0.25,
        "http.response.body.size": -1,
        "t": ("a", "b"),
    }
    assert got_server.status.code == got_proxy.status.code == Status.STATUS_CODE_OK
    assert got_client.status.code == Status.STATUS_CODE_ERROR
    assert got_client.status.message == "connection refused"
    (event,) = got_client.events
    assert event.name == "exception"
    assert _attributes(event) == {
        "exception.type": "OSError",
        "exception.message": "connection refused",
    }
    # OTLP 1.1 flags: sampled, "is the parent remote" known, and remote only for the server's
    assert got_server.flags == 0x301
    assert got_proxy.flags == got_client.flags == 0x101


def test_a_root_span_has_no_parent_and_propagates_its_own_trace() -> None:
    recorder = _recorder()
    root = recorder.start("/x", SERVER, None, Attributes({}))
    assert isinstance(root, Span)
    root.end()
    (got,) = _decoded(recorder)
    assert got.parent_span_id == b""
    assert got.flags == 0x101
    header = root.traceparent().decode()
    assert header == f"00-{root.trace_id:032x}-{root.span_id:016x}-01"
    child = recorder.start("/y", CLIENT, root, Attributes({}))
    assert isinstance(child, Span)
    assert child.traceparent().startswith(f"00-{root.trace_id:032x}-".encode())


def test_sampled_out_traces_give_contexts_not_spans() -> None:
    recorder = _recorder(rate=0.5)
    unsampled = SpanRef(Trace(TRACE_ID), REMOTE_SPAN, sampled=False)
    child = recorder.start("/x", INTERNAL, unsampled, Attributes({}))
    assert type(child) is SpanRef
    assert child.trace_id == TRACE_ID and not child.sampled
    assert child.traceparent().endswith(b"-00")


_VALUES = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.lists(st.text(max_size=5), max_size=3).map(tuple),
)


@settings(max_examples=150, deadline=None)
@given(
    fixed=st.dictionaries(st.text(min_size=1, max_size=20), _VALUES, max_size=4),
    dynamic=st.dictionaries(st.text(min_size=1, max_size=20), _VALUES, max_size=6),
    name=st.text(max_size=30),
)
def test_any_attributes_read_back(
    fixed: dict[str, Any], dynamic: dict[str, Any], name: str
) -> None:
    recorder = _recorder()
    span = recorder.start(name, INTERNAL, None, Attributes(fixed))
    assert isinstance(span, Span)
    span.update(dynamic)
    span.end()
    (got,) = _decoded(recorder)
    assert got.name == name
    pairs = [(a.key, _value(a.value)) for a in got.attributes]
    assert pairs == [*fixed.items(), *dynamic.items()]
