"""The span exporter: a trio task that sends the finished spans to each OTLP/HTTP `/v1/traces`.

It runs in the gateway's services nursery (`Resources.once(..., run=...)`), beside the requests,
on the gateway's own HTTP client (transport/, llhttp parsing), not in a thread: an export thread
running `http.client` held the GIL the request path needed for about 1.5 ms per batch, and the
handing back and forth of the GIL cost the request path more than the export itself
(benchmarks/bench_telemetry.py, docs/performance.md). What it does is the SDK's
`BatchSpanProcessor` + `OTLPSpanExporter`'s: a batch leaves when 512 spans are waiting or
`OTEL_BSP_SCHEDULE_DELAY` (5 s by default) has passed; a full queue (2048) drops new spans
(otel_spans.SpanRecorder). Each target gets its POST concurrently, each within the export
timeout: an unreachable or hanging collector loses spans, never requests, and never holds up
another collector. Failures are logged at most every 10 s per target.

When the services stop (shutdown, or a reload that restarts them) what is queued is sent once
more, shielded, within `SHUTDOWN_TIMEOUT`.
"""

from __future__ import annotations

import gzip
import logging
import os
import urllib.parse
from collections.abc import Sequence
from typing import Final

import trio

from trio_gateway.telemetry.otel_spans import BATCH, SpanRecorder
from trio_gateway.transport import HTTPClient, Origin, TransportError

__all__ = ["COMPRESSION_ENV", "SpanExporter", "compression", "schedule_delay"]

LOGGER = logging.getLogger(__name__)

_LOG_EVERY: Final = 10.0
# Above this a body is gzipped in a worker thread (zlib lets go of the GIL): level 1 costs about
# 2 µs a span, too long to hold the event loop for a whole batch.
_GZIP_INLINE_MAX: Final = 16 * 1024


COMPRESSION_ENV: Final = ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION")


def compression() -> str:
    """The OTLP traces compression the environment asks for, as the OpenTelemetry SDKs read it
    (Go's otlptracehttp, which KrakenD uses, and Python's): `gzip` or `none` (the default)."""
    for name in COMPRESSION_ENV:
        value = os.environ.get(name, "").strip().lower()
        if value:
            return value
    return "none"


def schedule_delay() -> float:
    """`OTEL_BSP_SCHEDULE_DELAY` (milliseconds, the SDK's variable) in seconds; 5 by default."""
    delay = os.environ.get("OTEL_BSP_SCHEDULE_DELAY", "").strip()
    return int(delay) / 1000 if delay.isdigit() else 5.0


class _Target:
    """One collector's `/v1/traces`."""

    __slots__ = ("_logged", "origin", "url")

    def __init__(self, base_url: str) -> None:
        # krakend-otel's exporter takes a host and port (otelcollector.go): a path is not sent
        parts = urllib.parse.urlsplit(base_url)
        self.origin = Origin.parse(f"{parts.scheme}://{parts.netloc}")
        self.url = base_url + "/v1/traces"
        self._logged = -_LOG_EVERY

    def failed(self, reason: str) -> None:
        now = trio.current_time()
        if now - self._logged >= _LOG_EVERY:
            self._logged = now
            LOGGER.warning("spans not exported to %s: %s", self.url, reason)


class SpanExporter:
    """Sends what `recorder` queues to each of `targets` (OTLP/HTTP base URLs)."""

    def __init__(
        self,
        recorder: SpanRecorder,
        targets: Sequence[str],
        *,
        timeout: float,
        shutdown_timeout: float,
    ) -> None:
        self._recorder = recorder
        self._targets = [_Target(url) for url in targets]
        self._timeout = timeout
        self._shutdown_timeout = shutdown_timeout
        wanted = compression()
        if wanted not in ("gzip", "none"):
            LOGGER.warning("OTLP compression %r is not gzip or none: spans go uncompressed", wanted)
        self._gzip = wanted == "gzip"
        self._delay = schedule_delay()
        self._headers = [(b"content-type", b"application/x-protobuf")]
        if self._gzip:
            self._headers.append((b"content-encoding", b"gzip"))
        self.exported = 0  # spans a collector accepted (all of them, with several targets)

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        recorder = self._recorder
        # connect within the export timeout; one idle connection per collector is enough
        client = HTTPClient(max_idle_per_host=1, connect_timeout=self._timeout)
        task_status.started()
        try:
            while True:
                with trio.move_on_after(self._delay):
                    await recorder.full.wait()
                recorder.full = trio.Event()
                await self._export(client)
        finally:
            with trio.CancelScope(shield=True) as last:
                last.deadline = trio.current_time() + self._shutdown_timeout
                await self._export(client)
            client.close()

    async def _export(self, client: HTTPClient) -> None:
        while True:
            batch = self._recorder.take(BATCH)
            if not batch:
                return
            body = self._recorder.request(batch)
            if self._gzip:
                if len(body) <= _GZIP_INLINE_MAX:
                    body = _gzip(body)
                else:
                    body = await trio.to_thread.run_sync(_gzip, body)
            async with trio.open_nursery() as nursery:
                for target in self._targets:
                    nursery.start_soon(self._post, client, target, body, len(batch))

    async def _post(self, client: HTTPClient, target: _Target, body: bytes, spans: int) -> None:
        with trio.move_on_after(self._timeout) as waited:
            try:
                answer = await client.request(
                    target.origin,
                    b"POST",
                    b"/v1/traces",
                    self._headers,
                    body,
                    follow_redirects=False,
                )
            except TransportError as exc:
                target.failed(str(exc))
                return
            if answer.status >= 300:
                target.failed(f"HTTP {answer.status}")
                return
            self.exported += spans
        if waited.cancelled_caught:
            target.failed(f"no answer within {self._timeout:g} s")


def _gzip(body: bytes) -> bytes:
    # level 1: the spans' repeated names and values shrink 5-7 times for ~2 µs a span
    return gzip.compress(body, compresslevel=1, mtime=0)
