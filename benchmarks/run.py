"""The project's own benchmark: wrk against the gateway against nginx backends, all on loopback.

Scenarios (one gateway process, or `--workers N`):
  b1 / b3 / b10      1, 3, 10 backends merged (groups), small JSON each
  size-1k/20k/200k   one backend, a 1 KB / 20 KB / 200 KB JSON document decoded and re-encoded
  sequential         a 3-step sequential chain ({resp0_id} in the next URL)
  noop               `no-op` passthrough of the 20 KB document
  b1-ratelimit/-breaker/-cached/-martian   b1 with one layer (a fifo.Group of 3 martian modifiers)
Each scenario gets a 2 s warm-up at full load, then is measured: req/s, p50/p99 latency, the
gateway's CPU time per request (steadier than req/s on a shared machine) and its RSS. Then: the
cost of each additional backend call (least-squares fits over b1/b3/b10, of 1/throughput and of
CPU per request), throughput of b3 as connections go from 16 to 512, and with `--soak S` the
gateway's RSS sampled every 10 s over S seconds of full load on b3.

Usage (from the repository root, after the README's install; needs wrk and nginx, which it
installs with apt-get when missing and run as root):
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
  }}
}}
"""


def gateway_config() -> dict[str, object]:
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
    endpoints.append(
        {
            "endpoint": "/noop",
            "output_encoding": "no-op",
            "backend": [{"url_pattern": "/doc/20k.json"}],
        }
    )
    return {
        "version": 3,
        "port": GATEWAY_PORT,
        "timeout": "5s",
        "host": host,
        "endpoints": endpoints,
    }


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
    "b1-breaker": "/breaker/1",
    "b1-cached": "/cached/1",
    "b1-martian": "/martian/1",
}


def ensure_tools() -> None:
    missing = [
        tool
        for tool in ("wrk", "nginx")
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists()
    ]
    if missing:
        print(f"installing {missing} with apt-get", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True)


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


def wrk(path: str, duration: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            f"http://127.0.0.1:{GATEWAY_PORT}{path}",
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


def measured(path: str, duration: int, connections: int, pid: int) -> dict[str, float]:
    """wrk's figures plus the gateway's CPU time per request, in µs.

    CPU per request is the steadier figure on a shared machine: it does not count the time the
    process waited for a CPU that a neighbour was using."""
    before = cpu_seconds(pid)
    figures = wrk(path, duration, connections)
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
    work = Path(tempfile.mkdtemp(prefix="gw-own-bench-"))
    work.chmod(0o755)  # nginx's worker runs as nobody and serves the documents from here
    (work / "docs").mkdir(mode=0o755)
    for name, size in (("1k", 1_000), ("20k", 20_000), ("200k", 200_000)):
        (work / "docs" / f"{name}.json").write_text(json.dumps(document(size)))
    (work / "nginx.conf").write_text(
        NGINX_CONF.format(dir=work, port=NGINX_PORT, small=json.dumps(SMALL))
    )
    (work / "gateway.json").write_text(json.dumps(gateway_config()))
    nginx = subprocess.Popen(
        [
            shutil.which("nginx") or "/usr/sbin/nginx",
            "-c",
            str(work / "nginx.conf"),
            "-p",
            str(work),
        ]
    )
    gateway = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trio_gateway",
            "run",
            "-c",
            str(work / "gateway.json"),
            "--log-level",
            "WARNING",
            "--workers",
            str(args.workers),
        ],
        env=dict(os.environ),
    )
    results: dict[str, object] = {"workers": args.workers, "duration": args.duration}
    try:
        wait_for(f"http://127.0.0.1:{GATEWAY_PORT}/__health")
        names = args.only.split(",") if args.only else list(SCENARIOS)
        print(
            f"{'scenario':12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs/req':>10}"
            f" {'RSS MiB':>8}",
            flush=True,
        )
        for name in names:
            path = SCENARIOS[name]
            urllib.request.urlopen(f"http://127.0.0.1:{GATEWAY_PORT}{path}").read()
            # Warm-up at full load, as compare.py does: the backend pools fill up to the
            # concurrency of the run before anything is measured.
            wrk(path, 2, args.connections)
            figures = measured(path, args.duration, args.connections, gateway.pid)
            figures["rss"] = rss_mib(gateway.pid)
            results[name] = figures
            print(f"{name:12} {_row(figures)} {figures['rss']:8.1f}", flush=True)
        if all(n in results for n in ("b1", "b3", "b10")):
            rates = [float(results[n]["rps"]) for n in ("b1", "b3", "b10")]  # type: ignore[index]
            per_request_us = [1e6 / rate * args.workers for rate in rates]
            slope = fit_slope([1, 3, 10], per_request_us)
            results["us_per_backend"] = slope
            print(f"each additional backend call: {slope:.0f} µs of gateway time (fit over 1/3/10)")
            cpu = [float(results[n]["cpu_us"]) for n in ("b1", "b3", "b10")]  # type: ignore[index]
            cpu_slope = fit_slope([1, 3, 10], cpu)
            results["cpu_us_per_backend"] = cpu_slope
            print(f"each additional backend call: {cpu_slope:.0f} µs of gateway CPU (same fit)")
        if not args.only:
            print("b3 by connections:", flush=True)
            for connections in (16, 64, 256, 512):
                figures = measured(SCENARIOS["b3"], args.duration, connections, gateway.pid)
                results[f"b3-c{connections}"] = figures
                print(f"  c={connections:<8} {_row(figures)}", flush=True)
        if args.soak:
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
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(timeout=30)
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    socket.setdefaulttimeout(10)
    main()
