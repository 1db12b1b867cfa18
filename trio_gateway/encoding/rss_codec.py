"""The `rss` backend encoding: krakend-rss's map of a feed parsed by gofeed v1.2 (reference §3.2).

KrakenD's items are Go structs reaching clients through their JSON tags, so each item here is what
`encoding/json` writes (`omitempty`, dates RFC 3339 UTC). Covered: RSS 0.9x/2.0/1.0 (RDF) and Atom
with gofeed's Dublin Core and iTunes fallbacks; not JSON Feed, item `extensions`/`dcExt`/
`itunesExt`, xml:base or gofeed's exotic date layouts. defusedxml refuses entity declarations and
external references; a bare DOCTYPE (old RSS 0.91 feeds) is allowed, as expat never loads a DTD.
"""

from __future__ import annotations

import base64
import datetime
import email.utils
import re
import xml.etree.ElementTree as ET
from typing import Any

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import fromstring

from trio_gateway.encoding.xml_codec import xml_parser_input
from trio_gateway.errors import BackendDecodeError

__all__ = ["decode_rss"]

_DC = "http://purl.org/dc/elements/1.1/"
_ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_XHTML = "http://www.w3.org/1999/xhtml"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
# gofeed's IsExtension: elements in these namespaces are the format's own, any other namespace is an
# extension (only dc: and itunes: ones feed the universal fields).
_RSS_SPACES = frozenset(("", _CONTENT, _RDF, "http://purl.org/rss/1.0/"))
_RSS_SPACES |= {"http://my.netscape.com/rdf/simple/0.9/", "http://backend.userland.com/rss2"}
_ATOM_SPACES = frozenset(("", "http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#"))
# gofeed's ParseNameAddress patterns, in its order; Go's `\s` is ASCII-only.
_S = r"[\t\n\f\r ]"
_PEOPLE = tuple(
    re.compile(pattern)
    for pattern in (
        rf"(?P<email>[^@]+@[^\t\n\f\r ]+){_S}+\((?P<name>[^@]+)\)",
        rf"(?P<name>[^@]+){_S}+\((?P<email>[^@]+@[^)]+)\)",
        r"(?P<name>[^@()]+)",
        r"(?P<email>[^@()]+@[^@()]+)",
    )
)
# Item elements gofeed reads itself; any other one lands in the item's `custom` map.
_KNOWN = frozenset(("title", "description", "encoded", "link", "author", "comments", "pubdate"))
_KNOWN |= {"source", "enclosure", "guid", "category"}
_POINTERS = frozenset(("author", "image"))

Elem = ET.Element
Kids = dict[str, list[Elem]]


def _split(tag: str) -> tuple[str, str]:
    return (tag[1:].partition("}")[0], tag.partition("}")[2]) if tag[:1] == "{" else ("", tag)


def _text(elem: Elem) -> str:
    """gofeed's ParseText: the element's inner XML, trimmed, entities and CDATA decoded."""
    inner = (elem.text or "") + "".join(ET.tostring(c, encoding="unicode") for c in elem)
    return inner.strip()


def _person(text: str) -> dict[str, str]:
    """gofeed's ParseNameAddress, as a JSON `Person` (empty fields omitted)."""
    match = next((m for pattern in _PEOPLE if (m := pattern.fullmatch(text))), None)
    return match.groupdict() if match else {}


def _date(text: str) -> str | None:
    """Parse an RFC 822 or ISO 8601 date; return Go's JSON time (RFC 3339, UTC) or None."""
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            parsed = datetime.datetime.fromisoformat(text)
        except ValueError:
            return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.UTC)
    stamp = parsed.replace(tzinfo=None).isoformat()
    return (stamp.rstrip("0") if "." in stamp else stamp) + "Z"  # Go trims the fraction's zeros


def _omit_empty(item: dict[str, Any]) -> dict[str, Any]:
    """Go's `omitempty`: pointer fields (author, image) go only when nil, others when empty."""
    return {k: v for k, v in item.items() if v or (k in _POINTERS and v is not None)}


def _enclosure(url: str, elem: Elem) -> dict[str, str]:
    return _omit_empty({"url": url, "length": elem.get("length", ""), "type": elem.get("type", "")})


