"""modifier/martian: each modifier, filter and group on a request and a response.

Cases ported from google/martian v2.1.0's own tests where they exist (`*_test.go` of header,
querystring, martianurl, port, cookie, body, fifo, priority, stash), and Go's net/http and
net/url behaviour that martian relies on (header canonicalization, `URL.Query`/`Encode`,
cookies).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from trio_gateway.modifier.martian import parse
from trio_gateway.modifier.martian.message import (
    GoRequest,
    GoResponse,
    MartianError,
    go_split_host_port,
    request_uri,
    url_string,
)
from trio_gateway.modifier.martian.url import match_host


def build(block: dict[str, Any]) -> Any:
    result, issues = parse(block)
    assert issues.errors == [], issues.errors
    assert result is not None
    return result


def request(
    target: bytes = b"/path",
    headers: list[tuple[bytes, bytes]] | None = None,
    *,
    body: bytes = b"",
    scheme: str = "http",
    host: str = "example.com",
) -> GoRequest:
    return GoRequest(
        method=b"GET", scheme=scheme, host=host, target=target, header=headers or [], body=body
    )


def response(
    req: GoRequest | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
    *,
    status: int = 200,
    body: bytes = b"{}",
) -> GoResponse:
    return GoResponse(
        status=status,
        reason=b"OK",
        header=headers or [],
        body=body,
        request=req or request(),
    )


def on_request(block: dict[str, Any], req: GoRequest) -> GoRequest:
    result = build(block)
    assert result.request is not None
    result.request.modify_request(req)
    return req


def on_response(block: dict[str, Any], res: GoResponse) -> GoResponse:
    result = build(block)
    assert result.response is not None
    result.response.modify_response(res)
    return res


# ---- header.* --------------------------------------------------------------------------------


def test_header_modifier_sets_both_scopes_and_canonicalizes() -> None:
    # header_modifier_test.go: TestModifyRequest / TestModifyResponse, name canonicalized
    block = {"header.Modifier": {"name": "x-martian", "value": "true"}}
    req = on_request(block, request(headers=[(b"x-martian", b"old"), (b"x-martian", b"older")]))
    assert req.all(b"X-Martian") == [b"true"]
    res = on_response(block, response())
    assert res.all(b"X-Martian") == [b"true"]


HEADER_CASES = [
    # (block, request headers, header name, expected values)
    ({"header.Append": {"name": "X-A", "value": "2"}}, [(b"X-A", b"1")], b"X-A", [b"1", b"2"]),
    (
        {"header.Blacklist": {"names": ["x-a", "X-B"]}},
        [(b"X-A", b"1"), (b"x-b", b"2")],
        b"X-A",
        None,
    ),
    ({"header.Blacklist": {"names": ["X-B"]}}, [(b"X-A", b"1"), (b"x-b", b"2")], b"X-A", [b"1"]),
    (
        {"header.Copy": {"from": "X-A", "to": "X-C"}},
        [(b"X-A", b"1"), (b"X-A", b"2")],
        b"X-C",
        [b"1"],
    ),
    # copying an absent header sets an empty one (h.Set(to, h.Get(from)))
    ({"header.Copy": {"from": "X-None", "to": "X-C"}}, [], b"X-C", [b""]),
    ({"header.Id": {}}, [(b"X-Krakend-Id", b"given")], b"X-Krakend-Id", [b"given"]),
    ({"header.Id": {"header": "x-req-id"}}, [(b"X-Req-Id", b"given")], b"X-Req-Id", [b"given"]),
]


@pytest.mark.parametrize(("block", "headers", "name", "expected"), HEADER_CASES)
def test_header_modifiers_on_requests(
    block: dict[str, Any], headers: list[tuple[bytes, bytes]], name: bytes, expected: Any
) -> None:
    assert on_request(block, request(headers=headers)).all(name) == expected


def test_header_id_adds_a_uuid_when_absent() -> None:
    req = on_request({"header.Id": {}}, request())
    value = req.get(b"X-Krakend-Id")
    assert len(value) == 36 and value.count(b"-") == 4


def test_proxyutil_host_and_content_length() -> None:
    # proxyutil: Host is Request.Host, Content-Length the request's length
    req = on_request({"header.Modifier": {"name": "Host", "value": "other.example"}}, request())
    assert req.req_host == b"other.example" and req.all(b"Host") is None
    req = on_request({"header.Copy": {"from": "Host", "to": "X-Host"}}, request())
    assert req.get(b"X-Host") == b"example.com"
    req = on_request({"header.Copy": {"from": "Content-Length", "to": "X-L"}}, request(body=b"abc"))
    assert req.get(b"X-L") == b"3"
    req = request()
    with pytest.raises(MartianError, match='parsing "abc": invalid syntax'):
        on_request({"header.Modifier": {"name": "Content-Length", "value": "abc"}}, req)
    with pytest.raises(MartianError, match="illegal header multiple: Host"):
        on_request({"header.Append": {"name": "Host", "value": "x"}}, request())


def test_header_filter_runs_modifier_or_else() -> None:
    # header_filter_test.go: matching name and exact value
    block = {
        "header.Filter": {
            "name": "martian-testing",
            "value": "true",
            "modifier": {"header.Modifier": {"name": "X-Then", "value": "1"}},
            "else": {"header.Modifier": {"name": "X-Else", "value": "1"}},
        }
    }
    matched = on_request(block, request(headers=[(b"Martian-Testing", b"true")]))
    assert matched.get(b"X-Then") == b"1" and matched.all(b"X-Else") is None
    other = on_request(block, request(headers=[(b"Martian-Testing", b"false")]))
    assert other.get(b"X-Else") == b"1" and other.all(b"X-Then") is None
    res = on_response(block, response(headers=[(b"martian-testing", b"true")]))
    assert res.get(b"X-Then") == b"1"


def test_header_regex_filter_reads_the_request_header() -> None:
    block = {
        "header.RegexFilter": {
            "header": "X-Tenant",
            "regex": "^acme-[0-9]+$",
            "modifier": {"header.Modifier": {"name": "X-Hit", "value": "yes"}},
        }
    }
    assert on_request(block, request(headers=[(b"X-Tenant", b"acme-12")])).get(b"X-Hit") == b"yes"
    assert on_request(block, request(headers=[(b"X-Tenant", b"acme-x")])).all(b"X-Hit") is None
    assert on_request(block, request()).all(b"X-Hit") is None
    # on a response, the *request's* header decides
    req = request(headers=[(b"X-Tenant", b"acme-1")])
    assert on_response(block, response(req)).get(b"X-Hit") == b"yes"


# ---- querystring.* ---------------------------------------------------------------------------

QUERY_CASES = [
    # (raw query, name, value, raw query after): Go's Query().Set + Encode (sorted, re-escaped)
    ("", "testing", "true", "testing=true"),
    ("testing=false", "testing", "true", "testing=true"),
    ("foo=bar", "testing", "true", "foo=bar&testing=true"),
    ("z=1&a=2&z=3", "m", "x y", "a=2&m=x+y&z=1&z=3"),
    ("a=%7E&b=%2f", "c", "é", "a=~&b=%2F&c=%C3%A9"),
    ("a=1;b=2&c=3", "d", "4", "c=3&d=4"),  # Go drops a pair with a `;`
    ("bad=%zz&ok=1", "k", "&=", "k=%26%3D&ok=1"),  # and one with a bad escape
]


@pytest.mark.parametrize(("raw", "name", "value", "expected"), QUERY_CASES)
def test_querystring_modifier(raw: str, name: str, value: str, expected: str) -> None:
    block = {"querystring.Modifier": {"name": name, "value": value}}
    req = on_request(block, request(b"/p?" + raw.encode() if raw else b"/p"))
    assert req.raw_query == expected


def test_querystring_modifier_is_request_only() -> None:
    assert build({"querystring.Modifier": {"name": "a", "value": "b"}}).response is None


@pytest.mark.parametrize(
    ("query", "name", "value", "matched"),
    [
        ("param=true", "param", "true", True),
        ("param=true", "param", "", True),
        ("param=false&param=true", "param", "true", True),
        ("param=false", "param", "true", False),
        ("other=true", "param", "", False),
    ],
)
def test_querystring_filter(query: str, name: str, value: str, matched: bool) -> None:
    block = {
        "querystring.Filter": {
            "name": name,
            "value": value,
            "modifier": {"header.Modifier": {"name": "X-Hit", "value": "1"}},
            "else": {"header.Modifier": {"name": "X-Miss", "value": "1"}},
        }
    }
    req = on_request(block, request(b"/p?" + query.encode()))
    assert (req.all(b"X-Hit") is not None) is matched
    assert (req.all(b"X-Miss") is not None) is not matched


# ---- url.* and stash.Modifier ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "match", "want"),
    [  # host_test.go TestMatchHost
        ("example.com", "example.com", True),
        ("example.com", "example.org", False),
        ("ample.com", "example.com", False),
        ("example.com", "ample.com", False),
        ("example.com", "example.*", True),
        ("www.example.com", "*.example.com", True),
        ("one.two.example.com", "*.example.com", False),
        ("one.two.example.com", "*.*.example.com", True),
        ("", "", False),
        ("", "foo", False),
    ],
)
def test_match_host(host: str, match: str, want: bool) -> None:
    assert match_host(host, match) is want


@pytest.mark.parametrize(
    ("scheme", "host", "target", "spec", "want"),
    [  # url_filter_test.go TestFilterModifyRequest (without fragments: never sent)
        ("https", "www.example.com", b"/", {"scheme": "https"}, True),
        ("http", "www.martian.local", b"/", {"host": "*.martian.local"}, True),
        ("http", "www.example.com", b"/test", {"path": "/test"}, True),
        ("http", "www.example.com", b"/?test=true", {"query": "test=true"}, True),
        (
            "https",
            "martian.local",
            b"/test?test=true",
            {"scheme": "https", "host": "martian.local", "path": "/test", "query": "test=true"},
            True,
        ),
        ("https", "www.example.com", b"/", {"scheme": "http"}, False),
        ("http", "www.martian.external", b"/", {"host": "www.martian.local"}, False),
        ("http", "www.example.com", b"/testing", {"path": "/test"}, False),
        ("http", "www.example.com", b"/?test=false", {"query": "test=true"}, False),
        # the path is compared decoded
        ("http", "e.com", b"/a%20b", {"path": "/a b"}, True),
    ],
)
def test_url_filter(
    scheme: str, host: str, target: bytes, spec: dict[str, str], want: bool
) -> None:
    block = {
        "url.Filter": {**spec, "modifier": {"header.Modifier": {"name": "X-Hit", "value": "1"}}}
    }
    req = on_request(block, request(target, scheme=scheme, host=host))
    assert (req.all(b"X-Hit") is not None) is want


def test_url_modifier_changes_each_non_empty_part() -> None:
    block = {"url.Modifier": {"scheme": "https", "host": "api.example.org:8443", "path": "/v2/a b"}}
    req = on_request(block, request(b"/v1?x=1"))
    assert (req.scheme, req.host, req.path, req.raw_query) == (
        "https",
        "api.example.org:8443",
        "/v2/a b",
        "x=1",
    )
    assert req.req_host == b"example.com"  # Request.Host is not the URL's host
    assert request_uri(req) == "/v2/a%20b?x=1"
    req = on_request({"url.Modifier": {"query": "q=1"}}, request(b"/v1?x=1"))
    assert req.raw_query == "q=1" and req.path == "/v1"


def test_url_regex_filter_matches_the_whole_url() -> None:
    block = {
        "url.RegexFilter": {
            "regex": r"^http://example\.com/users/[0-9]+\?",
            "modifier": {"header.Modifier": {"name": "X-Hit", "value": "1"}},
            "else": {"header.Modifier": {"name": "X-Miss", "value": "1"}},
        }
    }
    assert on_request(block, request(b"/users/12?x=1")).get(b"X-Hit") == b"1"
    assert on_request(block, request(b"/users/ab?x=1")).get(b"X-Miss") == b"1"


def test_stash_modifier_writes_the_url() -> None:
    # stash_modifier_test.go: the URL at the time it runs, copied onto the response
    block = {
        "fifo.Group": {
            "modifiers": [
                {"stash.Modifier": {"headerName": "stashed-url", "scope": ["request", "response"]}},
                {"url.Modifier": {"path": "/changed", "scope": ["request"]}},
            ]
        }
    }
    result = build(block)
    req = request(b"/orig?a=1", host="127.0.0.1:8080")
    result.request.modify_request(req)
    assert req.get(b"Stashed-Url") == b"http://127.0.0.1:8080/orig?a=1"
    res = response(req)
    result.response.modify_response(res)
    assert res.get(b"Stashed-Url") == b"http://127.0.0.1:8080/orig?a=1"


def test_url_string_and_request_uri() -> None:
    req = request(b"/a%2Fb/c?", host="h:1")
    assert url_string(req) == "http://h:1/a%2Fb/c?"
    assert request_uri(req) == "/a%2Fb/c?"


# ---- port.* ----------------------------------------------------------------------------------

PORT_CASES = [
    # (config, scheme, host before, host after): port_modifier_test.go
    ({"port": 8080}, "http", "example.com", "example.com:8080"),
    ({"port": 8080}, "http", "example.com:80", "example.com:8080"),
    ({"defaultForScheme": True}, "http", "example.com:8080", "example.com:80"),
    ({"defaultForScheme": True}, "https", "example.com", "example.com:443"),
    ({"remove": True}, "http", "example.com:8080", "example.com"),
    ({"port": 9}, "http", "[::1]:80", "[::1]:9"),
]


@pytest.mark.parametrize(("config", "scheme", "before", "after"), PORT_CASES)
def test_port_modifier(config: dict[str, Any], scheme: str, before: str, after: str) -> None:
    req = on_request({"port.Modifier": config}, request(scheme=scheme, host=before))
    assert req.host == after
    assert req.get(b"Host") == after.encode()  # the map entry martian writes (never sent)
    assert req.req_host == before.encode()  # what Go sends as Host


@pytest.mark.parametrize(
    ("port", "scheme", "host", "want"),
    [
        (8080, "http", "example.com:8080", True),
        (80, "http", "example.com", True),
        (443, "https", "example.com", True),
        (80, "https", "example.com", False),
        (8080, "http", "example.com:9090", False),
    ],
)
def test_port_filter(port: int, scheme: str, host: str, want: bool) -> None:
    block = {
        "port.Filter": {
            "port": port,
            "modifier": {"header.Modifier": {"name": "X-Hit", "value": "1"}},
        }
    }
    req = on_request(block, request(scheme=scheme, host=host))
    assert (req.all(b"X-Hit") is not None) is want


def test_port_filter_on_a_response_without_a_port_fails_as_martian_does() -> None:
    block = {
        "port.Filter": {"port": 8080, "modifier": {"header.Modifier": {"name": "X", "value": "1"}}}
    }
    with pytest.raises(MartianError, match="missing port in address"):
        on_response(block, response(request(host="example.com")))


@pytest.mark.parametrize(
    ("hostport", "expected"),
    [
        ("h:80", ("h", "80")),
        ("[::1]:80", ("::1", "80")),
        ("h", "missing port in address"),
        ("a:b:c", "too many colons in address"),
        ("[::1]", "missing port in address"),
        ("[::1", "missing ']' in address"),
    ],
)
def test_split_host_port(hostport: str, expected: Any) -> None:
    if isinstance(expected, tuple):
        assert go_split_host_port(hostport) == expected
    else:
        with pytest.raises(MartianError, match=expected):
            go_split_host_port(hostport)


# ---- cookie.* --------------------------------------------------------------------------------


def test_cookie_modifier_on_request_and_response() -> None:
    block = {
        "cookie.Modifier": {
            "name": "martian",
            "value": "some value",
            "path": "/some/path",
            "domain": ".example.com",
            "expires": "2025-04-12T23:20:50.52Z",
            "secure": True,
            "httpOnly": True,
            "maxAge": 86400,
        }
    }
    req = on_request(block, request(headers=[(b"Cookie", b"a=1")]))
    assert req.get(b"Cookie") == b'a=1; martian="some value"'
    res = on_response(block, response())
    assert res.all(b"Set-Cookie") == [
        b'martian="some value"; Path=/some/path; Domain=example.com; '
        b"Expires=Sat, 12 Apr 2025 23:20:50 GMT; Max-Age=86400; HttpOnly; Secure"
    ]


@pytest.mark.parametrize(
    ("config", "set_cookie"),
    [
        ({"name": "a", "value": 'x"y;z'}, b"a=xyz"),  # invalid value bytes dropped
        ({"name": "a", "value": "b", "domain": "bad_domain"}, b"a=b"),  # invalid domain dropped
        ({"name": "a", "value": "b", "domain": "10.0.0.1"}, b"a=b; Domain=10.0.0.1"),
        ({"name": "a", "value": "b", "maxAge": -1}, b"a=b; Max-Age=0"),
        ({"name": "a b", "value": "c"}, b""),  # not a token: Go's String() is empty
    ],
)
def test_cookie_string(config: dict[str, Any], set_cookie: bytes) -> None:
    assert on_response({"cookie.Modifier": config}, response()).all(b"Set-Cookie") == [set_cookie]


@pytest.mark.parametrize(
    ("cookie", "name", "value", "want"),
    [
        (b"a=1; martian=true", "martian", "true", True),
        (b"martian=false", "martian", "true", False),
        (b"martian=false", "martian", "", True),
        (b'martian="true"', "martian", "true", True),  # quotes stripped
        (b"other=true", "martian", "", False),
    ],
)
def test_cookie_filter_on_requests(cookie: bytes, name: str, value: str, want: bool) -> None:
    block = {
        "cookie.Filter": {
            "name": name,
            "value": value,
            "modifier": {"header.Modifier": {"name": "X-Hit", "value": "1"}},
        }
    }
    req = on_request(block, request(headers=[(b"Cookie", cookie)]))
    assert (req.all(b"X-Hit") is not None) is want


def test_cookie_filter_on_responses_reads_set_cookie() -> None:
    block = {
        "cookie.Filter": {
            "name": "session",
            "modifier": {"header.Modifier": {"name": "X-Hit", "value": "1"}},
        }
    }
    res = on_response(block, response(headers=[(b"set-cookie", b"session=abc; Path=/")]))
    assert res.get(b"X-Hit") == b"1"


# ---- body.Modifier ---------------------------------------------------------------------------

BODY = b"0123456789"
BODY64 = base64.b64encode(BODY).decode()


def test_body_modifier_on_requests() -> None:
    block = {"body.Modifier": {"body": BODY64, "contentType": "text/plain"}}
    req = on_request(
        block, request(headers=[(b"Content-Encoding", b"gzip"), (b"Content-Type", b"a/b")])
    )
    assert req.body == BODY and req.content_length == 10
    assert req.get(b"Content-Type") == b"text/plain" and req.all(b"Content-Encoding") is None


@pytest.mark.parametrize(
    ("range_", "status", "body", "content_range"),
    [
        (None, 200, BODY, None),
        (b"bytes=1-3", 206, b"123", b"bytes 1-3/10"),
        (b"bytes=7-", 206, b"789", b"bytes 7-9/10"),
        (b"bytes=4-2", 416, b"", None),
    ],
)
def test_body_modifier_on_responses(
    range_: bytes | None, status: int, body: bytes, content_range: bytes | None
) -> None:
    block = {"body.Modifier": {"body": BODY64, "contentType": "text/plain"}}
    headers = [(b"Range", range_)] if range_ else []
    res = on_response(block, response(request(headers=headers), [(b"content-encoding", b"gzip")]))
    assert (res.status, res.body) == (status, body)
    assert res.get(b"Content-Type") == b"text/plain" and res.all(b"Content-Encoding") is None
    assert (res.all(b"Content-Range") or [None])[0] == content_range


def test_body_modifier_multipart_ranges() -> None:
    result = build({"body.Modifier": {"body": BODY64, "contentType": "text/plain"}})
    res = response(request(headers=[(b"Range", b"bytes=0-1,8-9")]))
    result.response.modify_response(res)
    boundary = result.response.boundary
    assert res.status == 206
    assert res.get(b"Content-Type") == b"multipart/byteranges; boundary=" + boundary
    assert res.body == (
        b"--" + boundary + b"\r\nContent-Range: bytes 0-1/10\r\nContent-Type: text/plain\r\n\r\n01"
        b"\r\n--" + boundary + b"\r\nContent-Range: bytes 8-9/10\r\nContent-Type: text/plain"
        b"\r\n\r\n89\r\n--" + boundary + b"--\r\n"
    )


@pytest.mark.parametrize("range_", [b"bytes=0-99", b"bytes=x-1", b"bytes=-5"])
def test_body_modifier_bad_ranges_fail_the_call(range_: bytes) -> None:
    block = {"body.Modifier": {"body": BODY64}}
    with pytest.raises(MartianError):
        on_response(block, response(request(headers=[(b"Range", range_)])))


# ---- groups and status -----------------------------------------------------------------------


def test_fifo_group_runs_in_order_within_each_childs_scope() -> None:
    block = {
        "fifo.Group": {
            "scope": ["request", "response"],
            "modifiers": [
                {"header.Modifier": {"name": "X-A", "value": "1", "scope": ["request"]}},
                {"header.Copy": {"from": "X-A", "to": "X-B"}},
                {"header.Modifier": {"name": "X-R", "value": "1", "scope": ["response"]}},
            ],
        }
    }
    result = build(block)
    req = request()
    result.request.modify_request(req)
    assert (req.get(b"X-B"), req.all(b"X-R")) == (b"1", None)
    res = response(req)
    result.response.modify_response(res)
    assert res.get(b"X-R") == b"1" and res.all(b"X-A") is None and res.get(b"X-B") == b""


def test_fifo_group_stops_at_the_first_error_or_aggregates() -> None:
    failing = {"header.Modifier": {"name": "Content-Length", "value": "x"}}
    later = {"header.Modifier": {"name": "X-Later", "value": "1"}}
    req = request()
    with pytest.raises(MartianError, match="invalid syntax"):
        on_request({"fifo.Group": {"modifiers": [failing, later]}}, req)
    assert req.all(b"X-Later") is None
    req = request()
    block = {"fifo.Group": {"aggregateErrors": True, "modifiers": [failing, later, failing]}}
    with pytest.raises(MartianError) as caught:
        on_request(block, req)
    assert req.get(b"X-Later") == b"1"
    assert str(caught.value).count("invalid syntax") == 2 and "\n" in str(caught.value)


def test_priority_group_order() -> None:
    # priority_group_test.go: highest first; an equal priority added later runs first
    def append(value: str) -> dict[str, Any]:
        return {"header.Append": {"name": "X-Order", "value": value}}

    block = {
        "priority.Group": {
            "modifiers": [
                {"priority": 0, "modifier": append("zero")},
                {"priority": 100, "modifier": append("hundred")},
                {"priority": 50, "modifier": append("fifty-first")},
                {"priority": 50, "modifier": append("fifty-second")},
            ]
        }
    }
    req = on_request(block, request())
    assert req.all(b"X-Order") == [b"hundred", b"fifty-second", b"fifty-first", b"zero"]


def test_status_modifier_is_response_only() -> None:
    result = build({"status.Modifier": {"statusCode": 200}})
    assert result.request is None
    res = response(status=404)
    result.response.modify_response(res)
    assert res.status == 200


def test_verifiers_change_nothing() -> None:
    for block in (
        {"header.Verifier": {"name": "X", "value": "y"}},
        {"querystring.Verifier": {"name": "x"}},
        {"url.Verifier": {"host": "example.com"}},
    ):
        req = on_request(block, request(b"/p?a=1", [(b"X-A", b"1")]))
        assert (req.header, req.raw_query, req.path) == ([(b"X-A", b"1")], "a=1", "/p")
    res = on_response({"status.Verifier": {"statusCode": 200}}, response(status=500))
    assert res.status == 500


def test_scope_omitted_runs_wherever_the_modifier_can() -> None:
    both = build({"header.Modifier": {"name": "X", "value": "1"}})
    assert both.request is not None and both.response is not None
    only_request = build({"header.Modifier": {"name": "X", "value": "1", "scope": ["request"]}})
    assert only_request.response is None
    nowhere = build({"header.Modifier": {"name": "X", "value": "1", "scope": []}})
    assert nowhere.request is None and nowhere.response is None


def test_go_json_keys_match_case_insensitively() -> None:
    req = on_request({"header.Modifier": {"Name": "X-A", "VALUE": "1"}}, request())
    assert req.get(b"X-A") == b"1"
