"""`validation/json-schema` end to end: KrakenD's 400s, the backend never called for a bad body,
and a good body forwarded byte for byte."""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.backend_app import STATS
from tests.e2e.conftest import StartGateway

SCHEMA = {
    "type": "object",
    "required": ["name", "qty"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "qty": {"type": "integer", "minimum": 1},
    },
}
FIRST = f"jsonschema validation failed with 'file:///{os.getcwd().strip('/')}/schema#'"


def _config(backend_url: str, schema: Any, *, error_msg: bool) -> dict[str, Any]:
    return {
        "version": 3,
        "host": [backend_url],
        "extra_config": {"router": {"return_error_msg": error_msg}},
        "endpoints": [
            {
                "endpoint": "/orders",
                "method": "POST",
                "extra_config": {"validation/json-schema": schema},
                "backend": [{"url_pattern": "/param_forwarding/orders?dump_body=1"}],
            },
            {
                "endpoint": "/detailed",
                "method": "POST",
                "extra_config": {"validation/json-schema": {**SCHEMA, "x-detailed-errors": True}},
                "backend": [{"url_pattern": "/param_forwarding/detailed"}],
            },
        ],
    }


# (body sent, KrakenD's text under return_error_msg); every one is a 400 with the backend untouched
REFUSED = [
    (b"", "could not validate an empty body"),
    (b"{", "unexpected end of JSON input"),
    (b"name=a", "invalid character 'a' in literal null (expecting 'u')"),
    (b'{"name": "a", "qty": 1} {}', "invalid character '{' after top-level value"),
    (b"[]", FIRST + "\n- at '': got array, want object"),
    (b'{"name": "a"}', FIRST + "\n- at '': missing property 'qty'"),
    (
        b'{"name": "", "qty": 0}',
        None,
    ),  # two errors, in either order (KrakenD's order is a Go map's)
]


@pytest.mark.parametrize(("body", "text"), REFUSED)
async def test_invalid_bodies_are_400_and_never_reach_the_backend(
    body: bytes,
    text: str | None,
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
) -> None:
    gw = await start_gateway(_config(backend_url, SCHEMA, error_msg=True))
    r = await client.post(f"{gw}/orders", content=body)
    assert r.status_code == 400
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["x-krakend-completed"] == "false"
    if text is None:
        lines = r.text.split("\n")
        assert lines[0] == FIRST
        assert sorted(lines[1:]) == [
            "- at '/name': minLength: got 0, want 1",
            "- at '/qty': minimum: got 0, want 1",
        ]
    else:
        assert r.text == text
    assert STATS["/param_forwarding/orders"] == 0


async def test_without_return_error_msg_the_400_is_empty(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(_config(backend_url, SCHEMA, error_msg=False))
    r = await client.post(f"{gw}/orders", content=b'{"name": 1}')
    assert (r.status_code, r.content) == (400, b"")
    assert "content-type" not in r.headers
    get = await client.get(f"{gw}/orders")
    assert get.status_code == 405  # POST only: the router answers first
    assert STATS["/param_forwarding/orders"] == 0


async def test_a_valid_body_reaches_the_backend_unchanged(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(_config(backend_url, SCHEMA, error_msg=True))
    body = b'{ "qty" : 3,\n "name":"caf\xc3\xa9", "extra": [1.50, 1e2] }'
    r = await client.post(
        f"{gw}/orders", content=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["body"] == body.decode()
    assert STATS["/param_forwarding/orders"] == 1


async def test_detailed_errors_are_json_without_return_error_msg(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(_config(backend_url, SCHEMA, error_msg=False))
    r = await client.post(f"{gw}/detailed", content=b'{"name": "a", "qty": "1"}')
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {
        "valid": False,
        "errors": [
            {
                "keywordLocation": "/properties/qty/type",
                "instanceLocation": "/qty",
                "error": "got string, want integer",
            }
        ],
    }
    empty = await client.post(f"{gw}/detailed", content=b"")
    assert empty.json()["errors"][0]["error"] == "could not validate an empty body"
    ok = await client.post(f"{gw}/detailed", content=b'{"name": "a", "qty": 1}')
    assert ok.status_code == 200
    assert STATS["/param_forwarding/detailed"] == 1


_BODIES = st.one_of(
    st.binary(max_size=60),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(["name", "qty", "x"]), inner, max_size=3)
        ),
        max_leaves=6,
    ).map(lambda v: json.dumps(v).encode()),
)


async def test_random_bodies_are_200_or_400(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(_config(backend_url, SCHEMA, error_msg=True))
    seen: list[tuple[bytes, int, str]] = []

    @given(_BODIES)
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    def collect(body: bytes) -> None:
        seen.append((body, 0, ""))

    collect()
    for body, _, _ in seen:
        r = await client.post(f"{gw}/orders", content=body)
        assert r.status_code in (200, 400), (body, r.status_code, r.text)
        if r.status_code == 400:
            assert "Traceback" not in r.text and r.text
