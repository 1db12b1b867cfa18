"""The gateway serving HTTPS from the service's `tls` block (certificates made with trustme)."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
import trio
import trustme

from tests.e2e.conftest import StartGateway
from trio_gateway.config import ConfigError, load_config_data


async def test_https_with_the_tls_block(
    backend_url: str, start_gateway: StartGateway, tmp_path: Path
) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "tls": {"public_key": str(cert_file), "private_key": str(key_file)},
            "endpoints": [
                {"endpoint": "/user", "backend": [{"url_pattern": "/json/user", "allow": ["name"]}]}
            ],
        }
    )
    assert gw.startswith("https://")
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with httpx.AsyncClient(verify=context) as client:
        r = await client.get(f"{gw}/user")
    assert (r.status_code, r.json()) == (200, {"name": "a"})
    # A client that does not trust the CA cannot talk to it.
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError), trio.fail_after(10):
            await client.get(f"{gw}/user")


def test_a_tls_block_without_keys_is_a_check_error() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_data({"version": 3, "tls": {"public_key": "cert.pem"}, "endpoints": []})
    assert any("private key not defined" in str(d) for d in caught.value.diagnostics)
    loaded = load_config_data({"version": 3, "tls": {"disabled": True}, "endpoints": []})
    assert loaded.config.tls == {"disabled": True}


def test_insecure_backend_connections_are_a_warning() -> None:
    loaded = load_config_data(
        {"version": 3, "client_tls": {"allow_insecure_connections": True}, "endpoints": []}
    )
    assert any(w.path == "$.client_tls" and "not verified" in w.message for w in loaded.warnings)


async def test_https_backend_with_client_tls_ca(
    start_gateway: StartGateway, nursery: trio.Nursery, tmp_path: Path
) -> None:
    from hypercorn.config import Config as HypercornConfig
    from hypercorn.trio import serve as hypercorn_serve

    from tests.e2e.backend_app import backend_app

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file, ca_file = tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    config = HypercornConfig()
    config.bind = ["127.0.0.1:0"]
    config.certfile, config.keyfile = str(cert_file), str(key_file)
    binds = await nursery.start(
        lambda task_status: hypercorn_serve(
            backend_app, config, mode="asgi", task_status=task_status
        )  # type: ignore[arg-type]
    )
    https_backend = binds[0]
    assert https_backend.startswith("https://")
    endpoint = {"endpoint": "/user", "backend": [{"url_pattern": "/json/user", "allow": ["name"]}]}
    trusted = await start_gateway(
        {
            "version": 3,
            "host": [https_backend],
            "client_tls": {"ca_certs": [str(ca_file)]},
            "endpoints": [endpoint],
        }
    )
    untrusted = await start_gateway(
        {"version": 3, "host": [https_backend], "endpoints": [endpoint]}
    )
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{trusted}/user")).json() == {"name": "a"}
        assert (await client.get(f"{untrusted}/user")).status_code == 500  # not verified
