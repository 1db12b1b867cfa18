"""What reaches the backend: params, headers, query strings, bodies (reference §2, §8.4)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import StartGateway


def _config(backend_url: str, *endpoints: dict[str, Any], **service: Any) -> dict[str, Any]:
    return {"version": 3, "host": [backend_url], "endpoints": list(endpoints), **service}


async def test_default_forwarding(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {"endpoint": "/no-params", "backend": [{"url_pattern": "/param_forwarding/no-params"}]},
        )
    )
    r = await client.get(
        f"{gw}/no-params?a=1&b=2",
        headers={"X-Test-1": "some", "Content-Type": "application/json", "User-Agent": "tester"},
    )
    body = r.json()
    assert body["query"] == {}
    headers = body["headers"]
    assert headers["Content-Type"] == ["application/json"]
    assert headers["User-Agent"][0].startswith("trio-gateway/")
    assert headers["X-Forwarded-For"] == ["127.0.0.1"]
    assert headers["X-Forwarded-Host"] == [gw.removeprefix("http://")]
    assert "X-Test-1" not in headers


async def test_header_and_query_allowlists(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/filter",
                "input_headers": ["X-Test-1"],
                "input_query_strings": ["a", "b"],
                "backend": [{"url_pattern": "/param_forwarding/filter?extra=true"}],
            },
            {
                "endpoint": "/all",
                "input_headers": ["*"],
                "input_query_strings": ["*"],
                "backend": [{"url_pattern": "/param_forwarding/all"}],
            },
        )
    )
    r = await client.get(
        f"{gw}/filter?a=1&b=2&b=3&c=4", headers={"x-tESt-1": "some", "X-Test-2": "no"}
    )
    body = r.json()
    assert body["query"] == {"extra": ["true"], "a": ["1"], "b": ["2", "3"]}
    assert body["headers"]["X-Test-1"] == ["some"]
    assert "X-Test-2" not in body["headers"]

    r = await client.get(
        f"{gw}/all?c=3", headers={"User-Agent": "KrakenD Test", "X-Test-2": "none"}
    )
    headers = r.json()["headers"]
    assert headers["User-Agent"] == ["KrakenD Test"]
    assert headers["X-Forwarded-Via"][0].startswith("trio-gateway/")
    assert headers["X-Test-2"] == ["none"]
    assert r.json()["query"] == {"c": ["3"]}


async def test_params_fill_the_url_pattern(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/param_forwarding/{first}/constant/{second}",
                "method": "POST",
                "backend": [{"url_pattern": "/param_forwarding/{first}/{second}?q={second}"}],
            },
        )
    )
    r = await client.post(f"{gw}/param_forwarding/foo/constant/a%20b")
    assert r.status_code == 200
    assert r.json()["path"] == "/param_forwarding/foo/a b"
    assert r.json()["query"] == {"q": ["a b"]}


async def test_path_smuggling_is_rejected(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {"endpoint": "/users/{id}", "backend": [{"url_pattern": "/param_forwarding/{id}"}]},
        )
    )
    for raw in ("%253F", "%3Fadmin", "%23frag", "%2E%2E", "."):
        r = await client.get(f"{gw}/users/{raw}")
        assert r.status_code in (400, 404), raw
        if r.status_code == 400:
            assert r.text == "error: encoded url params"
    r = await client.get(f"{gw}/users/a%2Fb")  # decodes to two segments: no route
    assert r.status_code == 404


async def test_body_reaches_every_backend(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/multipost/{id}",
                "method": "POST",
                "backend": [
                    {"url_pattern": "/param_forwarding/a/{id}?dump_body=1", "group": "first"},
                    {"url_pattern": "/param_forwarding/b/{id}?dump_body=1", "group": "second"},
                ],
            },
        )
    )
    r = await client.post(f"{gw}/multipost/foo", json={"foo": "bar"})
    body = r.json()
    assert body["first"]["body"] == '{"foo":"bar"}'
    assert body["second"]["body"] == '{"foo":"bar"}'
    assert body["first"]["method"] == "POST"
    assert r.headers["x-krakend-completed"] == "true"


async def test_host_list_is_load_balanced(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    from tests.e2e.backend_app import STATS

    host = backend_url.replace("127.0.0.1", "localhost")
    gw = await start_gateway(
        {
            "version": 3,
            "endpoints": [
                {
                    "endpoint": "/lb",
                    "backend": [
                        {"host": [backend_url, host], "url_pattern": "/param_forwarding/lb"}
                    ],
                }
            ],
        }
    )
    for _ in range(4):
        assert (await client.get(f"{gw}/lb")).status_code == 200
    assert STATS["/param_forwarding/lb"] == 4


async def test_body_and_header_limits(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                "endpoint": "/upload",
                "method": "POST",
                "backend": [{"url_pattern": "/param_forwarding/u"}],
            },
            max_header_bytes=4096,
            extra_config={"router": {"max_payload": 1000}},
        )
    )
    assert (await client.post(f"{gw}/upload", content=b"x" * 1000)).status_code == 200
    r = await client.post(f"{gw}/upload", content=b"x" * 1001)
    assert (r.status_code, r.content) == (413, b"")
    r = await client.post(f"{gw}/upload", headers={"X-Big": "y" * 5000})
    assert r.status_code == 431
