"""`telemetry/influx` (service): krakend-influx v2, which pushes the `telemetry/metrics`
collector's latest snapshot to an InfluxDB v1 server every `ttl` (influxdb.go `keepUpdated`).

Each push is one `POST <address>/write?consistency=&db=<db>&precision=s&rp=` with the points in
the line protocol (`influx_points.py`), basic auth when `username` is set, a 10 s timeout, as the
InfluxDB v1 client (`client/v2` `Write`) sends it; 200 and 204 are success. A failed push is kept
in a buffer of the last `buffer_size` batches and sent again, all at once, after the next push
that succeeds (buffer.go). Nothing is pushed before the collector's first snapshot (one
`collection_time` after start) nor for an empty one. It all runs in the gateway's background
nursery: a slow or absent InfluxDB never delays a request.

It needs `telemetry/metrics`: without it KrakenD's collector is a dummy and every push is
skipped as empty; `check` warns and trio-gateway starts no pusher. On purpose, `buffer_size`
is read as a number: krakend-influx asserts it as a Go `int`, which a JSON number never is, so
KrakenD always keeps no failed batch whatever the file says.
"""

from __future__ import annotations

import base64
import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Final
from urllib.parse import urlsplit, urlunsplit

import attrs
import trio

from trio_gateway.config.model import Seconds
from trio_gateway.namespace import Layer, Level, Namespace, Slot, Where
from trio_gateway.telemetry import stats
from trio_gateway.telemetry.influx_points import CounterDeltas, encode, points

if TYPE_CHECKING:
    import httpx

    from trio_gateway.config.diagnostics import Report
    from trio_gateway.config.model import ExtraConfig

__all__ = [
    "NAMESPACE",
    "SERVICE",
    "InfluxConfig",
    "InfluxPusher",
    "address_problem",
    "write_url",
]

LOGGER = logging.getLogger(__name__)

_PREFIX: Final = "[SERVICE: InfluxDB]"
DEFAULT_TTL: Final = 60.0  # config.go: time.Minute
WRITE_TIMEOUT: Final = 10.0  # influxdb.go: client.HTTPConfig{Timeout: 10 * time.Second}
_USER_AGENT: Final = "InfluxDBClient"  # client/v2 default


@attrs.frozen(kw_only=True)
class InfluxConfig:
    """`extra_config."telemetry/influx"` (service), as config.go configGetter reads it."""

    NAMESPACE: ClassVar[str] = "telemetry/influx"

    address: str = ""  # required: http(s)://host:port of the InfluxDB v1 server
    username: str = ""
    password: str = ""
    ttl: Seconds | None = None  # default one minute
    db: str = "krakend"
    buffer_size: int = 0  # failed batches kept for the next push (see the module docstring)


def address_problem(address: str) -> str | None:
    """Why krakend-influx would not start with this address (it logs it and the gateway
    serves without pushes), or None."""
    if not address:
        return "address is required"
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"unsupported address {address!r}: your address must start with http:// or https://"
    return None


def check(config: InfluxConfig, where: Where, report: Report) -> None:
    problem = address_problem(config.address)
    if problem is not None:
        # KrakenD logs it and serves on without the pushes: so do we, with a warning.
        report.warning(
            (*where.path, "address"),
            f"{problem}: krakend-influx does not start, nothing is pushed (as in KrakenD)",
            'write the InfluxDB URL, such as "http://influxdb:8086"',
        )
    if config.ttl is not None and config.ttl <= 0:
        report.error(
            (*where.path, "ttl"),
            "must be positive: KrakenD's time.NewTicker panics on a non-positive interval",
            'use a Go duration such as "30s"',
        )
    if config.buffer_size < 0:
        report.error((*where.path, "buffer_size"), "must not be negative")
    if where.service.extra_config.get(stats.MetricsConfig) is None:
        report.warning(
            where.path,
            "telemetry/influx pushes the metrics of telemetry/metrics, which is not configured: "
            "nothing will be sent (as in KrakenD)",
            'add "telemetry/metrics": {} to the service extra_config',
        )


NAMESPACE = Namespace(
    name="telemetry/influx",
    levels=frozenset({Level.SERVICE}),
    config=InfluxConfig,
    aliases=("github_com/letgoapp/krakend-influx", "github_com/devopsfaith/krakend-influx"),
    check=check,
)


