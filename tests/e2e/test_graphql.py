"""`backend/graphql` end to end: what a loopback backend receives for queries and mutations,
over POST and GET, and the configurations `check` refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from trio_gateway.config import ConfigError, load_config_data

from .conftest import StartGateway

ECHO = "/param_forwarding/graphql?dump_body=1"
QUERY = "query Hero($id: ID!) { hero(id: $id) { name } }"


def graphql(**config: Any) -> dict[str, Any]:
    return {"backend/graphql": config}


def config(backend_url: str, *endpoints: dict[str, Any]) -> dict[str, Any]:
    return {"version": 3, "host": [backend_url], "endpoints": list(endpoints)}


async def test_queries_and_mutations_reach_the_backend_as_krakend_sends_them(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    gw = await start_gateway(
        config(
            backend_url,
            {
                "endpoint": "/heroes/{id}",
                "input_headers": ["Content-Type", "X-Trace"],
                "backend": [
                    {
                        "url_pattern": ECHO,
                        "extra_config": graphql(
                            type="query",
                            query=QUERY,
                            operationName="Hero",
                            variables={"id": "{id}", "lang": "en"},
                        ),
                    }
                ],
            },
            {
                "endpoint": "/heroes-get/{id}",
                "input_query_strings": ["page"],
                "backend": [
                    {
                        "url_pattern": ECHO,
                        "extra_config": graphql(
                            type="query", method="get", query=QUERY, variables={"id": "{id}"}
                        ),
                    }
                ],
            },
            {
                "endpoint": "/heroes",
                "method": "POST",
                "backend": [
                    {
                        "url_pattern": ECHO,
                        "extra_config": graphql(
                            type="mutation",
                            query="mutation Add($name: String!, $side: String) { add }",
                            variables={"side": "light", "name": "nobody"},
                        ),
                    }
                ],
            },
        )
    )
    # a query: POST with the filled variables, whatever the client's method and body
    answer = await client.get(
        f"{gw}/heroes/1000", headers={"Content-Type": "text/plain", "X-Trace": "t1"}
    )
    assert answer.status_code == 200
    seen = answer.json()
    assert seen["method"] == "POST"
    assert seen["headers"]["Content-Type"] == ["application/json"]
    assert seen["headers"]["X-Trace"] == ["t1"]
    assert json.loads(seen["body"]) == {
        "query": QUERY,
        "operationName": "Hero",
        "variables": {"id": "1000", "lang": "en"},
    }
    # the same over GET: in the query string, sorted with the forwarded query, no body
    answer = await client.get(f"{gw}/heroes-get/7?page=2&dropped=1")
    seen = answer.json()
    assert seen["method"] == "GET"
    assert seen["body"] == ""
    assert seen["query"]["page"] == ["2"] and "dropped" not in seen["query"]
    assert seen["query"]["query"] == [QUERY]
    assert json.loads(seen["query"]["variables"][0]) == {"id": "7"}
    # a mutation: the client's body as variables, the configured ones as defaults
    answer = await client.post(f"{gw}/heroes", json={"name": "Luke"})
    assert answer.status_code == 200
    sent = json.loads(answer.json()["body"])
    assert sent["variables"] == {"name": "Luke", "side": "light"}
    assert sent["query"].startswith("mutation Add")
    # a mutation body that is not a JSON object fails the backend call, as in KrakenD
    answer = await client.post(f"{gw}/heroes", content=b"[1, 2]")
    assert answer.status_code == 500


async def test_a_query_path_is_read_at_startup(
    backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    query_file = tmp_path / "hero.graphql"
    query_file.write_text("{ hero { name } }")
    gw = await start_gateway(
        config(
            backend_url,
            {
                "endpoint": "/hero",
                "backend": [
                    {
                        "url_pattern": ECHO,
                        "extra_config": graphql(type="query", query_path=str(query_file)),
                    }
                ],
            },
        )
    )
    query_file.write_text("{ changed }")  # read once, at startup
    answer = await client.get(f"{gw}/hero")
    assert json.loads(answer.json()["body"]) == {"query": "{ hero { name } }"}


@pytest.mark.parametrize(
    ("block", "path", "message"),
    [
        ({"type": "subscription", "query": "q"}, ".type", "type must be query or mutation"),
        ({"type": "query"}, '"backend/graphql"', "needs a query or a query_path"),
        ({"type": "query", "query_path": "/nonexistent.graphql"}, ".query_path", "cannot read"),
        ({"type": "query", "query": "q", "variables": []}, ".variables", ""),
    ],
)
def test_check_refuses_what_krakend_would_silently_skip(
    block: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_data(
            config(
                "http://127.0.0.1:8000",
                {
                    "endpoint": "/x",
                    "backend": [{"url_pattern": "/", "extra_config": {"backend/graphql": block}}],
                },
            )
        )
    errors = [d for d in caught.value.diagnostics if d.is_error]
    assert errors, caught.value
    assert any(path in d.path and message in d.message for d in errors), errors


def test_the_legacy_namespace_name_is_read() -> None:
    loaded = load_config_data(
        config(
            "http://127.0.0.1:8000",
            {
                "endpoint": "/x",
                "backend": [
                    {
                        "url_pattern": "/",
                        "extra_config": {
                            "github.com/devopsfaith/krakend/transport/http/client/graphql": {
                                "type": "query",
                                "query": "{ x }",
                            }
                        },
                    }
                ],
            },
        )
    )
    assert loaded.config.endpoints[0].backend[0].extra_config.namespaces["backend/graphql"]
