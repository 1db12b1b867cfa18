"""auth/api-keys: where the key is read, who is let in, what the backends get, what check refuses
(KrakenD Enterprise's component as its schema, krakend-schema v2.13, describes it)."""

from __future__ import annotations

from typing import Any

import pytest
import trio
import trio.lowlevel
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.auth import api_keys
from trio_gateway.auth.api_keys import (
    APIKey,
    APIKeysConfig,
    APIKeysGuard,
    KeyRing,
    build_guard,
)
from trio_gateway.config import ConfigError, load_config_data
from trio_gateway.config.model import ExtraConfig
from trio_gateway.namespace import Admission

KEYS = (
    APIKey(key="4d2c61e1-34c4-e96c-9456-15bd983c5019", roles=("role1", "role2")),
    APIKey(key="58427514-be32-0b52-b7c6-d01fada30497", roles=("admin", "user")),
)
ACME, ADMIN = (k.key for k in KEYS)


def admission(headers: list[tuple[bytes, bytes]] | None = None, query: bytes = b"") -> Admission:
    scope = {"type": "http", "headers": headers or [], "query_string": query}
    return Admission(scope, list(headers or []), {}, None)


def guard(**endpoint: Any) -> APIKeysGuard:
    service = endpoint.pop("service", {})
    plan = _Plan(APIKeysConfig(roles=endpoint.pop("roles", ("admin",)), **endpoint))
    context = _Context(APIKeysConfig(keys=KEYS, **service))
    built = build_guard(plan, context)  # type: ignore[arg-type]
    assert built is not None
    return built


class _Plan:
    path = "/p"

    def __init__(self, config: APIKeysConfig) -> None:
        self.extra = ExtraConfig(namespaces={"auth/api-keys": config})


class _Context:
    def __init__(self, config: APIKeysConfig) -> None:
        self.service = ExtraConfig(namespaces={"auth/api-keys": config})


def bearer(key: str) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", b"Bearer " + key.encode())]


CASES = {
    "Bearer key with the role": ({}, bearer(ADMIN), b"", None),
    "bearer scheme in any case": ({}, [(b"authorization", b"bEaReR " + ADMIN.encode())], b"", None),
    "no key": ({}, [], b"", 401),
    "unknown key": ({}, bearer("nope"), b"", 401),
    "known key, wrong role (401, as the EE schema says)": ({}, bearer(ACME), b"", 401),
    "the bare key in Authorization is not a Bearer credential": (
        {},
        [(b"authorization", ADMIN.encode())],
        b"",
        401,
    ),
    "Basic scheme is not a key": ({}, [(b"authorization", b"Basic " + ADMIN.encode())], b"", 401),
    "a prefix of the key": ({}, bearer(ADMIN[:-1]), b"", 401),
    "any valid key when roles is []": ({"roles": ()}, bearer(ACME), b"", None),
    "custom header carries the key as it is": (
        {"identifier": "X-Key"},
        [(b"x-key", ADMIN.encode())],
        b"",
        None,
    ),
    "custom header: the Authorization header is not read": (
        {"identifier": "X-Key"},
        bearer(ADMIN),
        b"",
        401,
    ),
    "query_string strategy reads ?key=": (
        {"strategy": "query_string"},
        [],
        b"a=1&key=" + ADMIN.encode(),
        401,  # the service's identifier (Authorization) is kept: see the schema's warning
    ),
    "query_string strategy with its identifier": (
        {"strategy": "query_string", "identifier": "key"},
        [],
        b"a=1&key=" + ADMIN.encode(),
        None,
    ),
    "query_string at service level defaults to `key`": (
        {"service": {"strategy": "query_string"}},
        [],
        b"key=" + ADMIN.encode(),
        None,
    ),
    "query value is url-decoded": (
        {"service": {"strategy": "query_string"}},
        [],
        b"key=" + ADMIN.replace("-", "%2D").encode(),
        None,
    ),
    "first query value wins": (
        {"service": {"strategy": "query_string"}},
        [],
        b"key=wrong&key=" + ADMIN.encode(),
        401,
    ),
}


@pytest.mark.parametrize("case", CASES)
async def test_who_gets_in(case: str) -> None:
    endpoint, headers, query, status = CASES[case]
    outcome = await guard(**endpoint)(admission(headers, query))
    assert (outcome.status if outcome else None) == status


@pytest.mark.parametrize(
    ("roles", "key", "expected"),
    [
        (("admin",), ADMIN, b"admin"),
        (("user", "admin"), ADMIN, b"admin"),  # the key's first role the endpoint allows
        (("role2", "x"), ACME, b"role2"),
        ((), ACME, b"ANY"),
    ],
)
async def test_propagate_role(roles: tuple[str, ...], key: str, expected: bytes) -> None:
    check = guard(roles=roles, service={"propagate_role": "X-Krakend-Role"})
    spoofed = [*bearer(key), (b"X-KRAKEND-ROLE", b"admin"), (b"x-other", b"1")]
    request = admission(spoofed)
    assert await check(request) is None
    assert [v for n, v in request.headers if n.lower() == b"x-krakend-role"] == [expected]
    assert (b"x-other", b"1") in request.headers


