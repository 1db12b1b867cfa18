"""The character classes of Go's regexp syntax as code point ranges: Perl (`\\d \\s \\w`, ASCII),
POSIX (`[:alpha:]`), Unicode general categories (`\\pL`, from unicodedata), Go's (?i) case
folding (unicode.SimpleFold orbits, from gounicode's simple mappings), and how a class is
written for Python's re (every code point escaped, so no metacharacter survives)."""

from __future__ import annotations

import sys
import unicodedata
from functools import cache
from typing import Any

from ..gounicode import to_lower, to_title, to_upper

__all__ = [
    "BOUNDARY",
    "CATEGORIES",
    "MAX_RUNE",
    "NO_BOUNDARY",
    "PERL",
    "POSIX",
    "SCRIPTS",
    "case_orbits",
    "category",
    "class_text",
    "complement",
    "fold",
    "literal",
]

MAX_RUNE = 0x10FFFF
_DIGIT = [(0x30, 0x39)]
_SPACE = [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)]
_WORD = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]
PERL = {"d": _DIGIT, "s": _SPACE, "w": _WORD}
POSIX = {
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
    "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "ascii": [(0x00, 0x7F)],
    "blank": [(0x09, 0x09), (0x20, 0x20)],
    "cntrl": [(0x00, 0x1F), (0x7F, 0x7F)],
    "digit": _DIGIT,
    "graph": [(0x21, 0x7E)],
    "lower": [(0x61, 0x7A)],
    "print": [(0x20, 0x7E)],
    "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
    "space": [(0x09, 0x0D), (0x20, 0x20)],
    "upper": [(0x41, 0x5A)],
    "word": _WORD,
    "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
}
_W = "[0-9A-Za-z_]"
BOUNDARY = f"(?:(?<={_W})(?!{_W})|(?<!{_W})(?={_W}))"
NO_BOUNDARY = f"(?:(?<={_W})(?={_W})|(?<!{_W})(?!{_W}))"
CATEGORIES = {
    "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe",
    "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co",
}  # fmt: skip


# Go 1.19's unicode.Scripts: valid in \p{...}; unicodedata has no scripts, so we refuse them
SCRIPTS = frozenset({
    "Adlam", "Ahom", "Anatolian_Hieroglyphs", "Arabic", "Armenian", "Avestan", "Balinese", "Bamum",
    "Bassa_Vah", "Batak", "Bengali", "Bhaiksuki", "Bopomofo", "Brahmi", "Braille", "Buginese",
    "Buhid", "Canadian_Aboriginal", "Carian", "Caucasian_Albanian", "Chakma", "Cham", "Cherokee",
    "Chorasmian", "Common", "Coptic", "Cuneiform", "Cypriot", "Cyrillic", "Deseret", "Devanagari",
    "Dives_Akuru", "Dogra", "Duployan", "Egyptian_Hieroglyphs", "Elbasan", "Elymaic", "Ethiopic",
    "Georgian", "Glagolitic", "Gothic", "Grantha", "Greek", "Gujarati", "Gunjala_Gondi",
    "Gurmukhi", "Han", "Hangul", "Hanifi_Rohingya", "Hanunoo", "Hatran", "Hebrew", "Hiragana",
    "Imperial_Aramaic", "Inherited", "Inscriptional_Pahlavi", "Inscriptional_Parthian", "Javanese",
    "Kaithi", "Kannada", "Katakana", "Kayah_Li", "Kharoshthi", "Khitan_Small_Script", "Khmer",
    "Khojki", "Khudawadi", "Lao", "Latin", "Lepcha", "Limbu", "Linear_A", "Linear_B", "Lisu",
    "Lycian", "Lydian", "Mahajani", "Makasar", "Malayalam", "Mandaic", "Manichaean", "Marchen",
    "Masaram_Gondi", "Medefaidrin", "Meetei_Mayek", "Mende_Kikakui", "Meroitic_Cursive",
    "Meroitic_Hieroglyphs", "Miao", "Modi", "Mongolian", "Mro", "Multani", "Myanmar", "Nabataean",
    "Nandinagari", "New_Tai_Lue", "Newa", "Nko", "Nushu", "Nyiakeng_Puachue_Hmong", "Ogham",
    "Ol_Chiki", "Old_Hungarian", "Old_Italic", "Old_North_Arabian", "Old_Permic", "Old_Persian",
    "Old_Sogdian", "Old_South_Arabian", "Old_Turkic", "Oriya", "Osage", "Osmanya", "Pahawh_Hmong",
    "Palmyrene", "Pau_Cin_Hau", "Phags_Pa", "Phoenician", "Psalter_Pahlavi", "Rejang", "Runic",
    "Samaritan", "Saurashtra", "Sharada", "Shavian", "Siddham", "SignWriting", "Sinhala",
    "Sogdian", "Sora_Sompeng", "Soyombo", "Sundanese", "Syloti_Nagri", "Syriac", "Tagalog",
    "Tagbanwa", "Tai_Le", "Tai_Tham", "Tai_Viet", "Takri", "Tamil", "Tangut", "Telugu", "Thaana",
    "Thai", "Tibetan", "Tifinagh", "Tirhuta", "Ugaritic", "Vai", "Wancho", "Warang_Citi", "Yezidi",
    "Yi", "Zanabazar_Square",
})  # fmt: skip


def complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    low = 0
    for start, end in _merge(ranges):
        if start > low:
            out.append((low, start - 1))
        low = end + 1
    if low <= MAX_RUNE:
        out.append((low, MAX_RUNE))
    return out


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


@cache
def category(name: str) -> tuple[tuple[int, int], ...]:
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        category = unicodedata.category(chr(code))
        if category.startswith(name) and category != "Cn":  # Go's C has no unassigned
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return tuple(ranges)


@cache
def case_orbits() -> dict[int, tuple[int, ...]]:
    """unicode.SimpleFold's orbits: the runes equal under Go's (?i) (k, K and U+212A KELVIN
    SIGN are one), from the simple case mappings."""
    parent: dict[int, int] = {}

    def find(code: int) -> int:
        while parent.get(code, code) != code:
            code = parent[code]
        return code

    for code in range(sys.maxunicode + 1):
        char = chr(code)
        for other in (to_upper(char), to_lower(char), to_title(char)):
            if other != char:
                a, b = find(code), find(ord(other))
                if a != b:
                    parent[max(a, b)] = min(a, b)
    members: dict[int, list[int]] = {}
    for code in parent:
        members.setdefault(find(code), []).append(code)
    table: dict[int, tuple[int, ...]] = {}
    for root, codes in members.items():
        orbit = tuple(sorted({root, *codes}))
        for code in orbit:
            table[code] = orbit
    return table


def fold(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A class under (?i): every rune with its whole case orbit (Go folds, then negates)."""
    table = case_orbits()
    out = list(ranges)
    for low, high in ranges:
        if high - low > len(table):
            codes: Any = (c for c in table if low <= c <= high)
        else:
            codes = range(low, high + 1)
        for code in codes:
            for other in table.get(code, ()):
                out.append((other, other))
    return _merge(out)


def class_text(ranges: list[tuple[int, int]]) -> str:
    merged = _merge(ranges)
    if not merged:
        return "(?!)"  # a class that matches nothing
    parts = [f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in merged]
    return "[" + "".join(parts) + "]"


def literal(code: int) -> str:
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\U{code:08x}"
