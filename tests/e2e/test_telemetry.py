"""`telemetry/metrics`, `telemetry/influx` and `/__ready` against the real gateway.

The gateway serves real loopback backends; `/__stats` is read from its own listener, the influx
pushes are received by a loopback HTTP server that parses the line protocol, and readiness is
watched on a `trio-gateway run` subprocess that gets SIGTERM with a slow request in flight.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import StartGateway
from tests.e2e.processes import ROOT, free_port, wait_until_serving

CountedRequests = list[tuple[str, int]]


def _metrics_config(backend_url: str, stats_port: int, **metrics: Any) -> dict[str, Any]:
    return {
        "version": 3,
        "host": [backend_url],
        "extra_config": {
            "telemetry/metrics": {"listen_address": f"127.0.0.1:{stats_port}", **metrics}
        },
        "endpoints": [
            {"endpoint": "/users/{id}", "backend": [{"url_pattern": "/param_forwarding/{id}"}]},
            {"endpoint": "/missing", "backend": [{"url_pattern": "/status/404"}]},
            {"endpoint": "/broken", "backend": [{"url_pattern": "/status/500"}]},
            {
                "endpoint": "/both",
                "backend": [
                    {"url_pattern": "/json/user", "group": "ok"},
                    {"url_pattern": "/status/500", "group": "ko"},
                ],
            },
        ],
    }


async def _traffic(client: httpx.AsyncClient, gateway: str) -> None:
    """5 good, 2 from a 404 backend, 1 from a 500 backend, 1 partial merge, 1 unrouted."""
    for i in range(5):
        assert (await client.get(f"{gateway}/users/{i}")).status_code == 200
    for _ in range(2):
        assert (await client.get(f"{gateway}/missing")).status_code == 500
    assert (await client.get(f"{gateway}/broken")).status_code == 500
    assert (await client.get(f"{gateway}/both")).status_code == 200  # partial: rendered 200
    assert (await client.get(f"{gateway}/nowhere")).status_code == 404  # no endpoint: no metric


async def test_stats_show_krakend_metrics_names_and_counts(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    stats_port = free_port()
    gateway = await start_gateway(_metrics_config(backend_url, stats_port, collection_time="1h"))
    await _traffic(client, gateway)
    answer = await client.get(f"http://127.0.0.1:{stats_port}/__stats")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert answer.text.startswith('{\n"cmdline": [') and answer.text.endswith("\n}\n")
    stats = answer.json()
    assert list(stats) == sorted(stats)  # expvar.Do: sorted keys
    router, proxy = "krakend.router.", "krakend.proxy.requests.layer."
    expected = {
        # counted per request on entry and exit; moved to the totals at each collection
        router + "connected": 9,
        router + "disconnected": 9,
        router + "connected-total": 0,
        router + "connected-gauge": 0,
        # lura's endpoint names: {id} written :id
        router + "response./users/:id.status": 0,
        router + "response./users/:id.status.200.count": 5,
        router + "response./missing.status.500.count": 2,
        router + "response./broken.status.500.count": 1,
        router + "response./both.status.200.count": 1,
        router + "response./users/:id.size.count": 5,
        router + "response./users/:id.time.count": 5,
        router + "response./missing.size.count": 2,
        # the pipe around the merge; the backends by lura's url_pattern ({{.Id}})
        proxy + "pipe.name./users/:id.complete.true.error.false": 5,
        proxy + "pipe.name./users/:id.complete.false.error.true": 0,
        proxy + "backend.name./param_forwarding/{{.Id}}.complete.true.error.false": 5,
        proxy + "pipe.name./missing.complete.false.error.true": 2,
        proxy + "backend.name./status/404.complete.false.error.true": 2,
        proxy + "pipe.name./broken.complete.false.error.true": 1,
        proxy + "backend.name./status/500.complete.false.error.true": 2,  # /broken and /both
        proxy + "pipe.name./both.complete.false.error.true": 1,  # a partial merge: resp and err
        proxy + "backend.name./json/user.complete.true.error.false": 1,
        "krakend.proxy.latency.layer.pipe.name./users/:id.complete.true.error.false.count": 5,
    }
    assert {key: stats.get(key) for key in expected} == expected
    # a response that has no body (500 without return_error_msg) is gin's -1
    assert stats[router + "response./missing.size.max"] == -1
    assert stats[router + "response./users/:id.size.min"] > 0
    # each histogram is ten keys, as exp.go publishes it
    suffixes = {key.rsplit(".size.", 1)[1] for key in stats if "/users/:id.size." in key}
    assert suffixes == {
        "count",
        "min",
        "max",
        "mean",
        "std-dev",
        "50-percentile",
        "75-percentile",
        "95-percentile",
        "99-percentile",
        "999-percentile",
    }
    assert not any("nowhere" in key for key in stats)


async def test_router_metrics_sit_where_krakend_ce_puts_them(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient, jwk_file: str
) -> None:
    # handler_factory.go: bot detector -> metrics -> JWT validator -> ... ; gin's paramChecker
    # runs before any handler. So a bot's 403 and a bad path param's 400 are not counted, a
    # missing token's 401 is.
    stats_port = free_port()
    config = _metrics_config(backend_url, stats_port)
    config["endpoints"] = [
        {
            "endpoint": "/guarded/{id}",
            "extra_config": {
                "security/bot-detector": {"deny": ["BadBot"]},
                "auth/validator": {"alg": "HS256", "jwk_local_path": jwk_file},
            },
            "backend": [{"url_pattern": "/param_forwarding/{id}"}],
        }
    ]
    gateway = await start_gateway(config)
    bot = await client.get(f"{gateway}/guarded/1", headers={"user-agent": "BadBot"})
    assert bot.status_code == 403
    assert (await client.get(f"{gateway}/guarded/%2541")).status_code == 400
    assert (await client.get(f"{gateway}/guarded/1")).status_code == 401
    stats = (await client.get(f"http://127.0.0.1:{stats_port}/__stats")).json()
    prefix = "krakend.router.response./guarded/:id.status."
    assert {k: v for k, v in stats.items() if k.startswith(prefix)} == {prefix + "401.count": 1}
    assert stats["krakend.router.connected"] == 1
    assert stats["krakend.router.disconnected"] == 1


async def test_the_stats_listener_is_a_gin_engine_with_one_route(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    stats_port = free_port()
    await start_gateway(_metrics_config(backend_url, stats_port))
    base = f"http://127.0.0.1:{stats_port}"
    post = await client.post(base + "/__stats")
    assert (post.status_code, post.headers["allow"]) == (405, "GET")
    slash = await client.get(base + "/__stats/")
    assert (slash.status_code, slash.headers["location"]) == (301, "/__stats")
    assert (await client.get(base + "/other")).status_code == 404


async def test_collection_moves_connections_into_totals_and_gauges(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    stats_port = free_port()
    gateway = await start_gateway(_metrics_config(backend_url, stats_port, collection_time="100ms"))
    for i in range(3):
        await client.get(f"{gateway}/users/{i}")
    stats: dict[str, Any] = {}
    with trio.fail_after(10):
        while stats.get("krakend.router.connected-total") != 3:
            await trio.sleep(0.05)
            stats = (await client.get(f"http://127.0.0.1:{stats_port}/__stats")).json()
    assert stats["krakend.router.disconnected-total"] == 3
    assert stats["krakend.router.connected"] == 0
    # histograms are cleared by each collection (TakeSnapshot): the next period starts empty
    with trio.fail_after(10):
        while stats["krakend.router.response./users/:id.time.count"] != 0:
            await trio.sleep(0.05)
            stats = (await client.get(f"http://127.0.0.1:{stats_port}/__stats")).json()
    assert stats["krakend.router.response./users/:id.status.200.count"] == 3  # counters stay


@pytest.mark.parametrize(
    ("flag", "absent"),
    [
        ("router_disabled", "krakend.router.response./users/:id.status.200.count"),
        ("proxy_disabled", "krakend.proxy.requests.layer.pipe.name./users/:id"),
        ("backend_disabled", "krakend.proxy.requests.layer.backend.name./param_forwarding"),
    ],
)
async def test_each_layer_can_be_disabled(
    flag: str,
    absent: str,
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    stats_port = free_port()
    gateway = await start_gateway(_metrics_config(backend_url, stats_port, **{flag: True}))
    assert (await client.get(f"{gateway}/users/1")).status_code == 200
    stats = (await client.get(f"http://127.0.0.1:{stats_port}/__stats")).json()
    assert not any(key.startswith(absent) for key in stats)
    assert "krakend.router.connected" in stats


async def test_endpoint_disabled_collects_without_a_listener(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    stats_port = free_port()
    gateway = await start_gateway(_metrics_config(backend_url, stats_port, endpoint_disabled=True))
    assert (await client.get(f"{gateway}/users/1")).status_code == 200
    with pytest.raises(httpx.ConnectError):
        await client.get(f"http://127.0.0.1:{stats_port}/__stats")


async def test_a_taken_stats_port_is_logged_and_the_gateway_serves(
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    holder = trio.socket.socket()
    await holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        gateway = await start_gateway(_metrics_config(backend_url, port))
        assert (await client.get(f"{gateway}/users/1")).status_code == 200
        assert f"[SERVICE: Stats] cannot listen on 127.0.0.1:{port}" in caplog.text
    finally:
        holder.close()


def _stats_file(tmp_path: Path, backend_url: str, stats_port: int) -> Path:
    config = _metrics_config(backend_url, stats_port, collection_time="1h")
    config["listen_ip"] = "127.0.0.1"
    path = tmp_path / "krakend.json"
    path.write_text(json.dumps(config))
    return path


async def _get_until(url: str, proc: trio.Process) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as client:
        with trio.fail_after(30):
            while True:
                assert proc.returncode is None, "the server exited"
                try:
                    return await client.get(url)
                except httpx.TransportError:
                    await trio.sleep(0.1)


async def test_each_worker_serves_its_stats_on_port_plus_its_index(
    tmp_path: Path, backend_url: str
) -> None:
    port, stats_port = free_port(), free_port()
    while stats_port + 1 == port:  # worker 1 takes stats_port + 1
        stats_port = free_port()
    config = _stats_file(tmp_path, backend_url, stats_port)
    command = [sys.executable, "-m", "trio_gateway", "run", "-c", str(config), "-p", str(port)]
    proc = await trio.lowlevel.open_process([*command, "--workers", "2"], cwd=ROOT)
    try:
        await wait_until_serving(port, proc)
        async with httpx.AsyncClient(timeout=10) as client:
            for i in range(6):
                await client.get(f"http://127.0.0.1:{port}/users/{i}")
        answers = [
            await _get_until(f"http://127.0.0.1:{stats_port + i}/__stats", proc) for i in (0, 1)
        ]
        key = "krakend.router.response./users/:id.status.200.count"
        counts = [answer.json().get(key, 0) for answer in answers]
        assert sum(counts) == 6  # each worker counts what it served
    finally:
        proc.send_signal(signal.SIGTERM)
        with trio.move_on_after(20):
            await proc.wait()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0


async def test_hypercorn_lifespan_starts_and_stops_the_stats_listener(
    tmp_path: Path, backend_url: str
) -> None:
    port, stats_port = free_port(), free_port()
    config = _stats_file(tmp_path, backend_url, stats_port)
    env = dict(os.environ, TRIO_GATEWAY_CONFIG=str(config))
    command = [sys.executable, "-m", "hypercorn", "trio_gateway:app", "--worker-class", "trio"]
    proc = await trio.lowlevel.open_process(
        [*command, "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env
    )
    try:
        await wait_until_serving(port, proc)
        async with httpx.AsyncClient(timeout=10) as client:
            assert (await client.get(f"http://127.0.0.1:{port}/users/1")).status_code == 200
            assert (await client.get(f"http://127.0.0.1:{port}/__ready")).status_code == 200
        stats = (await _get_until(f"http://127.0.0.1:{stats_port}/__stats", proc)).json()
        assert stats["krakend.router.response./users/:id.status.200.count"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        with trio.move_on_after(20):
            await proc.wait()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    with pytest.raises(httpx.ConnectError):  # stopped with the app
        async with httpx.AsyncClient(timeout=5) as client:
            await client.get(f"http://127.0.0.1:{stats_port}/__stats")


# ---- telemetry/influx -------------------------------------------------------------------------

_TOKEN = re.compile(r"(?:\\.|[^,= ])+")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_line(line: str) -> tuple[str, dict[str, str], dict[str, Any], int]:
    """One line of InfluxDB's line protocol: measurement, tags, fields, timestamp."""
    head, fields_text, timestamp = re.split(r"(?<!\\) ", line)
    parts = re.split(r"(?<!\\),", head)
    tags = dict(tuple(_unescape(x) for x in re.split(r"(?<!\\)=", p)) for p in parts[1:])
    fields: dict[str, Any] = {}
    for item in re.split(r"(?<!\\),", fields_text):
        key, value = re.split(r"(?<!\\)=", item)
        fields[_unescape(key)] = int(value[:-1]) if value.endswith("i") else float(value)
    return _unescape(parts[0]), tags, fields, int(timestamp)


