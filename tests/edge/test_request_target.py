"""The request target as Go's url.ParseRequestURI reads it (edge/request_target.py).

The tables are Go's own (net/url url_test.go): parseRequestURLTests as they are, and
TestParseErrors' rows read through ParseRequestURI (every row with a scheme parses the same way
as with url.Parse; the one relative row, `cache_object/:foo/bar`, is no request target).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.edge.request_target import TargetError, Url, parse_request_target

# net/url TestParseRequestURI: parseRequestURLTests.
PARSE_REQUEST_URL = [
    ("http://foo.com", True),
    ("http://foo.com/", True),
    ("http://foo.com/path", True),
    ("/", True),
    ("//not.a.user@not.a.host/just/a/path", True),
    ("//not.a.user@%66%6f%6f.com/just/a/path/also", True),
    ("*", True),
    ("http://192.168.0.1/", True),
    ("http://192.168.0.1:8080/", True),
    ("http://[fe80::1]/", True),
    ("http://[fe80::1]:8080/", True),
    # RFC 6874 compliance
    ("http://[fe80::1%25en0]/", True),
    ("http://[fe80::1%25en0]:8080/", True),
    ("http://[fe80::1%25%65%6e%301-._~]/", True),
    ("http://[fe80::1%25%65%6e%301-._~]:8080/", True),
    ("foo.html", False),
    ("../dir/", False),
    (" http://foo.com", False),
    ("http://192.168.0.%31/", False),
    ("http://192.168.0.%31:8080/", False),
    ("http://[fe80::%31]/", False),
    ("http://[fe80::%31]:8080/", False),
    ("http://[fe80::%31%25en0]/", False),
    ("http://[fe80::%31%25en0]:8080/", False),
    # valid RFC 4007 text, not valid RFC 6874 URI literals
    ("http://[fe80::1%en0]/", False),
    ("http://[fe80::1%en0]:8080/", False),
]

# net/url TestParseErrors (wantErr), through ParseRequestURI.
PARSE_ERRORS = [
    ("http://[::1]", False),
    ("http://[::1]:80", False),
    ("http://[::1]:namedport", True),
    ("http://x:namedport", True),
    ("http://[::1]/", False),
    ("http://[::1]a", True),
    ("http://[::1]%23", True),
    ("http://[::1%25en0]", False),
    ("http://[::1]:", False),
    ("http://x:", False),
    ("http://[::1]:%38%30", True),
    ("http://[::1%25%41]", False),
    ("http://[%10::1]", True),
    ("http://[::1]/%48", False),
    ("http://%41:8080/", True),
    ("mysql://x@y(z:123)/foo", True),
    ("mysql://x@y(1.2.3.4:123)/foo", True),
    (" http://foo.com", True),
    ("ht tp://foo.com", True),
    ("ahttp://foo.com", False),
    ("1http://foo.com", True),
    (
        "http://[]%20%48%54%54%50%2f%31%2e%31%0a%4d%79%48%65%61%64%65%72%3a%20%31%32%33%0a%0a/",
        True,
    ),
    ("http://a b.com/", True),
    ("cache_object://foo", True),
    ("cache_object:foo", True),
    ("cache_object:foo/bar", True),
    ("cache_object/:foo/bar", True),  # url.Parse accepts it; no request target is relative
    # CVE-2025-47912: only an IPv6 address may be bracketed.
    ("http://[192.168.0.1]/", True),
    ("http://[192.168.0.1]:8080/", True),
    ("http://[::ffff:192.168.0.1]/", False),
    ("http://a[::1]/", True),
    # TestRejectControlCharacters
    ("http://foo.com/?foo\nbar", True),
    ("http\r://foo.com/", True),
    ("http://foo\x7f.com/", True),
    ("http://foo.com/ctl\x80", False),
    # TestInvalidUserPassword
    ("http://user^:passwo^rd@foo.com/", True),
    # go.dev/issue/75223: one port colon in an http(s) host; other schemes keep host lists
    ("http://a:1:2/", True),
    ("mongodb://a:1,b:2/", False),
    # setPath: a bad escape anywhere in the path
    ("/a%zz", True),
    ("/a%2", True),
    ("/a%2f%41?q=%zz", False),  # the query is not checked
]


def _parses(target: str) -> bool:
    try:
        parse_request_target("GET", target)
    except TargetError:
        return False
    return True


@pytest.mark.parametrize(("target", "valid"), PARSE_REQUEST_URL)
def test_parse_request_url_table(target: str, valid: bool) -> None:
    assert _parses(target) is valid


@pytest.mark.parametrize(("target", "error"), PARSE_ERRORS)
def test_parse_errors_table(target: str, error: bool) -> None:
    assert _parses(target) is not error


@pytest.mark.parametrize(
    ("method", "target", "url"),
    [
        # absolute-form: the path is the target's, the host its authority's (unescaped)
        ("GET", "http://example.com:8080/a%20b?x=1", Url("http", "example.com:8080", "/a%20b")),
        ("GET", "HTTPS://Example.com/", Url("https", "Example.com", "/")),
        ("GET", "http://u:p@h/x", Url("http", "h", "/x")),
        ("GET", "http://h", Url("http", "h", "")),
        ("GET", "http://%C3%A9.com/", Url("http", "\xc3\xa9.com", "/")),
        ("GET", "http://[fe80::1%25en0]:80/", Url("http", "[fe80::1%en0]:80", "/")),
        ("GET", "http:///x", Url("http", "", "/x")),
        ("GET", "mailto:a@b", Url("mailto")),  # opaque: no path, no host
        # a path that looks like an authority is a path (no scheme)
        ("GET", "//not.a.host/p", Url(path="//not.a.host/p")),
        ("OPTIONS", "*", Url(path="*")),
        # readRequest: CONNECT's authority-form
        ("CONNECT", "example.com:443", Url("", "example.com:443", "")),
        ("CONNECT", "/rpc", Url(path="/rpc")),
    ],
)
def test_what_go_reads_from_a_target(method: str, target: str, url: Url) -> None:
    parsed = parse_request_target(method, target)
    assert (parsed.scheme, parsed.host, parsed.path) == (url.scheme, url.host, url.path)


def test_connect_authority_form_must_be_an_authority() -> None:
    with pytest.raises(TargetError):
        parse_request_target("CONNECT", "example.com:https")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF), max_size=40))
def test_any_target_is_parsed_or_refused(target: str) -> None:
    # Never anything but a URL or TargetError; an origin-form target keeps its path as sent.
    try:
        url = parse_request_target("GET", target)
    except TargetError:
        return
    if target.startswith("/"):
        assert url.path == target.partition("?")[0]
        assert url.host == ""
