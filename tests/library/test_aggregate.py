"""`aggregate`: ad-hoc backend calls through the real proxy stack, against a loopback backend."""

from __future__ import annotations

import pytest
import trio

from tests.e2e.backend_app import CANCELLED, STATS
from tests.library.conftest import wait_until
from trio_gateway import AggregateResult, BackendConfig, ConfigError, aggregate
from trio_gateway.errors import BackendStatusError, BackendTimeout
from trio_gateway.library import aggregate_config
from trio_gateway.transport import HTTPClient


async def test_parallel_merge_with_group_allow_mapping(backend_url: str) -> None:
    result = await aggregate(
        [
            {"host": [backend_url], "url_pattern": "/json/user", "allow": ["name", "email"]},
            BackendConfig(
                host=(backend_url,),
                url_pattern="/json/posts",
                is_collection=True,
                mapping={"collection": "posts"},
            ),
            {
                "host": [backend_url],
                "url_pattern": "/json/user",
                "group": "raw",
                "deny": ["secret"],
            },
        ]
    )
    assert isinstance(result, AggregateResult)
    assert result.complete is True
    assert result.errors == ()
    assert result.status == 200
    assert result.data == {
        "name": "a",
        "email": "some@email.com",
        "posts": [{"body": "some content", "date": "123456789"}, {"body": "other", "date": "2"}],
        "raw": {"id": 1, "name": "a", "email": "some@email.com"},
    }


async def test_sequential_chain(backend_url: str) -> None:
    result = await aggregate(
        [
            {"host": [backend_url], "url_pattern": "/json/user", "allow": ["id"]},
            {"host": [backend_url], "url_pattern": "/param_forwarding/{resp0_id}", "group": "next"},
        ],
        sequential=True,
    )
    assert result.complete is True
    assert result.data is not None
    assert result.data["id"] == 1
    assert result.data["next"]["path"] == "/param_forwarding/1"


async def test_params_query_headers_body_method(backend_url: str) -> None:
    result = await aggregate(
        [{"host": [backend_url], "url_pattern": "/param_forwarding/{id}?dump_body=1"}],
        method="post",
        params={"id": "42"},
        query={"q": "x"},
        headers={"X-Token": "t"},
        body=b"payload",
    )
    assert result.complete is True
    data = result.data
    assert data is not None
    assert data["method"] == "POST"
    assert data["path"] == "/param_forwarding/42"
    assert data["query"]["q"] == ["x"]
    assert data["headers"]["X-Token"] == ["t"]
    assert data["body"] == "payload"


async def test_target_and_endpoint_flatmap(backend_url: str) -> None:
    result = await aggregate(
        [
            {"host": [backend_url], "url_pattern": "/param_forwarding/t?a=1", "target": "query"},
            {"host": [backend_url], "url_pattern": "/json/user", "group": "user"},
        ],
        flatmap=[{"type": "del", "args": ["user.secret"]}],
    )
    assert result.data == {"a": ["1"], "user": {"id": 1, "name": "a", "email": "some@email.com"}}


async def test_timeout_gives_a_partial_result(backend_url: str) -> None:
    start = trio.current_time()
    result = await aggregate(
        [
            {"host": [backend_url], "url_pattern": "/json/user", "allow": ["id"]},
            {"host": [backend_url], "url_pattern": "/delayed/agg?ms=3000", "group": "slow"},
        ],
        timeout=0.3,
    )
    assert trio.current_time() - start < 1.0
    assert result.data == {"id": 1}
    assert result.complete is False
    assert result.status == 200
    assert len(result.errors) == 1
    assert isinstance(result.errors[0], BackendTimeout)


async def test_every_backend_fails(backend_url: str) -> None:
    result = await aggregate(
        [
            {"host": [backend_url], "url_pattern": "/status/404"},
            {"host": [backend_url], "url_pattern": "/status/500"},
        ]
    )
    assert result.data is None
    assert result.complete is False
    assert result.status == 500
    assert [type(e) for e in result.errors] == [BackendStatusError, BackendStatusError]


async def test_single_backend_timeout(backend_url: str) -> None:
    result = await aggregate(
        [{"host": [backend_url], "url_pattern": "/delayed/one?ms=3000"}], timeout=0.2
    )
    assert result.data is None
    assert result.complete is False
    assert isinstance(result.errors[0], BackendTimeout)


def test_config_errors_are_located() -> None:
    with pytest.raises(ConfigError) as caught:
        aggregate_config(
            [
                {"host": ["http://127.0.0.1:8000"], "url_pattern": 3},
                {"host": ["http://127.0.0.1:8000"], "url_pattern": "/u/{usr_id}"},
            ],
            params=["user_id"],
        )
    paths = [d.path for d in caught.value.errors]
    assert paths == ["$.endpoints[0].backend[0].url_pattern"]
    assert caught.value.source == "<aggregate>"
    # once the types are right, the semantic check runs, as `check` would
    with pytest.raises(ConfigError) as semantic:
        aggregate_config(
            [{"host": ["http://127.0.0.1:8000"], "url_pattern": "/u/{usr_id}"}],
            params=["user_id"],
        )
    assert "did you mean {user_id}?" in str(semantic.value)


async def test_no_backends_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no backends"):
        await aggregate([])


async def test_own_client_keeps_its_pool(backend_url: str) -> None:
    client = HTTPClient()
    try:
        for _ in range(2):
            result = await aggregate(
                [{"host": [backend_url], "url_pattern": "/json/user"}], client=client
            )
            assert result.complete is True
        stats = client.statistics()
        assert stats.connections_opened == 1
        assert sum(s.idle for s in stats.origins.values()) == 1
    finally:
        client.close()


async def test_cancelling_aggregate_cancels_backend_calls(backend_url: str) -> None:
    client = HTTPClient()
    try:
        with trio.move_on_after(0.3) as scope:
            await aggregate(
                [
                    {"host": [backend_url], "url_pattern": "/delayed/c1?ms=5000"},
                    {"host": [backend_url], "url_pattern": "/delayed/c2?ms=5000"},
                ],
                timeout=10,
                client=client,
            )
        assert scope.cancelled_caught
        await wait_until(lambda: {"/delayed/c1", "/delayed/c2"} <= set(CANCELLED))
        assert sum(s.in_use for s in client.statistics().origins.values()) == 0
        assert STATS["/delayed/c1"] == 1
    finally:
        client.close()
