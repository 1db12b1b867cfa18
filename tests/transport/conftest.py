"""Fixtures: a client that is always closed, and loopback servers tied to the test's nursery."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import pytest
import trio

from tests.transport.servers import Handler, Server, StartServer, ok, start_server
from trio_gateway.transport import HTTPClient


@pytest.fixture
async def client() -> AsyncIterator[HTTPClient]:
    async with HTTPClient() as client:
        yield client


@pytest.fixture
def serve(nursery: trio.Nursery) -> StartServer:
    """`await serve(handler)` starts a server that stops when the test ends."""

    async def start(handler: Handler = ok, *, ssl_context: ssl.SSLContext | None = None) -> Server:
        return await start_server(nursery, handler, ssl_context=ssl_context)

    return start
