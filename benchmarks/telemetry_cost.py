"""What telemetry costs b3's throughput, through the real server: rounds that alternate.

`benchmarks/run.py` measures b3, b3-metrics and b3-traced one after the other, each once; on a
shared machine the load of the minute moves each figure by ±10 %, more than what is measured.
Here three gateways run side by side (plain; `telemetry/opentelemetry` metrics with a Prometheus
exporter on every layer; every request traced to an OTLP/HTTP sink), against the same nginx
backends, and wrk loads them in turn, round after round: each round gives each gateway the same
minute of the machine. The figure is the median over the rounds of each gateway's throughput
against the plain one's in the same round, and of its CPU time per request.

Usage (from the repository root; needs wrk and nginx, which run.py installs when missing):
    .venv/bin/python benchmarks/telemetry_cost.py [--rounds 7] [--duration 5]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from run import cpu_seconds, ensure_tools, gateway_config, start_nginx, wait_for, wrk

VARIANTS = {"plain": 18401, "metrics": 18402, "traced": 18403}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    ensure_tools()
    work, nginx = start_nginx("gw-otel-cost-")
    processes = [nginx]
    gateways: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, port in VARIANTS.items():
            config = gateway_config(name)
            endpoints = config["endpoints"]
            assert isinstance(endpoints, list)
            extra = config["extra_config"]
            assert isinstance(extra, dict)
            extra.pop("redis")  # only b3 here: no Redis to start
            config["endpoints"] = [e for e in endpoints if e["endpoint"] == "/b3/{id}"]
            config["port"] = port
            path = work / f"{name}.json"
            path.write_text(json.dumps(config))
            command = [sys.executable, "-m", "trio_gateway", "run", "-c", str(path)]
            gateways[name] = subprocess.Popen(
                [*command, "--log-level", "WARNING"], env=dict(os.environ)
            )
            processes.append(gateways[name])
            wait_for(f"http://127.0.0.1:{port}/__health")
        urls = {name: f"http://127.0.0.1:{port}/b3/1" for name, port in VARIANTS.items()}
        for url in urls.values():  # warm-up: pools filled, caches made
            wrk(url, 2, args.connections)
        ratios: dict[str, list[float]] = {"metrics": [], "traced": []}
        cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for number in range(1, args.rounds + 1):
            rates: dict[str, float] = {}
            for name, url in urls.items():
                pid = gateways[name].pid
                before = cpu_seconds(pid)
                figures = wrk(url, args.duration, args.connections)
                used = cpu_seconds(pid) - before
                rates[name] = figures["rps"]
                cpu[name].append(used / max(figures["requests"], 1.0) * 1e6)
            for name in ratios:
                ratios[name].append(rates[name] / rates["plain"])
            print(
                f"round {number}: "
                + ", ".join(f"{n} {r:.0f} req/s {cpu[n][-1]:.0f} µs" for n, r in rates.items()),
                flush=True,
            )
        plain_cpu = statistics.median(cpu["plain"])
        print(f"plain: {statistics.median(cpu['plain']):.0f} µs CPU per request (median)")
        for name, values in ratios.items():
            cost = 1 - statistics.median(values)
            extra = statistics.median(cpu[name]) - plain_cpu
            print(
                f"{name}: {cost:.1%} of b3's throughput (median of {len(values)} rounds, "
                f"{min(1 - v for v in values):.1%} to {max(1 - v for v in values):.1%}), "
                f"{extra:+.0f} µs CPU per request"
            )
    finally:
        # the gateways first: the traced one flushes its last spans to nginx
        for process in [*processes[1:], processes[0]]:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
