"""Masterminds/goutils (stringutils.go, wordutils.go, cryptorandomstringutils.go), which
Sprig uses for abbrev, abbrevboth, wrap, wrapWith, initials, swapcase, untitle, nospace and
the rand* strings. goutils indexes Go strings by byte: so do we (on the UTF-8 bytes), and a
byte cut in the middle of a character reads back as U+FFFD, one per byte, as Go's decoders
(utf8.DecodeRune, encoding/json) do; `initials` and `nospace` turn each byte into the rune of
its value (rune(str[i])), as goutils does."""

from __future__ import annotations

import codecs
import secrets

from ..gounicode import is_lower, is_space, is_title, is_upper, to_lower, to_title, to_upper

__all__ = [
    "abbreviate_full",
    "delete_white_space",
    "go_string",
    "initials",
    "random_string",
    "swap_case",
    "uncapitalize",
    "wrap_custom",
]


def _one_byte(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return "\ufffd", error.start + 1


codecs.register_error("trio_gateway.go_bytes", _one_byte)


def go_string(data: bytes) -> str:
    """Go bytes as text: each byte that is not part of valid UTF-8 is one U+FFFD."""
    return data.decode("utf-8", "trio_gateway.go_bytes")


def abbreviate_full(text: str, offset: int, max_width: int) -> str | None:
    """AbbreviateFull; None where goutils returns an error (Sprig then gives "")."""
    if not text:
        return ""
    result = _abbreviate(text.encode(), offset, max_width)
    return None if result is None else go_string(result)


def _abbreviate(data: bytes, offset: int, max_width: int) -> bytes | None:
    # on bytes all the way: a cut character stays cut bytes until the end, as in Go
    if not data:
        return b""
    if max_width < 4:
        return None
    if len(data) <= max_width:
        return data
    offset = min(offset, len(data))
    if len(data) - offset < max_width - 3:
        offset = len(data) - (max_width - 3)
    if offset <= 4:
        return data[: max_width - 3] + b"..."
    if max_width < 7:
        return None
    if offset + max_width - 3 < len(data):
        return b"..." + (_abbreviate(data[offset:], 0, max_width - 3) or b"")
    return b"..." + data[len(data) - (max_width - 3) :]


def delete_white_space(text: str) -> str:
    data = text.encode()
    kept = [b for b in data if not is_space(chr(b))]
    if len(kept) == len(data):
        return text
    return "".join(chr(b) for b in kept)


def initials(text: str) -> str:
    out: list[str] = []
    gap = True
    for byte in text.encode():
        char = chr(byte)
        if is_space(char):
            gap = True
        elif gap:
            out.append(char)
            gap = False
    return "".join(out)


def swap_case(text: str) -> str:
    out: list[str] = []
    whitespace = True
    for char in text:
        if is_upper(char) or is_title(char):
            out.append(to_lower(char))
            whitespace = False
        elif is_lower(char):
            out.append(to_title(char) if whitespace else to_upper(char))
            whitespace = False
        else:
            out.append(char)
            whitespace = is_space(char)
    return "".join(out)


def uncapitalize(text: str) -> str:
    out: list[str] = []
    lower_next = True
    for char in text:
        if is_space(char):
            lower_next = True
            out.append(char)
        elif lower_next:
            out.append(to_lower(char))
            lower_next = False
        else:
            out.append(char)
    return "".join(out)


def wrap_custom(text: str, wrap_length: int, newline: str, wrap_long_words: bool) -> str:
    data = text.encode()
    if not data:
        return ""
    separator = (newline or "\n").encode()
    wrap_length = max(wrap_length, 1)
    offset = 0
    out = bytearray()
    while len(data) - offset > wrap_length:
        if data[offset] == 0x20:
            offset += 1
            continue
        end = wrap_length + offset + 1
        space = data[offset:end].rfind(b" ") + offset
        if space >= offset:  # a word not longer than the line
            out += data[offset:space] + separator
            offset = space + 1
        elif wrap_long_words:
            out += data[offset : offset + wrap_length] + separator
            offset += wrap_length
        else:  # a long word runs past the limit
            end = wrap_length + offset
            index = data.find(b" ", end)
            if index == -1:
                out += data[offset:]
                offset = len(data)
            else:
                out += data[offset:index] + separator
                offset = index + 1
    out += data[offset:]
    return go_string(bytes(out))


_ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
ALPHABETS = {
    "alpha": _ALPHA,
    "alphanum": _ALPHA + "0123456789",
    "numeric": "0123456789",
    "ascii": "".join(chr(c) for c in range(32, 127)),
}


def random_string(count: int, alphabet: str) -> str:
    """CryptoRandom*: `count` characters drawn from the alphabet by a crypto RNG; a negative
    count is goutils' error, which Sprig drops ("")."""
    return "".join(secrets.choice(ALPHABETS[alphabet]) for _ in range(count))
