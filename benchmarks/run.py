"""The project's own benchmark: wrk against the gateway against nginx backends, all on loopback.

Scenarios (one gateway process, or `--workers N`):
  b1 / b3 / b10      1, 3, 10 backends merged (groups), small JSON each
  size-1k/20k/200k   one backend, a 1 KB / 20 KB / 200 KB JSON document decoded and re-encoded
  sequential         a 3-step sequential chain ({resp0_id} in the next URL)
  noop               `no-op` passthrough of the 20 KB document
  b3-metrics         b3 with `telemetry/opentelemetry` metrics (a Prometheus exporter, all layers)
  b3-traced          b3 with every request traced (trace_sample_rate 1, OTLP/HTTP to nginx)
  b3-stats           b3 with `telemetry/metrics` (krakend-metrics, every layer counted)
  stats              `GET /__stats` on the `telemetry/metrics` listener
  b1-ratelimit / b1-redis   b1 under `qos/ratelimit/router`, in process / in a local redis-server
  b1-proxy-limit / b1-proxy-redis   b1 under `qos/ratelimit/proxy`, in process / in Redis
  b1-cached-redis    b1-cached with the `qos/http-cache` entries in the local redis-server
  b1-<layer>         b1 behind one layer: ratelimit, breaker, cached, graphql (a query with a
                     URL variable), martian (a fifo.Group of
                     3 modifiers), jsonschema (a POSTed
                     body validated; b1-post is the same POST without it), cel (endpoint and
                     backend checks), lua (a modifier/lua-proxy pre and post script)
Each scenario gets a 2 s warm-up at full load, then is measured: req/s, p50/p99 latency, the
gateway's CPU time per request (steadier than req/s on a shared machine) and its RSS. Then: the
cost of each additional backend call (least-squares fits over b1/b3/b10, of 1/throughput and of
CPU per request), throughput of b3 as connections go from 16 to 512, and with `--soak S` the
gateway's RSS sampled every 10 s over S seconds of full load on b3.

Usage (from the repository root, after the README's install; needs wrk and nginx, which it
installs with apt-get when missing and run as root; redis-server too, for b1-redis):
    .venv/bin/python benchmarks/run.py [--duration 8] [--workers 1] [--only b1,b3] [--soak 300]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

NGINX_PORT = 19201
GATEWAY_PORT = 18201
STATS_PORT = 18290  # telemetry/metrics' listener
PROMETHEUS_PORT = 19301
REDIS_PORT = 19302

SMALL = {"id": 42, "name": "Alice", "email": "a@example.com", "active": True}


def document(size: int) -> dict[str, object]:
    """A JSON object of about `size` bytes: a list of small records."""
    record = {"id": 1, "title": "some title", "tags": ["a", "b"], "score": 12.5}
    count = max(1, size // len(json.dumps(record)))
    return {"items": [dict(record, id=i) for i in range(count)], "count": count}


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx_error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy; fastcgi_temp_path {dir}/fcgi;
  uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port};
    default_type application/json;
    location /small/ {{ return 200 '{small}'; }}
    location /doc/ {{ alias {dir}/docs/; }}
    location /cached/ {{ add_header Cache-Control "max-age=3600"; return 200 '{small}'; }}
    # an OTLP/HTTP sink: an empty body is an empty Export*ServiceResponse
    location /v1/ {{ default_type application/x-protobuf; return 200 ''; }}
  }}
}}
"""


# The gateways a scenario can need: plain, or with one telemetry set-up (its extra_config).
TELEMETRY: dict[str, dict[str, object]] = {
    "plain": {},
    "stats": {"telemetry/metrics": {"listen_address": f"127.0.0.1:{STATS_PORT}"}},
    "metrics": {
        "telemetry/opentelemetry": {
            "exporters": {
                "prometheus": [{"name": "bench", "port": PROMETHEUS_PORT, "listen_ip": "127.0.0.1"}]
            }
        }
    },
    "traced": {
        "telemetry/opentelemetry": {
            "trace_sample_rate": 1,
            "exporters": {
                "otlp": [
                    {
                        "name": "sink",
                        "host": "127.0.0.1",
                        "port": NGINX_PORT,
                        "use_http": True,
                        "disable_metrics": True,
                    }
                ]
            },
        }
    },
}


