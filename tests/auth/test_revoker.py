"""auth/revoker: the configuration's checks, krakend.go's RejectToken, the revocation API's body
parsing and answers (its ASGI app, called directly), the rejecter chain in stack.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trio_gateway.auth.revoker import SECRET_ENV, Revoker, RevokerConfig, element
from trio_gateway.auth.revoker_server import MAX_BODY, BadRequest, RevokerApp, parse_elements
from trio_gateway.config import ConfigError, load_config_data

SECRET = "s3cret-of-more-than-16"
GOOD: dict[str, Any] = {
    "N": 1000,
    "P": 0.001,
    "hash_name": "optimal",
    "TTL": 60,
    "port": 1234,
    "token_keys": ["jti", "sub"],
}


def _diagnostics(block: dict[str, Any], **service: Any) -> list[tuple[str, str, str]]:
    data = {"version": 3, "extra_config": {"auth/revoker": block}, "endpoints": [], **service}
    try:
        loaded = load_config_data(data)
    except ConfigError as exc:
        return [(d.severity, d.path, d.message) for d in exc.diagnostics]
    return [(d.severity, d.path, d.message) for d in loaded.warnings]


ROOT = '$.extra_config["auth/revoker"]'


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)


def test_a_good_block_loads() -> None:
    assert [d for d in _diagnostics(GOOD) if d[0] == "error"] == []


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"N": 0}, ".N", "N must be at least 1"),
        ({"P": 1.0}, ".P", "P must be a probability"),
        ({"P": 0}, ".P", "P must be a probability"),
        ({"hash_name": "murmur"}, ".hash_name", "unknown hash_name"),
        ({"TTL": 0}, ".TTL", "TTL must be at least 1"),
        ({"port": 70000}, ".port", "not a TCP port"),
        ({"revoke_server_ping_url": "http://x"}, ".revoke_server_ping_url", "Enterprise"),
        ({"connection_name": "nope"}, ".connection_name", "no Redis connection pool"),
    ],
)
def test_bad_values_are_errors(change: dict[str, Any], path: str, message: str) -> None:
    errors = [d for d in _diagnostics({**GOOD, **change}) if d[0] == "error"]
    assert any(p == ROOT + path and message in m for _, p, m in errors), errors


@pytest.mark.parametrize("key", ["N", "P", "hash_name", "TTL", "port", "token_keys"])
def test_every_field_is_required(key: str) -> None:
    block = {k: v for k, v in GOOD.items() if k != key}
    errors = [d for d in _diagnostics(block) if d[0] == "error"]
    assert (ROOT + "." + key) in {p for _, p, _ in errors}


def test_no_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV)
    errors = [d for d in _diagnostics(GOOD) if d[0] == "error"]
    assert any(p == ROOT and SECRET_ENV in m for _, p, m in errors)


def test_a_short_secret_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "short")
    assert any(d[0] == "warning" and SECRET_ENV in d[2] for d in _diagnostics(GOOD))


def test_too_many_bits_for_redis() -> None:
    redis = {"connection_pools": [{"name": "r", "address": "127.0.0.1:6379"}]}
    block = {**GOOD, "N": 100_000_000, "P": 1e-9, "connection_name": "r"}
    errors = _diagnostics(block, extra_config={"auth/revoker": block, "redis": redis})
    assert any("2^32" in m for s, _, m in errors if s == "error")


def test_keys_are_read_as_krakend_writes_them() -> None:
    """N, P and TTL are upper case (krakend-schema); no unknown-key warning for them."""
    assert not [d for d in _diagnostics(GOOD) if "unknown key" in d[2]]
    loaded = load_config_data({"version": 3, "extra_config": {"auth/revoker": GOOD}})
    config = loaded.config.extra_config.get(RevokerConfig)
    assert config is not None and (config.n, config.p, config.ttl) == (1000, 0.001, 60)


def _revoker(**change: Any) -> Revoker:
    block = {**GOOD, **change}
    config = RevokerConfig(
        n=block["N"],
        p=block["P"],
        hash_name=block["hash_name"],
        ttl=block["TTL"],
        port=block["port"],
        token_keys=tuple(block["token_keys"]),
    )
    return Revoker(config, SECRET)


async def test_reject_token_looks_at_string_claims_of_the_token_keys() -> None:
    """krakend.go RejectToken: `key-value` for each token key whose claim is a string."""
    revoker = _revoker()
    await revoker.add([element("jti", "abc"), element("sub", "42"), element("aud", "x")])
    assert revoker.reject_local({"jti": "abc"})
    assert await revoker.reject({"jti": "zzz", "sub": "42"})
    assert not revoker.reject_local({"jti": "zzz"})
    assert not revoker.reject_local({"aud": "x"})  # not a token key
    assert not revoker.reject_local({"sub": 42})  # not a string: skipped
    assert not revoker.reject_local({})


def test_parse_elements() -> None:
    keys = ("jti", "sub")
    assert parse_elements(b'{"jti": "a", "sub": ["b", "c"]}', keys) == [
        b"jti-a",
        b"sub-b",
        b"sub-c",
    ]
    assert parse_elements(b'["jti-a", "anything"]', keys) == [b"jti-a", b"anything"]
    for bad in (b"{", b'"x"', b'{"aud": "x"}', b'{"jti": 1}', b"[1]", b'{"jti": [null]}'):
        with pytest.raises(BadRequest):
            parse_elements(bad, keys)


async def _call(
    app: RevokerApp, method: str, path: str, body: bytes = b"", token: str | None = SECRET
) -> tuple[int, dict[str, Any], dict[bytes, bytes]]:
    headers = [] if token is None else [(b"authorization", b"Bearer " + token.encode())]
    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    sent: list[dict[str, Any]] = []
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], json.loads(sent[1]["body"]), dict(sent[0]["headers"])


async def test_the_api() -> None:
    app = RevokerApp(_revoker())
    assert (await _call(app, "POST", "/check", b'{"jti": "a"}'))[:2] == (200, {"checks": [False]})
    assert (await _call(app, "POST", "/revoke", b'{"jti": "a"}'))[:2] == (200, {"added": 1})
    assert (await _call(app, "POST", "/check", b'["jti-a", "jti-b"]'))[:2] == (
        200,
        {"checks": [True, False]},
    )
    status, body, _ = await _call(app, "POST", "/revoke", b'{"aud": "a"}')
    assert status == 400 and "token_keys" in body["error"]
    assert (await _call(app, "GET", "/revoke"))[0] == 405
    assert (await _call(app, "POST", "/nope"))[0] == 404
    assert (await _call(app, "POST", "/revoke", b"x" * (MAX_BODY + 1)))[0] == 413


@pytest.mark.parametrize("token", [None, "wrong", "", SECRET + "x"])
async def test_the_api_needs_the_secret(token: str | None) -> None:
    revoker = _revoker()
    status, _, headers = await _call(RevokerApp(revoker), "POST", "/revoke", b'["jti-a"]', token)
    assert status == 401 and headers[b"www-authenticate"] == b"Bearer"
    assert not revoker.reject_local({"jti": "a"})


async def test_no_secret_no_access() -> None:
    revoker = _revoker()
    revoker.secret = ""
    status, _, _ = await _call(RevokerApp(revoker), "POST", "/revoke", b'["jti-a"]', "")
    assert status == 401
