"""The Prometheus scrape endpoint of `exporters.prometheus[]`, and one scrape for all workers.

krakend-otel serves `GET /metrics` (Go's ServeMux: that path only) on `host:port` from its own
goroutine. Here it is a `ThreadingWSGIServer` (prometheus_client's) in a daemon thread: a scrape
never runs on the trio loop, and the OTel SDK's collection is thread-safe.

With `trio-gateway run --workers N` every worker has its own providers, so a scrape of one
worker would show a fraction of the traffic. The supervisor tells each worker its index and a
private directory (`WORKER_ENV`): worker 0 listens on the configured port; every other worker
listens on an ephemeral loopback port that it writes into that directory. On each scrape worker 0
collects its own registry and fetches the other workers' expositions, and answers with all of
them, each sample labelled `worker="<index>"` (PromQL's `sum without (worker)` gives the
gateway's totals; nothing is summed here, so gauges such as `process_start_time_seconds` stay
true). A worker that does not answer within a second is left out of that scrape (logged).
"""

from __future__ import annotations

import logging
import os
import threading
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Final
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_LATEST, ThreadingWSGIServer, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["WORKER_ENV", "MetricsServer", "WorkerSlot", "worker_slot"]

LOGGER = logging.getLogger(__name__)

# "<index>:<count>:<directory>", set by serving/workers.py in each worker process.
WORKER_ENV: Final = "TRIO_GATEWAY_METRICS_WORKER"
_PEER_TIMEOUT: Final = 1.0
_NOT_FOUND: Final = b"404 page not found\n"  # Go's http.NotFound body


class WorkerSlot:
    """Which worker this process is, and where the workers meet."""

    __slots__ = ("count", "directory", "index")

    def __init__(self, index: int, count: int, directory: str) -> None:
        self.index = index
        self.count = count
        self.directory = Path(directory)

    def port_file(self, port: int, index: int) -> Path:
        return self.directory / f"{port}-{index}.port"


def worker_slot() -> WorkerSlot | None:
    """This process's slot, or None when it is the only process serving."""
    value = os.environ.get(WORKER_ENV)
    if not value:
        return None
    index, count, directory = value.split(":", 2)
    return WorkerSlot(int(index), int(count), directory)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # a scrape is not worth a line
        pass


def _with_worker(metrics: Iterable[Metric], index: int) -> Iterator[Metric]:
    label = str(index)
    for metric in metrics:
        copy = Metric(metric.name, metric.documentation, metric.type, metric.unit)
        copy.samples = [s._replace(labels={**s.labels, "worker": label}) for s in metric.samples]
        yield copy


class _Merged:
    """A collector of several workers' families, merged by name."""

    def __init__(self, parts: list[Iterable[Metric]]) -> None:
        self._parts = parts

    def collect(self) -> Iterator[Metric]:
        merged: dict[str, Metric] = {}
        for part in self._parts:
            for metric in part:
                known = merged.get(metric.name)
                if known is None:
                    merged[metric.name] = metric
                else:
                    known.samples.extend(metric.samples)
        return iter(merged.values())


class MetricsServer:
    """One `exporters.prometheus[]` endpoint: `GET /metrics` on its address, in a thread."""

    def __init__(
        self, registry: CollectorRegistry, host: str, port: int, slot: WorkerSlot | None = None
    ) -> None:
        self._registry = registry
        self._slot = slot
        self._port = port
        if slot is not None and slot.index > 0:
            host, port = "127.0.0.1", 0  # found by worker 0 through the port file
        self._server = make_server(
            host, port, self._app, ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self.address: tuple[str, int] = self._server.server_address[:2]  # type: ignore[assignment]
        if slot is not None and slot.index > 0:
            path = slot.port_file(self._port, slot.index)
            path.with_suffix(".tmp").write_text(str(self.address[1]))
            path.with_suffix(".tmp").replace(path)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"prometheus-{port}", daemon=True
        )
        self._thread.start()

    def exposition(self) -> bytes:
        """What a scrape answers: this process's metrics, or every worker's (worker 0)."""
        slot = self._slot
        if slot is None or slot.index > 0:
            return generate_latest(self._registry)
        parts: list[Iterable[Metric]] = [_with_worker(self._registry.collect(), 0)]
        for index in range(1, slot.count):
            text = self._fetch_peer(slot, index)
            if text is not None:
                parts.append(_with_worker(text_string_to_metric_families(text), index))
        return generate_latest(_Merged(parts))

    def _fetch_peer(self, slot: WorkerSlot, index: int) -> str | None:
        try:
            port = int(slot.port_file(self._port, index).read_text())
            url = f"http://127.0.0.1:{port}/metrics"
            with urllib.request.urlopen(url, timeout=_PEER_TIMEOUT) as answer:
                text: str = answer.read().decode("utf-8")
                return text
        except (OSError, ValueError) as exc:
            LOGGER.warning("metrics of worker %d left out of this scrape: %s", index, exc)
            return None

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [_NOT_FOUND]
        body = self.exposition()
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [body]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