def gateway_config(telemetry: str = "plain") -> dict[str, object]:
    host = [f"http://127.0.0.1:{NGINX_PORT}"]

    def fan(n: int) -> list[dict[str, object]]:
        return [{"url_pattern": f"/small/{{id}}?b={i}", "group": f"g{i}"} for i in range(n)]

    endpoints: list[dict[str, object]] = [
        {"endpoint": f"/b{n}/{{id}}", "backend": fan(n)} for n in (1, 3, 10)
    ]
    for name in ("1k", "20k", "200k"):
        endpoints.append(
            {"endpoint": f"/size-{name}", "backend": [{"url_pattern": f"/doc/{name}.json"}]}
        )
    endpoints.append(
        {
            "endpoint": "/sequential/{id}",
            "extra_config": {"proxy": {"sequential": True}},
            "backend": [
                {"url_pattern": "/small/{id}", "group": "first"},
                {"url_pattern": "/small/{resp0_first.id}?step=2", "group": "second"},
                {"url_pattern": "/small/{resp1_second.id}?step=3", "group": "third"},
            ],
        }
    )
    # The same one-backend call with each QoS layer, to measure what a layer costs. The limits
    # are far above what the benchmark reaches, so nothing is rejected.
    small = {"url_pattern": "/small/{id}?b=0", "group": "g0"}
    endpoints += [
        {
            "endpoint": "/limited/{id}",
            "extra_config": {
                "qos/ratelimit/router": {
                    "max_rate": 1e6,
                    "client_max_rate": 1e6,
                    "strategy": "ip",
                }
            },
            "backend": [small],
        },
        {
            # The same limits in Redis: one EVALSHA round trip per request (qos/redis_bucket.py).
            "endpoint": "/limited-redis/{id}",
            "extra_config": {
                "qos/ratelimit/router/redis": {
                    "connection_name": "bench",
                    "max_rate": 1e6,
                    "client_max_rate": 1e6,
                    "strategy": "ip",
                }
            },
            "backend": [small],
        },
        {
            "endpoint": "/breaker/{id}",
            "backend": [
                {
                    **small,
                    "extra_config": {
                        "qos/circuit-breaker": {"interval": 60, "timeout": 10, "max_errors": 5}
                    },
                }
            ],
        },
        {
            "endpoint": "/cached/{id}",
            "backend": [
                {
                    "url_pattern": "/cached/{id}",
                    "group": "g0",
                    "extra_config": {"qos/http-cache": {"max_items": 1000, "max_size": 1_000_000}},
                }
            ],
        },
        {
            # The same cache with its entries in Redis: one GET+PTTL script per request.
            "endpoint": "/cached-redis/{id}",
            "backend": [
                {
                    "url_pattern": "/cached/{id}",
                    "group": "g0",
                    "extra_config": {
                        "qos/http-cache": {
                            "max_items": 1000,
                            "max_size": 1_000_000,
                            "connection_name": "bench",
                        }
                    },
                }
            ],
        },
        {
            "endpoint": "/limited-proxy/{id}",
            "backend": [{**small, "extra_config": {"qos/ratelimit/proxy": {"max_rate": 1e6}}}],
        },
        {
            # The backend limit in Redis: one EVALSHA per backend call (ratelimit_proxy_redis.py).
            "endpoint": "/limited-proxy-redis/{id}",
            "backend": [
                {
                    **small,
                    "extra_config": {
                        "qos/ratelimit/proxy/redis": {"connection_name": "bench", "max_rate": 1e6}
                    },
                }
            ],
        },
    ]
    # The same call behind each validation namespace: a JSON schema on a POSTed body (every
    # request valid) and CEL checks before the call (endpoint) and on the answer (backend).
    endpoints += [
        {"endpoint": "/post/{id}", "method": "POST", "backend": [small]},  # the baseline
        {
            "endpoint": "/jsonschema/{id}",
            "method": "POST",
            "extra_config": {"validation/json-schema": JSONSCHEMA},
            "backend": [small],
        },
        {
            "endpoint": "/cel/{id}",
            "extra_config": {
                "validation/cel": [{"check_expr": "req_method == 'GET' && int(req_params.Id) > 0"}]
            },
            "backend": [
                {
                    **small,
                    "extra_config": {"validation/cel": [{"check_expr": "resp_data.g0.id == 42"}]},
                }
            ],
        },
    ]
    # A typical martian block: three request modifiers in a fifo.Group.
    martian = {
        "fifo.Group": {
            "scope": ["request", "response"],
            "modifiers": [
                {"header.Modifier": {"scope": ["request"], "name": "X-Martian", "value": "1"}},
                {"header.Append": {"scope": ["request"], "name": "X-Tenant", "value": "acme"}},
                {"querystring.Modifier": {"scope": ["request"], "name": "src", "value": "gw"}},
            ],
        }
    }
    endpoints.append(
        {
            "endpoint": "/martian/{id}",
            "backend": [{**small, "extra_config": {"modifier/martian": martian}}],
        }
    )
    # A lua-proxy pre + post script (krakend-lua): a header from a param, a field in the data.
    lua = {
        "pre": 'local r = request.load()\nr:headers("X-Lua", r:params("Id"))',
        "post": 'local d = response.load():data()\nd:set("lua", true)',
    }
    endpoints.append(
        {
            "endpoint": "/lua/{id}",
            "extra_config": {"modifier/lua-proxy": lua},
            "backend": [small],
        }
    )
    # A GraphQL query with a variable from the URL (lura's GraphQL middleware: a POSTed JSON body).
    graphql = {
        "type": "query",
        "query": "query user($id: ID!) { user(id: $id) { id name } }",
        "variables": {"id": "{id}"},
    }
    endpoints.append(
        {
            "endpoint": "/graphql/{id}",
            "backend": [{**small, "extra_config": {"backend/graphql": graphql}}],
        }
    )
    endpoints.append(
        {
            "endpoint": "/noop",
            "output_encoding": "no-op",
            "backend": [{"url_pattern": "/doc/20k.json"}],
        }
    )
    config: dict[str, object] = {
        "version": 3,
        "port": GATEWAY_PORT,
        "timeout": "5s",
        "host": host,
        "endpoints": endpoints,
        "extra_config": {
            "redis": {
                "connection_pools": [{"name": "bench", "address": f"127.0.0.1:{REDIS_PORT}"}]
            },
            # gin's access line per request (KrakenD's default) goes to stdout, which here is the
            # terminal: off, so the figures stay those of the request path (docs/performance.md).
            "router": {"disable_access_log": True},
        },
    }
    config["extra_config"] = {**config["extra_config"], **TELEMETRY[telemetry]}  # type: ignore[dict-item]
    return config


