"""Looking up a header in a list of (name, value) byte pairs: written once.

Header lists are raw pairs, order and duplicates kept (`types.Headers`). The names the ASGI
server and the backend client hand over are already lower-case, so the hot paths compare names
exactly (`first`); lists that a person or a hook built may hold any case (`first_any_case`).
Both return the first value, as Go's `Header.Get` does.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["first", "first_any_case"]


def first(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of header `name` (lower-case), with names compared exactly."""
    for key, value in headers:
        if key == name:
            return value
    return None


def first_any_case(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of header `name` (lower-case), whatever the case of the list's names."""
    for key, value in headers:
        # Names are usually lower-case already: lower() only when they differ.
        if key == name or key.lower() == name:
            return value
    return None
