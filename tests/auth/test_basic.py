"""auth/basic and htpasswd: the Authorization header as Go parses it, the hashes, the users'
merge, what check refuses."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import pytest

from trio_gateway.auth import htpasswd
from trio_gateway.auth.basic import (
    CHALLENGE,
    BasicAuthConfig,
    BasicAuthGuard,
    build_guard,
    parse_basic,
)
from trio_gateway.config import ConfigError, load_config_data
from trio_gateway.config.model import ExtraConfig
from trio_gateway.namespace import Admission, RejectAll


def sha(password: str) -> str:
    return "{SHA}" + base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()


def b64(text: str) -> bytes:
    return base64.b64encode(text.encode())


# Go's net/http request_test.go parseBasicAuthTests
PARSE = [
    (b"Basic " + b64("Aladdin:open sesame"), (b"Aladdin", b"open sesame")),
    (b"BASIC " + b64("Aladdin:open sesame"), (b"Aladdin", b"open sesame")),
    (b"basic " + b64("Aladdin:open sesame"), (b"Aladdin", b"open sesame")),
    (b"Basic " + b64("Aladdin:open:sesame"), (b"Aladdin", b"open:sesame")),
    (b"Basic " + b64(":"), (b"", b"")),
    (b"Basic" + b64("Aladdin:open sesame"), None),
    (b64("Aladdin:open sesame"), None),
    (b"Basic ", None),
    (b"Basic Aladdin:open sesame", None),
    (b'Digest username="Aladdin"', None),
    (None, None),
]


@pytest.mark.parametrize(("value", "expected"), PARSE)
def test_parse_basic_as_go(value: bytes | None, expected: tuple[bytes, bytes] | None) -> None:
    assert parse_basic(value) == expected


def test_sha_hashes() -> None:
    # `htpasswd -nbs admin password`
    assert sha("password") == "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="
    assert htpasswd.verify(b"password", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=")
    assert not htpasswd.verify(b"Password", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=")
    assert not htpasswd.verify(b"password", "{SHA}not base64!")


@pytest.mark.parametrize(
    ("hashed", "fragment"),
    [
        ("$apr1$abc$def", "Apache MD5"),
        ("password", "not a bcrypt or {SHA} hash"),
        ("{SHA}AAAA", "not 20 bytes"),
        ("{SHA}%%%", "not base64"),
    ],
)
def test_unsupported_hashes(hashed: str, fragment: str) -> None:
    reason = htpasswd.unsupported_reason(hashed)
    assert reason is not None and fragment in reason
    assert not htpasswd.verify(b"x", hashed)


def test_bcrypt_needs_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(htpasswd, "bcrypt_available", lambda: False)
    reason = htpasswd.unsupported_reason(
        "$2y$10$ykmILMIUc.YTxKbkJ/aL0eM4iH/Lg4wuHCdLM5JNJ97I5vmImk0XW"
    )
    assert reason is not None and "bcrypt" in reason
    assert not htpasswd.verify(
        b"admin", "$2y$10$ykmILMIUc.YTxKbkJ/aL0eM4iH/Lg4wuHCdLM5JNJ97I5vmImk0XW"
    )


async def test_bcrypt_is_checked_by_the_package() -> None:
    # `htpasswd -B`'s $2y$ and Python's bcrypt's $2b$ hashes both verify
    import bcrypt

    hashed = "$2y$10$ykmILMIUc.YTxKbkJ/aL0eM4iH/Lg4wuHCdLM5JNJ97I5vmImk0XW"
    assert htpasswd.unsupported_reason(hashed) is None
    ours = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    assert htpasswd.verify(b"s3cret", ours) and not htpasswd.verify(b"S3cret", ours)
    # the guard checks bcrypt in a worker thread
    check = BasicAuthGuard({"admin": ours})
    assert await check(admission(basic("admin", "s3cret"))) is None
    refused = await check(admission(basic("admin", "nope")))
    assert refused is not None and refused.status == 401


def test_parse_htpasswd(tmp_path: Path) -> None:
    path = tmp_path / ".htpasswd"
    path.write_text(f"# users\nadmin:{sha('a')}\n\nbob:{sha('b')}\nadmin:{sha('c')}\n")
    assert htpasswd.parse_htpasswd(str(path)) == {"admin": sha("c"), "bob": sha("b")}
    path.write_text("just a line\n")
    with pytest.raises(htpasswd.HtpasswdError, match=":1: not a `user:hash` line"):
        htpasswd.parse_htpasswd(str(path))
    with pytest.raises(htpasswd.HtpasswdError, match="cannot read"):
        htpasswd.parse_htpasswd(str(tmp_path / "missing"))


def admission(authorization: bytes | None) -> Admission:
    headers = [] if authorization is None else [(b"authorization", authorization)]
    return Admission({"type": "http", "headers": headers}, headers, {}, None)


def basic(user: str, password: str) -> bytes:
    return b"Basic " + b64(f"{user}:{password}")


async def test_the_guard() -> None:
    check = BasicAuthGuard({"admin": sha("secret"), "bob": sha("b")})
    assert await check(admission(basic("admin", "secret"))) is None
    assert await check(admission(basic("bob", "b"))) is None
    for refused in (
        None,
        basic("admin", "wrong"),
        basic("admin", "secretx"),
        basic("carol", "secret"),
        basic("", ""),
        b"Bearer secret",
    ):
        outcome = await check(admission(refused))
        assert outcome is not None
        assert (outcome.status, outcome.headers, outcome.body) == (401, [CHALLENGE], b"")


class _Plan:
    path = "/p"

    def __init__(self, config: BasicAuthConfig) -> None:
        self.extra = ExtraConfig(namespaces={"auth/basic": config})


class _Context:
    def __init__(self, config: BasicAuthConfig | None) -> None:
        namespaces = {} if config is None else {"auth/basic": config}
        self.service = ExtraConfig(namespaces=namespaces)


async def test_users_merge_service_then_endpoint(tmp_path: Path) -> None:
    service_file = tmp_path / "service.htpasswd"
    service_file.write_text(f"a:{sha('file')}\nb:{sha('file')}\nc:{sha('file')}\n")
    endpoint_file = tmp_path / "endpoint.htpasswd"
    endpoint_file.write_text(f"c:{sha('endpoint-file')}\nd:{sha('endpoint-file')}\n")
    service = BasicAuthConfig(htpasswd_path=str(service_file), users={"b": sha("inline")})
    endpoint = BasicAuthConfig(htpasswd_path=str(endpoint_file), users={"d": sha("ep-inline")})
    check = build_guard(_Plan(endpoint), _Context(service))  # type: ignore[arg-type]
    assert isinstance(check, BasicAuthGuard)
    expected = {"a": "file", "b": "inline", "c": "endpoint-file", "d": "ep-inline"}
    for user, password in expected.items():
        assert await check(admission(basic(user, password))) is None, user
    assert await check(admission(basic("b", "file"))) is not None  # replaced


async def test_a_file_gone_since_the_check_refuses_everyone(tmp_path: Path) -> None:
    endpoint = BasicAuthConfig(htpasswd_path=str(tmp_path / "gone"))
    check = build_guard(_Plan(endpoint), _Context(None))  # type: ignore[arg-type]
    assert isinstance(check, RejectAll)
    outcome = await check(admission(basic("a", "b")))
    assert outcome.status == 401


def _errors(service: dict[str, Any] | None, endpoint: dict[str, Any] | None) -> list[str]:
    data: dict[str, Any] = {
        "version": 3,
        "endpoints": [
            {"endpoint": "/x", "backend": [{"host": ["http://127.0.0.1:8080"], "url_pattern": "/"}]}
        ],
    }
    if service is not None:
        data["extra_config"] = {"auth/basic": service}
    if endpoint is not None:
        data["endpoints"][0]["extra_config"] = {"auth/basic": endpoint}
    try:
        load_config_data(data)
    except ConfigError as exc:
        return [f"{d.path}: {d.message}" for d in exc.diagnostics if d.is_error]
    return []


def test_good_configs_load(tmp_path: Path) -> None:
    path = tmp_path / ".htpasswd"
    path.write_text(f"admin:{sha('admin')}\n")
    # KrakenD's EE playground: the file at service level, `{}` on the endpoint
    assert _errors({"htpasswd_path": str(path)}, {}) == []
    assert _errors(None, {"users": {"u": sha("p")}}) == []


@pytest.mark.parametrize(
    ("service", "endpoint", "fragment"),
    [
        (None, {}, "no users are declared"),
        ({"htpasswd_path": "/nonexistent/.htpasswd"}, {}, "cannot read /nonexistent/.htpasswd"),
        (None, {"users": {"u": "$apr1$x$y"}}, "user 'u': an Apache MD5"),
        (None, {"users": {"u": "plain"}}, "user 'u': not a bcrypt or {SHA} hash"),
        (None, {"users": {"u": 5}}, "expected a string"),
        (None, {"users": ["u"]}, "expected an object"),
    ],
)
def test_check_refuses(
    service: dict[str, Any] | None, endpoint: dict[str, Any] | None, fragment: str
) -> None:
    errors = _errors(service, endpoint)
    assert any(fragment in error for error in errors), errors


def test_bcrypt_without_the_package_is_a_check_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(htpasswd, "bcrypt_available", lambda: False)
    errors = _errors(
        None, {"users": {"admin": "$2y$05$HpdPmv2Z3h3skMCVaf/CEep/UUBuhZabcdefghijklmnopqrstuvw"}}
    )
    assert any("the `bcrypt` package is not installed" in e for e in errors), errors
