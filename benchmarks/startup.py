"""Startup cost: `check` and `run` of a generated configuration with 1,000 endpoints.

Generates 1,000 endpoints with two backends each (a `{param}` in every path, an `allow` list on
one backend and a `group` on the other), then measures, as wall time from process start:
  check   `trio-gateway check -c FILE` until it exits
  run     `trio-gateway run -c FILE` until `/__health` answers
Each is repeated (`--repeat`, default 3) and the best and worst are printed.

Usage (from the repository root, after the README's install):
    .venv/bin/python benchmarks/startup.py [--endpoints 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def generate(endpoints: int, port: int) -> dict[str, object]:
    return {
        "version": 3,
        "port": port,
        "endpoints": [
            {
                "endpoint": f"/api/v1/resource{i}/{{id}}",
                "backend": [
                    {
                        "host": ["http://127.0.0.1:9999"],
                        "url_pattern": f"/users/{{id}}/items{i}",
                        "allow": ["id", "name", "email"],
                    },
                    {
                        "host": ["http://127.0.0.1:9999"],
                        "url_pattern": f"/orders/{{id}}?page={i}",
                        "group": "orders",
                    },
                ],
            }
            for i in range(endpoints)
        ],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_check(config: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "trio_gateway", "check", "-c", str(config)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def time_run(config: Path, port: int) -> float:
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "trio_gateway", "run", "-c", str(config), "--log-level", "WARNING"]
    )
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/__health", timeout=1).read()
                return time.perf_counter() - start
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("the gateway exited") from None
                time.sleep(0.005)
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    port = free_port()
    config = Path(tempfile.mkdtemp(prefix="gw-startup-")) / "krakend.json"
    config.write_text(json.dumps(generate(args.endpoints, port)))
    checks = [time_check(config) for _ in range(args.repeat)]
    runs = [time_run(config, port) for _ in range(args.repeat)]
    print(f"{args.endpoints} endpoints, {2 * args.endpoints} backends")
    print(f"check: {min(checks):.2f}-{max(checks):.2f} s")
    print(f"run until /__health answers: {min(runs):.2f}-{max(runs):.2f} s")


if __name__ == "__main__":
    main()
