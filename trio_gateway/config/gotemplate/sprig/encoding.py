"""Sprig's encodings and digests (strings.go, crypto.go): b64enc/b64dec, b32enc/b32dec
(standard alphabets, padded; the decoders are ports of Go's, so a decoding error is
the result's text with Go's offset, as Sprig returns err.Error()), sha1sum, sha256sum,
adler32sum, randBytes and uuidv4."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
import zlib

from ..funcs import GoFunc
from ..values import FuncError
from .conv import f
from .goutils import go_string

__all__ = ["ENCODING"]

_B64 = {
    c: i for i, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}
_B32 = {c: i for i, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}
_NEWLINES = (0x0A, 0x0D)


class _Corrupt(Exception):
    def __init__(self, offset: int) -> None:
        self.offset = offset


def _b64_quantum(src: bytes, si: int) -> tuple[int, bytes]:
    """encoding/base64 decodeQuantum (StdEncoding, not strict): 4 characters, newlines
    skipped, `=` padding; returns the next index and the bytes."""
    values: list[int] = []
    while len(values) < 4:
        if si == len(src):
            if not values:
                return si, b""
            raise _Corrupt(si - len(values))  # padding is required
        char = src[si]
        si += 1
        if char in _B64:
            values.append(_B64[char])
            continue
        if char in _NEWLINES:
            continue
        if char != 0x3D or len(values) < 2:  # not "=", or "=" too early
            raise _Corrupt(si - 1)
        if len(values) == 2:  # "==" expected
            while si < len(src) and src[si] in _NEWLINES:
                si += 1
            if si == len(src):
                raise _Corrupt(len(src))
            if src[si] != 0x3D:
                raise _Corrupt(si - 1)
            si += 1
        while si < len(src) and src[si] in _NEWLINES:
            si += 1
        if si < len(src):
            raise _Corrupt(si)  # trailing garbage
        break
    count = len(values)
    number = 0
    for value in [*values, 0, 0, 0][:4]:
        number = number << 6 | value
    return si, number.to_bytes(3, "big")[: count - 1]


def _b64dec(data: str) -> str:
    src, out, si = data.encode(), bytearray(), 0
    try:
        while si < len(src):
            si, chunk = _b64_quantum(src, si)
            out += chunk
    except _Corrupt as error:
        return f"illegal base64 data at input byte {error.offset}"  # Sprig returns err.Error()
    return go_string(bytes(out))


def _b32dec(data: str) -> str:
    """encoding/base32 DecodeString: newlines stripped first, then 8-character quanta."""
    src = bytes(b for b in data.encode() if b not in _NEWLINES)
    out, index, total = bytearray(), 0, len(src)
    try:
        while index < total:
            values: list[int] = []
            while len(values) < 8:
                if index == total:
                    raise _Corrupt(total - len(values))
                char = src[index]
                index += 1
                left = total - index
                if char == 0x3D and len(values) >= 2 and left < 8:
                    if left + len(values) < 7:
                        raise _Corrupt(total)
                    for k in range(7 - len(values)):
                        if left > k and src[index + k] != 0x3D:
                            raise _Corrupt(index + k - 1)
                    if len(values) in (1, 3, 6):
                        raise _Corrupt(index - 1)
                    index = total  # the padding ends the input
                    break
                if char not in _B32:
                    raise _Corrupt(index - 1)
                values.append(_B32[char])
            number = 0
            for value in [*values, 0, 0, 0, 0, 0, 0, 0][:8]:
                number = number << 5 | value
            out += number.to_bytes(5, "big")[: {8: 5, 7: 4, 5: 3, 4: 2, 2: 1}[len(values)]]
    except _Corrupt as error:
        return f"illegal base32 data at input byte {error.offset}"
    return go_string(bytes(out))


def _rand_bytes(count: int) -> str:
    if count < 0:
        raise FuncError("runtime error: makeslice: len out of range")  # make([]byte, count)
    return base64.b64encode(secrets.token_bytes(count)).decode()


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
