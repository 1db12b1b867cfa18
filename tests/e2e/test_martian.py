"""modifier/martian end to end: the real gateway, a loopback backend that echoes what it gets."""

from __future__ import annotations

import base64
import json
import string
from typing import Any

import httpx
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import StartGateway

MARTIAN = "modifier/martian"


def _config(backend_url: str, *endpoints: dict[str, Any], **service: Any) -> dict[str, Any]:
    return {"version": 3, "host": [backend_url], "endpoints": list(endpoints), **service}


def _endpoint(path: str, url_pattern: str, block: dict[str, Any], **keys: Any) -> dict[str, Any]:
    backend = {"url_pattern": url_pattern, "extra_config": {MARTIAN: block}}
    backend.update(keys.pop("backend", {}))
    return {"endpoint": path, "backend": [backend], **keys}


TYPICAL = {
    "fifo.Group": {
        "scope": ["request", "response"],
        "aggregateErrors": True,
        "modifiers": [
            {"header.Modifier": {"scope": ["request"], "name": "X-Martian", "value": "yes"}},
            {"header.Append": {"scope": ["request"], "name": "X-List", "value": "two"}},
            {"querystring.Modifier": {"scope": ["request"], "name": "added", "value": "1 2"}},
        ],
    }
}


async def test_request_modifiers_change_what_the_backend_receives(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        _config(
            backend_url,
            _endpoint(
                "/typical",
                "/param_forwarding/typical",
                TYPICAL,
                input_headers=["X-List"],
                input_query_strings=["q"],
            ),
        )
    )
    r = await client.get(f"{gw}/typical?q=a&other=b", headers={"X-List": "one"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["headers"]["X-Martian"] == ["yes"]
    assert got["headers"]["X-List"] == ["one", "two"]
    assert got["query"] == {"added": ["1 2"], "q": ["a"]}


async def test_filters_url_and_body(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    filtered = {
        "header.Filter": {
            "name": "X-Tenant",
            "value": "acme",
            "modifier": {"url.Modifier": {"path": "/param_forwarding/acme"}},
            "else": {"querystring.Modifier": {"name": "tenant", "value": "other"}},
        }
    }
    body = {
        "body.Modifier": {
            "scope": ["request"],
            "contentType": "text/plain",
            "body": base64.b64encode(b"replaced").decode(),
        }
    }
    gw = await start_gateway(
        _config(
            backend_url,
            _endpoint(
                "/filtered", "/param_forwarding/filtered", filtered, input_headers=["X-Tenant"]
            ),
            _endpoint("/body", "/param_forwarding/body?dump_body=1", body, method="POST"),
        )
    )
    acme = (await client.get(f"{gw}/filtered", headers={"X-Tenant": "acme"})).json()
    assert acme["path"] == "/param_forwarding/acme" and acme["query"] == {}
    other = (await client.get(f"{gw}/filtered", headers={"X-Tenant": "nope"})).json()
    assert other["path"] == "/param_forwarding/filtered" and other["query"] == {"tenant": ["other"]}
    posted = (await client.post(f"{gw}/body", content=b"original")).json()
    assert posted["body"] == "replaced" and posted["headers"]["Content-Type"] == ["text/plain"]


async def test_response_modifiers_run_before_the_status_check_and_the_decoding(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    rescued = {
        "fifo.Group": {
            "modifiers": [
                {"status.Modifier": {"statusCode": 200}},
                {
                    "body.Modifier": {
                        "scope": ["response"],
                        "contentType": "application/json",
                        "body": base64.b64encode(b'{"rescued": true}').decode(),
                    }
                },
            ]
        }
    }
    gw = await start_gateway(
        _config(
            backend_url,
            _endpoint("/rescued", "/status/404", rescued),
            _endpoint("/plain", "/status/404", {"header.Modifier": {"name": "X", "value": "1"}}),
        )
    )
    r = await client.get(f"{gw}/rescued")
    assert (r.status_code, r.json()) == (200, {"rescued": True})
    assert (await client.get(f"{gw}/plain")).status_code == 500


async def test_no_op_endpoints_pass_the_modified_response_to_the_client(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    block = {
        "fifo.Group": {
            "modifiers": [
                {"header.Modifier": {"scope": ["response"], "name": "X-Via", "value": "martian"}},
                {"cookie.Modifier": {"scope": ["response"], "name": "seen", "value": "1"}},
                {"header.Blacklist": {"scope": ["response"], "names": ["Content-Type"]}},
            ]
        }
    }
    gw = await start_gateway(
        _config(
            backend_url,
            _endpoint(
                "/raw",
                "/param_forwarding/raw",
                block,
                output_encoding="no-op",
                backend={"encoding": "no-op"},
            ),
        )
    )
    r = await client.get(f"{gw}/raw")
    assert r.status_code == 200
    assert r.headers["X-Via"] == "martian"
    assert r.headers.get_list("set-cookie") == ["test1=test1", "test2=test2", "seen=1"]
    assert "content-type" not in r.headers
    assert r.json()["path"] == "/param_forwarding/raw"


async def test_a_modifier_error_fails_the_call(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    block = {"header.Append": {"scope": ["request"], "name": "Host", "value": "again"}}
    gw = await start_gateway(
        _config(
            backend_url,
            _endpoint("/broken", "/param_forwarding/broken", block),
            extra_config={"router": {"return_error_msg": True}},
        )
    )
    r = await client.get(f"{gw}/broken")
    assert r.status_code == 500
    assert "illegal header multiple: Host" in r.text


_NAME = st.text(alphabet=string.ascii_letters + string.digits + "-_!#$%&'*+.^`|~", min_size=1)
_VALUE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
_QUERY = st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=5)


async def test_any_header_and_query_never_breaks_the_gateway(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    """hypothesis over the header names and values of a block and the client's query: every
    answer is a 200 with what martian set, never a 500 or a traceback."""
    checked: list[tuple[str, str, list[tuple[str, str]]]] = []

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(name=_NAME, value=_VALUE, query=_QUERY)
    def collect(name: str, value: str, query: list[tuple[str, str]]) -> None:
        checked.append((name, value, query))

    collect()
    for name, value, query in checked:
        if name.lower() in ("host", "content-length", "transfer-encoding", "trailer"):
            continue
        block = {
            "fifo.Group": {
                "modifiers": [
                    {"header.Modifier": {"scope": ["request"], "name": name, "value": value}},
                    {"querystring.Modifier": {"name": value or "k", "value": name}},
                ]
            }
        }
        gw = await start_gateway(
            _config(
                backend_url,
                _endpoint("/h", "/param_forwarding/h", block, input_query_strings=["*"]),
            )
        )
        r = await client.get(f"{gw}/h", params=query)
        assert r.status_code == 200, (name, value, query, r.text)
        got = r.json()
        sent = got["headers"]
        canonical = "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))
        assert sent.get(canonical) == [value.strip(" ")] or sent.get(canonical) == [value], (
            name,
            value,
            json.dumps(sent),
        )
        assert got["query"][value or "k"] == [name]
        await trio.lowlevel.checkpoint()
