"""Sprig's encodings and digests (strings.go, crypto.go): b64enc/b64dec, b32enc/b32dec
(standard alphabets, padded; a decoding error is the result's text, as Sprig returns
err.Error()), sha1sum, sha256sum, adler32sum, randBytes and uuidv4."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import uuid
import zlib

from ..funcs import GoFunc
from .conv import f
from .goutils import go_string

__all__ = ["ENCODING"]

_B64 = re.compile(r"[A-Za-z0-9+/]*")
_B32 = re.compile(r"[A-Z2-7]*")


def _corrupt(data: str, alphabet: re.Pattern[str], quantum: int) -> int | None:
    """Where Go's decoder reports "illegal base64/base32 data at input byte N", or None.
    Go skips \\r and \\n; padding must complete the last quantum."""
    text = data.encode()
    clean = [i for i, b in enumerate(text) if b not in (0x0A, 0x0D)]
    body = bytes(text[i] for i in clean).decode("latin-1")
    stripped = body.rstrip("=")
    prefix = alphabet.match(stripped)
    assert prefix is not None
    if prefix.end() != len(stripped):
        return clean[prefix.end()]
    padding = len(body) - len(stripped)
    if (len(stripped) + padding) % quantum:
        # the input stops inside a quantum: Go reports where the quantum started
        # (base64) or the offset of the data it could not complete
        return clean[-1] + 1 - ((len(stripped) + padding) % quantum) if clean else 0
    return None


def _b64dec(data: str) -> str:
    position = _corrupt(data, _B64, 4)
    try:
        if position is not None:
            raise binascii.Error
        return go_string(base64.b64decode(data.replace("\n", "").replace("\r", ""), validate=True))
    except (binascii.Error, ValueError):
        return f"illegal base64 data at input byte {position if position is not None else 0}"


def _b32dec(data: str) -> str:
    position = _corrupt(data, _B32, 8)
    try:
        if position is not None:
            raise binascii.Error
        return go_string(base64.b32decode(data.replace("\n", "").replace("\r", "")))
    except (binascii.Error, ValueError):
        return f"illegal base32 data at input byte {position if position is not None else 0}"


def _rand_bytes(count: int) -> str:
    return base64.b64encode(secrets.token_bytes(max(count, 0))).decode()


ENCODING: dict[str, GoFunc] = {
    "b64enc": f(lambda s: base64.b64encode(s.encode()).decode(), "string"),
    "b64dec": f(_b64dec, "string"),
    "b32enc": f(lambda s: base64.b32encode(s.encode()).decode(), "string"),
    "b32dec": f(_b32dec, "string"),
    "sha1sum": f(lambda s: hashlib.sha1(s.encode()).hexdigest(), "string"),
    "sha256sum": f(lambda s: hashlib.sha256(s.encode()).hexdigest(), "string"),
    "adler32sum": f(lambda s: str(zlib.adler32(s.encode())), "string"),
    "randBytes": f(_rand_bytes, "int"),
    "uuidv4": f(
        lambda: str(uuid.uuid4()),
    ),
}