async def test_no_propagation_without_propagate_role() -> None:
    request = admission(bearer(ADMIN))
    assert await guard()(request) is None
    assert request.headers == bearer(ADMIN)


async def test_client_max_rate_is_per_key() -> None:
    check = guard(roles=(), client_max_rate=2)
    statuses = [await check(admission(bearer(ADMIN))) for _ in range(3)]
    assert [s.status if s else None for s in statuses] == [None, None, 429]
    # the other key has its own bucket
    assert await check(admission(bearer(ACME))) is None
    await trio.lowlevel.checkpoint()


def test_every_key_is_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = api_keys.hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(api_keys.hmac, "compare_digest", counting)
    ring = KeyRing(KEYS)
    for presented in (ACME, ADMIN, "nope"):
        calls.clear()
        ring.lookup(presented.encode())
        assert len(calls) == len(KEYS)  # found first, last or not at all: the same work


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=8, unique=True), st.data())
def test_lookup_finds_exactly_its_key(keys: list[str], data: st.DataObject) -> None:
    ring = KeyRing([APIKey(key=k, roles=(f"r{i}",)) for i, k in enumerate(keys)])
    index = data.draw(st.integers(0, len(keys) - 1))
    assert ring.lookup(keys[index].encode()) == (index, (f"r{index}",))
    other = data.draw(st.text(max_size=20).filter(lambda t: t not in keys))
    assert ring.lookup(other.encode()) is None


def _errors(service: dict[str, Any] | None, endpoint: dict[str, Any] | None) -> list[str]:
    data: dict[str, Any] = {
        "version": 3,
        "endpoints": [
            {
                "endpoint": "/x",
                "backend": [{"host": ["http://127.0.0.1:8080"], "url_pattern": "/"}],
            }
        ],
    }
    if service is not None:
        data["extra_config"] = {"auth/api-keys": service}
    if endpoint is not None:
        data["endpoints"][0]["extra_config"] = {"auth/api-keys": endpoint}
    try:
        load_config_data(data)
    except ConfigError as exc:
        return [f"{d.path}: {d.message}" for d in exc.diagnostics if d.is_error]
    return []


GOOD_SERVICE = {
    "strategy": "header",
    "identifier": "Authorization",
    "propagate_role": "X-Krakend-Role",
    "keys": [
        {"@description": "ACME Inc.", "key": ACME, "roles": ["role1", "role2"]},
        {"key": ADMIN, "roles": ["admin", "user"]},
    ],
}


def test_krakends_playground_configuration_loads() -> None:
    # krakend/playground-enterprise service_extra_config.json and its /api-key endpoint
    assert _errors(GOOD_SERVICE, {"roles": ["admin"]}) == []
    assert (
        _errors(
            GOOD_SERVICE,
            {"roles": [], "client_max_rate": 10, "strategy": "query_string", "identifier": "k"},
        )
        == []
    )


@pytest.mark.parametrize(
    ("service", "endpoint", "fragment"),
    [
        (GOOD_SERVICE, {}, "roles is required"),
        (None, {"roles": ["a"]}, "the service declares no `keys`"),
        ({"keys": []}, {"roles": ["a"]}, "the service declares no `keys`"),
        ({}, None, "keys is required"),
        ({**GOOD_SERVICE, "strategy": "cookie"}, None, "unknown strategy 'cookie'"),
        (GOOD_SERVICE, {"roles": [], "strategy": "Header"}, "unknown strategy 'Header'"),
        ({**GOOD_SERVICE, "hash": "sha256"}, None, "hash 'sha256' is not supported"),
        ({**GOOD_SERVICE, "hash": "md5"}, None, "unknown hash 'md5'"),
        ({"keys": [{"key": "", "roles": []}]}, None, "an API key cannot be empty"),
        ({"keys": [{"key": "a"}, {"key": "a"}]}, None, "this key is declared twice"),
        ({**GOOD_SERVICE, "roles": ["a"]}, None, "roles belongs in an endpoint"),
        (GOOD_SERVICE, {"roles": [], "keys": [{"key": "k"}]}, "keys belongs in the service"),
        (
            GOOD_SERVICE,
            {"roles": [], "propagate_role": "X"},
            "propagate_role belongs in the service",
        ),
        (GOOD_SERVICE, {"roles": [], "client_max_rate": -1}, "cannot be negative"),
        (GOOD_SERVICE, {"roles": "admin"}, "expected an array"),
        ({"keys": [{"key": 5}]}, None, "expected a string"),
    ],
)
def test_check_refuses(
    service: dict[str, Any] | None, endpoint: dict[str, Any] | None, fragment: str
) -> None:
    errors = _errors(service, endpoint)
    assert any(fragment in error for error in errors), errors
