"""The `rss` encoding: krakend-rss's map of a gofeed-parsed feed (reference §3.2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trio_gateway.encoding.render import dumps_go
from trio_gateway.encoding.rss_codec import decode_rss
from trio_gateway.errors import BackendDecodeError

TOP_KEYS = {"items", "author", "categories", "custom", "copyright", "description", "type"}
TOP_KEYS |= {"language", "title", "published", "updated"}

# krakend-rss rss_test.go's feed.
W3SCHOOLS = b"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0">
<channel>
  <title>W3Schools Home Page</title>
  <link>https://www.w3schools.com</link>
  <description>Free web building tutorials</description>
  <image>
    <url>https://www.w3schools.com/pretty_image.png</url>
    <description>Free web building tutorials</description>
  </image>
  <language>en_us</language>
  <item>
    <title>RSS Tutorial</title>
    <link>https://www.w3schools.com/xml/xml_rss.asp</link>
    <description>New RSS tutorial on W3Schools</description>
  </item>
  <item>
    <title>XML Tutorial</title>
    <link>https://www.w3schools.com/xml</link>
    <description>New XML tutorial on W3Schools</description>
  </item>
</channel>
</rss>"""


W3 = "https://www.w3schools.com"


def item(title: str, description: str, link: str) -> dict[str, Any]:
    return {"title": title, "description": description, "link": link, "links": [link]}


def test_decode_rss_krakend_rss_example() -> None:
    feed = decode_rss(W3SCHOOLS, False)
    assert feed == {
        "items": [
            item("RSS Tutorial", "New RSS tutorial on W3Schools", W3 + "/xml/xml_rss.asp"),
            item("XML Tutorial", "New XML tutorial on W3Schools", W3 + "/xml"),
        ],
        "author": None,
        "categories": None,
        "custom": None,
        "copyright": "",
        "description": "Free web building tutorials",
        "type": "rss",
        "language": "en_us",
        "title": "W3Schools Home Page",
        "published": "",
        "updated": "",
        "img_url": "https://www.w3schools.com/pretty_image.png",
    }
    # What KrakenD's JSON render writes for it: every value is JSON-encodable as is.
    assert dumps_go(feed).startswith(b'{"author":null,"categories":null,"copyright":"",')


def test_decode_rss_spec_rss_titles() -> None:
    # Spec `rss` groups two showRSS feeds and allows only `title`.
    body = b"<rss version='2.0'><channel><title>showRSS personal feed</title></channel></rss>"
    feed = decode_rss(body, True)  # is_collection is ignored by krakend-rss
    assert feed is not None
    assert set(feed) == TOP_KEYS
    assert feed["title"] == "showRSS personal feed"
    assert feed["items"] == []


FULL_ITEM = b"""<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel>
  <title>T</title>
  <managingEditor>ed@example.com (Ed Itor)</managingEditor>
  <copyright>(c) me</copyright><category>One</category>
  <itunes:keywords>k1,k2</itunes:keywords>
  <itunes:category text="Tech"><itunes:category text="Gadgets"/></itunes:category>
  <dc:subject>Subj</dc:subject><pubDate>Mon, 02 Jan 2006 15:04:05 -0700</pubDate>
  <lastBuildDate>Tue, 03 Jan 2006 10:00:00 GMT</lastBuildDate>
  <item>
    <title>First</title>
    <description><![CDATA[<p>Hello &amp; bye</p>]]></description>
    <content:encoded>full &lt;b&gt;text&lt;/b&gt;</content:encoded>
    <link>http://a/1</link><link href="http://a/2"/>
    <author>Someone</author>
    <guid isPermaLink="false">id-1</guid>
    <category>c1</category><dc:subject>s1</dc:subject>
    <enclosure url="http://a/x.mp3" length="12" type="audio/mpeg"/>
    <enclosure url="http://a/y.mp3"/>
    <pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate>
    <itunes:image href="http://a/i.png"/>
    <comments>http://a/c</comments><Rating>5</Rating><rating>6</rating>
  </item>
  <item>
    <dc:title>DC title</dc:title><dc:creator>dc person</dc:creator>
    <dc:date>2003-06-10T04:00:00.123+02:00</dc:date>
  </item>
  <item><author>no (match</author></item>
</channel>
</rss>"""


