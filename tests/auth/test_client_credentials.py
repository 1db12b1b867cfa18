"""auth/client-credentials: the token request (krakend-oauth2-clientcredentials on
golang.org/x/oauth2/clientcredentials), the token response, its reuse and expiry, the errors."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs

import httpx
import orjson
import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.auth.client_credentials import (
    EXPIRY_DELTA,
    ClientCredentialsClient,
    ClientCredentialsConfig,
    TokenError,
    TokenSource,
    _token_type,
    parse_token_answer,
)
from trio_gateway.config import ConfigError, load_config_data
from trio_gateway.transport import BackendResponse, Origin

CONFIG = ClientCredentialsConfig(
    client_id="some_client_id",
    client_secret="some_client_secret",
    token_url="http://idp.test/token",
    scopes="scope1,scope2",
    endpoint_params={"audience": ("http://api.example.com",)},
)


class TokenServer:
    """An httpx MockTransport token endpoint that records what it was sent."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[0] if len(self.answers) == 1 else self.answers.pop(0)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))

    def form(self, index: int = -1) -> dict[str, list[str]]:
        return parse_qs(self.requests[index].content.decode(), keep_blank_values=True)


def token_json(token: str = "t1", **more: Any) -> httpx.Response:
    return httpx.Response(200, json={"access_token": token, "token_type": "bearer", **more})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_krakends_token_request() -> None:
    # krakend-oauth2-clientcredentials http_test.go TestClient: Basic auth of id:secret, a form
    # body sorted by key with the comma-separated scopes joined by spaces
    server = TokenServer(token_json("03807cb390319329bdf6c777d4dfae9c0d3b3c35", expires_in=3600))
    source = TokenSource(CONFIG, server.http)
    assert await source.header() == b"Bearer 03807cb390319329bdf6c777d4dfae9c0d3b3c35"
    (request,) = server.requests
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.content == (
        b"audience=http%3A%2F%2Fapi.example.com&grant_type=client_credentials&scope=scope1+scope2"
    )
    kind, _, pair = request.headers["authorization"].partition(" ")
    assert kind == "Basic"
    assert base64.b64decode(pair) == b"some_client_id:some_client_secret"


async def test_basic_auth_query_escapes_id_and_secret() -> None:
    # internal/token.go: SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(clientSecret))
    server = TokenServer(token_json())
    config = ClientCredentialsConfig(client_id="a b", client_secret="p:w/d+", token_url="http://x/")
    await TokenSource(config, server.http).header()
    pair = server.requests[0].headers["authorization"].split(" ", 1)[1]
    assert base64.b64decode(pair) == b"a+b:p%3Aw%2Fd%2B"


async def test_no_scopes_still_sends_an_empty_scope() -> None:
    # strings.Split("", ",") is [""]: clientcredentials.go sets `scope` to ""
    server = TokenServer(token_json())
    await TokenSource(
        ClientCredentialsConfig(client_id="c", token_url="http://x/"), server.http
    ).header()
    assert server.form() == {"grant_type": ["client_credentials"], "scope": [""]}


async def test_endpoint_params_may_override_grant_type() -> None:
    server = TokenServer(token_json())
    config = ClientCredentialsConfig(
        client_id="c", token_url="http://x/", endpoint_params={"grant_type": ("custom",)}
    )
    await TokenSource(config, server.http).header()
    assert server.form()["grant_type"] == ["custom"]


async def test_auth_style_auto_detection_falls_back_to_the_body_and_remembers_it() -> None:
    server = TokenServer(
        httpx.Response(401, json={"error": "invalid_client"}),
        token_json("t1", expires_in=5),  # <= the 10 s delta: "expired" at once
        token_json("t2"),
    )
    source = TokenSource(CONFIG, server.http)
    assert await source.header() == b"Bearer t1"
    basic, in_body = server.requests
    assert "authorization" in basic.headers
    assert "authorization" not in in_body.headers
    assert server.form(1)["client_id"] == ["some_client_id"]
    assert server.form(1)["client_secret"] == ["some_client_secret"]
    # the next fetch goes straight to the style that worked
    assert await source.header() == b"Bearer t2"
    assert len(server.requests) == 3
    assert "authorization" not in server.requests[2].headers
    assert source.fetches == 3


async def test_reuse_until_ten_seconds_before_expiry() -> None:
    clock = Clock()
    server = TokenServer(token_json("t1", expires_in=60), token_json("t2", expires_in=60))
    source = TokenSource(CONFIG, server.http, clock)
    assert await source.header() == b"Bearer t1"
    clock.now += 60 - EXPIRY_DELTA - 0.5
    assert await source.header() == b"Bearer t1"
    assert len(server.requests) == 1
    clock.now += 1.0  # past expiry - 10 s
    assert await source.header() == b"Bearer t2"
    assert len(server.requests) == 2


@pytest.mark.parametrize("expires", [None, 0])
async def test_no_expiry_is_kept_for_ever(expires: int | None) -> None:
    clock = Clock()
    server = TokenServer(token_json(expires_in=expires))
    source = TokenSource(CONFIG, server.http, clock)
    await source.header()
    clock.now += 10**9
    await source.header()
    assert len(server.requests) == 1


