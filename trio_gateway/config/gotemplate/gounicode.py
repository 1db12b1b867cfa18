"""Go's `unicode` package per rune: ToUpper/ToLower/ToTitle are the simple (one rune to one
rune) case mappings, where Python's str.upper() is the full one ("ß" stays "ß" in Go, "ΑΣ"
lowers to "ασ" without Python's final sigma); IsSpace is Go's White_Space set (not
\\x1c-\\x1f, which Python counts). Checked rune by rune against Go 1.19's tables: they differ
only where Python 3.11's Unicode 14 has letters Go 1.19's Unicode 13 lacks."""

from __future__ import annotations

import unicodedata

__all__ = [
    "go_lower",
    "go_title_case",
    "go_trim_space",
    "go_upper",
    "is_digit",
    "is_letter",
    "is_lower",
    "is_punct",
    "is_space",
    "is_title",
    "is_upper",
    "to_lower",
    "to_title",
    "to_upper",
]

# the runes whose full mapping has several runes but whose simple mapping is another rune:
# Greek letters with ypogegrammeni (UnicodeData.txt's simple uppercase is the prosgegrammeni
# capital) and U+0130 (simple lowercase "i")
_UPPER = {
    **{c: c + 8 for start in (0x1F80, 0x1F90, 0x1FA0) for c in range(start, start + 8)},
    0x1FB3: 0x1FBC,
    0x1FC3: 0x1FCC,
    0x1FF3: 0x1FFC,
}
_LOWER = {0x130: 0x69}
_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | frozenset(
    chr(c) for c in range(0x2000, 0x200B)
)


_SPACE_CHARS = "".join(sorted(_SPACE))


def go_trim_space(text: str) -> str:
    """strings.TrimSpace."""
    return text.strip(_SPACE_CHARS)


def to_upper(char: str) -> str:
    mapped = char.upper()
    return mapped if len(mapped) == 1 else chr(_UPPER.get(ord(char), ord(char)))


def to_lower(char: str) -> str:
    mapped = char.lower()
    return mapped if len(mapped) == 1 else chr(_LOWER.get(ord(char), ord(char)))


def to_title(char: str) -> str:
    mapped = char.title()
    return mapped if len(mapped) == 1 else chr(_UPPER.get(ord(char), ord(char)))


def go_upper(text: str) -> str:
    """strings.ToUpper."""
    return text.upper() if text.isascii() else "".join(map(to_upper, text))


def go_lower(text: str) -> str:
    """strings.ToLower."""
    return text.lower() if text.isascii() else "".join(map(to_lower, text))


def is_upper(char: str) -> bool:
    return unicodedata.category(char) == "Lu"


def is_lower(char: str) -> bool:
    return unicodedata.category(char) == "Ll"


def is_title(char: str) -> bool:
    return unicodedata.category(char) == "Lt"


def is_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L")


def is_digit(char: str) -> bool:
    return unicodedata.category(char) == "Nd"


def is_punct(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def is_space(char: str) -> bool:
    return char in _SPACE


def _is_separator(char: str) -> bool:
    # strings.go isSeparator
    if char.isascii():
        return not (char.isalnum() or char == "_")
    if is_letter(char) or is_digit(char):
        return False
    return is_space(char)


def go_title_case(text: str) -> str:
    """strings.Title: the first letter of each word to title case; any ASCII character but a
    letter, digit or `_` separates words (so "it's" is "It'S")."""
    out: list[str] = []
    previous = " "
    for char in text:
        out.append(to_title(char) if _is_separator(previous) else char)
        previous = char
    return "".join(out)
