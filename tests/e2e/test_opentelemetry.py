"""`telemetry/opentelemetry` end to end: a real gateway, a real backend, a real Prometheus scrape
and a real OTLP/HTTP collector on loopback (issue 14)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
import trio
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import StartGateway
from tests.e2e.otlp_receiver import start_collector
from tests.e2e.processes import free_port

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CLIENT_TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


@pytest.fixture(autouse=True)
def fast_export(monkeypatch: pytest.MonkeyPatch) -> None:
    # The BatchSpanProcessor's delay (5 s by default), read when the gateway starts.
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")


def _samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def _value(samples: list[Any], name: str, **labels: str) -> float:
    found = [v for n, lab, v in samples if n == name and labels.items() <= lab.items()]
    assert found, f"{name} {labels} not in the scrape"
    return sum(found)


def _otel(**extra: Any) -> dict[str, Any]:
    return {"telemetry/opentelemetry": extra}


async def _scrape(client: httpx.AsyncClient, port: int) -> list[Any]:
    r = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert r.status_code == 200
    return _samples(r.text)


async def test_a_scrape_counts_requests_by_endpoint_backend_and_qos_outcome(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    port = free_port()
    limit = {"qos/ratelimit/router": {"max_rate": 1, "every": "1m"}}
    breaker = {"qos/circuit-breaker": {"interval": 60, "timeout": 60, "max_errors": 0}}
    cache = {"qos/http-cache": {"max_items": 10, "max_size": 100_000}}
    gw = await start_gateway(
        {
            "version": 3,
            "name": "otel-test",
            "host": [backend_url],
            "extra_config": _otel(
                exporters={"prometheus": [{"name": "prom", "port": port, "listen_ip": "127.0.0.1"}]}
            ),
            "endpoints": [
                {"endpoint": "/user/{id}", "backend": [{"url_pattern": "/json/user"}]},
                {
                    "endpoint": "/limited",
                    "extra_config": limit,
                    "backend": [{"url_pattern": "/json/user"}],
                },
                {
                    "endpoint": "/broken",
                    "backend": [{"url_pattern": "/status/500", "extra_config": breaker}],
                },
                {
                    "endpoint": "/cached",
                    "backend": [{"url_pattern": "/cacheable/x", "extra_config": cache}],
                },
            ],
        }
    )
    for i in range(3):
        assert (await client.get(f"{gw}/user/{i}")).status_code == 200
    statuses = [(await client.get(f"{gw}/limited")).status_code for _ in range(4)]
    assert statuses == [200, 503, 503, 503]
    assert [(await client.get(f"{gw}/broken")).status_code for _ in range(3)] == [500] * 3
    assert STATS["/status/500"] == 1  # one failure opened the breaker
    for _ in range(3):
        assert (await client.get(f"{gw}/cached")).status_code == 200
    assert (await client.get(f"{gw}/nowhere")).status_code == 404

    samples = await _scrape(client, port)
    server = "http_server_duration_count"
    assert _value(samples, server, http_route="/user/{id}", http_response_status_code="200") == 3
    assert _value(samples, server, http_route="/limited", http_response_status_code="503") == 3
    assert _value(samples, server, http_route="/broken", http_response_status_code="500") == 3
    assert _value(samples, server, http_route="404 Not Found") == 1
    assert _value(samples, server, http_request_method="GET", url_scheme="http") == 14
    assert _value(samples, "http_server_response_size_count", http_route="/cached") == 3
    # the backend stage and the round trip, by backend
    stage = "krakend_backend_duration_count"
    assert _value(samples, stage, http_route="/json/user", krakend_endpoint_route="/user/{id}") == 3
    assert _value(samples, stage, http_route="/status/500", error="true") == 3
    assert _value(samples, "krakend_proxy_duration_count", http_route="/user/{id}") == 3
    started = "http_client_request_started_count_total"
    assert _value(samples, started, http_route="/status/500", http_response_status_code="500") == 1
    assert _value(samples, "http_client_duration_count", http_route="/json/user") == 4
    # what the QoS layers decided
    rejected = "krakend_router_ratelimit_rejected_total"
    assert _value(samples, rejected, krakend_endpoint_route="/limited") == 3
    assert _value(samples, rejected, http_response_status_code="503") == 3
    assert _value(samples, "krakend_backend_circuit_breaker_rejected_total") == 2
    assert _value(samples, "krakend_backend_cache_hits_total", http_route="/cacheable/x") == 2
    assert _value(samples, "krakend_backend_cache_misses_total", http_route="/cacheable/x") == 1
    assert _value(samples, "target_info", service_name="otel-test") == 1

    assert (await client.get(f"http://127.0.0.1:{port}/other")).status_code == 404


async def test_one_trace_per_request_with_a_span_per_backend_call(
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    nursery: trio.Nursery,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="trio_gateway.access")
    collector_port, received = await start_collector(nursery)
    otlp = {"name": "local", "host": "127.0.0.1", "port": collector_port, "use_http": True}
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "extra_config": _otel(exporters={"otlp": [otlp]}, metric_reporting_period=3600),
            "endpoints": [
                {
                    "endpoint": "/both",
                    "backend": [
                        {"url_pattern": "/param_forwarding/a", "group": "a"},
                        {"url_pattern": "/param_forwarding/b", "group": "b"},
                    ],
                    "input_headers": ["*"],
                }
            ],
        }
    )
    r = await client.get(f"{gw}/both", headers={"traceparent": CLIENT_TRACEPARENT})
    assert r.status_code == 200
    seen = [r.json()[g]["headers"]["Traceparent"] for g in ("a", "b")]
    r2 = await client.get(f"{gw}/both")
    assert r2.status_code == 200
    spans = await received.wait_for_spans(2 * 6)  # server, proxy, 2 x (backend, client)
    by_trace: dict[bytes, list[Any]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    assert len(by_trace) == 2  # one trace per request
    ours = by_trace[bytes.fromhex(TRACE_ID)]  # the client's traceparent was continued
    # each request's access-log record names its trace
    logged = [vars(r)["trace_id"] for r in caplog.records if r.name == "trio_gateway.access"]
    assert sorted(logged) == sorted(trace.hex() for trace in by_trace)
    assert logged[0] == TRACE_ID
    names = sorted((s.name, s.kind) for s in ours)
    assert names == sorted(
        [
            ("/both", 2),  # SPAN_KIND_SERVER
            ("/both", 1),  # the proxy stage (INTERNAL)
            ("/param_forwarding/a", 1),
            ("/param_forwarding/b", 1),
            ("/param_forwarding/a", 3),  # SPAN_KIND_CLIENT
            ("/param_forwarding/b", 3),
        ]
    )
    by_id = {s.span_id: s for s in ours}
    server = next(s for s in ours if s.kind == 2)
    assert server.parent_span_id == bytes.fromhex("b7ad6b7169203331")
    proxy = next(s for s in ours if s.kind == 1 and s.name == "/both")
    assert proxy.parent_span_id == server.span_id
    for client_span in (s for s in ours if s.kind == 3):
        stage = by_id[client_span.parent_span_id]  # run in a merge task, still the child
        assert stage.name == client_span.name and stage.parent_span_id == proxy.span_id
    # each backend got a traceparent naming its own client span, in the client's trace
    clients = {s.name: s for s in ours if s.kind == 3}
    for group, header in zip(("a", "b"), seen, strict=True):
        assert len(header) == 1
        version, trace_id, parent, flags = header[0].split("-")
        assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
        assert bytes.fromhex(parent) == clients[f"/param_forwarding/{group}"].span_id
    host = backend_url.removeprefix("http://")
    for client_span in clients.values():
        got = {a.key: a.value for a in client_span.attributes}
        assert got["url.full"].string_value == f"{backend_url}{client_span.name}"
        assert got["server.address"].string_value == host
        assert got["http.request.method"].string_value == "GET"
        assert got["http.request.body.size"].int_value == 0
        # input_headers "*": the client's User-Agent is what the backend got
        assert got["user_agent.original"].string_value == client.headers["user-agent"]
        assert got["http.response.status_code"].int_value == 200
        assert got["http.response.body.size"].int_value > 0
        assert got["response-duration"].double_value > 0
        assert got["krakend.stage"].string_value == "backend-request"
    for stage in (s for s in ours if s.kind == 1):
        got = {a.key: a.value for a in stage.attributes}
        assert got["http.response.status_code"].int_value == 200
        assert got["complete"].bool_value is True
    attributes = {a.key: a.value for a in server.attributes}
    assert attributes["krakend.stage"].string_value == "global"
    assert attributes["http.route"].string_value == "/both"
    assert attributes["http.response.status_code"].int_value == 200


async def test_an_unreachable_collector_costs_spans_not_requests(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    dead = free_port()  # nothing listens there
    otlp = {"name": "dead", "host": "127.0.0.1", "port": dead, "use_http": True}
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "extra_config": _otel(exporters={"otlp": [otlp]}, metric_reporting_period=1),
            "endpoints": [{"endpoint": "/u", "backend": [{"url_pattern": "/json/user"}]}],
        }
    )
    for _ in range(20):
        assert (await client.get(f"{gw}/u")).status_code == 200
    await trio.sleep(0.3)  # exports are attempted (and fail) meanwhile
    assert (await client.get(f"{gw}/u")).status_code == 200


async def test_skip_paths_and_switched_off_layers(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient, nursery: trio.Nursery
) -> None:
    collector_port, received = await start_collector(nursery)
    port = free_port()
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "extra_config": _otel(
                skip_paths=["/skipped", "/templated/{id}"],
                layers={"backend": {"traces": {"disable_stage": True, "round_trip": True}}},
                exporters={
                    "prometheus": [{"name": "p", "port": port, "host": "127.0.0.1"}],
                    "otlp": [
                        {
                            "name": "o",
                            "host": "127.0.0.1",
                            "port": collector_port,
                            "use_http": True,
                            "disable_metrics": True,
                        }
                    ],
                },
            ),
            "endpoints": [
                {"endpoint": "/skipped", "backend": [{"url_pattern": "/json/user"}]},
                {"endpoint": "/templated/{id}", "backend": [{"url_pattern": "/json/user"}]},
                {"endpoint": "/seen", "backend": [{"url_pattern": "/param_forwarding/s"}]},
            ],
        }
    )
    assert (await client.get(f"{gw}/skipped")).status_code == 200
    # an endpoint in skip_paths is instrumented only by the global stage, which does not
    # learn its route (krakend-otel's otelgin skips it): the status names it
    assert (await client.get(f"{gw}/templated/1")).status_code == 200
    r = await client.get(f"{gw}/seen")
    assert "Traceparent" in r.json()["headers"]  # the client span still propagates
    # skipped by default, but skip_paths replaces the defaults (krakend-otel)
    assert (await client.get(f"{gw}/__health")).status_code == 200
    names = sorted(s.name for s in await received.wait_for_spans(5))
    # no backend stage; the request path names the SERVER span
    assert names == ["/__health", "/param_forwarding/s", "/seen", "/seen", "/templated/1"]
    samples = await _scrape(client, port)
    routes = {lab.get("http_route") for n, lab, _ in samples if n.startswith("http_server")}
    assert routes == {"/seen", "200 OK"}  # no route matched: the status names it
    assert received.metrics == []  # disable_metrics on the OTLP exporter


async def test_concurrent_calls_and_a_shadow_backend_keep_their_parents(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient, nursery: trio.Nursery
) -> None:
    collector_port, received = await start_collector(nursery)
    otlp = {"name": "local", "host": "127.0.0.1", "port": collector_port, "use_http": True}
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "extra_config": _otel(exporters={"otlp": [otlp]}, metric_reporting_period=3600),
            "endpoints": [
                {
                    "endpoint": "/twice",
                    "concurrent_calls": 2,
                    "backend": [
                        {"url_pattern": "/param_forwarding/main"},
                        {
                            "url_pattern": "/param_forwarding/shadow",
                            "extra_config": {"proxy": {"shadow": True}},
                        },
                    ],
                }
            ],
        }
    )
    assert (await client.get(f"{gw}/twice")).status_code == 200
    # server, proxy, and for each backend its stage and 2 clients (lura's concurrent middleware
    # is in every backend's stack, the shadow's too)
    spans = await received.wait_for_spans(8)
    assert len({s.trace_id for s in spans}) == 1
    by_id = {s.span_id: s for s in spans}
    proxy = next(s for s in spans if s.kind == 1 and s.name == "/twice")
    stages = {s.name: s for s in spans if s.kind == 1 and s.name != "/twice"}
    assert set(stages) == {"/param_forwarding/main", "/param_forwarding/shadow"}
    for stage in stages.values():
        # the shadow's too: lura's shadow proxy keeps the ctx's values (newContextWrapper)
        assert stage.parent_span_id == proxy.span_id
    clients = [s for s in spans if s.kind == 3]
    assert sorted(s.name for s in clients) == [
        "/param_forwarding/main",
        "/param_forwarding/main",
        "/param_forwarding/shadow",
        "/param_forwarding/shadow",
    ]
    for span in clients:  # each attempt of concurrent_calls is a child of its stage
        assert by_id[span.parent_span_id] is stages[span.name]


async def test_spans_and_metrics_go_gzipped_when_the_environment_asks(
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    nursery: trio.Nursery,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # OTEL_EXPORTER_OTLP_COMPRESSION, as the OpenTelemetry SDKs (KrakenD's Go one too) read it
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
    collector_port, received = await start_collector(nursery)
    otlp = {"name": "local", "host": "127.0.0.1", "port": collector_port, "use_http": True}
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "extra_config": _otel(exporters={"otlp": [otlp]}, metric_reporting_period=1),
            "endpoints": [{"endpoint": "/u", "backend": [{"url_pattern": "/json/user"}]}],
        }
    )
    assert (await client.get(f"{gw}/u")).status_code == 200
    names = sorted(s.name for s in await received.wait_for_spans(4))
    assert names == ["/json/user", "/json/user", "/u", "/u"]
    with trio.fail_after(10):
        while not received.metrics:
            received.arrived = trio.Event()
            await received.arrived.wait()
    assert ("/v1/traces", "gzip") in received.encodings
    assert ("/v1/metrics", "gzip") in received.encodings
    assert all(encoding == "gzip" for _, encoding in received.encodings)


async def test_report_headers_on_every_layer_names_them_all_but_the_skipped(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient, nursery: trio.Nursery
) -> None:
    collector_port, received = await start_collector(nursery)
    otlp = {"name": "local", "host": "127.0.0.1", "port": collector_port, "use_http": True}
    report = {"report_headers": True, "skip_headers": ["X-Secret"]}
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "extra_config": _otel(
                exporters={"otlp": [otlp]},
                metric_reporting_period=3600,
                layers={
                    "global": report,
                    "proxy": report,
                    "backend": {"traces": {"round_trip": True, **report}},
                },
            ),
            "endpoints": [
                {
                    "endpoint": "/h",
                    "input_headers": ["X-Wanted", "X-Secret"],
                    "backend": [{"url_pattern": "/json/user"}],
                }
            ],
        }
    )
    sent = {"X-Wanted": "yes", "X-Secret": "hidden"}
    assert (await client.get(f"{gw}/h", headers=sent)).status_code == 200
    spans = await received.wait_for_spans(4)
    by_kind: dict[tuple[str, int], dict[str, Any]] = {}
    for span in spans:
        by_kind[(span.name, span.kind)] = {a.key: a.value for a in span.attributes}
    for key in (("/h", 2), ("/h", 1), ("/json/user", 1), ("/json/user", 3)):
        attributes = by_kind[key]
        # each stage saw the request's headers, but not the skipped one
        wanted = attributes["http.request.header.x-wanted"]
        assert [v.string_value for v in wanted.array_value.values] == ["yes"], key
        assert "http.request.header.x-secret" not in attributes, key
    # the answers' headers: the client's and the backend's (a JSON backend's parsed response
    # carries none through lura's stages: proxy/http_response.go keeps only the data)
    for key in (("/h", 2), ("/json/user", 3)):
        assert "http.response.header.content-type" in by_kind[key], key


async def test_a_hanging_collector_holds_up_neither_requests_nor_the_other_collector(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient, nursery: trio.Nursery
) -> None:
    # a collector that accepts connections and never answers
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    hung: list[trio.SocketStream] = []

    async def hold(stream: trio.SocketStream) -> None:
        hung.append(stream)
        await trio.sleep_forever()

    nursery.start_soon(trio.serve_listeners, hold, [listener])
    hanging_port = listener.socket.getsockname()[1]
    collector_port, received = await start_collector(nursery)
    exporters = [
        {"name": "hangs", "host": "127.0.0.1", "port": hanging_port, "use_http": True},
        {"name": "works", "host": "127.0.0.1", "port": collector_port, "use_http": True},
    ]
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "extra_config": _otel(exporters={"otlp": exporters}, metric_reporting_period=3600),
            "endpoints": [{"endpoint": "/u", "backend": [{"url_pattern": "/json/user"}]}],
        }
    )
    with trio.fail_after(3):  # well within the 5 s export timeout the hanging POST waits
        for _ in range(3):
            assert (await client.get(f"{gw}/u")).status_code == 200
        spans = await received.wait_for_spans(3 * 4)
    assert len({s.trace_id for s in spans}) == 3
    assert hung  # the hanging collector was sent its batch too
