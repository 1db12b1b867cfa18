"""HTML escaping as Go's net/http does it, for the bodies of redirects."""

from __future__ import annotations

__all__ = ["html_escape"]


def html_escape(value: bytes) -> bytes:
    """net/http `htmlEscape` (html.EscapeString's set, with Go's numeric entities)."""
    return (
        value.replace(b"&", b"&amp;")
        .replace(b"<", b"&lt;")
        .replace(b">", b"&gt;")
        .replace(b'"', b"&#34;")
        .replace(b"'", b"&#39;")
    )
