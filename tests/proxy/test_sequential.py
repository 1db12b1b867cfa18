"""Sequential proxy pieces: which values flow where, and how they are written (reference §5.2)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trio_gateway.encoding import get_decoder
from trio_gateway.proxy.backend import BackendCall, BackendProxy
from trio_gateway.proxy.request import UrlTemplate
from trio_gateway.proxy.sequential import (
    Replacement,
    SequentialMerge,
    format_param,
    replacements_for,
)
from trio_gateway.transport import BackendResponse, Origin
from trio_gateway.types import Headers, Request


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "abc"),
        (42, "42"),
        (1.5, "1.5"),
        (True, "true"),
        (False, "false"),
        (None, "<nil>"),
        ([1, "a", None], "1,a,<nil>"),
        ([], ""),
        ([[1, 2], {"b": 1, "a": 2}], "[1 2],map[a:2 b:1]"),
        ({"z": 1, "a": {"b": True}}, "map[a:map[b:true] z:1]"),
    ],
)
def test_format_param(value: Any, expected: str) -> None:
    assert format_param(value) == expected


def test_replacements_from_url_patterns_and_propagated_params() -> None:
    found = replacements_for(
        ["/a/{id}", "/b/{resp0_user.id}", "/c/{resp1_x}?y={resp0_y}"],
        ["resp0_first.foo", "resp1", "resp9_never"],
    )
    assert found[0] == ()  # the first backend has nothing earlier to read
    assert found[1] == (
        Replacement(0, "Resp0_user.id", ("user", "id")),
        Replacement(0, "Resp0_first.foo", ("first", "foo")),
    )
    assert Replacement(1, "Resp1", ()) in found[2]
    assert Replacement(1, "Resp1_x", ("x",)) in found[2]
    assert Replacement(0, "Resp0_y", ("y",)) in found[2]
    assert all(r.backend < 2 for r in found[2])


class _RecordingClient:
    """A backend client that answers `{"x": <the value in the test>}` and records targets."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.targets: list[bytes] = []

    async def request(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes = b"",
        *,
        follow_redirects: bool = True,
    ) -> BackendResponse:
        self.targets.append(target)
        data = json.dumps({"x": self.value, "path": target.decode()}).encode()
        return BackendResponse(200, b"OK", [], data, origin.base_url + target.decode())

    def stream(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - not used
        raise NotImplementedError


def _chain(client: _RecordingClient, second: str) -> SequentialMerge:
    patterns = ["/first", second]
    origin = Origin.parse("http://127.0.0.1:9")
    backends = [
        BackendProxy(
            BackendCall(
                name="GET " + p,
                method="GET",
                url=UrlTemplate(p),
                origins=((origin, ""),),
                decoder=get_decoder("json"),
            ),
            client,  # type: ignore[arg-type]
        )
        for p in patterns
    ]
    return SequentialMerge(backends, replacements_for(patterns, []), timeout=5)


def _request(query: list[tuple[str, str]] | None = None) -> Request:
    return Request(method="GET", path="/e", params={}, query=query or [], headers=[])


# lura: GeneratePath pastes `{{.Resp0_x}}` in raw and url.Parse(host + path) splits the result;
# the forwarded query joins the one that comes out (proxy/request.go, proxy/balancing.go).
@pytest.mark.parametrize(
    ("value", "second", "query", "target"),
    [
        ("a?b=1", "/second/{resp0_x}", [], b"/second/a?b=1"),
        ("a?b=1", "/second/{resp0_x}/tail?own=1", [("k", "v")], b"/second/a?b=1/tail?own=1&k=v"),
        ("a#b", "/second/{resp0_x}?own=1", [("k", "v")], b"/second/a?k=v"),
        ("a b", "/second/{resp0_x}", [], b"/second/a%20b"),
        ("a/b", "/second/{resp0_x}", [], b"/second/a/b"),
        (["x", "y?z"], "/second/{resp0_x}", [], b"/second/x,y?z"),
    ],
)
async def test_sequential_values_reach_the_url_as_lura_pastes_them(
    value: Any, second: str, query: list[tuple[str, str]], target: bytes
) -> None:
    client = _RecordingClient(value)
    response = await _chain(client, second)(_request(query))
    assert client.targets[1] == target
    assert response.is_complete


CTL = "net/url: invalid control character in URL"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("100%", 'parse "http://127.0.0.1:9/second/100%": invalid URL escape "%"'),
        ("%zz", 'parse "http://127.0.0.1:9/second/%zz": invalid URL escape "%zz"'),
        (
            "a\nb",
            'parse "http://127.0.0.1:9/second/a\\nb": net/url: invalid control character in URL',
        ),
    ],
)
async def test_a_value_go_cannot_parse_fails_that_step_only(value: str, error: str) -> None:
    client = _RecordingClient(value)
    response = await _chain(client, "/second/{resp0_x}")(_request())
    assert client.targets == [b"/first"]  # the second backend is never called
    assert response.is_complete is False
    assert response.data == {"x": value, "path": "/first"}  # step 0's data, as a partial answer
    assert str(response.error) == error