def write_url(address: str) -> str:
    """client/v2 Write: `path.Join(u.Path, "write")` and its four query parameters, sorted."""
    parts = urlsplit(address)
    path = parts.path.rstrip("/") + "/write"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class InfluxPusher:
    """influxdb.go's clientWrapper: the ticker, the points, the buffer of failed batches."""

    def __init__(
        self,
        config: InfluxConfig,
        metrics: stats.Metrics,
        client: Callable[[], httpx.AsyncClient],
        *,
        host: str | None = None,
    ) -> None:
        self.config = config
        self._metrics = metrics
        self._client = client
        self._host = socket.gethostname() if host is None else host
        self._deltas = CounterDeltas()
        self._buffer: list[str] = []
        self._url = write_url(config.address)
        self._params = {
            "consistency": "",
            "db": config.db,
            "precision": "s",
            "rp": "",
        }

    @property
    def ttl(self) -> float:
        return self.config.ttl or DEFAULT_TTL

    @property
    def pending(self) -> int:
        """Failed batches waiting for the next successful push."""
        return len(self._buffer)

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._ping)
            while True:
                await trio.sleep(self.ttl)
                await self.push()

    async def _ping(self) -> None:
        """influxdb.go: a ping at start, only to warn early about an unreachable server."""
        try:
            with trio.fail_after(WRITE_TIMEOUT):
                answer = await self._client().get(self._url.removesuffix("/write") + "/ping")
            LOGGER.debug("%s ping: %d", _PREFIX, answer.status_code)
        except Exception as exc:
            LOGGER.warning("%s Unable to ping the InfluxDB server: %s", _PREFIX, exc)

    def lines(self) -> str | None:
        """The latest snapshot as line protocol, or None when there is nothing to send."""
        snapshot = self._metrics.latest
        if not snapshot.counters and not snapshot.gauges:
            return None
        seconds = snapshot.time // 1_000_000_000  # PrecisionString("s") truncates
        return "".join(
            encode(point, seconds) + "\n" for point in points(snapshot, self._host, self._deltas)
        )

    async def push(self) -> None:
        """One tick of keepUpdated."""
        batch = self.lines()
        if batch is None:
            LOGGER.debug("%s No metrics to send", _PREFIX)
            return
        if not await self._write(batch):
            self._keep([batch])
            return
        pending, self._buffer = self._buffer, []
        if pending and not await self._write("".join(pending)):
            self._keep(pending)

    def _keep(self, batches: list[str]) -> None:
        """buffer.go Add: append, then keep only the last `buffer_size`."""
        self._buffer.extend(batches)
        size = self.config.buffer_size
        self._buffer = self._buffer[len(self._buffer) - size :] if size else []

    async def _write(self, body: str) -> bool:
        config = self.config
        headers = {"user-agent": _USER_AGENT}
        if config.username:  # client/v2: req.SetBasicAuth when a username is set
            token = base64.b64encode(f"{config.username}:{config.password}".encode())
            headers["authorization"] = "Basic " + token.decode("ascii")
        try:
            with trio.fail_after(WRITE_TIMEOUT):
                answer = await self._client().post(
                    self._url,
                    params=self._params,
                    content=body.encode("utf-8"),
                    headers=headers,
                )
        except Exception as exc:
            LOGGER.error("%s Couldn't write to server: %s", _PREFIX, exc)
            return False
        if answer.status_code not in (200, 204):
            LOGGER.error(
                "%s Couldn't write to server: %d %s", _PREFIX, answer.status_code, answer.text
            )
            return False
        LOGGER.debug("%s %d datapoints sent", _PREFIX, body.count("\n"))
        return True


def _service(extra: ExtraConfig, context: Any) -> InfluxPusher | None:
    config = extra.get(InfluxConfig)
    if config is None:
        return None
    problem = address_problem(config.address)
    if problem is not None:
        LOGGER.error("%s Parsing the configuration: %s", _PREFIX, problem)
        return None
    metrics = context.components.get(stats.NAMESPACE.name)
    if metrics is None:
        LOGGER.warning("%s telemetry/metrics is not configured: nothing to push", _PREFIX)
        return None
    return InfluxPusher(config, metrics, context.httpx)


SERVICE = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.SERVICE, build=_service)
