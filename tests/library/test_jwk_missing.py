"""A JWK file that cannot be read at startup: that endpoint answers 401, the others serve, and
the log has one ERROR line naming the endpoint, no traceback (krakend-jose `gin/jose.go`).

The file exists when the configuration is checked (`check` reports a missing one as an error)
and is gone by the time the gateway starts: the case `run` must survive."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest
import trio

from tests.library.conftest import service
from trio_gateway import load_config_data, open_gateway

SECRET = base64.urlsafe_b64encode(b"a-very-secret-key-of-32-bytes!!!").rstrip(b"=").decode()


def _jwks(path: Path) -> str:
    path.write_text(json.dumps({"keys": [{"kty": "oct", "kid": "k1", "k": SECRET}]}))
    return str(path)


@pytest.mark.parametrize("namespace", ["auth/validator", "auth/signer"])
async def test_unreadable_jwk_file_is_401_for_that_endpoint_only(
    namespace: str, backend_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    jwks = _jwks(tmp_path / "jwks.json")
    block = {"alg": "HS256", "jwk_local_path": jwks}
    if namespace == "auth/signer":
        block |= {"kid": "k1", "keys_to_sign": ["token"]}
    loaded = load_config_data(
        service(
            {
                "endpoint": "/secure",
                "extra_config": {namespace: block},
                "backend": [{"host": [backend_url], "url_pattern": "/json/user"}],
            },
            {
                "endpoint": "/open",
                "backend": [{"host": [backend_url], "url_pattern": "/json/user"}],
            },
        )
    )
    await trio.Path(jwks).unlink()
    caplog.set_level(logging.INFO)
    async with open_gateway(loaded) as gateway:
        secure = await gateway.handle("GET", "/secure")
        assert (secure.status, secure.body) == (401, b"")
        assert (await gateway.handle("GET", "/open")).status == 200
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "[ENDPOINT: /secure]" in errors[0].getMessage()
    assert jwks in errors[0].getMessage()
    assert errors[0].exc_info is None
