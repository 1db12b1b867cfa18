"""Undoing `Content-Encoding: gzip` on a backend body, with a bound on the bytes it expands to.

lura gunzips a 200/201 body before decoding it when the backend says `Content-Encoding: gzip`
(`proxy/http_response.go`, `DefaultHTTPResponseParserFactory`); no other coding is undone (not
deflate, not br, not x-gzip), and neither is one here. Go's `gzip.Reader` reads concatenated
members as one stream (RFC 1952 §2.2, "multistream" mode, its default), so `Gunzip` does too.

A few hundred KiB of gzip can expand to gigabytes, so the output is bounded: `Gunzip` inflates
in steps of bounded size (zlib's `max_length`) and raises `GunzipTooLarge` as soon as the output
passes its limit, having never held more than the limit plus one step. KrakenD CE has no such
bound (a bomb exhausts its memory); the limit is the one the gateway already puts on the bytes
a backend sends (`MAX_BACKEND_BODY` in `edge/app.py`), now applied to what they expand to.

Bytes after a complete member that do not start another member are ignored, as before this
module existed: Go's reader would report `gzip: invalid header` after the data, which lura's
JSON decoder usually never reads (it stops at the end of the first value).
"""

from __future__ import annotations

import zlib

from trio_gateway.errors import BackendDecodeError

__all__ = ["MAX_GUNZIPPED_BYTES", "Gunzip", "GunzipTooLarge", "gunzip", "is_gzip"]

# The most a body may expand to. Equal to edge/app.py's MAX_BACKEND_BODY on purpose: a backend
# body the gateway decodes is at most this large, whether it came compressed or not.
MAX_GUNZIPPED_BYTES = 64 * 1024 * 1024
# Output produced per zlib call when there is no smaller budget: big enough that the Python
# around each call costs nothing, small enough that a refused bomb never allocated much.
_STEP = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # a gzip header and trailer (CRC-32, size) around deflate


def is_gzip(content_encoding: bytes | None) -> bool:
    """The body is one lura gunzips (it compares with "gzip"; we also forgive case and spaces)."""
    return content_encoding is not None and content_encoding.strip().lower() == b"gzip"


class GunzipTooLarge(Exception):
    """The body expands to more than `limit` bytes; it was not inflated further."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"gzip: body expands beyond {limit} bytes")
        self.limit = limit


class Gunzip:
    """An incremental gunzip whose total output may not exceed `limit` bytes.

    Usage: `feed()` compressed bytes as they come, `read()` the output in bounded pieces until it
    returns b"" (the input fed so far is used up), and `finish()` once all input was fed.

    Raises (from `read()` and `finish()`): `BackendDecodeError` for a corrupt or truncated
    stream, `GunzipTooLarge` once the output passes `limit`.
    """

    __slots__ = ("_held_back", "_inflater", "_input", "_limit", "_size", "_trailing_ignored")

    def __init__(self, limit: int = MAX_GUNZIPPED_BYTES) -> None:
        if limit < 0:
            raise ValueError("limit must not be negative")
        self._limit = limit
        self._size = 0
        self._inflater = zlib.decompressobj(_GZIP_WBITS)
        self._input = b""  # fed, not yet given to zlib (or given and sent back as its tail)
        # The last zlib call filled its budget: zlib may hold output even with no input left.
        self._held_back = False
        self._trailing_ignored = False  # what followed the last member was not a member

    @property
    def size(self) -> int:
        """Bytes of output produced so far."""
        return self._size

    def feed(self, data: bytes) -> None:
        """Add compressed input; nothing is inflated until `read()`."""
        if not self._trailing_ignored and data:
            self._input = self._input + data if self._input else data

    def read(self, budget: int = _STEP) -> bytes:
        """Up to `budget` (> 0) bytes of output; b"" once the input fed so far is used up."""
        if budget <= 0:
            raise ValueError("budget must be positive")
        pieces: list[bytes] = []
        while budget > 0 and not self._trailing_ignored:
            inflater = self._inflater
            if inflater.eof:
                if not self._next_member():
                    break
                inflater = self._inflater
            elif not self._input and not self._held_back:
                break
            # One byte over the limit is enough to know it is exceeded.
            room = min(budget, self._limit - self._size + 1)
            try:
                piece = inflater.decompress(self._input, room)
            except zlib.error as exc:
                raise BackendDecodeError(f"gzip: {exc}") from None
            self._held_back = len(piece) == room and not inflater.eof
            self._input = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
            self._size += len(piece)
            if self._size > self._limit:
                raise GunzipTooLarge(self._limit)
            if piece:
                pieces.append(piece)
                budget -= len(piece)
            elif not inflater.eof and not self._input:
                self._held_back = False
                break
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _next_member(self) -> bool:
        """After a member's end: start the next one, if the input that follows is one."""
        pending = self._input
        if len(pending) < len(_GZIP_MAGIC):
            return False  # nothing yet, or too little to tell: `finish()` decides
        if not pending.startswith(_GZIP_MAGIC):
            self._trailing_ignored = True
            self._input = b""
            return False
        self._inflater = zlib.decompressobj(_GZIP_WBITS)
        self._held_back = False
        return True

    def finish(self) -> None:
        """Check that the stream ended where the input did (call after `read()` gave b"")."""
        if self._held_back or (self._input and not self._inflater.eof):
            raise RuntimeError("finish() before read() used up the input")
        if not self._inflater.eof:
            raise BackendDecodeError("gzip: unexpected EOF")


def gunzip(body: bytes, limit: int = MAX_GUNZIPPED_BYTES) -> bytes:
    """The whole of `body` gunzipped (see `Gunzip` for the errors)."""
    inflater = Gunzip(limit)
    inflater.feed(body)
    pieces = []
    while piece := inflater.read():
        pieces.append(piece)
    inflater.finish()
    return b"".join(pieces)
