"""The `negotiate` output encoding: gin's NegotiateFormat as lura calls it (reference §6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_gateway.encoding import negotiate as negotiate_module
from trio_gateway.encoding.negotiate import negotiate

OFFERS = ["application/json", "text/plain", "application/xml", "application/x-yaml"]
RENDER_OF = {"application/xml": "xml", "text/plain": "yaml", "application/x-yaml": "yaml"}


def gin_negotiate(accept: bytes | None) -> str:
    """A literal port of gin v1.12.0 parseAccept + NegotiateFormat and lura's negotiatedRender."""
    accepted = []
    for part in (accept or b"").decode("latin-1").split(","):
        i = part.find(";")
        if i > 0:
            part = part[:i]
        part = part.strip(" \t\n\v\f\r")
        if part:
            accepted.append(part)
    if not accepted:
        return "json"
    for a in accepted:
        for offer in OFFERS:
            i = 0
            while i < len(a) and i < len(offer):
                if a[i] == "*" or offer[i] == "*":
                    return RENDER_OF.get(offer, "json")
                if a[i] != offer[i]:
                    break
                i += 1
            if i == len(a):
                return RENDER_OF.get(offer, "json")
    return "json"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        # The reference's rows (§6) and specs negotitate_json / negotitate_plain.
        (None, "json"),
        (b"", "json"),
        (b"*/*", "json"),
        (b"application/json; charset=utf-8", "json"),
        (b"application/xml", "xml"),
        (b"text/plain", "yaml"),
        (b"application/x-yaml", "yaml"),
        (b"application/yaml", "json"),
        (b"text/xml", "json"),
        (b"text/html", "json"),
        # q-values are ignored and header order decides.
        (b"application/xml;q=0.1, application/json;q=1", "xml"),
        (b"text/html, application/xml;q=0.9, */*;q=0.8", "xml"),
        (b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "xml"),
        (b"text/html, */*", "json"),
        # Prefixes of an offer match it; `*` matches once everything before it agreed.
        (b"text/*", "yaml"),
        (b"text/", "yaml"),
        (b"t", "yaml"),
        (b"application/x", "xml"),
        (b"application/x-", "yaml"),
        (b"application/*", "json"),
        (b"*", "json"),
        (b"application/xml+foo", "json"),
        (b"application/xmlx", "json"),
        (b"image/*", "json"),
        # Parameters are cut only after a first byte that is not `;`.
        (b";q=1, application/xml", "xml"),
        (b" ;x, application/xml", "xml"),
        (b"  application/xml  ", "xml"),
        (b",,, ,application/x-yaml", "yaml"),
        # Go's TrimSpace knows Unicode spaces: a no-break space around the value is trimmed.
        ("\u00a0application/xml\u00a0".encode(), "xml"),
        (b"\xa0application/xml", "json"),  # not UTF-8: nothing to trim
        (b"\xff\xfe", "json"),
    ],
)
def test_negotiate(accept: bytes | None, expected: str) -> None:
    assert negotiate(accept) == expected
    assert negotiate(accept) == expected  # the cached answer is the same


def test_negotiate_cache_is_bounded() -> None:
    for i in range(3 * negotiate_module._CACHE_SIZE):
        assert negotiate(b"application/xml, x-%d" % i) == "xml"
    assert len(negotiate_module._cache) <= negotiate_module._CACHE_SIZE


accept_parts = st.sampled_from(
    [*OFFERS, "*/*", "*", "text/*", "application/", "text/html", "application/yaml", " ", ";q=1"]
)
accept_headers = st.lists(
    st.tuples(accept_parts, st.sampled_from(["", ";q=0.5", " ", ";"])).map("".join), max_size=4
).map(lambda parts: ",".join(parts).encode())


@given(st.one_of(accept_headers, st.binary(max_size=40)))
def test_negotiate_agrees_with_gin(accept: bytes) -> None:
    if all(byte < 0x80 for byte in accept):  # the port above trims ASCII spaces only
        assert negotiate(accept) == gin_negotiate(accept)


@given(st.binary())
def test_negotiate_never_raises(accept: bytes) -> None:
    assert negotiate(accept) in {"json", "xml", "yaml"}
