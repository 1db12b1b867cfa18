"""Importable hook functions for the hook tests (`tests.hook_fixtures:name` in configs)."""

from __future__ import annotations

from typing import Any

import trio.lowlevel

from trio_gateway.modifier.python import Reject, get_header, set_header
from trio_gateway.types import Request, Response

NOT_CALLABLE = 42
CALLS: list[str] = []


def add_header(request: Request) -> None:
    """Sync: the backend sees `X-Hook: sync` and a changed param and query."""
    set_header(request.headers, "X-Hook", "sync")
    request.query.append(("hooked", "1"))


async def add_header_async(request: Request) -> None:
    await trio.lowlevel.checkpoint()
    set_header(request.headers, "X-Hook", "async")


def replace_request(request: Request) -> Request:
    return Request(
        method=request.method,
        path=request.path,
        params={**request.params, "id": "replaced"},
        query=[],
        headers=[],
        body=b"new body",
    )


def require_token(request: Request) -> None:
    """403 unless `X-Token: secret`."""
    if get_header(request.headers, "x-token") != "secret":
        raise Reject(403, b'{"error": "forbidden"}', [("Content-Type", "application/json")])


def reject_teapot(request: Request) -> None:
    raise Reject(418, "short and stout", [("X-Why", "tea")])


def add_field(response: Response) -> None:
    if response.data is not None:
        response.data["hooked"] = True


async def add_field_async(response: Response) -> None:
    await trio.lowlevel.checkpoint()
    if response.data is not None:
        response.data["hooked"] = "async"


def replace_response(response: Response) -> Response:
    return Response(data={"replaced": True}, headers=[(b"x-replaced", b"1")])


def broken(argument: Any) -> None:
    raise RuntimeError("boom")


async def broken_async(argument: Any) -> None:
    await trio.lowlevel.checkpoint()
    raise KeyError("missing")


def wrong_return(argument: Any) -> int:
    return 7


def record(request: Request) -> None:
    CALLS.append(request.path)


class Hooks:
    """`tests.hook_fixtures:Hooks.add_header` names a nested attribute."""

    @staticmethod
    def add_header(request: Request) -> None:
        set_header(request.headers, "X-Hook", "static")
