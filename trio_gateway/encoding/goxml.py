"""Go's `encoding/xml` tokenizer (`Decoder.Token`, Strict), as mxj reads a backend's XML.

Ported rule by rule from Go's `xml.go` (`rawToken`, `text`, `attrval`, `nsname`, `popElement`,
`translate`), so the map mxj builds from its tokens is KrakenD's to the letter:

- text between markup is one token, a CDATA section another; `\\r\\n` and `\\r` become `\\n`;
  only `&lt; &gt; &amp; &apos; &quot;` and `&#N;` / `&#xN;` are known; `]]>` outside CDATA, a
  bad entity, invalid UTF-8 or a character outside XML's range is a syntax error;
- attribute values are taken as written: no whitespace normalisation, no duplicate check (the
  last one wins in mxj's map), no whitespace needed between attributes;
- directives (`<!DOCTYPE …>` with its internal subset) are skipped without being interpreted:
  no entity is ever declared, expanded or fetched, so entity bombs and XXE cannot start;
- names are split at their first `:` (`Name.Local` is what follows); an end tag must match its
  start tag's local name and its translated name space.

Name characters follow XML 1.0 Appendix B as Go's tables do, approximated with Unicode
categories for non-ASCII letters (the tables are Unicode 2.0's).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import NamedTuple

__all__ = ["CharData", "EndElement", "StartElement", "XMLSyntaxError", "tokens"]

_XML_URL = "http://www.w3.org/XML/1998/namespace"
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": '"'}
_SPACE = re.compile(r"[ \r\n\t]*")
# readName: ASCII name bytes, and every non-ASCII character (isName checks them after).
_NAME = re.compile(r"[A-Za-z0-9_:.\-\u0080-\U0010ffff]+")
_TEXT = re.compile(r"[^<]*")
_ENTITY_REF = re.compile(r"&(?:#(x[0-9a-fA-F]*|[0-9]*)|([A-Za-z0-9_:.\-\u0080-\U0010ffff]*))(;?)")
_NOT_XML_CHAR = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Fast paths for the common case, a tag whose names are all ASCII and well formed; anything else
# (including every error) goes the long way, byte by byte as Go reads it.
_ASCII_NAME = r"[A-Za-z_:][A-Za-z0-9_:.\-]*"
_WS = r"[ \t\r\n]*"
_FAST_ATTR = re.compile("(" + _ASCII_NAME + ")" + _WS + "=" + _WS + "(?:\"([^\"<]*)\"|'([^'<]*)')")
_FAST_START = re.compile(
    "<("
    + _ASCII_NAME
    + ")((?:"
    + _WS
    + _ASCII_NAME
    + _WS
    + "="
    + _WS
    + "(?:\"[^\"<]*\"|'[^'<]*'))*)"
    + _WS
    + "(/?)>"
)
_FAST_END = re.compile("</(" + _ASCII_NAME + ")" + _WS + ">")
_ASCII_NAME_ONLY = re.compile(_ASCII_NAME + r"\Z")
_FIRST_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lo", "Nl"})
_SECOND_CATEGORIES = frozenset({"Mn", "Mc", "Me", "Nd", "Lm"})


class XMLSyntaxError(ValueError):
    """What Go's decoder returns; `str()` is Go's text."""


class StartElement(NamedTuple):
    local: str
    space: str
    attrs: tuple[tuple[str, str], ...]  # (Name.Local, value), in document order


class EndElement(NamedTuple):
    local: str


class CharData(NamedTuple):
    text: str


def _is_first(char: str) -> bool:
    if char < "\x80":
        return char.isalpha() or char in "_:"
    return unicodedata.category(char) in _FIRST_CATEGORIES


def _is_name(name: str) -> bool:
    """Go's isName: a first character, then first or second characters."""
    if _ASCII_NAME_ONLY.match(name):
        return True
    if not name or not _is_first(name[0]):
        return False
    for char in name[1:]:
        if char < "\x80":
            if not (char.isalnum() or char in "_:.-"):
                return False
        elif not (_is_first(char) or unicodedata.category(char) in _SECOND_CATEGORIES):
            return False
    return True


