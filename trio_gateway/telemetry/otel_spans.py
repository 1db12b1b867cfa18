"""Spans on the request path: recorded cheaply, encoded as they end, queued for the exporter.

The SDK's tracer costs about 30 µs to start and end a span and its OTLP encoder about 70 µs to
encode one, both per span and in this process; a request through three backends has eight spans
(server, proxy, three backend stages, three clients): more than the whole request costs. So the
stages record `Span`s here (ids, times, the attributes that change), each stage's name, kind and
fixed attributes are protobuf-encoded once (`Attributes`, the recorder's `heads`), every
attribute value seen before reuses its encoding, and a span is encoded when it ends, while what
it holds is still in the CPU's caches (benchmarks/bench_telemetry.py). The encoded spans wait in
a queue of at most 2048 (a full queue drops new spans, as the SDK's `BatchSpanProcessor` does);
`otel_export.SpanExporter`, a trio task, sends them in batches of 512.

Sampling is krakend-otel's (state.go): `ParentBased(TraceIDRatioBased(rate))` for a rate strictly
between 0 and 1, otherwise every trace (the SDK's `AlwaysSample`, which ignores the parent's
sampled flag). The ratio test is the SDK's: the low 64 bits of the trace id against
`round(rate * 2**64)`.
"""

from __future__ import annotations

import random
import re
import struct
import time
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, Final

import trio

__all__ = [
    "BATCH",
    "Attributes",
    "Span",
    "SpanRecorder",
    "SpanRef",
    "Trace",
    "parse_traceparent",
]

INTERNAL: Final = 1
SERVER: Final = 2
CLIENT: Final = 3
_STATUS_OK: Final = 1
_STATUS_ERROR: Final = 2
_MAX_QUEUE: Final = 2048
BATCH: Final = 512  # the SDK's OTEL_BSP_MAX_EXPORT_BATCH_SIZE default

# W3C Trace Context §3.2 (the SDK's TraceContextTextMapPropagator pattern)
_TRACEPARENT: Final = re.compile(
    r"^[ \t]*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?[ \t]*$"
)


# ---- protobuf, by hand (opentelemetry-proto trace/v1, common/v1, resource/v1) --------------


_SMALL: Final = tuple(bytes((i,)) for i in range(128))


def _varint(value: int) -> bytes:
    if 0 <= value < 128:
        return _SMALL[value]
    if 0 < value < 16384:  # the length of a span, most often
        return bytes((value & 0x7F | 0x80, value >> 7))
    if value < 0:
        value += 1 << 64  # int64: two's complement, ten bytes
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _string(number: int, text: str) -> bytes:
    return _field(number, text.encode("utf-8"))


def _any_value(value: Any) -> bytes:
    # AnyValue: string 1, bool 2, int64 3, double 4, array 5
    if isinstance(value, bool):
        return b"\x10" + (b"\x01" if value else b"\x00")
    if isinstance(value, int):
        return b"\x18" + _varint(value)
    if isinstance(value, float):
        return b"\x21" + struct.pack("<d", value)
    if isinstance(value, tuple | list):
        return _field(5, b"".join(_field(1, _any_value(v)) for v in value))
    return _string(1, str(value))


# Encoded attributes by (key, value): most repeat (methods, routes, hosts, statuses). Each entry
# is the whole field of a repeated `attributes` (Span field 9): tag, length and `KeyValue`.
_ENCODED: dict[tuple[str, type, Any], bytes] = {}
_ENCODED_MAX: Final = 8192
_ATTRIBUTE_TAG: Final = b"\x4a"  # field 9, wire type 2
_DOUBLE_VALUE: Final = b"\x12\x09\x21"  # AnyValue field 2 of 9 bytes: double_value (field 4)


_DOUBLE_KEYS: dict[str, bytes] = {}  # a float attribute's field up to its 8 value bytes
_DOUBLE: Final = struct.Struct("<d")