async def test_concurrent_callers_share_one_fetch() -> None:
    started = trio.Event()
    release = trio.Event()
    calls = 0

    async def slow_http_fetch() -> None:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()

    server = TokenServer(token_json("t1", expires_in=3600))
    source = TokenSource(CONFIG, server.http)
    headers: list[bytes] = []

    async def caller() -> None:
        headers.append(await source.header())

    original = source._retrieve

    async def gated(*, in_params: bool) -> Any:
        await slow_http_fetch()
        return await original(in_params=in_params)

    source._retrieve = gated  # type: ignore[method-assign]
    async with trio.open_nursery() as nursery:
        for _ in range(50):
            nursery.start_soon(caller)
        await started.wait()
        await trio.testing.wait_all_tasks_blocked()
        release.set()
    assert headers == [b"Bearer t1"] * 50
    assert calls == 1
    assert len(server.requests) == 1


TOKEN_ANSWERS = {
    "json": (
        "application/json",
        b'{"access_token":"a","token_type":"mac","expires_in":30}',
        ("a", "mac", 30),
    ),
    "json, quoted expires_in (PayPal)": (
        "application/json",
        b'{"access_token":"a","expires_in":"30"}',
        ("a", "", 30),
    ),
    "json, null expires_in": (
        "application/json",
        b'{"access_token":"a","expires_in":null}',
        ("a", "", 0),
    ),
    "json, keys matched case-insensitively": (
        "application/json",
        b'{"Access_Token":"a"}',
        ("a", "", 0),
    ),
    "json, expires_in clamped to int32": (
        "application/json",
        b'{"access_token":"a","expires_in":99999999999}',
        ("a", "", 2**31 - 1),
    ),
    "any other content type is JSON": ("text/html", b'{"access_token":"a"}', ("a", "", 0)),
    "form": (
        "application/x-www-form-urlencoded",
        b"access_token=a&token_type=bearer&expires_in=30",
        ("a", "bearer", 30),
    ),
    "text/plain is a form": (
        "text/plain; charset=utf-8",
        b"access_token=a&expires_in=-5",
        ("a", "", -5),
    ),
    "form, bad expires_in is 0": (
        "application/x-www-form-urlencoded",
        b"access_token=a&expires_in=soon",
        ("a", "", 0),
    ),
}


@pytest.mark.parametrize("case", TOKEN_ANSWERS)
def test_token_answers(case: str) -> None:
    content_type, body, expected = TOKEN_ANSWERS[case]
    answer = parse_token_answer(content_type, body)
    assert (answer.access_token, answer.token_type, answer.expires_in) == expected


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1]",
        b'{"access_token": 5}',
        b'{"access_token":"a","expires_in":3600.5}',
        b'{"access_token":"a","expires_in":"soon"}',
        b'{"access_token":"a","expires_in":true}',
        b'{"access_token":"a","expires_in":18446744073709551615}',
    ],
)
def test_unparsable_json_answers(body: bytes) -> None:
    # json.Unmarshal into tokenJSON fails (expirationTime takes only an integer json.Number)
    with pytest.raises(ValueError):
        parse_token_answer("application/json", body)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("", "Bearer"),
        ("bearer", "Bearer"),
        ("BEARER", "Bearer"),
        ("MAC", "MAC"),
        ("mac", "MAC"),
        ("basic", "Basic"),
        ("DPoP", "DPoP"),
    ],
)
def test_token_type_is_canonicalised(raw: str, shown: str) -> None:
    assert _token_type(raw) == shown


