"""The `xml` backend encoding and output encoding, as krakend-xml does them with clbanning/mxj.

Decoding follows mxj v2.7 `NewMapXmlReader` (what KrakenD 2.13.4+ links through krakend-xml
v2.2.2; before that, mxj v1.8.4 dropped the children of an element with text before them:
`<p>head<b>bold</b></p>` was `{"p": "head"}`, and is `{"p": {"#text": "head", "b": "bold"}}`
now). The root element's name is the top key; attributes become `-name` keys; a repeated child
becomes a list; every leaf is a string. Text is handled token by token like Go's `encoding/xml`:
a CDATA section, a comment or a child element ends a text token, each token is trimmed of
`\t\r\b\n ` and, if anything is left, replaces the text kept so far. Parsing stops at the end of
the root element, so trailing bytes are ignored; stray text before it is skipped.

The tokens are Go's own (encoding/goxml.py, a port of `Decoder.Token`): a DOCTYPE is skipped
without being read, so no entity is ever declared, expanded or fetched (an entity bomb or XXE
reference is an unknown entity, a syntax error, as in Go).

Rendering follows mxj `Map.Xml()` with `XMLEscapeChars(true)` as krakend-xml's render sets it.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from trio_gateway.encoding.gostr import go_sprint
from trio_gateway.encoding.goxml import CharData, StartElement, XMLSyntaxError, tokens
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


def _mxj_map(doc: str) -> dict[str, Any]:
    """mxj v2.7 `xmlToMapParser` over Go's tokens, for the first element of `doc`.

    Per open element mxj keeps `n` (the simple text) and `na` (attributes and children): text
    goes to `na["#text"]` once `na` has anything, else it replaces the simple text; at the end
    tag, simple text and children together put the simple text (the one seen before the first
    child) under `#text`, over any later text.
    """
    stack: list[tuple[str, list[str | None], dict[str, Any]]] = []
    for token in tokens(doc):
        if isinstance(token, StartElement):
            na: dict[str, Any] = {}
            for name, attr_value in token.attrs:
                na[_ATTR_PREFIX + name] = attr_value  # a repeated attribute: the last one wins
            stack.append((token.local, [None], na))
        elif isinstance(token, CharData):
            text = token.text.strip(_TRIM)
            if not text or not stack:
                continue  # blank, or stray text outside the root element (mxj skips it)
            _, simple, na = stack[-1]
            if na:
                na[_TEXT_KEY] = text
            else:
                simple[0] = text
        else:
            key, (simple_text,), na = stack.pop()
            value: Any
            if simple_text is None:
                value = na if na else ""
            elif na:
                na[_TEXT_KEY] = simple_text
                value = na
            else:
                value = simple_text
            if not stack:
                return {key: value}  # mxj reads one element: the rest is never looked at
            siblings = stack[-1][2]
            if key not in siblings:
                siblings[key] = value
            elif isinstance(siblings[key], list):
                siblings[key].append(value)
            else:
                siblings[key] = [siblings[key], value]
    raise BackendDecodeError("EOF")  # no element at all: mxj returns Go's io.EOF


def decode_xml(body: bytes, is_collection: bool) -> dict[str, Any] | None:
    """Decode an XML backend body into mxj's map (reference §3.2).

    Args:
        body: the raw (already gunzipped) backend body.
        is_collection: wrap the map as `{"collection": map}`, like krakend-xml does.

    Returns:
        The root element's name mapped to its content.

    Raises:
        BackendDecodeError: no element, a syntax error before the end of the first element (Go's
            text, as mxj wraps it), or an unknown charset.
    """
    doc = xml_parser_input(body)
    if isinstance(doc, bytes):
        doc = doc.decode("utf-8", "surrogateescape")  # invalid UTF-8 is refused where Go does
    try:
        result = _mxj_map(doc)
    except XMLSyntaxError as exc:
        raise BackendDecodeError(f"xml.Decoder.Token() - {exc}") from None
    return {"collection": result} if is_collection else result


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