class InfluxReceiver:
    """A loopback InfluxDB v1 `/write` endpoint: records every request, answers 204."""

    def __init__(self) -> None:
        self.writes: list[dict[str, Any]] = []
        self.pings = 0
        self.fail = 0  # answer this many writes with 500 first

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                kind = message["type"].replace("lifespan.", "lifespan.") + ".complete"
                await send({"type": kind})
                if message["type"] == "lifespan.shutdown":
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status = 204
        if scope["path"].endswith("/ping"):
            self.pings += 1
        elif self.fail:
            self.fail -= 1
            status = 500
        else:
            lines = body.decode().splitlines()
            self.writes.append(
                {
                    "path": scope["path"],
                    "query": scope["query_string"].decode(),
                    "headers": dict(scope["headers"]),
                    "points": [parse_line(line) for line in lines],
                }
            )
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"oops" if status == 500 else b""})


async def _start_receiver(nursery: trio.Nursery, receiver: InfluxReceiver) -> str:
    config = HypercornConfig()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    binds = await nursery.start(
        lambda task_status: hypercorn_serve(receiver, config, mode="asgi", task_status=task_status)  # type: ignore[arg-type]
    )
    return str(binds[0])


async def _until(condition: Callable[[], bool], seconds: float = 10) -> None:
    with trio.fail_after(seconds):
        while not condition():  # noqa: ASYNC110 - state kept by servers in other tasks
            await trio.sleep(0.02)


