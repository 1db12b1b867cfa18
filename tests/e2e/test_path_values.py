"""What path params, `{JWT.claim}` values and sequential values do to backend URLs, end to end.

Path params: lura's paramChecker (router/gin/engine.go) plus our dot-segment rule; claims: the
same rules (routing/params.py); sequential values: pasted in and parsed as Go's url.Parse does
(proxy/request.go GeneratePath, proxy/balancing.go).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import jwt
import pytest

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import JWT_SECRET, StartGateway

ENCODED = "error: encoded url params"


def _config(backend_url: str, *endpoints: dict[str, Any], **service: Any) -> dict[str, Any]:
    return {"version": 3, "host": [backend_url], "endpoints": list(endpoints), **service}


def _forwarded() -> int:
    return sum(n for path, n in STATS.items() if path.startswith("/param_forwarding/"))


async def test_path_params_are_checked_as_lura_does(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {"endpoint": "/p/{id}", "backend": [{"url_pattern": "/param_forwarding/{id}"}]},
            {"endpoint": "/q/{a}/{b}", "backend": [{"url_pattern": "/param_forwarding/{a}/{b}"}]},
        )
    )
    for raw, body in [
        ("/p/100%25", 'error: invalid URL escape "%"'),  # decoded to `100%`
        ("/p/%25", 'error: invalid URL escape "%"'),
        # A raw bad escape in the target never reaches gin: Go's server refuses the request line
        # (`url.ParseRequestURI`) with its plain 400 (edge/request_target.py).
        ("/p/%zz", "400 Bad Request"),
        ("/p/100%", "400 Bad Request"),
        ("/p/%2541", ENCODED),  # decodes to `%41`, which PathUnescape changes
        ("/p/123%3f", ENCODED),  # lura's own test cases
        ("/p/123%23", ENCODED),
        ("/p/..;", ENCODED),
        ("/p/..;jsessionid=1", ENCODED),
        ("/p/%2E%2E", ENCODED),
        ("/p/..%5C", ENCODED),
        ("/q/100%25/a%3Fb", 'error: invalid URL escape "%"'),  # the first param decides
    ]:
        r = await client.get(gw + raw)
        assert (r.status_code, r.text) == (400, body), raw
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        assert "x-krakend" not in r.headers  # answered before the endpoint, as gin's middleware
    assert _forwarded() == 0

    r = await client.get(f"{gw}/p/a..b;c")
    assert (r.status_code, r.json()["path"]) == (200, "/param_forwarding/a..b;c")


async def test_path_decoding_disabled_pastes_params_like_lura(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/p/{id}",
                "input_query_strings": ["k"],
                "backend": [{"url_pattern": "/param_forwarding/{id}/tail"}],
            },
            extra_config={"router": {"disable_path_decoding": True, "return_error_msg": True}},
        )
    )
    r = await client.get(f"{gw}/p/a%3Fb=1?k=v")  # the param is `a?b=1`
    assert r.status_code == 200
    assert r.json()["path"] == "/param_forwarding/a"
    assert r.json()["query"] == {"b": ["1/tail"], "k": ["v"]}
    r = await client.get(f"{gw}/p/100%25")  # url.Parse fails: 500, the backend never called
    assert r.status_code == 500
    assert r.text == f'parse "{backend_url}/param_forwarding/100%/tail": invalid URL escape "%/t"'
    assert STATS["/param_forwarding/100%/tail"] == 0


def _token(sub: str) -> str:
    claims = {"sub": sub, "exp": int(time.time()) + 300}
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256", headers={"kid": "k1"})


async def test_claim_values_obey_the_path_param_rules(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient, jwk_file: str
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/me",
                "extra_config": {"auth/validator": {"alg": "HS256", "jwk_local_path": jwk_file}},
                "backend": [{"url_pattern": "/param_forwarding/users/{JWT.sub}/profile"}],
            },
        )
    )
    for sub, body in [
        ("../../admin", ENCODED),
        ("..", ENCODED),
        ("..;", ENCODED),
        ("a/../../b", ENCODED),
        ("..\\admin", ENCODED),
        ("u?admin=1", ENCODED),
        ("u#x", ENCODED),
        ("%2e%2e", ENCODED),
        ("100%", 'error: invalid URL escape "%"'),
    ]:
        r = await client.get(f"{gw}/me", headers={"Authorization": "Bearer " + _token(sub)})
        assert (r.status_code, r.text) == (400, body), sub
    assert _forwarded() == 0

    for sub, path in [
        ("u42", "/param_forwarding/users/u42/profile"),
        ("a/b", "/param_forwarding/users/a/b/profile"),  # KrakenD's two segments
        ("auth0|x y", "/param_forwarding/users/auth0|x y/profile"),
    ]:
        r = await client.get(f"{gw}/me", headers={"Authorization": "Bearer " + _token(sub)})
        assert (r.status_code, r.json()["path"]) == (200, path), sub


@pytest.fixture
async def sequential_gateway(backend_url: str, start_gateway: StartGateway) -> str:
    # Step 0 answers the JSON the client sends (the mock's /raw); step 1 puts its `x` in the path.
    return await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/seq",
                "input_query_strings": ["ct", "body", "k"],
                "extra_config": {"proxy": {"sequential": True}},
                "backend": [
                    {"url_pattern": "/raw", "input_query_strings": ["ct", "body"]},
                    {
                        "url_pattern": "/param_forwarding/{resp0_x}?own=1",
                        "input_query_strings": ["k"],
                    },
                ],
            },
            extra_config={"router": {"return_error_msg": True}},
        )
    )


async def _seq(client: httpx.AsyncClient, gw: str, x: str) -> httpx.Response:
    body = json.dumps({"x": x})
    return await client.get(f"{gw}/seq", params={"ct": "application/json", "body": body, "k": "v"})


@pytest.mark.parametrize(
    ("x", "path", "query"),
    [
        ("a?b=1", "/param_forwarding/a", {"b": ["1?own=1"], "k": ["v"]}),
        ("a#b", "/param_forwarding/a", {"k": ["v"]}),  # the fragment takes `?own=1` with it
        ("a?", "/param_forwarding/a", {"?own": ["1"], "k": ["v"]}),  # RawQuery `?own=1`
        ("a/b c", "/param_forwarding/a/b c", {"own": ["1"], "k": ["v"]}),
    ],
)
async def test_sequential_values_are_pasted_into_the_url(
    sequential_gateway: str, client: httpx.AsyncClient, x: str, path: str, query: Any
) -> None:
    r = await _seq(client, sequential_gateway, x)
    assert r.status_code == 200
    assert r.headers["x-krakend-completed"] == "true"
    assert (r.json()["x"], r.json()["path"], r.json()["query"]) == (x, path, query)


async def test_a_sequential_value_go_cannot_parse_fails_its_step(
    sequential_gateway: str, client: httpx.AsyncClient
) -> None:
    r = await _seq(client, sequential_gateway, "100%")
    assert (r.status_code, r.json()) == (200, {"x": "100%"})  # step 0's data only: partial
    assert r.headers["x-krakend-completed"] == "false"
    assert _forwarded() == 0  # the second backend was never called