class _Decoder:
    __slots__ = ("_pending_end", "doc", "ns", "pos", "stack")

    def __init__(self, doc: str) -> None:
        self.doc = doc
        self.pos = 0
        self._pending_end = False  # a `<a/>` was read: its EndElement comes next
        self.ns: dict[str, str] = {}
        # Open elements: (local, translated space, the ns bindings to restore at its end)
        self.stack: list[tuple[str, str, dict[str, str] | None]] = []

    def error(self, message: str, at: int | None = None) -> XMLSyntaxError:
        line = self.doc.count("\n", 0, self.pos if at is None else at) + 1
        return XMLSyntaxError(f"XML syntax error on line {line}: {message}")

    def eof(self) -> XMLSyntaxError:
        return self.error("unexpected EOF", len(self.doc))

    # -- text, as Go's Decoder.text ------------------------------------------------------------

    def _check(self, data: str, end: int) -> str:
        bad = _NOT_XML_CHAR.search(data)
        if bad is not None:
            char = bad.group(0)
            if 0xDC80 <= ord(char) <= 0xDCFF:  # an undecodable byte (surrogateescape)
                raise self.error("invalid UTF-8", end)
            raise self.error(f"illegal character code U+{ord(char):04X}", end)
        return data

    def _unescape(self, raw: str, end: int) -> str:
        """Entities and line ends of one run of text or one attribute value."""
        if "&" not in raw:
            return self._check(raw.replace("\r\n", "\n").replace("\r", "\n"), end)
        out: list[str] = []
        last = 0
        for ref in _ENTITY_REF.finditer(raw):
            out.append(raw[last : ref.start()].replace("\r\n", "\n").replace("\r", "\n"))
            last = ref.end()
            number, name, semicolon = ref.groups()
            text: str | None = None
            if semicolon:
                if number is not None:
                    digits, base = (number[1:], 16) if number.startswith("x") else (number, 10)
                    if digits:
                        code = int(digits, base)
                        if code <= 0x10FFFF:
                            # Go's string(rune): a surrogate becomes U+FFFD
                            text = "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)
                elif _is_name(name):
                    text = _ENTITIES.get(name)
            if text is None:
                ent = ref.group(0) + ("" if semicolon else " (no semicolon)")
                raise self.error("invalid character entity " + ent, end)
            out.append(text)
        out.append(raw[last:].replace("\r\n", "\n").replace("\r", "\n"))
        return self._check("".join(out), end)

    def _name(self) -> str | None:
        found = _NAME.match(self.doc, self.pos)
        if found is None:
            return None
        self.pos = found.end()
        if not _is_name(found.group(0)):
            raise self.error("invalid XML name: " + found.group(0))
        return found.group(0)

    def _nsname(self) -> tuple[str, str] | None:
        """(space prefix, local): split at the first `:`."""
        name = self._name()
        if name is None:
            return None
        return _split(name)

    def _space(self) -> None:
        self.pos = _SPACE.match(self.doc, self.pos).end()  # type: ignore[union-attr]

    def _char(self) -> str:
        if self.pos >= len(self.doc):
            raise self.eof()
        char = self.doc[self.pos]
        self.pos += 1
        return char

    # -- tokens ------------------------------------------------------------------------------

    def _translate(self, prefix: str, local: str, element: bool) -> str:
        if prefix == "xmlns" or (not prefix and (not element or local == "xmlns")):
            return prefix
        if prefix == "xml":
            return _XML_URL
        return self.ns.get(prefix, prefix)

    def _fast_start(self) -> StartElement | None:
        found = _FAST_START.match(self.doc, self.pos)
        if found is None:
            return None
        name, raw_attrs, empty = found.groups()
        attrs: list[tuple[tuple[str, str], str]] = []
        if raw_attrs:
            for attr in _FAST_ATTR.finditer(raw_attrs):
                raw = attr.group(2) if attr.group(2) is not None else attr.group(3)
                if "]]>" in raw:
                    return None  # the long way reports it where Go does
                attrs.append((_split(attr.group(1)), self._unescape(raw, found.end())))
        self.pos = found.end()
        return self._open(_split(name), attrs, bool(empty))

    def _start(self) -> StartElement:
        self.pos -= 1
        fast = self._fast_start()
        if fast is not None:
            return fast
        self.pos += 1
        name = self._nsname()
        if name is None:
            raise self.error("expected element name after <")
        raw_attrs: list[tuple[tuple[str, str], str]] = []
        while True:
            self._space()
            char = self._char()
            if char == "/":
                if self._char() != ">":
                    raise self.error("expected /> in element")
                empty = True
                break
            if char == ">":
                empty = False
                break
            self.pos -= 1
            attr = self._nsname()
            if attr is None:
                raise self.error("expected attribute name in element")
            self._space()
            if self._char() != "=":
                raise self.error("attribute name without = in element")
            self._space()
            quote = self._char()
            if quote not in "\"'":
                raise self.error("unquoted or missing attribute value in element")
            end = self.doc.find(quote, self.pos)
            if end < 0:
                raise self.eof()
            raw = self.doc[self.pos : end]
            if "<" in raw:
                raise self.error("unescaped < inside quoted string", self.pos + raw.index("<"))
            if "]]>" in raw:
                raise self.error("unescaped ]]> not in CDATA section", self.pos + raw.index("]]>"))
            raw_attrs.append((attr, self._unescape(raw, end)))
            self.pos = end + 1
        return self._open(name, raw_attrs, empty)

    def _open(
        self, name: tuple[str, str], raw_attrs: list[tuple[tuple[str, str], str]], empty: bool
    ) -> StartElement:
        # Token(): the element's own xmlns attributes bind before its names are translated.
        saved: dict[str, str] | None = None
        for (prefix, local), value in raw_attrs:
            if prefix == "xmlns" or (not prefix and local == "xmlns"):
                if saved is None:
                    saved = dict(self.ns)
                self.ns[local if prefix else ""] = value
        space = self._translate(name[0], name[1], True)
        self.stack.append((name[1], space, saved))
        start = StartElement(name[1], space, tuple((a[1], v) for a, v in raw_attrs))
        if empty:
            self._pending_end = True
        return start

    def _end(self) -> EndElement:
        fast = _FAST_END.match(self.doc, self.pos - 2)
        if fast is not None:
            self.pos = fast.end()
            prefix, local = _split(fast.group(1))
            return self._pop(local, self._translate(prefix, local, True))
        name = self._nsname()
        if name is None:
            raise self.error("expected element name after </")
        self._space()
        if self._char() != ">":
            raise self.error(f"invalid characters between </{name[1]} and >")
        return self._pop(name[1], self._translate(name[0], name[1], True))

    def _pop(self, local: str, space: str) -> EndElement:
        if not self.stack:
            raise self.error(f"unexpected end element </{local}>")
        open_local, open_space, saved = self.stack.pop()
        if open_local != local:
            raise self.error(f"element <{open_local}> closed by </{local}>")
        if open_space != space:
            raise self.error(
                f"element <{open_local}> in space {open_space}closed by </{local}> in space {space}"
            )
        if saved is not None:
            self.ns = saved
        return EndElement(local)

    def _proc_inst(self) -> None:
        self.pos += 2
        target = self._name()
        if target is None:
            raise self.error("expected target name after <?")
        self._space()
        end = self.doc.find("?>", self.pos)
        if end < 0:
            raise self.eof()
        content = self.doc[self.pos : end]
        self.pos = end + 2
        if target == "xml":
            version = _proc_inst_param("version", content)
            if version and version != "1.0":
                raise XMLSyntaxError(
                    f'xml: unsupported version "{version}"; only version 1.0 is supported'
                )

    def _comment(self) -> None:
        if not self.doc.startswith("<!--", self.pos):
            if self.pos + 3 >= len(self.doc):
                raise self.eof()
            raise self.error("invalid sequence <!- not part of <!--")
        dashes = self.doc.find("--", self.pos + 4)
        if dashes < 0 or dashes + 2 >= len(self.doc):
            raise self.eof()
        if self.doc[dashes + 2] != ">":
            raise self.error('invalid sequence "--" not allowed in comments', dashes + 2)
        self.pos = dashes + 3

    def _cdata(self) -> CharData:
        if not self.doc.startswith("<![CDATA[", self.pos):
            if len(self.doc) < self.pos + 9:
                raise self.eof()
            raise self.error("invalid <![ sequence")
        start = self.pos + 9
        end = self.doc.find("]]>", start)
        if end < 0:
            raise self.error("unexpected EOF in CDATA section", len(self.doc))
        self.pos = end + 3
        raw = self.doc[start:end]
        return CharData(self._check(raw.replace("\r\n", "\n").replace("\r", "\n"), end))

    def _directive(self) -> None:
        """`<!…>`: skipped, quotes and nested `<…>` and comments respected, as Go does."""
        doc = self.doc
        i = self.pos + 3  # Go writes the byte after `<!` without looking at it
        if i > len(doc):
            raise self.eof()
        quote = ""
        depth = 0
        while True:
            if i >= len(doc):
                raise self.eof()
            char = doc[i]
            i += 1
            if not quote and char == ">" and depth == 0:
                break
            if quote:
                if char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif char == ">":
                depth -= 1
            elif char == "<":
                if doc.startswith("!--", i):
                    end = doc.find("-->", i + 3)
                    if end < 0:
                        raise self.eof()
                    i = end + 3
                else:
                    depth += 1
        self.pos = i

    def tokens(self) -> Iterator[StartElement | EndElement | CharData]:
        doc = self.doc
        while True:
            if self._pending_end:
                self._pending_end = False
                local, space, _ = self.stack[-1]
                yield self._pop(local, space)
                continue
            if self.pos >= len(doc):
                if self.stack:
                    raise self.eof()
                return
            if doc[self.pos] != "<":
                end = _TEXT.match(doc, self.pos).end()  # type: ignore[union-attr]
                raw = doc[self.pos : end]
                if "]]>" in raw:
                    raise self.error(
                        "unescaped ]]> not in CDATA section", self.pos + raw.index("]]>")
                    )
                text = self._unescape(raw, end)
                self.pos = end
                yield CharData(text)
                continue
            if self.pos + 1 >= len(doc):
                raise self.eof()
            second = doc[self.pos + 1]
            if second == "/":
                self.pos += 2
                yield self._end()
            elif second == "?":
                self._proc_inst()
            elif second == "!":
                if self.pos + 2 >= len(doc):
                    raise self.eof()
                third = doc[self.pos + 2]
                if third == "-":
                    self._comment()
                elif third == "[":
                    yield self._cdata()
                else:
                    self._directive()
            else:
                self.pos += 1
                yield self._start()


def _split(name: str) -> tuple[str, str]:
    """Go's nsname: (Space, Local), split at the first `:`."""
    prefix, sep, local = name.partition(":")
    return (prefix, local) if sep else ("", name)


def _proc_inst_param(param: str, content: str) -> str:
    """Go's procInst: the value of `param="…"` in an `<?xml …?>` declaration."""
    found = re.search(r"(?:^|\s)" + param + r"=(['\"])(.*?)\1", content)
    return found.group(2) if found else ""


def tokens(doc: str) -> Iterator[StartElement | EndElement | CharData]:
    """The StartElement, EndElement and CharData tokens of `doc`, as Go's `Decoder.Token` gives
    them (comments, processing instructions and directives are read and dropped).

    Raises:
        XMLSyntaxError: when Go's decoder would return an error, at the same token.
    """
    return _Decoder(doc).tokens()
