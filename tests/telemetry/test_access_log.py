"""The access log: gin's line, the request's fields, the client IP as gin resolves it, the trace
id of the current span, and no credential in any of its formats."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from trio_gateway.edge.access_log import AccessLog, redact_query
from trio_gateway.routing.clientip import ClientIPResolver
from trio_gateway.types import TRACE_ID_KEY


@pytest.mark.parametrize(
    ("query", "logged"),
    [
        ("", ""),
        ("x=1&y=2", "x=1&y=2"),
        ("access_token=abc&x=1", "access_token=REDACTED&x=1"),
        ("token=a&id_token=b&refresh_token=c", "token=REDACTED&id_token=REDACTED&refresh_token=REDACTED"),  # noqa: E501
        ("api_key=k&apikey=k&api-key=k&key=k&keyword=ok", "api_key=REDACTED&apikey=REDACTED&api-key=REDACTED&key=REDACTED&keyword=ok"),  # noqa: E501
        ("password=p&client_secret=s&sig=x&signature=y", "password=REDACTED&client_secret=REDACTED&sig=REDACTED&signature=REDACTED"),  # noqa: E501
        ("code=c&session=s&jwt=j&Authorization=a", "code=REDACTED&session=REDACTED&jwt=REDACTED&Authorization=REDACTED"),  # noqa: E501
        ("acc%65ss_token=abc", "acc%65ss_token=REDACTED"),  # the name as the backend reads it
        ("token", "token"),  # no value to hide
    ],
)  # fmt: skip
def test_credential_like_query_values_are_redacted(query: str, logged: str) -> None:
    assert redact_query(query) == logged


async def _answer(scope: dict[str, Any], receive: Any, send: Any) -> None:
    scope[TRACE_ID_KEY] = 0x0AF7651916CD43DD8448EB211C80319C  # what the tracing layer notes
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"abc"})


async def _untraced(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.mark.parametrize(
    ("app", "trace_id"), [(_answer, "0af7651916cd43dd8448eb211c80319c"), (_untraced, None)]
)
async def test_the_trace_id_of_the_request_when_traced(
    app: Any, trace_id: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="trio_gateway.access")
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/t",
        "query_string": b"",
        "headers": [],
        "client": ("10.1.1.1", 5000),
    }

    async def send(message: dict[str, Any]) -> None:
        pass

    await AccessLog((), ClientIPResolver()).serve(app, scope, None, send)  # type: ignore[arg-type]
    (record,) = [vars(r) for r in caplog.records if r.name == "trio_gateway.access"]
    assert record["trace_id"] == trace_id
    assert (record["status"], record["client_ip"]) == (201 if trace_id else 200, "10.1.1.1")
