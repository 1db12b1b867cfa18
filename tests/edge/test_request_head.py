"""What Go's server does before gin sees a request (edge/request_head.py), and how the app
answers it: Go's own tables where it has them, then the app in-process."""

from __future__ import annotations

from typing import Any

import pytest

from trio_gateway.config import load_config_data
from trio_gateway.edge.app import GatewayApp
from trio_gateway.edge.request_head import (
    GLOBAL_OPTIONS,
    ORIGIN,
    BadRequest,
    read_head,
    valid_host_header,
)
from trio_gateway.plan import compile_plan


def _scope(
    head: bytes, method: str = "GET", target: bytes = b"/", version: str = "1.1"
) -> dict[str, Any]:
    """A scope as hypercorn builds it, from header lines as Go's test writes them."""
    headers = []
    for line in head.split(b"\r\n"):
        if line:
            name, _, value = line.partition(b":")
            headers.append((name.strip().lower(), value.strip()))
    raw_path, _, query = target.partition(b"?")
    return {
        "type": "http",
        "http_version": version,
        "method": method,
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": query,
        "headers": headers,
    }


# net/http serve_test.go TestServerValidatesHostHeader: (proto, host lines, status). The rows
# Go's request-line parser decides (HTTP/0.9 and HTTP/2.0 request lines: 505, `PRI *`) never
# reach an ASGI app and are left out.
GO_HOST_HEADER_TABLE = [
    ("HTTP/1.1", b"", 400),
    ("HTTP/1.1", b"Host: \r\n", 200),
    ("HTTP/1.1", b"Host: 1.2.3.4\r\n", 200),
    ("HTTP/1.1", b"Host: foo.com\r\n", 200),
    ("HTTP/1.1", b"Host: foo-bar_baz.com\r\n", 200),
    ("HTTP/1.1", b"Host: foo.com:80\r\n", 200),
    ("HTTP/1.1", b"Host: ::1\r\n", 200),
    ("HTTP/1.1", b"Host: [::1]\r\n", 200),  # questionable without port, but accept it
    ("HTTP/1.1", b"Host: [::1]:80\r\n", 200),
    ("HTTP/1.1", b"Host: [::1%25en0]:80\r\n", 200),
    ("HTTP/1.1", b"Host: 1.2.3.4\r\n", 200),
    ("HTTP/1.1", b"Host: \x06\r\n", 400),
    ("HTTP/1.1", b"Host: \xff\r\n", 400),
    ("HTTP/1.1", b"Host: {\r\n", 400),
    ("HTTP/1.1", b"Host: }\r\n", 400),
    ("HTTP/1.1", b"Host: first\r\nHost: second\r\n", 400),
    # HTTP/1.0 can lack a host header, but if present must play by the rules too
    ("HTTP/1.0", b"", 200),
    ("HTTP/1.0", b"Host: first\r\nHost: second\r\n", 400),
    ("HTTP/1.0", b"Host: \xff\r\n", 400),
    # Also an exception for CONNECT requests (Issue 18215)
    ("CONNECT golang.org:443 HTTP/1.1", b"", 200),
]


@pytest.mark.parametrize(("proto", "host", "status"), GO_HOST_HEADER_TABLE)
def test_go_host_header_table(proto: str, host: bytes, status: int) -> None:
    if proto.startswith("HTTP/"):
        scope = _scope(host, version=proto.removeprefix("HTTP/"))
    else:
        method, target, version = proto.split(" ")
        scope = _scope(host, method, target.encode(), version.removeprefix("HTTP/"))
    head = read_head(scope)
    assert (400 if isinstance(head, BadRequest) else 200) == status
    if status == 200 and scope["raw_path"] == b"/":
        assert head is scope  # nothing rewritten for an origin-form target


@pytest.mark.parametrize(
    ("head", "body"),
    [
        (b"", b"400 Bad Request: missing required Host header"),
        (b"Host: bad host\r\n", b"400 Bad Request: malformed Host header"),
        (b"Host: a\r\nHost: a\r\n", b"400 Bad Request"),  # request.go's plain error
    ],
)
def test_what_go_says(head: bytes, body: bytes) -> None:
    refusal = read_head(_scope(head))
    assert isinstance(refusal, BadRequest)
    assert refusal.body == body


def test_the_target_is_read_before_the_hosts() -> None:
    # Go parses the request line first: a bad target with a bad Host is the plain 400.
    refusal = read_head(_scope(b"Host: {\r\n", target=b"/%zz"))
    assert isinstance(refusal, BadRequest) and refusal.body == b"400 Bad Request"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (b"", True),
        (b"example.com", True),
        (b"[fe80::1%25en0]:8080", True),
        (b"a!$&'()*+,;=-._~b", True),
        (b"bad host", False),
        (b"a/b", False),
        (b"a@b", False),
        (b"a\tb", False),
        (b"caf\xc3\xa9", False),  # UTF-8 bytes are not host bytes (IDNA is Punycode)
        (b'"x"', False),
    ],
)
def test_valid_host_header(value: bytes, valid: bool) -> None:
    assert valid_host_header(value) is valid