def _collect(elem: Elem, spaces: frozenset[str]) -> tuple[Kids, dict[str, Kids]]:
    """Children by lower-cased name (the format's own) and by namespace and name (extensions)."""
    own: Kids = {}
    ext: dict[str, Kids] = {}
    for child in elem:
        space, local = _split(child.tag)
        if space in spaces:
            own.setdefault(local.lower(), []).append(child)
        else:
            ext.setdefault(space, {}).setdefault(local, []).append(child)
    return own, ext


def _last(own: Kids, name: str) -> str:
    # gofeed assigns each occurrence in turn, so the last one wins.
    return _text(own[name][-1]) if name in own else ""


def _ext_first(ext: dict[str, Kids], space: str, name: str) -> str:
    return _text(found[0]) if (found := ext.get(space, {}).get(name)) else ""


def _rss_author(own: Kids, ext: Any, names: tuple[str, ...]) -> Any:
    candidates = [_last(own, n) for n in names]
    candidates += [_ext_first(ext, _DC, "author"), _ext_first(ext, _DC, "creator")]
    candidates.append(_ext_first(ext, _ITUNES, "author"))
    return next((_person(c) for c in candidates if c), None)


def _rss_categories(own: Kids, ext: Any, feed: bool) -> list[str] | None:
    cats = [_text(c) for c in own.get("category", [])]
    if keywords := _ext_first(ext, _ITUNES, "keywords"):
        cats += keywords.split(",")
    if feed:
        for cat in ext.get(_ITUNES, {}).get("category", []):
            cats.append(cat.get("text", ""))
            cats += [sub.get("text", "") for sub in cat.findall(f"{{{_ITUNES}}}category")[:1]]
    cats += [_text(s) for s in ext.get(_DC, {}).get("subject", [])]
    return cats or None


def _rss_item(elem: Elem) -> dict[str, Any]:
    own, ext = _collect(elem, _RSS_SPACES)
    links = [_text(x) or x.get("href", "") for x in own.get("link", [])]
    published = _last(own, "pubdate") or _ext_first(ext, _DC, "date")
    author = _rss_author(own, ext, ("author",))
    itunes_image = ext.get(_ITUNES, {}).get("image")
    custom = {_split(c.tag)[1]: _text(c) for n, cs in own.items() if n not in _KNOWN for c in cs}
    encoded = [c for c in own.get("encoded", []) if _split(c.tag)[0] == _CONTENT]
    return _omit_empty(
        {
            "title": _last(own, "title") or _ext_first(ext, _DC, "title"),
            "description": _last(own, "description") or _ext_first(ext, _DC, "description"),
            "content": _text(encoded[-1]) if encoded else "",
            "link": links[-1] if links else "",
            "links": links,
            "published": published,
            "publishedParsed": _date(published) if published else None,
            "author": author,
            "authors": [author] if author is not None else None,
            "guid": _last(own, "guid"),
            "image": {"url": itunes_image[-1].get("href", "")} if itunes_image else None,
            "categories": _rss_categories(own, ext, feed=False),
            "enclosures": [_enclosure(e.get("url", ""), e) for e in own.get("enclosure", [])],
            "custom": custom,
        }
    )


def _rss_feed(root: Elem) -> dict[str, Any]:
    root_own, _ = _collect(root, _RSS_SPACES)
    channel = root_own.get("channel", [Elem("channel")])[-1]
    own, ext = _collect(channel, _RSS_SPACES)
    items = own.get("item", []) + root_own.get("item", [])
    images = root_own.get("image") or own.get("image")  # a root-level image wins
    itunes_image = ext.get(_ITUNES, {}).get("image")
    feed: dict[str, Any] = {
        "items": [_rss_item(i) for i in items],
        "author": _rss_author(own, ext, ("managingeditor", "webmaster")),
        "categories": _rss_categories(own, ext, feed=True),
        "custom": None,
        "copyright": _last(own, "copyright") or _ext_first(ext, _DC, "rights"),
        "description": _last(own, "description"),
        "type": "rss",
        "language": _last(own, "language") or _ext_first(ext, _DC, "language"),
        "title": _last(own, "title") or _ext_first(ext, _DC, "title"),
        "published": _last(own, "pubdate"),
        "updated": _last(own, "lastbuilddate") or _ext_first(ext, _DC, "date"),
    }
    if images:
        feed["img_url"] = _last(_collect(images[-1], _RSS_SPACES)[0], "url")
    elif itunes_image:
        feed["img_url"] = itunes_image[-1].get("href", "")
    return feed


