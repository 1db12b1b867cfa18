"""The edge in-process: KrakenD's response rules, and bugs never reaching the client."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_gateway.config import load_config_data
from trio_gateway.edge.app import GatewayApp
from trio_gateway.edge.endpoint import bad_params
from trio_gateway.errors import BackendStatusError
from trio_gateway.plan import compile_plan
from trio_gateway.proxy.request import UrlTemplate
from trio_gateway.routing.gourl import UrlParseError
from trio_gateway.routing.router import Match, Router
from trio_gateway.stack import EndpointStack
from trio_gateway.types import Request, Response


def _app(monkeypatch: pytest.MonkeyPatch, proxy: Any, **service: Any) -> GatewayApp:
    config = load_config_data(
        {
            "version": 3,
            "host": ["http://127.0.0.1:10"],
            "endpoints": [{"endpoint": "/e/{id}", "backend": [{"url_pattern": "/{id}"}]}],
            **service,
        }
    ).config
    monkeypatch.setattr(
        "trio_gateway.edge.app.build_endpoint",
        lambda plan, context: EndpointStack(guards=(), responder=None, proxy=proxy),
    )
    app = GatewayApp(compile_plan(config))
    app.startup()
    return app


async def _get(app: GatewayApp, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        return await client.get(path)


async def test_a_bug_is_a_bare_500(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(request: Request) -> Response:
        raise TypeError("secret internal detail")

    app = _app(monkeypatch, broken, extra_config={"router": {"return_error_msg": True}})
    r = await _get(app, "/e/1")
    assert r.status_code == 500
    assert r.content == b""
    assert "secret" not in str(r.headers)
    assert "secret internal detail" in caplog.text  # ...but the operator sees it


@pytest.mark.parametrize(
    ("data", "complete", "completed_header", "cache"),
    [
        ({"a": 1}, True, "true", "public, max-age=1"),  # 1500 ms truncated to 1 s
        ({"a": 1}, False, "false", None),
        ({}, True, "false", None),  # complete but empty is not "completed"
        (None, False, "false", None),
    ],
)
async def test_completed_header_and_cache_control(
    monkeypatch: pytest.MonkeyPatch,
    data: dict[str, Any] | None,
    complete: bool,
    completed_header: str,
    cache: str | None,
) -> None:
    async def proxy(request: Request) -> Response:
        return Response(data=data, is_complete=complete)

    app = _app(monkeypatch, proxy, cache_ttl="1500ms")
    r = await _get(app, "/e/1")
    assert r.status_code == 200
    assert r.headers["x-krakend-completed"] == completed_header
    assert r.headers.get("cache-control") == cache
    assert r.content == (
        b"null" if data is None else httpx.Response(200, json=data).content.replace(b" ", b"")
    )


async def test_return_error_code_passes_status_and_content_type(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def proxy(request: Request) -> Response:
        raise BackendStatusError(
            '{"e":1}',
            status=418,
            body=b'{"e":1}',
            content_type="application/json",
            pass_status=True,
        )

    app = _app(monkeypatch, proxy, extra_config={"router": {"return_error_msg": True}})
    r = await _get(app, "/e/1")
    assert (r.status_code, r.text, r.headers["content-type"]) == (
        418,
        '{"e":1}',
        "application/json",
    )


@pytest.mark.parametrize(
    ("value", "rejected"),
    [
        ("42", False),
        ("a b", False),
        ("a+b", False),
        ("%25", True),
        ("?x", True),
        ("x#y", True),
        ("..", True),
        (".", True),
        ("a..b", False),
    ],
)
def test_bad_params(value: str, rejected: bool) -> None:
    assert (bad_params({"id": value}) is not None) is rejected


@given(st.text(min_size=1, max_size=12))
def test_a_param_never_changes_the_backend_path(value: str) -> None:
    # What the router can produce (one segment of the decoded path) and the param checker lets
    # through always lands in exactly the segment the url_pattern put it in.
    router = Router([("GET", "/u/{id}", "h")])
    found = router.match("GET", "/u/" + value)
    if not isinstance(found, Match) or bad_params(found.params) is not None:
        return
    try:
        path = UrlTemplate("/backend/{id}/tail").render(found.params)
    except UrlParseError:
        return  # a control byte: Go's url.Parse fails the call (500), no backend is called
    segments = path.split("/")
    assert segments[:2] == ["", "backend"] and segments[-1] == "tail" and len(segments) == 4
