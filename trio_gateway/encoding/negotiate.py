"""The `negotiate` output encoding: pick a render from the Accept header (reference §6).

lura asks gin's `NegotiateFormat(application/json, text/plain, application/xml,
application/x-yaml)` and renders XML for `application/xml`, YAML for `text/plain` (sic) and
`application/x-yaml`, JSON otherwise. gin's matching is not RFC 7231 content negotiation: q-values
are ignored, entries are tried in header order, and an entry matches an offer when it is a byte
prefix of it or the two agree up to a `*` on either side.
"""

from __future__ import annotations

from typing import Final

__all__ = ["negotiate"]

# gin's offers in lura's order, each with the render lura picks for it.
_OFFERS: Final = (
    (b"application/json", "json"),
    (b"text/plain", "yaml"),
    (b"application/xml", "xml"),
    (b"application/x-yaml", "yaml"),
)
_DEFAULT: Final = "json"  # offered[0] for an empty Accept, and lura's fallback for no match
# Go's strings.TrimSpace: ASCII white space plus Unicode White_Space, not Python's wider set.
_GO_SPACE: Final = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)
_ASCII_SPACE: Final = b"\t\n\v\f\r "
_CACHE_SIZE: Final = 256
_cache: dict[bytes, str] = {}


def _go_trim_space(part: bytes) -> bytes:
    part = part.strip(_ASCII_SPACE)
    if part and (part[0] >= 0x80 or part[-1] >= 0x80):
        # Invalid UTF-8 survives the round trip as lone surrogates, which are not spaces.
        text = part.decode("utf-8", "surrogateescape").strip(_GO_SPACE)
        part = text.encode("utf-8", "surrogateescape")
    return part


def _matches(accepted: bytes, offer: bytes) -> bool:
    """gin's byte loop: a `*` in the accepted value matches if everything before it agreed."""
    star = accepted.find(b"*")
    if star != -1 and star < len(offer) and offer.startswith(accepted[:star]):
        return True
    return offer.startswith(accepted)


def _negotiate(accept: bytes) -> str:
    for raw in accept.split(b","):
        # gin cuts parameters only when `;` is not the first byte (`IndexByte(part, ';') > 0`).
        semicolon = raw.find(b";")
        part = _go_trim_space(raw[:semicolon] if semicolon > 0 else raw)
        if not part:
            continue
        for offer, render in _OFFERS:
            if _matches(part, offer):
                return render
    return _DEFAULT


def negotiate(accept: bytes | None) -> str:
    """Choose the output encoding for a request of a `negotiate` endpoint.

    Args:
        accept: the first Accept header value as received, or None when absent.

    Returns:
        "json", "xml" or "yaml" (gin's `text/plain` offer maps to YAML in lura, never "string").
    """
    if not accept:
        return _DEFAULT
    render = _cache.get(accept)
    if render is None:
        render = _negotiate(accept)
        # Accept values come from clients; cap the cache so varied headers cannot grow it.
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[accept] = render
    return render
