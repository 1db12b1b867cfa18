"""martian's `body.Modifier` (v2.1.0): replaces the body with `body` (base64 in the JSON).

Both scopes set `Content-Type` to `contentType` (empty when not given, as in martian) and delete
`Content-Encoding`: the new body is not encoded. On a response it honours the request's `Range`
header as martian does: one range gives a 206 with `Content-Range`, several a
`multipart/byteranges` body (the boundary is drawn once, when the modifier is built), a range
that is not `a-b` or has `a > b` a 416 with no body; a bound that is not a number, or past
the end of the body, fails the call (martian returns the `strconv` error, or Go panics on the
slice: KrakenD answers 500 either way).
"""

from __future__ import annotations

import secrets
from typing import Any

from trio_gateway.config.diagnostics import Path
from trio_gateway.modifier.martian.headers import sendable_value
from trio_gateway.modifier.martian.message import GoRequest, GoResponse, MartianError
from trio_gateway.modifier.martian.parse import Field, Issues, Result, fields, new_result, register

__all__ = ["BodyModifier"]

_CONTENT_TYPE, _CONTENT_ENCODING, _RANGE = b"Content-Type", b"Content-Encoding", b"Range"


def _atoi(text: str) -> int:
    stripped = text.strip()
    body = stripped[1:] if stripped[:1] in ("+", "-") else stripped
    if not body.isdigit() or not body.isascii():
        raise MartianError(f'strconv.Atoi: parsing "{stripped}": invalid syntax')
    return int(stripped)


def _slice(body: bytes, start: int, end: int) -> bytes:
    # Go's m.body[start:end+1] panics out of range (runtime error: slice bounds out of range).
    if start < 0 or end + 1 > len(body):
        raise MartianError(
            f"runtime error: slice bounds out of range [{start}:{end + 1}] with capacity "
            f"{len(body)}"
        )
    return body[start : end + 1]


class BodyModifier:
    """`body.Modifier`."""

    __slots__ = ("body", "boundary", "content_type")

    def __init__(self, body: bytes, content_type: bytes) -> None:
        self.body = body
        self.content_type = content_type
        self.boundary = secrets.token_hex(30).encode("ascii")  # martian's randomBoundary

    def modify_request(self, request: GoRequest) -> None:
        request.set(_CONTENT_TYPE, self.content_type)
        request.delete(_CONTENT_ENCODING)
        request.content_length = len(self.body)
        request.body = self.body

    def modify_response(self, response: GoResponse) -> None:
        response.set(_CONTENT_TYPE, self.content_type)
        response.delete(_CONTENT_ENCODING)
        response.body_replaced = True
        header = response.request.get(_RANGE)
        if not header:
            response.content_length = len(self.body)
            response.body = self.body
            return
        self._ranges(response, header.decode("latin-1").lower())

    def _ranges(self, response: GoResponse, header: str) -> None:
        body = self.body
        ranges: list[tuple[int, int]] = []
        # strings.TrimLeft(rh, "bytes="): a cut set, not a prefix
        for part in header.lstrip("bytes=").split(","):
            if part.endswith("-"):
                part = f"{part}{len(body) - 1}"
            bounds = part.split("-")
            if len(bounds) != 2:
                response.status = 416
                response.body = b""  # martian closed the old body and gives no new one
                return
            start, end = _atoi(bounds[0]), _atoi(bounds[1])
            if start > end:
                response.status = 416
                response.body = b""  # martian closed the old body and gives no new one
                return
            ranges.append((start, end))
        response.status = 206
        if len(ranges) == 1:
            start, end = ranges[0]
            segment = _slice(body, start, end)
            response.body = segment
            response.content_length = len(segment)
            response.set(b"Content-Range", b"bytes %d-%d/%d" % (start, end, len(body)))
            return
        # mime/multipart.Writer: parts headers sorted by key, CRLF framing.
        out = bytearray()
        for index, (start, end) in enumerate(ranges):
            segment = _slice(body, start, end)
            out += b"\r\n--" if index else b"--"
            out += self.boundary + b"\r\n"
            out += b"Content-Range: bytes %d-%d/%d\r\n" % (start, end, len(body))
            out += b"Content-Type: " + self.content_type + b"\r\n\r\n"
            out += segment
        out += b"\r\n--" + self.boundary + b"--\r\n"
        response.body = bytes(out)
        response.content_length = len(out)
        response.set(_CONTENT_TYPE, b"multipart/byteranges; boundary=" + self.boundary)


@register("body.Modifier")
def _modifier(value: Any, path: Path, issues: Issues) -> Result | None:
    spec = {"contentType": Field.STRING, "body": Field.BYTES, "scope": Field.SCOPE}
    data = fields(value, path, issues, spec)
    if data is None:
        return None
    content_type = sendable_value(data.get("contentType", ""), (*path, "contentType"), issues)
    return new_result(BodyModifier(data.get("body", b""), content_type), data, path, issues)