def _atom_text(elem: Elem) -> str:
    """gofeed's parseAtomText for the common types (base64 for other media types)."""
    kind = (elem.get("type") or "").lower()
    if "xhtml" in kind and (div := elem.find(f"{{{_XHTML}}}div")) is not None:
        try:  # serialise the XHTML without ET's invented `ns0:` prefixes
            parts = [ET.tostring(c, encoding="unicode", default_namespace=_XHTML) for c in div]
            inner = ((div.text or "") + "".join(parts)).strip()
            return inner.replace(f' xmlns="{_XHTML}"', "")  # gofeed keeps the raw inner XML
        except ValueError:  # children outside the XHTML namespace
            return _text(div)
    text = _text(elem)
    if kind and kind not in ("text", "html", "xhtml") and not kind.startswith("text/"):
        try:
            return base64.b64decode(text, validate=True).decode("utf-8", "replace")
        except ValueError:  # binascii.Error included
            return text
    return text


def _atom_value(found: Kids, *names: str) -> str:
    elems = [e for n in names for e in found.get(n, [])]
    return _atom_text(elems[-1]) if elems else ""


def _atom_people(found: Kids) -> list[dict[str, str]] | None:
    people = [_collect(author, _ATOM_SPACES)[0] for author in found.get("author", [])]
    return [_omit_empty({k: _atom_value(p, k) for k in ("name", "email")}) for p in people] or None


def _atom_links(found: Kids, rels: tuple[str, ...]) -> list[Elem]:
    # gofeed defaults a missing rel to "alternate".
    return [link for link in found.get("link", []) if (link.get("rel") or "alternate") in rels]


def _atom_entry(elem: Elem) -> dict[str, Any]:
    found = _collect(elem, _ATOM_SPACES)[0]
    updated = _atom_value(found, "updated", "modified")
    published = _atom_value(found, "published", "issued") or updated
    people = _atom_people(found)
    alternate = _atom_links(found, ("alternate",))
    enclosures = _atom_links(found, ("enclosure",))
    return _omit_empty(
        {
            "title": _atom_value(found, "title"),
            "description": _atom_value(found, "summary"),
            "content": _atom_value(found, "content"),
            "link": alternate[0].get("href", "") if alternate else "",
            "links": [x.get("href", "") for x in _atom_links(found, ("alternate", "self"))],
            "updated": updated,
            "updatedParsed": _date(updated) if updated else None,
            "published": published,
            "publishedParsed": _date(published) if published else None,
            "author": people[0] if people else None,
            "authors": people,
            "guid": _atom_value(found, "id"),
            "categories": [c.get("term", "") for c in found.get("category", [])],
            "enclosures": [_enclosure(e.get("href", ""), e) for e in enclosures],
        }
    )


def _atom_feed(root: Elem) -> dict[str, Any]:
    found = _collect(root, _ATOM_SPACES)[0]
    people = _atom_people(found)
    categories = [c.get("term", "") for c in found.get("category", [])]
    feed: dict[str, Any] = {
        "items": [_atom_entry(e) for e in found.get("entry", [])],
        "author": people[0] if people else None,
        "categories": categories or None,
        "custom": None,
        "copyright": _atom_value(found, "rights", "copyright"),
        "description": _atom_value(found, "subtitle", "tagline"),
        "type": "atom",
        "language": root.get(_XML_LANG, ""),
        "title": _atom_value(found, "title"),
        "published": "",
        "updated": _atom_value(found, "updated", "modified"),
    }
    if logo := _atom_value(found, "logo"):
        feed["img_url"] = logo
    return feed


def decode_rss(body: bytes, is_collection: bool) -> dict[str, Any] | None:
    """Decode an RSS, RDF or Atom feed into krakend-rss's map (reference §3.2).

    Args:
        body: the raw (already gunzipped) backend body.
        is_collection: ignored, as krakend-rss ignores it.

    Returns:
        `items, author, categories, custom, copyright, description, type, language, title,
        published, updated`, plus `img_url` when the feed has an image.

    Raises:
        BackendDecodeError: not a well-formed RSS/RDF/Atom document, or it declares entities.
    """
    try:
        root = fromstring(xml_parser_input(body), forbid_dtd=False)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise BackendDecodeError(f"rss: {exc}") from None
    name = _split(root.tag)[1].lower()
    if name in ("rss", "rdf"):
        return _rss_feed(root)
    if name == "feed":
        return _atom_feed(root)
    raise BackendDecodeError("Failed to detect feed type")
