"""The gateway at full load (wrk) while its configuration is reloaded (SIGHUP) N times.

What it shows: a reload drops nothing. wrk's socket errors (connect, read, write, timeout) and
its non-2xx count must stay 0; the gateway's log must show every reload taken. Each reload
changes the file (it adds and removes an endpoint), so every one builds a new plan.

Set-up, all on loopback: nginx answers a small JSON document; the gateway serves `/b1` from it
(`trio-gateway run`, or `--workers N`); wrk runs `-t1 -c64` for `--duration` seconds and the
reloads are spread evenly over its run.

Usage (from the repository root; needs wrk and nginx, installed with apt-get when missing):
    .venv/bin/python benchmarks/reload_under_load.py [--duration 20] [--reloads 20] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from run import ensure_tools, start_nginx, wait_for

NGINX_PORT = 19211
GATEWAY_PORT = 18211


def gateway_config(generation: int) -> dict[str, object]:
    """`/b1` always; `/extra` in odd generations: each reload changes the plan."""
    endpoints: list[dict[str, object]] = [
        {"endpoint": "/b1", "backend": [{"url_pattern": "/small/1"}]},
    ]
    if generation % 2:
        endpoints.append({"endpoint": "/extra", "backend": [{"url_pattern": "/small/2"}]})
    return {
        "version": 3,
        "port": GATEWAY_PORT,
        "listen_ip": "127.0.0.1",
        "host": [f"http://127.0.0.1:{NGINX_PORT}"],
        "timeout": "3s",
        "endpoints": endpoints,
    }


def write(path: Path, config: dict[str, object]) -> None:
    """Whole, renamed in place: the gateway never reads half a file."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(config))
    temporary.replace(path)


def parse_wrk(out: str) -> dict[str, int]:
    """wrk's request count, socket errors and non-2xx/3xx count."""
    figures = {"requests": 0, "connect": 0, "read": 0, "write": 0, "timeout": 0, "non2xx": 0}
    if found := re.search(r"(\d+) requests in", out):
        figures["requests"] = int(found.group(1))
    if found := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        for key, value in zip(("connect", "read", "write", "timeout"), found.groups(), strict=True):
            figures[key] = int(value)
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        figures["non2xx"] = int(found.group(1))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="wrk's run, in seconds")
    parser.add_argument("--reloads", type=int, default=20)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    ensure_tools()
    work, nginx = start_nginx("gw-reload-bench-", NGINX_PORT)
    config = work / "krakend.json"
    write(config, gateway_config(0))
    log = work / "gateway.log"
    command = [sys.executable, "-m", "trio_gateway", "run", "-c", str(config)]
    command += ["--workers", str(args.workers), "--log-level", "INFO"]
    with log.open("wb") as stderr:
        gateway = subprocess.Popen(command, stderr=stderr, stdout=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{GATEWAY_PORT}/__health")
        time.sleep(1.0)  # every worker listening

        def reload_all() -> None:
            pause = args.duration / (args.reloads + 1)
            for generation in range(1, args.reloads + 1):
                time.sleep(pause)
                write(config, gateway_config(generation))
                gateway.send_signal(signal.SIGHUP)

        reloader = threading.Thread(target=reload_all, name="reloads")
        reloader.start()
        url = f"http://127.0.0.1:{GATEWAY_PORT}/b1"
        wrk = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", url]
        out = subprocess.run(wrk, capture_output=True, text=True, check=True).stdout
        reloader.join()
        time.sleep(1.0)  # the last reload logged
        figures = parse_wrk(out)
        text = log.read_text()
        reloaded = text.count("reloaded ")
        refused = text.count("reload refused")
        print(" ".join(wrk))
        print(
            f"workers {args.workers}: {figures['requests']} requests, "
            f"{reloaded} reloads taken ({args.reloads * args.workers} asked: {args.reloads} "
            f"SIGHUP x {args.workers} worker(s)), {refused} refused; "
            f"socket errors connect {figures['connect']}, read {figures['read']}, "
            f"write {figures['write']}, timeout {figures['timeout']}; "
            f"non-2xx {figures['non2xx']}",
            flush=True,
        )
        errors = sum(figures[k] for k in ("connect", "read", "write", "timeout", "non2xx"))
        return 0 if errors == 0 and reloaded == args.reloads * args.workers else 1
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(timeout=30)
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