async def test_influx_receives_krakend_influx_points(
    nursery: trio.Nursery,
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    receiver = InfluxReceiver()
    influx = await _start_receiver(nursery, receiver)
    # a push every 100 ms sends each snapshot (taken every 300 ms) at least once
    config = _metrics_config(backend_url, free_port(), collection_time="300ms")
    config["extra_config"]["telemetry/influx"] = {
        "address": influx + "/prefix",
        "ttl": "100ms",
        "db": "gw",
        "username": "u",
        "password": "p w",
    }
    gateway = await start_gateway(config)
    await _traffic(client, gateway)

    def responses_total(write: dict[str, Any]) -> int:
        return sum(
            fields["total"]
            for measurement, tags, fields, _ in write["points"]
            if measurement == "responses" and tags["name"] == "/users/:id"
        )

    await _until(lambda: any(responses_total(w) == 5 for w in receiver.writes))
    write = next(w for w in receiver.writes if responses_total(w) == 5)
    assert write["path"] == "/prefix/write"
    assert write["query"] == "consistency=&db=gw&precision=s&rp="
    assert write["headers"][b"authorization"] == b"Basic " + base64.b64encode(b"u:p w")
    points = write["points"]
    host = points[0][1]["host"]
    assert host

    def fields_of(measurement: str, **tags: str) -> list[dict[str, Any]]:
        return [f for m, t, f, _ in points if m == measurement and t == {"host": host, **tags}]

    # the counter point and the latency histogram point share the `requests` series (as in
    # krakend-influx; InfluxDB merges their fields)
    pipe = {"layer": "pipe", "name": "/missing", "complete": "false", "error": "true"}
    counted = [f for f in fields_of("requests", **pipe) if "total" in f]
    assert [f["total"] for f in counted] == [2]
    # the latency histogram of the period the requests were made in (histograms are per
    # collection period, so it is in the first push that saw them)
    timed = [
        f
        for w in receiver.writes
        for m, t, f, _ in w["points"]
        if m == "requests" and t == {"host": host, **pipe} and "max" in f
    ]
    assert timed and {"max", "min", "p0.99"} <= set(timed[0])
    backend = {"layer": "backend", "name": "/param_forwarding/{{.Id}}"}
    assert fields_of("requests", **backend, complete="true", error="false")[0]["total"] == 5
    assert fields_of("responses", name="/missing", status="500")[0]["total"] == 2
    router_in = fields_of("router", direction="in")
    assert [set(f) for f in router_in] == [{"current", "total"}, {"gauge"}]
    # the time histograms of the period, as fields with krakend-influx's percentiles
    histogram_points = [f for m, _, f, _ in points if m == "router.response-time"]
    for fields in histogram_points:
        assert set(fields) == {
            "max",
            "min",
            "mean",
            "stddev",
            "variance",
            "p0.1",
            "p0.25",
            "p0.5",
            "p0.75",
            "p0.9",
            "p0.95",
            "p0.99",
        }
        assert isinstance(fields["max"], int) and isinstance(fields["p0.5"], float)
    assert all(ts == points[0][3] and ts > 1_700_000_000 for *_, ts in points)  # seconds
    # `count` is the change since the last push: the next pushes report 0 new /users/:id
    later = len(receiver.writes)
    await _until(lambda: len(receiver.writes) > later + 1)
    last = receiver.writes[-1]["points"]
    counts = [f["count"] for m, t, f, _ in last if m == "responses" and t["name"] == "/users/:id"]
    assert counts == [0]
    assert receiver.pings == 1


async def test_influx_failed_pushes_are_kept_and_sent_again(
    nursery: trio.Nursery,
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    receiver = InfluxReceiver()
    receiver.fail = 2
    influx = await _start_receiver(nursery, receiver)
    config = _metrics_config(backend_url, free_port(), collection_time="100ms")
    config["extra_config"]["telemetry/influx"] = {
        "address": influx,
        "ttl": "100ms",
        "buffer_size": 5,
    }
    gateway = await start_gateway(config)
    assert (await client.get(f"{gateway}/users/1")).status_code == 200
    # the two failed batches come back in the write after the first that succeeds
    await _until(lambda: len(receiver.writes) >= 2)
    first, retry = receiver.writes[0], receiver.writes[1]
    assert first["query"].startswith("consistency=&db=krakend&")

    def routers(write: dict[str, Any]) -> int:  # two `router` points in each batch
        return sum(1 for m, *_ in write["points"] if m == "router")

    assert (routers(first), routers(retry)) == (4, 8)


# ---- readiness ---------------------------------------------------------------------------------


async def test_ready_is_200_when_serving_and_health_stays_krakend(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gateway = await start_gateway(_metrics_config(backend_url, free_port()))
    ready = await client.get(gateway + "/__ready")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert ready.headers["cache-control"] == "no-store"
    assert (await client.post(gateway + "/__ready")).status_code == 405
    health = (await client.get(gateway + "/__health")).json()
    assert set(health) == {"agents", "now", "status"} and health["status"] == "ok"


async def test_a_user_endpoint_at_the_readiness_path_wins(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    config = {
        "version": 3,
        "host": [backend_url],
        "endpoints": [{"endpoint": "/__ready", "backend": [{"url_pattern": "/json/user"}]}],
    }
    gateway = await start_gateway(config)
    answer = await client.get(gateway + "/__ready")
    assert answer.status_code == 200 and "status" not in answer.json()


async def test_sigterm_turns_readiness_503_while_in_flight_requests_finish(
    tmp_path: Path, backend_url: str
) -> None:
    port = free_port()
    config = tmp_path / "krakend.json"
    config.write_text(
        json.dumps(
            {
                "version": 3,
                "listen_ip": "127.0.0.1",
                "host": [backend_url],
                "timeout": "10s",
                "endpoints": [
                    {"endpoint": "/slow", "backend": [{"url_pattern": "/delayed/?ms=2500"}]}
                ],
            }
        )
    )
    env = {**os.environ, "TRIO_GATEWAY_DRAIN_SECONDS": "1.5"}
    command = [sys.executable, "-m", "trio_gateway", "run", "-c", str(config), "-p", str(port)]
    proc = await trio.lowlevel.open_process(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_serving(port, proc)
        async with httpx.AsyncClient(timeout=20) as client:
            assert (await client.get(base + "/__ready")).status_code == 200
            slow: list[httpx.Response] = []

            async def slow_request() -> None:
                async with httpx.AsyncClient(timeout=20) as own:
                    slow.append(await own.get(base + "/slow"))

            async with trio.open_nursery() as nursery:
                nursery.start_soon(slow_request)
                await _until(lambda: STATS["/delayed/"] == 1)
                proc.send_signal(signal.SIGTERM)
                # draining: readiness says go away, liveness still says alive
                with trio.fail_after(5):
                    while True:
                        ready = await client.get(base + "/__ready")
                        if ready.status_code == 503:
                            break
                        await trio.sleep(0.02)
                assert ready.json() == {"status": "draining"}
                assert (await client.get(base + "/__health")).status_code == 200
                assert not slow  # still in flight
            assert len(slow) == 1 and slow[0].status_code == 200
        with trio.fail_after(15):
            await proc.wait()
        assert proc.returncode == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def test_a_bad_drain_time_is_refused(tmp_path: Path) -> None:
    import subprocess

    config = tmp_path / "krakend.json"
    config.write_text(json.dumps({"version": 3, "endpoints": []}))
    env = {**os.environ, "TRIO_GATEWAY_DRAIN_SECONDS": "soon"}
    done = subprocess.run(
        [sys.executable, "-m", "trio_gateway", "run", "-c", str(config), "-p", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "TRIO_GATEWAY_DRAIN_SECONDS='soon'" in done.stderr and "Traceback" not in done.stderr
