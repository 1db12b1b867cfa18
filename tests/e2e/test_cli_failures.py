"""`trio-gateway run` never prints a traceback: what stops the gateway is one line and exit 1;
what KrakenD survives (an endpoint's unreadable JWK file) is one ERROR line, and the rest serve."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _config(port: int, *endpoints: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "version": 3,
        "port": port,
        "listen_ip": "127.0.0.1",
        "endpoints": list(endpoints),
        **extra,
    }


def _gateway(*args: str) -> list[str]:
    return [sys.executable, "-m", "trio_gateway", *args]


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = tmp_path / "krakend.json"
        backend = {"url_pattern": "/", "host": ["http://127.0.0.1:9000"]}
        path.write_text(json.dumps(_config(port, {"endpoint": "/e", "backend": [backend]})))
        done = subprocess.run(
            _gateway("run", "-c", str(path)), capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert errors == [f"ERROR: cannot listen on 127.0.0.1:{port}: address already in use"]


def test_unreadable_tls_key_is_refused_in_one_line_each(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not really a certificate")
    missing = tmp_path / "key.pem"
    config = _config(
        _free_port(),
        {"endpoint": "/e", "backend": [{"url_pattern": "/", "host": ["http://127.0.0.1:9000"]}]},
        tls={"public_key": str(cert), "private_key": str(missing)},
    )
    path = tmp_path / "krakend.json"
    path.write_text(json.dumps(config))
    for command in ("check", "run"):
        done = subprocess.run(
            _gateway(command, "-c", str(path)), capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert f"error: $.tls.private_key: cannot read {missing}: No such file or directory" in (
            done.stderr
        )


def test_an_unreadable_jwk_file_is_401_there_and_the_rest_serve(tmp_path: Path) -> None:
    port = _free_port()
    jwks = tmp_path / "jwks.json"
    secure = {
        "endpoint": "/secure",
        "extra_config": {"auth/validator": {"alg": "HS256", "jwk_local_path": str(jwks)}},
        "backend": [{"url_pattern": "/", "host": ["http://127.0.0.1:19"]}],
    }
    always = {
        "endpoint": "/open",
        "extra_config": {"proxy": {"static": {"strategy": "always", "data": {"ok": True}}}},
        "backend": [{"url_pattern": "/", "host": ["http://127.0.0.1:19"]}],
    }
    path = tmp_path / "krakend.json"
    path.write_text(json.dumps(_config(port, secure, always)))
    check = subprocess.run(
        _gateway("check", "-c", str(path)), capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 1
    assert '$.endpoints[0].extra_config["auth/validator"].jwk_local_path' in check.stderr
    server = subprocess.Popen(_gateway("run", "-c", str(path)), stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/__health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the gateway did not start"
                time.sleep(0.1)
        assert health.status_code == 200
        r = httpx.get(f"{base}/secure", headers={"Authorization": "Bearer a.b.c"}, timeout=5)
        assert (r.status_code, r.content) == (401, b"")
        r = httpx.get(f"{base}/open", timeout=5)
        assert r.status_code == 200 and r.json()["ok"] is True
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1
    assert "[ENDPOINT: /secure][JWTValidator] Unable to create the validator" in errors[0]
    assert str(jwks) in errors[0]