def test_decode_rss_items_follow_gofeed_and_json_tags() -> None:
    feed = decode_rss(FULL_ITEM, False)
    assert feed is not None
    first, second, third = feed["items"]
    assert first == {
        "title": "First",
        "description": "<p>Hello &amp; bye</p>",
        "content": "full <b>text</b>",
        "link": "http://a/2",
        "links": ["http://a/1", "http://a/2"],
        "published": "Tue, 10 Jun 2003 04:00:00 GMT",
        "publishedParsed": "2003-06-10T04:00:00Z",
        "author": {"name": "Someone"},
        "authors": [{"name": "Someone"}],
        "guid": "id-1",
        "image": {"url": "http://a/i.png"},
        "categories": ["c1", "s1"],
        "enclosures": [
            {"url": "http://a/x.mp3", "length": "12", "type": "audio/mpeg"},
            {"url": "http://a/y.mp3"},
        ],
        "custom": {"Rating": "5", "rating": "6"},
    }
    assert second == {
        "title": "DC title",
        "published": "2003-06-10T04:00:00.123+02:00",
        "publishedParsed": "2003-06-10T02:00:00.123Z",
        "author": {"name": "dc person"},
        "authors": [{"name": "dc person"}],
    }
    # A non-nil Person with nothing parsed still appears: `omitempty` does not drop pointers.
    assert third == {"author": {}, "authors": [{}]}
    assert feed["author"] == {"name": "Ed Itor", "email": "ed@example.com"}
    assert feed["categories"] == ["One", "k1", "k2", "Tech", "Gadgets", "Subj"]
    assert feed["copyright"] == "(c) me"
    assert feed["published"] == "Mon, 02 Jan 2006 15:04:05 -0700"
    assert feed["updated"] == "Tue, 03 Jan 2006 10:00:00 GMT"
    assert "img_url" not in feed


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("ed@example.com (Ed Itor)", {"name": "Ed Itor", "email": "ed@example.com"}),
        ("Ed Itor (ed@example.com)", {"name": "Ed Itor", "email": "ed@example.com"}),
        ("Just A Name", {"name": "Just A Name"}),
        ("only@example.com", {"email": "only@example.com"}),
        ("a@b (c@d)", {}),
    ],
)
def test_decode_rss_parses_names_and_addresses_like_gofeed(text: str, person: Any) -> None:
    body = f"<rss><channel><webMaster>{text}</webMaster></channel></rss>".encode()
    feed = decode_rss(body, False)
    assert feed is not None
    assert feed["author"] == person


RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="http://x/"><title>RDF feed</title><dc:language>fr</dc:language>
    <dc:rights>CC</dc:rights><dc:date>2020-01-02</dc:date></channel>
  <image rdf:about="http://x/i.png"><url>http://x/i.png</url></image>
  <item rdf:about="http://x/1"><title>One</title><link>http://x/1</link></item>
