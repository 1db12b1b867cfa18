"""Go's net/url rules (routing/gourl.py), tables ported from Go's `net/url/url_test.go`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_gateway.routing.gourl import EscapeError, UrlParseError, go_quote, parse_target, unescape


# Go url_test.go `unescapeTests` (the path-mode rows: `+` is not a space there).
@pytest.mark.parametrize(
    ("raw", "expected", "error"),
    [
        (b"", b"", None),
        (b"abc", b"abc", None),
        (b"1%41", b"1A", None),
        (b"1%41%42%43", b"1ABC", None),
        (b"%4a", b"J", None),
        (b"%6F", b"o", None),
        (b"%", None, '"%"'),  # not enough characters after %
        (b"%a", None, '"%a"'),
        (b"%1", None, '"%1"'),
        (b"123%45%6", None, '"%6"'),
        (b"%zzzzz", None, '"%zz"'),  # invalid hex digits
        (b"a+b", b"a+b", None),
        (b"a%20b", b"a b", None),
        (b"%ff", b"\xff", None),
        (b"%\xc3\xa9x", None, '"%\u00e9"'),  # the three bytes after % happen to be one rune
        (b"%1\xc3\xa9", None, '"%1\\xc3"'),  # ...or cut one in half
    ],
)
def test_unescape(raw: bytes, expected: bytes | None, error: str | None) -> None:
    if error is None:
        assert unescape(raw) == expected
    else:
        with pytest.raises(EscapeError) as info:
            unescape(raw)
        assert str(info.value) == "invalid URL escape " + error


# strconv.Quote (Go's quote_test.go `quotetests` and a few of ours).
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\a\b\f\r\n\t\v", '"\\a\\b\\f\\r\\n\\t\\v"'),
        (b"\\", '"\\\\"'),
        (b"abc\xffdef", '"abc\\xffdef"'),
        ("\u263a".encode(), '"\u263a"'),
        ("\U0010ffff".encode(), '"\\U0010ffff"'),
        (b"\x04", '"\\x04"'),
        (b"\x7f", '"\\x7f"'),
        (b'"', '"\\""'),
        (" \u00a0".encode(), '" \\u00a0"'),  # only the ASCII space is printable
        ("\u200b".encode(), '"\\u200b"'),  # a format character
    ],
)
def test_go_quote(raw: bytes, expected: str) -> None:
    assert go_quote(raw) == expected


# What `url.Parse("http://h" + target)` then `URL.RequestURI()` give (Go url.go: Parse, setPath,
# EscapedPath, validEncoded, RequestURI): (target, path sent, raw query or None for no `?`).
@pytest.mark.parametrize(
    ("target", "path", "query"),
    [
        ("/a/b", "/a/b", None),
        ("/a/a?b=1", "/a/a", "b=1"),
        ("/a/a?b=1/tail?x=1", "/a/a", "b=1/tail?x=1"),  # the first `?` splits
        ("/a/a#b", "/a/a", None),  # the fragment is never sent
        ("/a/a#b?q=1", "/a/a", None),  # ...even when the pattern's query follows it
        ("/a?", "/a", ""),  # ForceQuery: one trailing `?` is kept
        ("/a??", "/a", "?"),
        ("/a?#f", "/a", ""),
        ("/a/%2Fb", "/a/%2Fb", None),  # already valid: sent as written
        ("/a/%2e%2e", "/a/%2e%2e", None),
        ("/a/x!*'()[]", "/a/x!*'()[]", None),
        ("/a/a b", "/a/a%20b", None),  # not valid: re-encoded from the decoded path
        ("/a/a%41 b", "/a/aA%20b", None),  # ...which decodes the valid escapes first
        ("/a/x y!", "/a/x%20y%21", None),  # escape(path) encodes the sub-delims validEncoded keeps
        ("/a/\u00e9", "/a/%C3%A9", None),
        ("/a/{{.Id}}", "/a/%7B%7B.Id%7D%7D", None),
        ("/a/a+b", "/a/a+b", None),
        ("/a?q=100%", "/a", "q=100%"),  # the query is not checked
        ("/a#\n", "/a", None),  # nor is the fragment for control bytes
        ("", "/", None),
    ],
)
def test_parse_target(target: str, path: str, query: str | None) -> None:
    parsed = parse_target(target)
    assert (parsed.path, parsed.query) == (path, query)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/a/100%", 'parse "http://h:1/a/100%": invalid URL escape "%"'),
        ("/a/%zz/b", 'parse "http://h:1/a/%zz/b": invalid URL escape "%zz"'),
        ("/a/%zz?q=1#f", 'parse "http://h:1/a/%zz?q=1": invalid URL escape "%zz"'),
        ("/a/b#%zz", 'parse "http://h:1/a/b#%zz": invalid URL escape "%zz"'),  # whole URL
        ("/a/\n", 'parse "http://h:1/a/\\n": net/url: invalid control character in URL'),
        ("/a?q=\x7f", 'parse "http://h:1/a?q=\\x7f": net/url: invalid control character in URL'),
    ],
)
def test_parse_target_errors(target: str, message: str) -> None:
    with pytest.raises(UrlParseError) as info:
        parse_target(target)
    assert info.value.message("http://h:1") == message


@given(st.text(max_size=30))
def test_parse_target_sends_an_ascii_path_or_refuses(text: str) -> None:
    try:
        parsed = parse_target("/p/" + text)
    except UrlParseError:
        return
    parsed.path.encode("ascii")
    assert parsed.path.startswith("/p/") and " " not in parsed.path
    assert "?" not in parsed.path and "#" not in parsed.path
