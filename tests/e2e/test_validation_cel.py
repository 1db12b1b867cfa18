"""`validation/cel` end to end: krakend-ce's CEL fixtures (tests/fixtures/specs/cel-*.json), the
response phase, the backend's view of the request, and the token phase with auth/validator."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import JWT_SECRET, StartGateway


def _cel(*expressions: str) -> dict[str, Any]:
    return {"validation/cel": [{"check_expr": e} for e in expressions]}


def _fixture_config(backend_url: str) -> dict[str, Any]:
    """krakend-ce tests/fixtures/krakend.json `/cel/req-resp/{id}`, with the loopback backend."""
    return {
        "version": 3,
        "host": [backend_url],
        "cache_ttl": "3600s",
        "extra_config": {"router": {"return_error_msg": True}},
        "endpoints": [
            {
                "endpoint": "/cel/req-resp/{id}",
                "input_headers": ["X-Header"],
                "backend": [
                    {
                        "url_pattern": "/param_forwarding/1/{id}",
                        "group": "backend1",
                        "allow": ["foo"],
                        "extra_config": _cel("int(req_params.Id) % 3 == 0"),
                    },
                    {
                        "url_pattern": "/param_forwarding/2/{id}",
                        "group": "backend2",
                        "allow": ["foo"],
                        "extra_config": _cel("int(req_params.Id) % 5 == 0"),
                    },
                ],
                "extra_config": _cel(
                    "'something' in req_headers['X-Header']", "int(req_params.Id) % 2 == 0"
                ),
            },
            {
                "endpoint": "/resp/{id}",
                "backend": [{"url_pattern": "/param_forwarding/resp/{id}"}],
                "extra_config": _cel("resp_data.path.endsWith('/42') && resp_completed"),
            },
            {
                # contains `req` as well: runs before the call too, where resp_data is unbound
                "endpoint": "/mixed/{id}",
                "backend": [{"url_pattern": "/param_forwarding/mixed/{id}"}],
                "extra_config": _cel("resp_data.foo == int(req_params.Id)"),
            },
            {
                "endpoint": "/view/{id}",
                "input_query_strings": ["x", "y"],
                "backend": [
                    {
                        "url_pattern": "/param_forwarding/view/{id}?fixed=1",
                        "method": "POST",
                        "input_query_strings": ["x"],
                        "allow": ["foo"],
                        "extra_config": _cel(
                            "req_method == 'POST' && req_path == '/param_forwarding/view/' + "
                            "req_params.Id + '?fixed=1' && req_querystring == {'x': ['1']}"
                        ),
                    }
                ],
                "extra_config": _cel(
                    "req_method == 'GET' && req_path == '/view/' + req_params.Id && "
                    "req_querystring.y == ['2', '3'] && 'X-Forwarded-For' in req_headers"
                ),
            },
            {
                "endpoint": "/stream",
                "output_encoding": "no-op",
                "backend": [
                    {
                        "url_pattern": "/param_forwarding/stream",
                        "encoding": "no-op",
                        "extra_config": _cel(
                            "resp_metadata_status == 200 && "
                            "resp_metadata_headers['Content-Type'] == ['application/json']"
                        ),
                    }
                ],
            },
            {
                "endpoint": "/time",
                "backend": [{"url_pattern": "/param_forwarding/time", "allow": ["foo"]}],
                "extra_config": _cel(
                    "timestamp(now) > timestamp('2020-01-01T00:00:00Z') && req_method == 'GET'",
                    "timestamp(now) - duration('1h') < timestamp(now) && resp_completed",
                ),
            },
        ],
    }


# krakend-ce fixtures cel-1 .. cel-5: (id, X-Header sent, status, body, X-Krakend-Completed)
FIXTURES = [
    ("1", True, 500, "request aborted by evaluator #1", "false"),  # cel-1: odd id
    ("30", False, 500, "request aborted by evaluator #0", "false"),  # cel-2: no X-Header
    ("10", True, 200, {"backend2": {"foo": 42}}, "false"),  # cel-3: backend1 dropped
    ("6", True, 200, {"backend1": {"foo": 42}}, "false"),  # cel-4: backend2 dropped
    ("30", True, 200, {"backend1": {"foo": 42}, "backend2": {"foo": 42}}, "true"),  # cel-5
]


@pytest.mark.parametrize(("id_", "header", "status", "body", "completed"), FIXTURES)
async def test_krakend_cel_fixtures(
    id_: str,
    header: bool,
    status: int,
    body: Any,
    completed: str,
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    gw = await start_gateway(_fixture_config(backend_url))
    headers = {"X-Header": "something"} if header else {}
    r = await client.get(f"{gw}/cel/req-resp/{id_}", headers=headers)
    assert r.status_code == status
    assert r.headers["x-krakend-completed"] == completed
    if status == 500:
        assert r.text == body
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        assert STATS[f"/param_forwarding/1/{id_}"] == STATS[f"/param_forwarding/2/{id_}"] == 0
    else:
        assert r.json() == body
        assert r.headers["content-type"] == "application/json; charset=utf-8"
        # a backend refused by its CEL check is never called
        assert STATS[f"/param_forwarding/1/{id_}"] == (1 if "backend1" in body else 0)
        assert STATS[f"/param_forwarding/2/{id_}"] == (1 if "backend2" in body else 0)
    cache = r.headers.get("cache-control")
    assert cache == ("public, max-age=3600" if completed == "true" else None)


async def test_the_response_phase(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(_fixture_config(backend_url))
    ok = await client.get(f"{gw}/resp/42")
    assert (ok.status_code, ok.json()["path"]) == (200, "/param_forwarding/resp/42")
    refused = await client.get(f"{gw}/resp/43")
    assert (refused.status_code, refused.text) == (500, "request aborted by evaluator #0")
    assert STATS["/param_forwarding/resp/43"] == 1  # the backend answered; its answer is refused
    mixed = await client.get(f"{gw}/mixed/42")  # krakend-cel's phases are substrings
    assert (mixed.status_code, mixed.text) == (500, "request aborted by evaluator #0")
    assert STATS["/param_forwarding/mixed/42"] == 0


async def test_what_the_endpoint_and_the_backend_see(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(_fixture_config(backend_url))
    r = await client.get(f"{gw}/view/7?x=1&y=2&y=3&z=4")
    assert r.status_code == 200, r.text
    assert STATS["/param_forwarding/view/7"] == 1
    other = await client.get(f"{gw}/view/7?x=2&y=2&y=3")  # the backend sees x=2: refused
    assert (other.status_code, other.text) == (500, "request aborted by evaluator #0")
    stream = await client.get(f"{gw}/stream")
    assert stream.status_code == 200
    assert stream.json()["foo"] == 42
    clock = await client.get(f"{gw}/time")
    assert (clock.status_code, clock.json()) == (200, {"foo": 42})


def _token(**claims: Any) -> str:
    claims.setdefault("exp", int(time.time()) + 300)
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256", headers={"kid": "k1"})


async def test_the_token_phase(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient, jwk_file: str
) -> None:
    # krakend-ce fixtures cel-6/cel-7: `size(JWT.roles)>1`, with auth/validator's roles
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "endpoints": [
                {
                    "endpoint": "/cel/jwt/{id}",
                    "backend": [{"url_pattern": "/param_forwarding/{id}/{JWT.sub}"}],
                    "extra_config": {
                        **_cel("size(JWT.roles)>1", "JWT.sub.startsWith('u')"),
                        "auth/validator": {
                            "alg": "HS256",
                            "jwk_local_path": jwk_file,
                            "roles": ["role_a", "role_b", "role_y"],
                        },
                    },
                }
            ],
        }
    )

    async def call(token: str) -> httpx.Response:
        return await client.get(f"{gw}/cel/jwt/ok", headers={"Authorization": f"Bearer {token}"})

    ok = await call(_token(sub="u1", roles=["role_a", "role_b"]))
    assert ok.status_code == 200
    assert ok.json()["path"] == "/param_forwarding/ok/u1"
    # one role: CEL rejects, 401, empty, before the roles check (which would say 403)
    one = await call(_token(sub="u1", roles=["role_x"]))
    assert (one.status_code, one.content) == (401, b"")
    # CEL passes, the roles do not: 403
    roles = await call(_token(sub="u1", roles=["role_x", "role_z"]))
    assert roles.status_code == 403
    # the second check, on another claim
    assert (await call(_token(sub="v1", roles=["role_a", "role_b"]))).status_code == 401
    assert STATS["/param_forwarding/ok/u1"] == 1  # only the first call got through
    assert "content-type" not in one.headers


async def test_random_requests_never_fail_the_gateway(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    gw = await start_gateway(_fixture_config(backend_url))
    cases: list[tuple[str, str, str]] = []

    @given(
        st.text(alphabet="0123456789x-%", min_size=1, max_size=6),
        st.text(alphabet="ab-", max_size=12),
        st.text(alphabet="xyz=&1", max_size=10),
    )
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    def collect(id_: str, header: str, query: str) -> None:
        cases.append((id_, header, query))

    collect()
    for id_, header, query in cases:
        for path in (f"/cel/req-resp/{id_}", f"/view/{id_}", f"/resp/{id_}"):
            r = await client.get(f"{gw}{path}?{query}", headers={"X-Header": header})
            assert r.status_code in (200, 400, 404, 500), (path, r.status_code)
            assert "Traceback" not in r.text
            if r.status_code == 500:
                # CEL's rejection, or lura's own answers (a param Go's url.Parse refuses)
                known = ("request aborted by evaluator #", "invalid status", 'parse "http')
                assert r.text.startswith(known), (
                    path,
                    query,
                    r.text,
                )


async def test_a_backend_rejection_counts_for_the_circuit_breaker(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    # krakend-ce backend_factory.go: the breaker wraps CEL, so CEL's rejections trip it.
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "extra_config": {"router": {"return_error_msg": True}},
            "endpoints": [
                {
                    "endpoint": "/guarded/{id}",
                    "backend": [
                        {
                            "url_pattern": "/param_forwarding/guarded/{id}",
                            "extra_config": {
                                **_cel("req_params.Id != 'bad'"),
                                "qos/circuit-breaker": {
                                    "interval": 60,
                                    "timeout": 60,
                                    "max_errors": 1,
                                },
                            },
                        }
                    ],
                }
            ],
        }
    )
    texts = [(await client.get(f"{gw}/guarded/bad")).text for _ in range(2)]
    assert texts == ["request aborted by evaluator #0"] * 2
    tripped = await client.get(f"{gw}/guarded/good")
    assert (tripped.status_code, tripped.text) == (500, "circuit breaker is open")
    assert STATS["/param_forwarding/guarded/good"] == 0


@pytest.mark.parametrize(
    ("input_headers", "expression", "status"),
    [
        # lura keys req_headers by the input_headers spelling (router/gin NewRequest)
        (["x-tenant"], "req_headers['x-tenant'] == ['acme']", 200),
        (["x-tenant"], "'X-Tenant' in req_headers", 500),
        (["X-Tenant"], "req_headers['X-Tenant'] == ['acme']", 200),
        (["*"], "req_headers['X-Tenant'] == ['acme']", 200),  # `*`: Go's canonical names
        (
            ["x-tenant"],
            "size(req_headers['User-Agent']) == 1 && 'X-Forwarded-For' in req_headers",
            200,
        ),
        ([], "!('X-Tenant' in req_headers)", 200),  # only Content-Type by default
    ],
)
async def test_header_names_as_lura_keys_them(
    input_headers: list[str],
    expression: str,
    status: int,
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    gw = await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "endpoints": [
                {
                    "endpoint": "/h",
                    "input_headers": input_headers,
                    "extra_config": _cel(expression),
                    "backend": [{"url_pattern": "/param_forwarding/h"}],
                }
            ],
        }
    )
    r = await client.get(f"{gw}/h", headers={"X-Tenant": "acme"})
    assert r.status_code == status