JSONSCHEMA = {
    "type": "object",
    "required": ["id", "name", "email"],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "email": {"type": "string", "pattern": "^[^@]+@[^@]+$"},
        "active": {"type": "boolean"},
    },
}

# Scenarios sent as POST with this body (wrk's Lua `wrk.body`); the others are GETs.
POST_BODIES = {"b1-post": json.dumps(SMALL), "b1-jsonschema": json.dumps(SMALL)}

SCENARIOS = {
    "b1": "/b1/1",
    "b3": "/b3/1",
    "b10": "/b10/1",
    "size-1k": "/size-1k",
    "size-20k": "/size-20k",
    "size-200k": "/size-200k",
    "sequential": "/sequential/1",
    "noop": "/noop",
    "b1-ratelimit": "/limited/1",
    "b1-redis": "/limited-redis/1",
    "b1-breaker": "/breaker/1",
    "b1-cached": "/cached/1",
    "b1-cached-redis": "/cached-redis/1",
    "b1-proxy-limit": "/limited-proxy/1",
    "b1-proxy-redis": "/limited-proxy-redis/1",
    "b3-metrics": "/b3/1",
    "b3-traced": "/b3/1",
    "b3-stats": "/b3/1",
    "stats": f"http://127.0.0.1:{STATS_PORT}/__stats",
    "b1-post": "/post/1",
    "b1-jsonschema": "/jsonschema/1",
    "b1-cel": "/cel/1",
    "b1-martian": "/martian/1",
    "b1-graphql": "/graphql/1",
    "b1-lua": "/lua/1",
}
# Scenarios served by a gateway with telemetry (the others by the plain one).
VARIANT = {"b3-metrics": "metrics", "b3-traced": "traced", "b3-stats": "stats", "stats": "stats"}


