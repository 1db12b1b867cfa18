"""The `xml` backend encoding and output encoding, as krakend-xml does them with clbanning/mxj.

Decoding follows mxj v2.7 `NewMapXmlReader` (reference §3.2): the root element's name is the top
key; attributes become `-name` keys; a repeated child becomes a list; every leaf is a string. Text
is handled token by token like Go's `encoding/xml`: a CDATA section, a comment or a child element
ends a text token, each token is trimmed of `\\t\\r\\b\\n ` and, if anything is left, replaces the
text kept so far. Parsing stops at the end of the root element, so trailing bytes are ignored.

The parser is defusedxml's expat reader refusing any DTD, the only place to declare entities or
name external resources: no entity bomb, XXE file read or DTD fetch can start. (Go ignores DOCTYPE
directives and rejects non-standard entities; refusing DOCTYPE is a deliberate difference.)

Rendering follows mxj `Map.Xml()` with `XMLEscapeChars(true)` as krakend-xml's render sets it.
"""

from __future__ import annotations

import codecs
import re
import xml.sax
import xml.sax.handler
from typing import Any

from defusedxml.common import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from trio_gateway.encoding.gostr import go_sprint
from trio_gateway.errors import BackendDecodeError

__all__ = [
    "XML_CONTENT_TYPE",
    "decode_xml",
    "render_xml",
    "render_xml_no_response",
    "xml_parser_input",
]

XML_CONTENT_TYPE = b"application/xml"
# gin's c.XML(status, nil), used by krakend-xml when there is no response at all.
XML_NO_RESPONSE_CONTENT_TYPE = b"application/xml; charset=utf-8"

_TEXT_KEY = "#text"
_ATTR_PREFIX = "-"
_TRIM = "\t\r\b\n "  # mxj's trimRunes: only these, not every Unicode space
_XML_DECL = re.compile(rb"<\?xml\s[^>]*?encoding\s*=\s*([\"'])([^\"']*)\1")
# golang.org/x/net/html/charset follows the WHATWG label table, where Latin-1 and ASCII labels
# mean windows-1252; Python's codecs would decode bytes 0x80-0x9F as C1 controls instead.
_WHATWG_ALIASES = dict.fromkeys(
    ("ascii", "us-ascii", "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1"), "cp1252"
) | {"gbk": "gb18030", "gb2312": "gb18030"}
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&apos;"))


class _RootDone(Exception):
    """Raised from the end of the root element: mxj reads one element and ignores the rest."""


def _local(name: str) -> str:
    # encoding/xml keeps only the part after the namespace prefix in Name.Local.
    prefix, sep, local = name.partition(":")
    return local if sep and prefix and local else name


class _MxjHandler(xml.sax.handler.ContentHandler, xml.sax.handler.LexicalHandler):
    """Builds the mxj map from SAX events, mirroring mxj's xmlToMapParser step by step."""

    def __init__(self) -> None:
        super().__init__()
        # Per open element: [key, simple text or None, attributes and children (mxj's `na`)].
        self.stack: list[tuple[str, list[str | None], dict[str, Any]]] = []
        self.chunks: list[str] = []
        self.result: dict[str, Any] | None = None

    def _flush(self) -> None:
        """End the current Go text token and apply it as mxj does."""
        if not self.chunks:
            return
        text = "".join(self.chunks).strip(_TRIM)
        self.chunks.clear()
        if not text or not self.stack:
            return  # stray text outside the root element is ignored
        _, simple, na = self.stack[-1]
        if na:
            na[_TEXT_KEY] = text
        else:
            simple[0] = text

    def startElement(self, name: str, attrs: Any) -> None:
        self._flush()
        na = {_ATTR_PREFIX + _local(k): v for k, v in attrs.items()}
        self.stack.append((_local(name), [None], na))

    def endElement(self, name: str) -> None:
        self._flush()
        key, (simple,), na = self.stack.pop()
        value: Any
        if simple is None:
            value = na if na else ""
        elif na:
            na[_TEXT_KEY] = simple  # text seen before the first child wins over later text
            value = na
        else:
            value = simple
        if not self.stack:
            self.result = {key: value}
            raise _RootDone
        siblings = self.stack[-1][2]
        if key not in siblings:
            siblings[key] = value
        elif isinstance(siblings[key], list):
            siblings[key].append(value)
        else:
            siblings[key] = [siblings[key], value]

    def characters(self, content: str) -> None:
        self.chunks.append(content)

    def processingInstruction(self, target: str, data: str) -> None:
        self._flush()

    def comment(self, content: str) -> None:
        self._flush()

    def startCDATA(self) -> None:
        self._flush()

    def endCDATA(self) -> None:
        self._flush()


