"""`trio-gateway demo` (the gateway and its demo backends in one process) stops on SIGTERM.

It used to hang: each server had its own signal receiver, trio delivers a signal to only one of
them, and the demo backends kept the process alive, so `docker stop` or a CI script waited."""

from __future__ import annotations

import sys

import httpx

from .processes import free_port, serving


async def test_the_demo_serves_and_stops_on_sigterm() -> None:
    port = free_port()
    command = [sys.executable, "-m", "trio_gateway", "demo", "-p", str(port)]
    async with serving(command, port) as proc, httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{port}/api/dashboard/1")
        assert answer.status_code == 200
        assert answer.json()["user"]["name"] == "Ada Lovelace"
    # serving() sent SIGTERM and waited at most 15 s before killing it
    assert proc.returncode == 0
