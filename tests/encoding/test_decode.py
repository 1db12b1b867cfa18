"""Backend decoders by `encoding` (reference §3.2)."""

from __future__ import annotations

from typing import Any

import pytest

from trio_gateway.encoding import get_decoder
from trio_gateway.errors import BackendDecodeError


@pytest.mark.parametrize(
    ("encoding", "body", "is_collection", "expected"),
    [
        ("json", b'{"a":1}', False, {"a": 1}),
        ("JSON", b'{"a":1}', False, {"a": 1}),  # looked up lower-cased
        ("whatever", b'{"a":1}', False, {"a": 1}),  # unknown -> json
        ("json", b"null", False, None),
        ("json", b'{"a":1} trailing', False, {"a": 1}),  # only the first value is read
        ("json", b"[1,2]", True, {"collection": [1, 2]}),
        ("safejson", b"[1]", False, {"collection": [1]}),
        ("safejson", b'"x"', False, {"content": "x"}),
        ("safejson", b"null", False, {"content": None}),
        ("safejson", b'{"a":1}', True, {"a": 1}),  # ignores is_collection
        ("string", b"plain text", False, {"content": "plain text"}),
        ("no-op", b"anything", False, {}),
    ],
)
def test_decoders(
    encoding: str, body: bytes, is_collection: bool, expected: dict[str, Any] | None
) -> None:
    assert get_decoder(encoding)(body, is_collection) == expected


@pytest.mark.parametrize(
    ("encoding", "body", "is_collection"),
    [
        ("json", b"[1]", False),
        ("json", b"42", False),
        ("json", b"", False),
        ("json", b"{bad", False),
        ("json", b'{"a":1}', True),
        ("safejson", b"", False),
    ],
)
def test_decode_errors(encoding: str, body: bytes, is_collection: bool) -> None:
    with pytest.raises(BackendDecodeError):
        get_decoder(encoding)(body, is_collection)