def encode_attribute(key: str, value: Any) -> bytes:
    """One `KeyValue` as an entry of Span's repeated attributes (field 9), tag included.

    What is cached is found by `_ENCODED.get((key, type(value), value))` (Span.encode looks
    there first, without this call); a list value is looked up as a tuple."""
    kind = type(value)
    if kind is float:  # durations: never the same twice; the field up to the value is cached
        head = _DOUBLE_KEYS.get(key)
        if head is None:
            name = _string(1, key)
            head = _ATTRIBUTE_TAG + _varint(len(name) + 11) + name + _DOUBLE_VALUE
            if len(_DOUBLE_KEYS) < _ENCODED_MAX:
                _DOUBLE_KEYS[key] = head
        return head + _DOUBLE.pack(value)
    # keyed by type too: True, 1 and 1.0 are equal dictionary keys
    cache_key = (key, kind, value if kind is not list else tuple(value))
    found = _ENCODED.get(cache_key)
    if found is None:
        pair = _string(1, key) + _field(2, _any_value(value))
        found = _ATTRIBUTE_TAG + _varint(len(pair)) + pair
        if len(_ENCODED) >= _ENCODED_MAX:
            _ENCODED.clear()
        _ENCODED[cache_key] = found
    return found


def encode_attributes(attributes: Mapping[str, Any]) -> bytes:
    """`attributes` as Span's repeated attributes field, entry by entry."""
    get = _ENCODED.get
    try:  # the cache first, inline: most values were seen before
        return b"".join(
            [get((k, type(v), v)) or encode_attribute(k, v) for k, v in attributes.items()]
        )
    except TypeError:  # an unhashable value (a list)
        return b"".join([encode_attribute(k, v) for k, v in attributes.items()])


def _attributes(number: int, attributes: Mapping[str, Any]) -> bytes:
    """A repeated `attributes` field (number 9 in a Span, 1 in a Resource, 3 in an Event)."""
    if number == 9:
        return encode_attributes(attributes)
    tag = _varint(number << 3 | 2)
    parts = []
    for key, value in attributes.items():
        pair = _string(1, key) + _field(2, _any_value(value))
        parts.append(tag + _varint(len(pair)) + pair)
    return b"".join(parts)


class Attributes:
    """A stage's fixed attributes, encoded once (Span field 9, repeated)."""

    __slots__ = ("encoded", "values")

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)
        self.encoded = _attributes(9, self.values)


# ---- the spans -----------------------------------------------------------------------------

# The fixed-size parts of an encoded Span, each packed in one call: trace_id (field 1, 16 bytes,
# as two big-endian halves) and span_id (field 2); parent_span_id (field 4); the start and end
# times (fields 7 and 8, fixed64, little-endian); flags (field 16, fixed32).
_SPAN_ID: Final = struct.Struct(">18sBBQ")  # the trace id's field, then the span id's
_SPAN_IDS: Final = struct.Struct(">18sBBQBBQ")  # ... and the parent's
_TIMES: Final = struct.Struct("<BQBQ")
_LOW64: Final = 0xFFFFFFFFFFFFFFFF
_STATUS_OK_FIELD: Final = _field(15, b"\x18" + _varint(_STATUS_OK))
# flags: sampled, and whether the parent is remote is known (OTLP 1.1 bits 8 and 9)
_FLAGS_LOCAL: Final = b"\x85\x01" + struct.pack("<I", 0x01 | 0x100)
_FLAGS_REMOTE: Final = b"\x85\x01" + struct.pack("<I", 0x01 | 0x100 | 0x200)
_OK_LOCAL: Final = _STATUS_OK_FIELD + _FLAGS_LOCAL  # how most spans end
_OK_REMOTE: Final = _STATUS_OK_FIELD + _FLAGS_REMOTE
_OK_SIZE: Final = len(_OK_LOCAL)


def _span_field_head(length: int) -> bytes:
    """The tag and length of a `ScopeSpans.spans` entry (field 2) of `length` bytes."""
    if length < 128:
        return b"\x12" + _SMALL[length]
    if length < 16384:
        return bytes((0x12, length & 0x7F | 0x80, length >> 7))
    return b"\x12" + _varint(length)


_TRACEPARENT_ONLY: Final = frozenset({b"traceparent"})