def test_absolute_form_rewrites_the_path_and_the_host() -> None:
    scope = _scope(b"Host: ignored\r\nAccept: */*\r\n", target=b"http://Example.com:81/a%20b?x=1")
    served = read_head(scope)
    assert isinstance(served, dict)
    assert (served["path"], served["raw_path"], served["query_string"]) == (
        "/a b",
        b"/a%20b",
        b"x=1",
    )
    assert served["headers"] == [(b"host", b"Example.com:81"), (b"accept", b"*/*")]
    assert served[ORIGIN] == "http://Example.com:81"
    assert scope["path"] == "http://Example.com:81/a%20b"  # the server's scope is not changed


def test_absolute_form_without_a_host_keeps_the_host_header() -> None:
    served = read_head(_scope(b"Host: h\r\n", target=b"http:///x"))
    assert isinstance(served, dict)
    assert served["path"] == "/x" and served["headers"] == [(b"host", b"h")]


def test_absolute_form_of_http_1_0_gets_a_host() -> None:
    served = read_head(_scope(b"", target=b"http://h/x", version="1.0"))
    assert isinstance(served, dict) and served["headers"] == [(b"host", b"h")]


def test_options_asterisk_is_the_servers() -> None:
    assert read_head(_scope(b"Host: h\r\n", "OPTIONS", b"*")) is GLOBAL_OPTIONS
    # Another method sees `*` as its path; with a query it is no asterisk-form at all.
    assert isinstance(read_head(_scope(b"Host: h\r\n", "GET", b"*")), dict)
    assert isinstance(read_head(_scope(b"Host: h\r\n", "OPTIONS", b"*?x")), BadRequest)


def test_http2_has_no_host_header_rules() -> None:
    # An HTTP/2 request names its authority in `:authority` (Go's h2 server reads that).
    scope = _scope(b"", version="2")
    assert read_head(scope) is scope


def test_a_raw_path_with_its_query_is_read_as_path_and_query() -> None:
    # httpx's ASGI transport puts the query in raw_path too: its escapes are not the path's.
    scope = _scope(b"Host: h\r\n")
    scope["raw_path"] = b"/a?q=%zz"
    assert read_head(scope) is scope


# The app in-process: what these answers look like, and that nothing else runs for them.


def _app(**service: Any) -> GatewayApp:
    config = load_config_data(
        {
            "version": 3,
            "host": ["http://127.0.0.1:10"],
            "endpoints": [
                {"endpoint": "/", "backend": [{"url_pattern": "/"}]},
                {"endpoint": "/e", "backend": [{"url_pattern": "/"}]},
            ],
            **service,
        }
    ).config
    app = GatewayApp(compile_plan(config))
    app.startup()
    return app


async def _call(app: GatewayApp, scope: dict[str, Any], body: bytes = b"") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"client": ("127.0.0.1", 1), **scope}, receive, send)
    return sent


async def test_a_malformed_host_is_answered_as_go_writes_it() -> None:
    start, body = await _call(_app(), _scope(b"Host: bad host\r\n", target=b"/e"))
    assert start["status"] == 400
    assert start["headers"] == [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"connection", b"close"),
        (b"content-length", b"38"),
    ]
    assert body["body"] == b"400 Bad Request: malformed Host header"


async def test_global_options() -> None:
    start, body = await _call(_app(), _scope(b"Host: h\r\n", "OPTIONS", b"*"), b"x" * 4096)
    assert (start["status"], start["headers"], body["body"]) == (
        200,
        [(b"content-length", b"0")],
        b"",
    )
    # Over 4 KiB of body: still 200, and the connection is not kept (MaxBytesReader).
    start, _ = await _call(_app(), _scope(b"Host: h\r\n", "OPTIONS", b"*"), b"x" * 4097)
    assert start["status"] == 200 and (b"connection", b"close") in start["headers"]


async def test_an_absolute_form_redirect_is_absolute() -> None:
    # `GET http://h HTTP/1.1` has the empty path; gin redirects to req.URL with "/" added.
    start, _ = await _call(_app(), _scope(b"Host: x\r\n", target=b"http://h?a=1"))
    assert start["status"] == 301
    assert (b"location", b"http://h/?a=1") in start["headers"]


async def test_an_asterisk_that_is_not_options_is_a_404() -> None:
    start, body = await _call(_app(), _scope(b"Host: h\r\n", "GET", b"*"))
    assert start["status"] == 404 and body["body"] == b"404 page not found"