def ensure_tools() -> None:
    missing = [
        tool
        for tool in ("wrk", "nginx", "redis-server")
        if shutil.which(tool) is None
        and not Path(f"/usr/sbin/{tool}").exists()
        and not Path(f"/usr/bin/{tool}").exists()
    ]
    if missing:
        print(f"installing {missing} with apt-get", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True)


def start_nginx(prefix: str, port: int = NGINX_PORT) -> tuple[Path, subprocess.Popen[bytes]]:
    """nginx on `port` in a fresh working directory (NGINX_CONF: the small JSON document, the
    documents of `document()`, the OTLP sink), answering once it returns."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    work.chmod(0o755)  # nginx's worker runs as nobody and serves the documents from here
    (work / "docs").mkdir(mode=0o755)
    for name, size in (("1k", 1_000), ("20k", 20_000), ("200k", 200_000)):
        (work / "docs" / f"{name}.json").write_text(json.dumps(document(size)))
    (work / "nginx.conf").write_text(
        NGINX_CONF.format(dir=work, port=port, small=json.dumps(SMALL))
    )
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    nginx = subprocess.Popen([binary, "-c", str(work / "nginx.conf"), "-p", str(work)])
    wait_for(f"http://127.0.0.1:{port}/small/1")
    return work, nginx


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _family(pid: int) -> list[int]:
    """`pid` and its children (the workers of `run --workers N`)."""
    return [pid] + [
        int(p)
        for p in subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True
        ).stdout.split()
    ]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by `pid` and its children."""
    ticks = 0
    for p in _family(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """RSS of `pid` and its children (workers), MiB."""
    total = 0
    for p in _family(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def wrk(path: str, duration: int, connections: int, body: str | None = None) -> dict[str, float]:
    script: list[str] = []
    if body is not None:
        lua = Path(tempfile.mkdtemp(prefix="gw-wrk-")) / "post.lua"
        lua.write_text(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = {json.dumps(body)}\n"
        )
        script = ["-s", str(lua)]
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            *script,
            path if path.startswith("http") else f"http://127.0.0.1:{GATEWAY_PORT}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if not found:
            return float("nan")
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    count = re.search(r"(\d+) requests in", out)
    return {
        "requests": float(count.group(1)) if count else 0.0,
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50": ms("50"),
        "p99": ms("99"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def measured(
    path: str, duration: int, connections: int, pid: int, body: str | None = None
) -> dict[str, float]:
    """wrk's figures plus the gateway's CPU time per request, in µs.

    CPU per request is the steadier figure on a shared machine: it does not count the time the
    process waited for a CPU that a neighbour was using."""
    before = cpu_seconds(pid)
    figures = wrk(path, duration, connections, body)
    used = cpu_seconds(pid) - before
    figures["cpu_us"] = used / figures["requests"] * 1e6 if figures["requests"] else float("nan")
    return figures


def _row(figures: dict[str, float]) -> str:
    return (
        f"{figures['rps']:8.0f} {figures['p50']:8.2f} {figures['p99']:8.2f}"
        f" {figures['cpu_us']:10.0f}"
    )


def fit_slope(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument(
        "--soak", type=int, default=0, help="seconds of soak on b3 (RSS every 10 s)"
    )
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    ensure_tools()
    work, nginx = start_nginx("gw-own-bench-")
    for variant in TELEMETRY:
        (work / f"gateway-{variant}.json").write_text(json.dumps(gateway_config(variant)))
    redis = subprocess.Popen(
        [
            shutil.which("redis-server") or "/usr/bin/redis-server",
            "--port",
            str(REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )

    def start_gateway(variant: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "trio_gateway", "run"]
        command += ["-c", str(work / f"gateway-{variant}.json"), "--log-level", "WARNING"]
        command += ["--workers", str(args.workers)]
        started = subprocess.Popen(command, env=dict(os.environ))
        wait_for(f"http://127.0.0.1:{GATEWAY_PORT}/__health")
        return started

    def stop_gateway(running: subprocess.Popen[bytes]) -> None:
        running.send_signal(signal.SIGTERM)
        running.wait(timeout=30)

    results: dict[str, object] = {"workers": args.workers, "duration": args.duration}
    gateway: subprocess.Popen[bytes] | None = None
    serving = ""
    try:
        names = args.only.split(",") if args.only else list(SCENARIOS)
        print(
            f"{'scenario':12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs/req':>10}"
            f" {'RSS MiB':>8}",
            flush=True,
        )
        # plain scenarios first, then each telemetry variant on its own gateway
        for name in sorted(names, key=lambda n: list(TELEMETRY).index(VARIANT.get(n, "plain"))):
            variant = VARIANT.get(name, "plain")
            if gateway is None or serving != variant:
                if gateway is not None:
                    stop_gateway(gateway)
                gateway, serving = start_gateway(variant), variant
            path = SCENARIOS[name]
            body = POST_BODIES.get(name)
            urllib.request.urlopen(
                urllib.request.Request(
                    path if path.startswith("http") else f"http://127.0.0.1:{GATEWAY_PORT}{path}",
                    data=None if body is None else body.encode(),
                    method="GET" if body is None else "POST",
                )
            ).read()
            # Warm-up at full load, as compare.py does: the backend pools fill up to the
            # concurrency of the run before anything is measured.
            wrk(path, 2, args.connections, body)
            figures = measured(path, args.duration, args.connections, gateway.pid, body)
            figures["rss"] = rss_mib(gateway.pid)
            results[name] = figures
            print(f"{name:12} {_row(figures)} {figures['rss']:8.1f}", flush=True)
        for name in ("b3-metrics", "b3-traced", "b3-stats"):
            if name in results and "b3" in results:
                base, with_ = results["b3"], results[name]
                cost = 1 - float(with_["rps"]) / float(base["rps"])  # type: ignore[index]
                cpu = float(with_["cpu_us"]) - float(base["cpu_us"])  # type: ignore[index]
                results[f"{name}-cost"] = cost
                print(f"{name}: {cost:.1%} of b3's throughput, {cpu:+.0f} µs CPU per request")
        if (not args.only or args.soak) and (gateway is None or serving != "plain"):
            if gateway is not None:
                stop_gateway(gateway)
            gateway, serving = start_gateway("plain"), "plain"
        if all(n in results for n in ("b1", "b3", "b10")):
            rates = [float(results[n]["rps"]) for n in ("b1", "b3", "b10")]  # type: ignore[index]
            per_request_us = [1e6 / rate * args.workers for rate in rates]
            slope = fit_slope([1, 3, 10], per_request_us)
            results["us_per_backend"] = slope
            print(f"each additional backend call: {slope:.0f} µs of gateway time (fit over 1/3/10)")
            cpus = [float(results[n]["cpu_us"]) for n in ("b1", "b3", "b10")]  # type: ignore[index]
            cpu_slope = fit_slope([1, 3, 10], cpus)
            results["cpu_us_per_backend"] = cpu_slope
            print(f"each additional backend call: {cpu_slope:.0f} µs of gateway CPU (same fit)")
        if not args.only and gateway is not None:
            print("b3 by connections:", flush=True)
            for connections in (16, 64, 256, 512):
                figures = measured(SCENARIOS["b3"], args.duration, connections, gateway.pid)
                results[f"b3-c{connections}"] = figures
                print(f"  c={connections:<8} {_row(figures)}", flush=True)
        if args.soak and gateway is not None:
            samples = []
            soak = subprocess.Popen(
                ["wrk", "-t1", "-c64", f"-d{args.soak}s", f"http://127.0.0.1:{GATEWAY_PORT}/b3/1"],
                stdout=subprocess.DEVNULL,
            )
            for _ in range(max(1, args.soak // 10)):
                time.sleep(10)
                samples.append(round(rss_mib(gateway.pid), 1))
                print(f"  soak RSS {samples[-1]} MiB", flush=True)
            soak.wait()
            results["soak_rss"] = samples
    finally:
        if gateway is not None:
            stop_gateway(gateway)
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
        redis.terminate()
        redis.wait(timeout=10)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    socket.setdefaulttimeout(10)
    main()