</rdf:RDF>"""


def test_decode_rss_rdf_feed() -> None:
    feed = decode_rss(RDF, False)
    assert feed is not None
    assert (feed["type"], feed["title"], feed["language"]) == ("rss", "RDF feed", "fr")
    assert (feed["copyright"], feed["updated"]) == ("CC", "2020-01-02")
    assert feed["img_url"] == "http://x/i.png"
    assert feed["items"] == [{"title": "One", "link": "http://x/1", "links": ["http://x/1"]}]


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"
  xml:lang="en">
  <title>Example Feed</title>
  <subtitle type="html">A &lt;em&gt;sub&lt;/em&gt;</subtitle>
  <rights>R</rights><updated>2003-12-13T18:30:02Z</updated>
  <author><name>John Doe</name><email>j@d.example</email></author>
  <category term="c"/><logo>http://example.org/logo.png</logo>
  <entry>
    <title>Robots</title><media:title>not the title</media:title>
    <link href="http://example.org/1"/>
    <link rel="self" href="http://example.org/1.atom"/>
    <link rel="enclosure" href="http://example.org/a.mp3" length="5" type="audio/mpeg"/>
    <id>urn:uuid:1</id><updated>2003-12-13T18:30:02.250+01:00</updated>
    <summary>Some text.</summary><category term="robots"/>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi <b>you</b></p></div>
    </content>
  </entry>
  <entry><title type="text">Two</title><content type="text/x-b64">aGk=</content>
    <content type="application/octet-stream">aGVsbG8=</content></entry>
</feed>"""


def test_decode_rss_atom_feed() -> None:
    feed = decode_rss(ATOM, False)
    assert feed is not None
    first, second = feed.pop("items")
    assert feed == {
        "author": {"name": "John Doe", "email": "j@d.example"},
        "categories": ["c"],
        "custom": None,
        "copyright": "R",
        "description": "A <em>sub</em>",
        "type": "atom",
        "language": "en",
        "title": "Example Feed",
        "published": "",
        "updated": "2003-12-13T18:30:02Z",
        "img_url": "http://example.org/logo.png",
    }
    assert first == {
        "title": "Robots",
        "description": "Some text.",
        "content": "<p>Hi <b>you</b></p>",
        "link": "http://example.org/1",
        "links": ["http://example.org/1", "http://example.org/1.atom"],
        "updated": "2003-12-13T18:30:02.250+01:00",
        "updatedParsed": "2003-12-13T17:30:02.25Z",
        "published": "2003-12-13T18:30:02.250+01:00",
        "publishedParsed": "2003-12-13T17:30:02.25Z",
        "guid": "urn:uuid:1",
        "categories": ["robots"],
        "enclosures": [{"url": "http://example.org/a.mp3", "length": "5", "type": "audio/mpeg"}],
    }
    # The last <content> wins; a non-text media type is base64, as gofeed decodes it.
    assert second == {"title": "Two", "content": "hello"}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<html><body/></html>",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": []}',
        b"<rss><channel><title>&nbsp;</title></channel></rss>",
        b"<rss><channel>",
    ],
)
def test_decode_rss_rejects_non_feeds(body: bytes) -> None:
    with pytest.raises(BackendDecodeError):
        decode_rss(body, False)


BOMB = b"""<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<rss><channel><title>&d;</title></channel></rss>"""


@pytest.mark.parametrize(
    "body",
    [
        BOMB,
        b'<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel>'
        b"<title>&x;</title></channel></rss>",
        b'<!DOCTYPE rss [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><rss/>',
    ],
    ids=["entity-bomb", "xxe-file", "param-entity"],
)
def test_decode_rss_refuses_entities(body: bytes) -> None:
    # Refused before any expansion: the entity-bomb case would exhaust memory otherwise.
    with pytest.raises(BackendDecodeError, match="EntitiesForbidden"):
        decode_rss(body, False)


def test_decode_rss_never_loads_an_external_dtd(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY secret "leaked">')
    doctype = f'<!DOCTYPE rss SYSTEM "{dtd.as_uri()}">'.encode()
    # A bare DOCTYPE (old RSS 0.91 feeds) is accepted and the DTD is not read...
    feed = decode_rss(doctype + b"<rss><channel><title>ok</title></channel></rss>", False)
    assert feed is not None
    assert feed["title"] == "ok"
    # ...so an entity only that DTD defines stays undefined.
    with pytest.raises(BackendDecodeError, match="undefined entity"):
        decode_rss(doctype + b"<rss><channel><title>&secret;</title></channel></rss>", False)