ERRORS = {
    "RFC 6749 error fields": (
        httpx.Response(400, json={"error": "invalid_client", "error_description": "bad secret"}),
        'oauth2: "invalid_client" "bad secret"',
    ),
    "200 with an error is an error": (
        httpx.Response(200, json={"error": "invalid_scope", "error_uri": "http://d"}),
        'oauth2: "invalid_scope" "http://d"',
    ),
    "status without error fields": (
        httpx.Response(503, text="down", headers={"content-type": "text/html"}),
        "oauth2: cannot fetch token: 503 Service Unavailable\nResponse: down",
    ),
    "form error fields": (
        httpx.Response(
            400,
            content=b"error=unauthorized_client",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        'oauth2: "unauthorized_client"',
    ),
    "no access_token": (
        httpx.Response(200, json={"token_type": "bearer"}),
        "oauth2: server response missing access_token",
    ),
    "bad json on 200": (
        httpx.Response(200, content=b"{", headers={"content-type": "application/json"}),
        "oauth2: cannot parse json: ",
    ),
    "a token no header can carry": (
        httpx.Response(200, json={"access_token": "a\r\nX-Evil: 1"}),
        'net/http: invalid header field value for "Authorization"',
    ),
}


@pytest.mark.parametrize("case", ERRORS)
async def test_token_errors(case: str) -> None:
    answer, message = ERRORS[case]
    server = TokenServer(answer)
    source = TokenSource(CONFIG, server.http)
    with pytest.raises(TokenError) as caught:
        await source.header()
    assert caught.value.message.startswith(message)
    assert len(server.requests) == 2  # auto-detection tried both styles
    # errors are not kept: the next call asks again
    with pytest.raises(TokenError):
        await source.header()
    assert len(server.requests) == 4


async def test_unreachable_token_server() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    source = TokenSource(CONFIG, lambda: httpx.AsyncClient(transport=httpx.MockTransport(refuse)))
    with pytest.raises(TokenError) as caught:
        await source.header()
    assert caught.value.message == (
        'oauth2: cannot fetch token: Post "http://idp.test/token": connection refused'
    )


class RecordingClient:
    def __init__(self) -> None:
        self.headers: list[Any] = []

    async def request(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Any,
        body: bytes = b"",
        *,
        follow_redirects: bool = True,
    ) -> BackendResponse:
        self.headers.append(headers)
        return BackendResponse(200, b"OK", [], b"{}", origin.base_url + target.decode())


async def test_the_client_replaces_the_callers_authorization() -> None:
    inner = RecordingClient()
    server = TokenServer(token_json("tok"))
    client = ClientCredentialsClient(inner, TokenSource(CONFIG, server.http))  # type: ignore[arg-type]
    origin = Origin.parse("http://127.0.0.1:9")
    await client.request(origin, b"GET", b"/x", [(b"AUTHORIZATION", b"Basic Zm9v"), (b"x-a", b"1")])
    assert inner.headers == [[(b"x-a", b"1"), (b"Authorization", b"Bearer tok")]]


async def test_a_token_failure_reads_like_gos_url_error() -> None:
    inner = RecordingClient()
    server = TokenServer(httpx.Response(500, text="boom"))
    client = ClientCredentialsClient(inner, TokenSource(CONFIG, server.http))  # type: ignore[arg-type]
    with pytest.raises(TokenError) as caught:
        await client.request(Origin.parse("http://127.0.0.1:9"), b"GET", b"/x?a=1", [])
    assert str(caught.value).startswith(
        'Get "http://127.0.0.1:9/x?a=1": oauth2: cannot fetch token: 500 Internal Server Error'
    )
    assert inner.headers == []  # the backend is never called


def _errors(block: dict[str, Any]) -> list[tuple[str, str]]:
    data = {
        "version": 3,
        "endpoints": [
            {
                "endpoint": "/x",
                "backend": [
                    {
                        "host": ["http://127.0.0.1:8080"],
                        "url_pattern": "/",
                        "extra_config": {"auth/client-credentials": block},
                    }
                ],
            }
        ],
    }
    try:
        load_config_data(data)
    except ConfigError as exc:
        return [(d.path, d.message) for d in exc.diagnostics if d.is_error]
    return []


def test_a_good_config_loads() -> None:
    assert (
        _errors(
            {
                "client_id": "c",
                "client_secret": "s",
                "token_url": "http://idp/t",
                "scopes": "a,b",
                "endpoint_params": {"audience": ["x"]},
            }
        )
        == []
    )


@pytest.mark.parametrize(
    ("block", "fragment"),
    [
        ({"client_id": "c"}, "token_url is required"),
        ({"client_id": "c", "token_url": "ftp://idp/t"}, "not an http(s) URL"),
        ({"token_url": "http://idp/t"}, "client_id is required"),
        (
            {"client_id": "c", "token_url": "http://idp/t", "endpoint_params": {"scope": ["x"]}},
            "cannot overwrite parameter",
        ),
        ({"client_id": "c", "token_url": "http://idp/t", "scopes": ["a"]}, "expected a string"),
        ({"client_id": 5, "token_url": "http://idp/t"}, "expected a string"),
    ],
)
def test_bad_configs_are_errors(block: dict[str, Any], fragment: str) -> None:
    errors = _errors(block)
    assert errors
    assert any(fragment in message for _, message in errors)


def test_a_disabled_block_is_not_checked() -> None:
    assert _errors({"is_disabled": True}) == []


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]),
    st.one_of(
        st.binary(max_size=64),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers(-(2**63), 2**63 - 1)
            | st.floats()
            | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(
                    st.sampled_from(["access_token", "expires_in", "token_type", "error", "x"]),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=6,
        ).map(lambda doc: orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS)),
    ),
)
def test_any_token_answer_parses_or_is_a_value_error(content_type: str, body: bytes) -> None:
    try:
        answer = parse_token_answer(content_type, body)
    except ValueError:
        return
    assert isinstance(answer.access_token, str)
    assert isinstance(answer.expires_in, int)


async def test_a_huge_error_body_is_cut_at_one_mib() -> None:
    server = TokenServer(httpx.Response(503, content=b"x" * (3 << 20)))
    with pytest.raises(TokenError) as caught:
        await TokenSource(CONFIG, server.http).header()
    head = "oauth2: cannot fetch token: 503 Service Unavailable\nResponse: "
    assert caught.value.message == head + "x" * (1 << 20)
