"""`run --workers N` with a Prometheus exporter: one scrape shows every worker's requests."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import httpx
import trio
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.test_cli import ROOT, _free_port, _wait_for, _worker_pids


async def test_one_scrape_shows_all_workers(tmp_path: Path, backend_url: str) -> None:
    port, metrics_port = _free_port(), _free_port()
    config = tmp_path / "krakend.json"
    config.write_text(
        json.dumps(
            {
                "version": 3,
                "listen_ip": "127.0.0.1",
                "host": [backend_url],
                "extra_config": {
                    "telemetry/opentelemetry": {
                        "exporters": {
                            "prometheus": [
                                {"name": "p", "port": metrics_port, "listen_ip": "127.0.0.1"}
                            ]
                        }
                    }
                },
                "endpoints": [{"endpoint": "/user", "backend": [{"url_pattern": "/json/user"}]}],
            }
        )
    )
    command = [sys.executable, "-m", "trio_gateway", "run", "-c", str(config), "-p", str(port)]
    log = tmp_path / "gateway.log"
    with log.open("wb") as stderr:
        proc = await trio.lowlevel.open_process(
            [*command, "--workers", "2"], cwd=ROOT, stderr=stderr
        )
    try:
        await _wait_for(f"http://127.0.0.1:{port}/__health", proc)
        for _ in range(200):
            if len(_worker_pids(proc.pid)) == 2 and log.read_text().count("listening on") == 2:
                break
            await trio.sleep(0.1)
        assert len(_worker_pids(proc.pid)) == 2
        requests = 40
        for _ in range(requests):  # a new connection each: the kernel spreads them (SO_REUSEPORT)
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"http://127.0.0.1:{port}/user")).status_code == 200
        async with httpx.AsyncClient() as client:
            scrape = await client.get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert scrape.status_code == 200
        counts: dict[str, float] = {}
        for family in text_string_to_metric_families(scrape.text):
            for sample in family.samples:
                if sample.name == "http_server_duration_count":
                    assert sample.labels["http_route"] == "/user"
                    worker = sample.labels["worker"]
                    counts[worker] = counts.get(worker, 0) + sample.value
        assert sum(counts.values()) == requests  # every request, whichever worker served it
        assert set(counts) == {"0", "1"}, counts  # both workers answered this one scrape
        proc.send_signal(signal.SIGTERM)
        with trio.fail_after(20):
            await proc.wait()
        assert proc.returncode == 0
        assert "Traceback" not in log.read_text()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
