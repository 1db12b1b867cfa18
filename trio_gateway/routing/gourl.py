"""Go's `net/url` rules that KrakenD's answers depend on, byte for byte.

Rule 1 (`unescape`): every `%` must start a `%XX` escape, or the whole string is refused with
`invalid URL escape "<the % and at most two bytes after it>"` (Go's EscapeError, whose text
quotes with `strconv.Quote`).

Rule 2 (`url.Parse` of `host + path`, lura `proxy/balancing.go`): the first `#` ends the URL (its
fragment must still unescape); control bytes before it are refused; the first `?` splits the
path from the raw query, except that a single trailing `?` only forces an empty query; the path
must unescape. On the wire (`URL.RequestURI`) the path is sent as written when it is already
valid (`validEncoded`), else re-encoded from its decoded bytes (`escape(path, encodePath)`).
"""

from __future__ import annotations

import re

__all__ = ["EscapeError", "ParsedTarget", "UrlParseError", "go_quote", "parse_target", "unescape"]

_HEX = b"0123456789abcdefABCDEF"
# Go's validEncoded(s, encodePath): pchar, '/', '[' ']' and '%' (already checked by unescape).
_VALID_PATH = re.compile(rb"[A-Za-z0-9\-._~!$&'()*+,;=:@\[\]/%]*\Z")
# Go's shouldEscape(c, encodePath) is false for alphanumerics and these.
_PATH_UNESCAPED = frozenset(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~$&+,/:;=@"
)
_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")
_SHORT_ESCAPES = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v"}


def go_quote(raw: bytes) -> str:
    """Go's `strconv.Quote`: printable runes as they are, the rest escaped, invalid UTF-8 as
    `\\xNN`."""
    out = ['"']
    for char in raw.decode("utf-8", "surrogateescape"):
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char in ('"', "\\"):
            out.append("\\" + char)
        elif code in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[code])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif char.isprintable():
            out.append(char)  # as Go's unicode.IsPrint: L, M, N, P, S and the ASCII space
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


class EscapeError(ValueError):
    """Go's `url.EscapeError`: the bad escape, quoted."""

    def __init__(self, bad: bytes) -> None:
        super().__init__("invalid URL escape " + go_quote(bad))


def _check_escapes(raw: bytes) -> int:
    """Go's first pass of `unescape`: the number of `%XX` escapes, or EscapeError."""
    count = 0
    i = raw.find(b"%")
    while i >= 0:
        if i + 2 >= len(raw) or raw[i + 1] not in _HEX or raw[i + 2] not in _HEX:
            raise EscapeError(raw[i : i + 3])
        count += 1
        i = raw.find(b"%", i + 3)
    return count


def unescape(raw: bytes) -> bytes:
    """Go's `unescape` for a path (PathUnescape and the path of `url.Parse`: `+` stays `+`)."""
    if not _check_escapes(raw):
        return raw
    out = bytearray()
    last = 0
    i = raw.find(b"%")
    while i >= 0:
        out += raw[last:i]
        out.append(int(raw[i + 1 : i + 3], 16))
        last = i + 3
        i = raw.find(b"%", last)
    out += raw[last:]
    return bytes(out)


def _escape_path(path: bytes) -> bytes:
    """Go's `escape(path, encodePath)`."""
    return b"".join(bytes((b,)) if b in _PATH_UNESCAPED else b"%%%02X" % b for b in path)


class UrlParseError(ValueError):
    """`url.Parse` refused the URL: Go's `parse "<url>": <reason>`, the URL given by the caller.

    Attributes:
        reason: Go's error text after the URL.
        quoted: what Go puts between the quotes, less the `scheme://host` the caller prepends.
    """

    def __init__(self, reason: str, quoted: bytes) -> None:
        super().__init__(reason)
        self.reason = reason
        self.quoted = quoted

    def message(self, base_url: str) -> str:
        """The whole Go error text for a URL that starts with `base_url`."""
        return f"parse {go_quote(base_url.encode() + self.quoted)}: {self.reason}"


class ParsedTarget:
    """What Go sends for a parsed URL: the escaped path and the raw query (None = no `?`)."""

    __slots__ = ("path", "query")

    def __init__(self, path: str, query: str | None) -> None:
        self.path = path
        self.query = query


def parse_target(target: str) -> ParsedTarget:
    """Parse an origin-relative `path[?query][#fragment]` as Go's `url.Parse(host + target)`.

    Raises:
        UrlParseError: a control byte, or a bad `%` escape in the path or the fragment.
    """
    raw = target.encode("utf-8", "surrogatepass")
    before, sep, fragment = raw.partition(b"#")
    if _CONTROL.search(before):
        raise UrlParseError("net/url: invalid control character in URL", before)
    query: bytes | None
    if before.endswith(b"?") and before.count(b"?") == 1:
        path, query = before[:-1], b""  # ForceQuery: the `?` is sent, the query is empty
    else:
        path, qsep, query = before.partition(b"?")
        if not qsep:
            query = None
    try:
        decoded = unescape(path)
    except EscapeError as exc:
        raise UrlParseError(str(exc), before) from None
    if sep:
        try:
            _check_escapes(fragment)
        except EscapeError as exc:
            raise UrlParseError(str(exc), raw) from None
    # EscapedPath: the path as written when Go accepts it as encoded, else re-encoded.
    sent = path if _VALID_PATH.match(path) else _escape_path(decoded)
    return ParsedTarget(
        sent.decode("latin-1") or "/",
        None if query is None else query.decode("utf-8", "surrogatepass"),
    )
