"""`encoding: xml` backends end to end: Go's tokens and mxj v2.7's map (krakend-xml v2.2.2)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import StartGateway


@pytest.fixture
async def xml_gateway(backend_url: str, start_gateway: StartGateway) -> str:
    # The mock's /raw answers the body the client sends, as application/xml.
    return await start_gateway(
        {
            "version": 3,
            "host": [backend_url],
            "extra_config": {"router": {"return_error_msg": True}},
            "endpoints": [
                {
                    "endpoint": "/xml",
                    "input_query_strings": ["ct", "body"],
                    "backend": [{"url_pattern": "/raw", "encoding": "xml"}],
                }
            ],
        }
    )


async def _get(client: httpx.AsyncClient, gw: str, body: str) -> httpx.Response:
    return await client.get(f"{gw}/xml", params={"ct": "application/xml", "body": body})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # mxj v2.7: text before the first child goes under #text, the children stay
        ("<p>head<b>bold</b>tail</p>", {"p": {"#text": "head", "b": "bold"}}),
        # Go's decoder: stray text before the root, a repeated attribute (the last wins), and
        # attribute values as written (no whitespace normalisation)
        ('junk <a x="1" x="2" y="a\tb\nc"/>', {"a": {"-x": "2", "-y": "a\tb\nc"}}),
        # a DOCTYPE is skipped, its external DTD never fetched
        ('<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r>x</r>', {"r": "x"}),
    ],
)
async def test_xml_backends_decode_as_krakend(
    xml_gateway: str, client: httpx.AsyncClient, body: str, expected: dict[str, Any]
) -> None:
    r = await _get(client, xml_gateway, body)
    assert (r.status_code, r.json()) == (200, expected)
    assert r.headers["x-krakend-completed"] == "true"


async def test_an_entity_bomb_is_an_unknown_entity(
    xml_gateway: str, client: httpx.AsyncClient
) -> None:
    bomb = (
        '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<l>&b;</l>"
    )
    r = await _get(client, xml_gateway, bomb)
    assert r.status_code == 500
    assert (
        r.text == "xml.Decoder.Token() - XML syntax error on line 1: invalid character entity &b;"
    )