class Trace:
    """What every span of one trace shares, formatted once: the W3C fields a backend gets
    (`traceparent`'s head, the tracestate and baggage headers) and the encoded trace_id."""

    __slots__ = ("baggage", "extra_headers", "field", "id", "prefix", "replaced", "state")

    def __init__(self, trace_id: int, state: str = "", baggage: str = "") -> None:
        self.id = trace_id
        self.state = state
        self.baggage = baggage
        self.prefix = b"00-%032x-" % trace_id
        self.field = b"\x0a\x10" + trace_id.to_bytes(16, "big")  # Span.trace_id (field 1)
        if not state and not baggage:  # most traces
            self.extra_headers: tuple[tuple[bytes, bytes], ...] = ()
            self.replaced = _TRACEPARENT_ONLY
            return
        extra: list[tuple[bytes, bytes]] = []
        if state:
            extra.append((b"tracestate", state.encode("latin-1")))
        if baggage:
            extra.append((b"baggage", baggage.encode("latin-1")))
        self.extra_headers = tuple(extra)
        # Go's `propagator.Inject` sets what it sends, replacing what was there
        self.replaced = frozenset({b"traceparent", *(name for name, _ in extra)})


class SpanRef:
    """A span context: what a child needs of its parent, and what `traceparent` carries."""

    __slots__ = ("sampled", "span_id", "trace")

    def __init__(self, trace: Trace, span_id: int, sampled: bool) -> None:
        self.trace = trace
        self.span_id = span_id
        self.sampled = sampled

    @property
    def trace_id(self) -> int:
        return self.trace.id

    def traceparent(self) -> bytes:
        return self.trace.prefix + b"%016x-%s" % (self.span_id, b"01" if self.sampled else b"00")

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The propagation headers a backend gets for this span (W3C trace context, baggage)."""
        return [(b"traceparent", self.traceparent()), *self.trace.extra_headers]


def parse_traceparent(
    traceparent: str | None, tracestate: str = "", baggage: str = ""
) -> SpanRef | None:
    """The remote parent a client sent, or None for a missing or invalid `traceparent`."""
    if not traceparent:
        return None
    match = _TRACEPARENT.match(traceparent)
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest):
        return None
    trace, span = int(trace_id, 16), int(span_id, 16)
    if not trace or not span:
        return None
    return SpanRef(Trace(trace, tracestate, baggage), span, bool(int(flags, 16) & 1))


class Span(SpanRef):
    """One recording span, its own context for its children; `end()` encodes it and hands it
    to the recorder. The request path notes in `dynamic` what it learns."""

    __slots__ = (
        "_recorder",
        "dynamic",
        "encoded",
        "end_ns",
        "error",
        "event",
        "fixed",
        "kind",
        "name",
        "parent_id",
        "start_ns",
    )

    def __init__(
        self,
        recorder: SpanRecorder,
        name: str,
        kind: int,
        parent_id: int,
        fixed: Attributes,
        trace: Trace,
        span_id: int,
    ) -> None:
        self.trace = trace
        self.span_id = span_id
        self.sampled = True
        self._recorder = recorder
        self.name = name
        self.kind = kind
        self.parent_id = parent_id
        self.fixed = fixed
        self.dynamic: dict[str, Any] = {}
        # attributes already encoded (`encode_attributes`), sent before those in `dynamic`:
        # a layer caches the encoding of what repeats (a status, a host) and adds it here
        self.encoded = b""
        self.error: str | None = None
        self.event: tuple[int, str, str] | None = None  # an exception: (time, type, message)
        self.start_ns = time.time_ns()

    def set(self, key: str, value: Any) -> None:
        self.dynamic[key] = value

    def update(self, attributes: Mapping[str, Any]) -> None:
        self.dynamic.update(attributes)

    def record_exception(self, exc: BaseException) -> None:
        self.event = (time.time_ns(), type(exc).__qualname__, str(exc))
        self.error = str(exc)

    def end(self) -> None:
        self.end_ns = time.time_ns()
        self._recorder.finished(self)

    def encode(self, heads: dict[tuple[str, int, Attributes], bytes]) -> bytes:
        """This span as an entry of `ScopeSpans.spans` (field 2: tag, length, `Span`), made in
        one join. `heads` caches the encoded name, kind and fixed attributes of each stage."""
        parent = self.parent_id
        trace = self.trace
        ids = (
            _SPAN_IDS.pack(trace.field, 0x12, 8, self.span_id, 0x22, 8, parent)
            if parent
            else _SPAN_ID.pack(trace.field, 0x12, 8, self.span_id)
        )
        head = heads.get((self.name, self.kind, self.fixed)) or self._head(heads)
        times = _TIMES.pack(0x39, self.start_ns, 0x41, self.end_ns)
        dynamic = encode_attributes(self.dynamic) if self.dynamic else b""
        # a SERVER span's parent is the client's: remote
        remote = parent and self.kind == SERVER
        if self.error is None and self.event is None and not trace.state:  # the usual span
            length = (
                len(ids) + len(head) + _TIMES.size + len(self.encoded) + len(dynamic) + _OK_SIZE
            )
            return b"".join(
                (
                    _span_field_head(length),
                    ids,
                    head,
                    times,
                    self.encoded,
                    dynamic,
                    _OK_REMOTE if remote else _OK_LOCAL,
                )
            )
        parts = [ids]
        if trace.state:  # field 3, after the ids: protobuf readers take fields in any order
            parts.append(_string(3, trace.state))
        parts += (head, times, self.encoded, dynamic)
        if self.event is not None:
            when, kind, message = self.event
            event = b"\x09" + struct.pack("<Q", when) + _string(2, "exception")
            event += _attributes(3, {"exception.type": kind, "exception.message": message})
            parts.append(_field(11, event))
        if self.error is not None:
            parts.append(_field(15, _string(2, self.error) + b"\x18" + _varint(_STATUS_ERROR)))
        else:
            parts.append(_STATUS_OK_FIELD)
        parts.append(_FLAGS_REMOTE if remote else _FLAGS_LOCAL)
        encoded = b"".join(parts)
        return _span_field_head(len(encoded)) + encoded

    def _head(self, heads: dict[tuple[str, int, Attributes], bytes]) -> bytes:
        head = _string(5, self.name) + b"\x30" + _varint(self.kind) + self.fixed.encoded
        if len(heads) >= _ENCODED_MAX:
            heads.clear()
        heads[(self.name, self.kind, self.fixed)] = head
        return head


class SpanRecorder:
    """Sampling, ids, and the queue of one gateway's finished spans (the exporter empties it)."""

    def __init__(self, *, resource: Mapping[str, Any], scope: str, sample_rate: float) -> None:
        self._ratio = 0.0 < sample_rate < 1.0
        self._bound = round(sample_rate * (1 << 64))
        self._resource = _field(1, _attributes(1, resource))  # ResourceSpans.resource
        self._scope = _field(1, _string(1, scope))  # ScopeSpans.scope
        # Finished spans, already encoded (each a ScopeSpans.spans field): a span is encoded
        # when it ends, while what it holds is still in the CPU's caches, and the exporter
        # only joins and sends them.
        self._queue: deque[bytes] = deque()
        self._heads: dict[tuple[str, int, Attributes], bytes] = {}
        self.dropped = 0
        # set when a batch is waiting; the exporter replaces it with a new one when it wakes
        self.full = trio.Event()

    # ---- the request path ----

    def start(
        self, name: str, kind: int, parent: SpanRef | None, fixed: Attributes
    ) -> Span | SpanRef:
        """A recording span, or, when sampled out, the context that children inherit."""
        bits = random.getrandbits
        if parent is None:
            trace_id = bits(128) or 1
            sampled = not self._ratio or (trace_id & _LOW64) < self._bound
            trace = Trace(trace_id)
            parent_id = 0
        else:
            trace = parent.trace
            sampled = parent.sampled or not self._ratio  # AlwaysSample ignores the parent
            parent_id = parent.span_id
        if not sampled:
            return SpanRef(trace, bits(64) or 1, False)
        return Span(self, name, kind, parent_id, fixed, trace, bits(64) or 1)

    def finished(self, span: Span) -> None:
        queue = self._queue
        size = len(queue)
        if size >= _MAX_QUEUE:
            self.dropped += 1
            return
        queue.append(span.encode(self._heads))
        if size + 1 == BATCH:
            self.full.set()

    # ---- the exporter ----

    def take(self, limit: int) -> list[bytes]:
        """Up to `limit` finished spans, oldest first, taken off the queue."""
        queue = self._queue
        batch: list[bytes] = []
        while queue and len(batch) < limit:
            batch.append(queue.popleft())
        return batch

    def request(self, spans: Iterable[bytes]) -> bytes:
        """An `ExportTraceServiceRequest` of finished spans (as `take` returns them)."""
        scope_spans = _field(2, self._scope + b"".join(spans))
        return _field(1, self._resource + scope_spans)
