"""Python hooks through the real gateway: what the backend sees, what the client gets."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import StartGateway

M = "tests.hook_fixtures"


def _endpoint(path: str, backend: str, **extra: Any) -> dict[str, Any]:
    endpoint: dict[str, Any] = {"endpoint": path, "backend": [{"url_pattern": backend}]}
    if extra:
        endpoint["extra_config"] = {"modifier/python": extra}
    return endpoint


def _config(backend_url: str, *endpoints: dict[str, Any], **service: Any) -> dict[str, Any]:
    return {"version": 3, "host": [backend_url], "endpoints": list(endpoints), **service}


async def test_request_and_response_hooks(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    backend_level: dict[str, Any] = {
        "url_pattern": "/param_forwarding/backend",
        "extra_config": {"modifier/python": {"request": f"{M}:add_header_async"}},
    }
    gw = await start_gateway(
        _config(
            backend_url,
            _endpoint(
                "/sync/{id}",
                "/param_forwarding/{id}",
                request=f"{M}:add_header",
                response=f"{M}:add_field",
            ),
            {"endpoint": "/backend-level", "backend": [backend_level]},
        )
    )
    r = await client.get(f"{gw}/sync/7?dropped=1")
    assert r.status_code == 200
    body = r.json()
    # not in input_headers / input_query_strings: the hook runs after the edge filtered them
    assert body["headers"]["X-Hook"] == ["sync"]
    assert body["query"] == {"hooked": ["1"]}
    assert body["path"] == "/param_forwarding/7"
    assert body["hooked"] is True
    assert r.headers["x-krakend-completed"] == "true"

    r = await client.get(f"{gw}/backend-level")
    assert r.status_code == 200
    assert r.json()["headers"]["X-Hook"] == ["async"]


async def test_reject_answers_without_calling_the_backend(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            {
                # a hook sees the forwarded request: the header it reads must be forwarded
                **_endpoint("/guarded", "/param_forwarding/guarded", request=f"{M}:require_token"),
                "input_headers": ["X-Token"],
            },
            _endpoint("/teapot", "/param_forwarding/teapot", request=f"{M}:reject_teapot"),
        )
    )
    r = await client.get(f"{gw}/guarded")
    assert r.status_code == 403
    assert r.json() == {"error": "forbidden"}
    assert r.headers["content-type"] == "application/json"
    assert STATS["/param_forwarding/guarded"] == 0

    r = await client.get(f"{gw}/guarded", headers={"X-Token": "secret"})
    assert r.status_code == 200
    assert STATS["/param_forwarding/guarded"] == 1

    r = await client.get(f"{gw}/teapot")
    assert r.status_code == 418
    assert r.text == "short and stout"
    assert r.headers["x-why"] == "tea"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["x-krakend-completed"] == "false"
    assert STATS["/param_forwarding/teapot"] == 0


async def test_backend_hook_reject_is_that_backend_failing(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    rejected: dict[str, Any] = {
        "url_pattern": "/param_forwarding/b",
        "group": "b",
        "extra_config": {"modifier/python": {"request": f"{M}:reject_teapot"}},
    }
    kept: dict[str, Any] = {
        "url_pattern": "/param_forwarding/a",
        "group": "a",
        "extra_config": {"modifier/python": {"response": f"{M}:add_field"}},
    }
    gw = await start_gateway(
        _config(backend_url, {"endpoint": "/two", "backend": [kept, rejected]})
    )
    r = await client.get(f"{gw}/two")
    assert r.status_code == 200
    assert r.headers["x-krakend-completed"] == "false"
    body = r.json()
    # the backend's response hook runs after its `group`, before the merge
    assert sorted(body) == ["a", "hooked"]
    assert body["hooked"] is True
    assert (STATS["/param_forwarding/a"], STATS["/param_forwarding/b"]) == (1, 0)


async def test_failing_hook_is_a_bare_500(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            _endpoint("/req", "/param_forwarding/req", request=f"{M}:broken"),
            _endpoint("/resp", "/param_forwarding/resp", response=f"{M}:broken_async"),
        )
    )
    r = await client.get(f"{gw}/req")
    assert (r.status_code, r.content) == (500, b"")
    assert STATS["/param_forwarding/req"] == 0
    r = await client.get(f"{gw}/resp")
    assert (r.status_code, r.content) == (500, b"")
    assert STATS["/param_forwarding/resp"] == 1


async def test_failing_hook_text_only_with_return_error_msg(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            _endpoint("/req", "/param_forwarding/req", request=f"{M}:broken"),
            extra_config={"router": {"return_error_msg": True}},
        )
    )
    r = await client.get(f"{gw}/req")
    assert r.status_code == 500
    assert r.text == f"hook {M}:broken failed"  # the exception itself stays in the log
