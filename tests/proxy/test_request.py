"""Request building, table-driven from the reference §2."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trio_gateway.proxy.request as request_module
from trio_gateway.proxy.request import (
    HeaderForwarder,
    UrlTemplate,
    canonical_header,
    encode_query,
    filter_headers,
    filter_query,
    parse_query,
)
from trio_gateway.routing.gourl import UrlParseError

UA = b"trio-gateway/test"


@pytest.mark.parametrize(
    ("pattern", "params", "expected"),
    [
        ("/users/{id}", {"id": "42"}, "/users/42"),
        ("/users/{id}", {"id": "a b"}, "/users/a%20b"),  # Go encodes what is not valid in a path
        ("/users/{id}", {"id": "é"}, "/users/%C3%A9"),
        ("/users/{id}", {"id": "a+b,c;d=e@f:g"}, "/users/a+b,c;d=e@f:g"),
        ("/tupu?extra=true", {}, "/tupu?extra=true"),
        ("/p?foo={foo}", {"foo": "bar"}, "/p?foo=bar"),
        ("/p?foo={foo}", {"foo": "a b"}, "/p?foo=a%20b"),  # no raw space in a request line
        ("/r/{resp0_id}", {"Resp0_id": "7"}, "/r/7"),  # lura's key
        ("/r/{resp0_id}", {}, "/r/%7B%7B.Resp0_id%7D%7D"),  # unfilled: Go's escaped template
        ("/{a}/{b}", {"a": "x", "b": "y"}, "/x/y"),
        ("/static/path", {}, "/static/path"),
    ],
)
def test_url_template(pattern: str, params: dict[str, str], expected: str) -> None:
    assert UrlTemplate(pattern).render(params) == expected


def test_url_template_maps_lura_keys_to_endpoint_names() -> None:
    # `{Id}` in a backend and `{id}` in the endpoint are the same param for lura.
    assert UrlTemplate("/u/{Id}", {"Id": "id"}).render({"id": "5"}) == "/u/5"


@given(st.text(min_size=1, max_size=20))
def test_url_template_output_is_a_valid_ascii_target(value: str) -> None:
    try:
        target = UrlTemplate("/items/{id}?q={id}").render({"id": value})
    except UrlParseError:
        return  # Go's url.Parse refuses it: the backend is not called
    target.encode("ascii")
    assert " " not in target and "#" not in target
    assert target.startswith("/items/")


# lura proxy/request_test.go TestRequestGeneratePath
@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("/a/{supu}", "/a/42"),
        ("/a?b={tupu}", "/a?b=false"),
        ("/a/{supu}/foo/{foo}", "/a/42/foo/bar"),
        ("/a", "/a"),
    ],
)
def test_lura_generate_path(pattern: str, expected: str) -> None:
    params = {"supu": "42", "tupu": "false", "foo": "bar"}
    assert UrlTemplate(pattern).render(params) == expected


# lura pastes values into the pattern (GeneratePath), then url.Parse(host + path) splits it and
# the balancer appends the forwarded query (proxy/balancing.go): (pattern, value, forwarded query,
# the target sent).
@pytest.mark.parametrize(
    ("pattern", "value", "forwarded", "expected"),
    [
        ("/r/{resp0_x}", "a?b=1", "", "/r/a?b=1"),
        ("/r/{resp0_x}/tail", "a?b=1", "", "/r/a?b=1/tail"),
        ("/r/{resp0_x}?own=1", "a?b=1", "", "/r/a?b=1?own=1"),
        ("/r/{resp0_x}?own=1", "a?b=1", "k=v", "/r/a?b=1?own=1&k=v"),
        ("/r/{resp0_x}", "a?b=1", "k=v", "/r/a?b=1&k=v"),
        ("/r/{resp0_x}", "a#b", "", "/r/a"),
        ("/r/{resp0_x}?own=1", "a#b", "k=v", "/r/a?k=v"),
        ("/r/{resp0_x}", "a?", "k=v", "/r/a?k=v"),  # ForceQuery: RawQuery was empty
        ("/r/{resp0_x}", "a?", "", "/r/a?"),
        ("/r?{resp0_x}", "", "k=v", "/r?k=v"),
        ("/r/{resp0_x}", "a/b", "", "/r/a/b"),
        ("/r/{resp0_x}", "a%2Fb", "", "/r/a%2Fb"),
        ("/r/{resp0_x}", "a b%41", "", "/r/a%20bA"),
        ("/r?q={resp0_x}", "100%", "", "/r?q=100%"),  # Go does not check the query
        ("/r?q={resp0_x}", "1&r=2", "k=v", "/r?q=1&r=2&k=v"),
        ("/r", "", "k=v", "/r?k=v"),
        ("/r?", "", "k=v", "/r?k=v"),
        ("/r?own=1", "", "k=v", "/r?own=1&k=v"),
    ],
)
def test_url_template_parses_the_filled_pattern_as_go(
    pattern: str, value: str, forwarded: str, expected: str
) -> None:
    assert UrlTemplate(pattern).render({"Resp0_x": value}, forwarded) == expected


CTL = "net/url: invalid control character in URL"


@pytest.mark.parametrize(
    ("pattern", "value", "message"),
    [
        ("/r/{resp0_x}", "100%", 'parse "http://b:8/r/100%": invalid URL escape "%"'),
        ("/r/{resp0_x}/t", "%zz", 'parse "http://b:8/r/%zz/t": invalid URL escape "%zz"'),
        ("/r/{resp0_x}", "a\n", f'parse "http://b:8/r/a\\n": {CTL}'),
        ("/r/{resp0_x}", "a#%zz", 'parse "http://b:8/r/a#%zz": invalid URL escape "%zz"'),
        ("/static%", "", 'parse "http://b:8/static%": invalid URL escape "%"'),
    ],
)
def test_url_template_refuses_what_go_cannot_parse(pattern: str, value: str, message: str) -> None:
    template = UrlTemplate(pattern)
    for _ in range(2):  # a static pattern fails on every call, not once
        with pytest.raises(UrlParseError) as info:
            template.render({"Resp0_x": value})
        assert info.value.message("http://b:8") == message


CLIENT = [
    (b"host", b"gw.example:8080"),
    (b"content-type", b"application/json"),
    (b"authorization", b"Bearer x"),
    (b"x-test-1", b"some"),
    (b"user-agent", b"curl/8"),
    (b"x-forwarded-for", b"1.2.3.4"),
]


def _names(headers: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    return dict(headers)


def test_default_forwards_only_content_type_plus_gateway_headers() -> None:
    out = _names(HeaderForwarder([], UA).build(CLIENT, "10.0.0.1", b"gw.example:8080"))
    assert out == {
        b"Content-Type": b"application/json",
        b"X-Forwarded-For": b"10.0.0.1",
        b"X-Forwarded-Host": b"gw.example:8080",
        b"User-Agent": UA,
    }


def test_listed_headers_are_case_insensitive_and_canonicalised() -> None:
    out = _names(HeaderForwarder(["AUTHORIZATION", "X-Test-1"], UA).build(CLIENT, "ip", b"h"))
    assert out[b"Authorization"] == b"Bearer x"
    assert out[b"X-Test-1"] == b"some"
    assert b"Content-Type" not in out  # listing headers replaces the default
    assert out[b"User-Agent"] == UA


def test_star_forwards_all_and_client_user_agent_gets_via() -> None:
    out = _names(HeaderForwarder(["*"], UA).build(CLIENT, "ip", b"h"))
    assert out[b"User-Agent"] == b"curl/8"
    assert out[b"X-Forwarded-Via"] == UA
    assert out[b"X-Forwarded-For"] == b"ip"  # the client's value is replaced
    assert b"Host" not in out


def test_backend_level_header_filter_also_drops_gateway_headers() -> None:
    built = HeaderForwarder(["*"], UA).build(CLIENT, "ip", b"h")
    out = filter_headers(built, frozenset({b"authorization"}))
    assert out == [(b"Authorization", b"Bearer x")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", []),
        (b"a=1&b=2&b=3", [("a", "1"), ("b", "2"), ("b", "3")]),
        (b"a=&b", [("a", ""), ("b", "")]),
        (b"q=a+b%20c", [("q", "a b c")]),
        (b"bad=%zz&ok=1", [("ok", "1")]),  # Go drops pairs that fail to unescape
        (b"x=1;y=2&z=3", [("z", "3")]),  # and pairs with a semicolon
        (b"&&a=1", [("a", "1")]),
    ],
)
def test_parse_query(raw: bytes, expected: list[tuple[str, str]]) -> None:
    assert parse_query(raw) == expected


def test_encode_query_sorts_keys_and_keeps_value_order() -> None:
    assert encode_query([("b", "3"), ("a", "x y"), ("b", "2")]) == "a=x+y&b=3&b=2"
    assert encode_query([("k", "a/b&c")]) == "k=a%2Fb%26c"


def test_filter_query() -> None:
    query = [("a", "1"), ("b", "2"), ("A", "3")]
    assert filter_query(query, frozenset({"a"})) == [("a", "1")]  # case-sensitive
    assert filter_query(query, None) == query


def test_canonical_header() -> None:
    assert canonical_header(b"x-tESt-1") == b"X-Test-1"
    assert canonical_header(b"content-type") == b"Content-Type"


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30)
    | st.from_regex(r"[a-z0-9=&%._~-]{0,30}", fullmatch=True)
)
def test_a_query_left_as_it_is_is_one_quote_would_not_change(query: str) -> None:
    # render's fast path must send exactly what `quote(query, safe=_QUERY_SAFE)` sends
    if request_module._QUERY_UNSAFE.search(query) is None:
        assert quote(query, safe=request_module._QUERY_SAFE) == query
    else:
        assert quote(query, safe=request_module._QUERY_SAFE) != query
