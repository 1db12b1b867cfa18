"""`check` reports every file a configuration names that cannot be read, at its JSON path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trio_gateway.config import ConfigError, load_config_data


def _endpoint(namespace: str, **block: Any) -> dict[str, Any]:
    base = {"alg": "HS256", **block}
    if namespace == "auth/signer":
        base |= {"kid": "k1", "keys_to_sign": ["t"]}
    return {
        "endpoint": "/e",
        "extra_config": {namespace: base},
        "backend": [{"url_pattern": "/", "host": ["http://127.0.0.1:8000"]}],
    }


def _errors(config: dict[str, Any], **load: Any) -> list[tuple[str, str]]:
    try:
        load_config_data(config, **load)
    except ConfigError as exc:
        return [(d.path, d.message) for d in exc.diagnostics if d.is_error]
    return []


@pytest.mark.parametrize("namespace", ["auth/validator", "auth/signer"])
@pytest.mark.parametrize("key", ["jwk_local_path", "jwk_local_ca"])
def test_unreadable_jwk_files(namespace: str, key: str, tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.json")
    block = {"jwk_local_path": str(tmp_path / "jwks.json")}
    (tmp_path / "jwks.json").write_text('{"keys": []}')
    block[key] = missing
    if key == "jwk_local_ca":
        block["jwk_url"] = "https://idp.example/jwks"
    config = {"version": 3, "endpoints": [_endpoint(namespace, **block)]}
    path = f'$.endpoints[0].extra_config["{namespace}"].{key}'
    assert _errors(config) == [(path, f"cannot read {missing}: No such file or directory")]
    # `run` (and open_gateway) serve it: KrakenD starts and answers 401 on that endpoint
    loaded = load_config_data(config, for_serving=True)
    [warning] = [d for d in loaded.warnings if d.path == path]
    assert warning.hint == "this endpoint answers 401 to every request"


def test_a_directory_is_not_a_readable_file(tmp_path: Path) -> None:
    config = {
        "version": 3,
        "endpoints": [_endpoint("auth/validator", jwk_local_path=str(tmp_path))],
    }
    [(_, message)] = _errors(config)
    assert message == f"cannot read {tmp_path}: Is a directory"


def test_a_path_with_a_nul_character_is_unreadable_not_a_crash() -> None:
    # Found by the property test: open() raises ValueError, not OSError, for a NUL.
    config = {
        "version": 3,
        "endpoints": [_endpoint("auth/validator", jwk_local_path="keys\x00.json")],
    }
    [(_, message)] = _errors(config)
    assert message == (
        "cannot read keys\x00.json: invalid argument (the path contains a NUL character)"
    )


def test_tls_files_stop_run_too(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    gone = str(tmp_path / "gone.pem")
    config: dict[str, Any] = {
        "version": 3,
        "tls": {"public_key": str(cert), "private_key": gone, "ca_certs": [gone]},
        "client_tls": {
            "ca_certs": [str(cert), gone],
            "client_certs": [{"certificate": gone, "private_key": str(cert)}],
        },
    }
    expected = [
        ("$.tls.private_key", f"cannot read {gone}: No such file or directory"),
        ("$.tls.ca_certs[0]", f"cannot read {gone}: No such file or directory"),
        ("$.client_tls.ca_certs[1]", f"cannot read {gone}: No such file or directory"),
        (
            "$.client_tls.client_certs[0].certificate",
            f"cannot read {gone}: No such file or directory",
        ),
    ]
    assert _errors(config) == expected
    assert _errors(config, for_serving=True) == expected  # KrakenD cannot start without them
    config["tls"]["disabled"] = True
    assert _errors(config) == expected[2:]


def test_readable_files_pass(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    config = {"version": 3, "endpoints": [_endpoint("auth/validator", jwk_local_path=str(jwks))]}
    assert _errors(config) == []