def xml_parser_input(body: bytes) -> bytes | str:
    """Honour the declared charset as Go's decoder does with html/charset labels.

    Go accepts blank space before the XML declaration; expat does not, so it is dropped.
    """
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    body = body.lstrip(b" \t\r\n")
    decl = _XML_DECL.match(body)
    if decl is None:
        return body
    label = decl.group(2).decode("ascii", "replace").strip().lower()
    if label in ("utf-8", "utf8"):
        return body
    try:
        codec = codecs.lookup(_WHATWG_ALIASES.get(label, label)).name
        # A str input makes expat ignore the declared encoding: it parses the decoded text.
        return body.decode(codec)
    except (LookupError, UnicodeDecodeError) as exc:
        raise BackendDecodeError(f"xml: unsupported charset {label!r}: {exc}") from None


def decode_xml(body: bytes, is_collection: bool) -> dict[str, Any] | None:
    """Decode an XML backend body into mxj's map (reference §3.2).

    Args:
        body: the raw (already gunzipped) backend body.
        is_collection: wrap the map as `{"collection": map}`, like krakend-xml does.

    Returns:
        The root element's name mapped to its content.

    Raises:
        BackendDecodeError: the body is not well-formed XML up to the end of its root element,
            declares an unknown charset, or carries a DTD (refused for safety).
    """
    handler = _MxjHandler()
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(handler)
    parser.setProperty(xml.sax.handler.property_lexical_handler, handler)
    try:
        parser.feed(xml_parser_input(body))
        parser.close()
    except _RootDone:
        pass
    except (xml.sax.SAXException, DefusedXmlException, ValueError) as exc:
        raise BackendDecodeError(f"xml: {exc}") from None
    if handler.result is None:
        raise BackendDecodeError("xml: EOF")  # no root element, as Go reports it
    return {"collection": handler.result} if is_collection else handler.result


class _InvalidAttribute(Exception):
    """mxj refuses an attribute whose value is not a scalar; krakend-xml then writes nothing."""


def _escape(text: str) -> str:
    for raw, escaped in _ESCAPES:  # `&` first, as mxj's escapeChars
        if raw in text:
            text = text.replace(raw, escaped)
    return text


def _is_attr(key: str) -> bool:
    return len(key) > 1 and key.startswith(_ATTR_PREFIX)


def _marshal(out: list[str], key: str, value: Any) -> None:
    """mxj's marshalMapToXmlIndent without indentation."""
    if value is None:
        value = ""
    if isinstance(value, list):
        if not value:
            out.append(f"<{key}/>")
        for item in value:
            _marshal(out, key, item)
        return
    if not isinstance(value, dict):
        text = _escape(value) if isinstance(value, str) else go_sprint(value)
        out.append(f"<{key}>{text}</{key}>" if text else f"<{key}/>")
        return
    out.append("<" + key)
    attrs = [k for k in value if _is_attr(k)]
    for attr in sorted(attrs):
        attr_value = value[attr]
        if isinstance(attr_value, str):
            out.append(f' {attr[1:]}="{_escape(attr_value)}"')
        elif isinstance(attr_value, (int, float)):
            out.append(f' {attr[1:]}="{go_sprint(attr_value)}"')
        else:
            raise _InvalidAttribute(attr)
    if len(attrs) == len(value):
        out.append("/>")
        return
    if _TEXT_KEY in value:
        text = value[_TEXT_KEY]
        out.append(">" + (_escape(text) if isinstance(text, str) else go_sprint(text)))
        if len(attrs) + 1 == len(value):
            out.append(f"</{key}>")
            return
    else:
        out.append(">")
    for child in sorted(k for k in value if k != _TEXT_KEY and not _is_attr(k)):
        _marshal(out, child, value[child])
    out.append(f"</{key}>")


def render_xml(data: dict[str, Any] | None) -> tuple[bytes, bytes]:
    """Render response data as krakend-xml does (reference §6).

    A single top-level key names the root element unless its value is a list holding anything but
    objects; otherwise the root is `<doc>`. An attribute (`-name`) whose value is not a string,
    number or bool makes mxj fail, and krakend-xml then sends an empty body.

    Args:
        data: the response data; None (a JSON `null` backend) renders as `<doc/>`, like mxj does
            for a nil map.

    Returns:
        The Content-Type and the body.
    """
    out: list[str] = []
    try:
        if data is not None and len(data) == 1:
            ((key, value),) = data.items()
            if isinstance(value, list) and not all(isinstance(v, dict) for v in value):
                _marshal(out, "doc", data)
            else:
                _marshal(out, key, value)
        else:
            _marshal(out, "doc", data or {})
    except _InvalidAttribute:
        return XML_CONTENT_TYPE, b""
    return XML_CONTENT_TYPE, "".join(out).encode("utf-8", "replace")


def render_xml_no_response() -> tuple[bytes, bytes]:
    """What krakend-xml sends when there is no response at all: gin's XML of nil, empty."""
    return XML_NO_RESPONSE_CONTENT_TYPE, b""
