"""huandu/xstrings (convert.go, count.go), which Sprig uses for snakecase, kebabcase,
camelcase and shuffle. Ported line by line on runes; U+FFFD counts as utf8.RuneError there,
as DecodeRuneInString reports it (xstrings skips it inside words)."""

from __future__ import annotations

import random
import unicodedata

from ..gounicode import is_letter, is_punct, is_space, is_upper, to_lower, to_upper

__all__ = ["shuffle", "to_camel_case", "to_kebab_case", "to_snake_case"]

_ERROR = "\ufffd"
INVALID, NUMBER, UPPER, ALPHABET, CONNECTOR, PUNCT, OTHER = range(7)


def _is_connector(char: str) -> bool:
    return char in "-_" or is_space(char)


def _is_number(char: str) -> bool:
    return unicodedata.category(char).startswith("N")


def _is_alphabet(char: str) -> bool:
    """count.go isAlphabet: a letter, but not a CJK ideograph."""
    if not is_letter(char):
        return False
    code = ord(char)
    return not (0x4E00 <= code <= 0x9FCC or 0x3400 <= code <= 0x4D85 or 0x20000 <= code <= 0x2B81D)


def _next_valid_rune(text: str, start: int, previous: str) -> tuple[str, int]:
    """The next rune that is not RuneError and how many runes were read to reach it."""
    size = 0
    while start + size < len(text):
        char = text[start + size]
        size += 1
        if char != _ERROR:
            return char, size
    return previous, size


def _next_word(text: str) -> tuple[int, str, str]:
    if not text:
        return INVALID, "", ""
    char, size = _next_valid_rune(text, 0, _ERROR)
    offset = size
    if char == _ERROR:
        return INVALID, text[:offset], text[offset:]
    rest = size  # the start of `remaining`

    def run(accept: object) -> None:
        nonlocal char, size, offset, rest
        while rest < len(text):
            char, size = _next_valid_rune(text, rest, char)
            if not accept(char):  # type: ignore[operator]
                break
            offset += size
            rest += size

    if _is_connector(char):
        kind = CONNECTOR
        run(_is_connector)
    elif is_punct(char):
        kind = PUNCT
        run(is_punct)
    elif is_upper(char):
        kind = UPPER
        if rest < len(text):
            char, size = _next_valid_rune(text, rest, char)
            if is_upper(char):
                previous_size = size
                offset += size
                rest += size
                while rest < len(text):
                    char, size = _next_valid_rune(text, rest, char)
                    if not is_upper(char):
                        break
                    previous_size = size
                    offset += size
                    rest += size
                # "HTTPStatus" is "HTTP" and "Status"
                if rest < len(text) and _is_alphabet(char):
                    offset -= previous_size
                    rest = offset
            elif _is_alphabet(char):
                offset += size
                rest += size
                run(lambda c: _is_alphabet(c) and not is_upper(c))
    elif _is_alphabet(char):
        kind = ALPHABET
        run(lambda c: _is_alphabet(c) and not is_upper(c))
    elif _is_number(char):
        kind = NUMBER
        run(_is_number)
    else:
        kind = OTHER
        run(lambda c: not (_is_connector(c) or _is_alphabet(c) or _is_number(c) or is_punct(c)))
    return kind, text[:offset], text[rest:]


def _to_lower(out: list[str], kind: int, word: str, connector: str) -> None:
    if kind not in (UPPER, CONNECTOR):
        out.append(word)
        return
    for char in word:
        if _is_connector(char):
            out.append(connector)
        elif is_upper(char):
            out.append(to_lower(char))
        else:
            out.append(char)


def _camel_to_lower(text: str, connector: str) -> str:
    if not text:
        return ""
    out: list[str] = []
    kind, word, remaining = _next_word(text)
    while remaining:
        if kind != CONNECTOR:
            _to_lower(out, kind, word, connector)
        previous, last = kind, word
        kind, word, remaining = _next_word(remaining)
        if previous == NUMBER:
            while kind in (ALPHABET, NUMBER):
                _to_lower(out, kind, word, connector)
                kind, word, remaining = _next_word(remaining)
            if kind not in (INVALID, PUNCT, CONNECTOR):
                out.append(connector)
        elif previous == CONNECTOR:
            _to_lower(out, previous, last, connector)
        elif previous == PUNCT:
            pass
        elif kind != NUMBER:
            if kind not in (CONNECTOR, PUNCT):
                out.append(connector)
        elif remaining:
            last = word
            kind, word, remaining = _next_word(remaining)
            if kind != ALPHABET:
                # "Bld4Floor" is "bld4_floor": the number belongs to the word before
                _to_lower(out, NUMBER, last, connector)
                if kind not in (CONNECTOR, PUNCT):
                    out.append(connector)
            else:
                # "HTTP2xx" is "http_2xx"
                out.append(connector)
                _to_lower(out, NUMBER, last, connector)
                while kind in (ALPHABET, NUMBER):
                    _to_lower(out, kind, word, connector)
                    kind, word, remaining = _next_word(remaining)
                if kind not in (INVALID, CONNECTOR, PUNCT):
                    out.append(connector)
    _to_lower(out, kind, word, connector)
    return "".join(out)


def to_snake_case(text: str) -> str:
    return _camel_to_lower(text, "_")


def to_kebab_case(text: str) -> str:
    return _camel_to_lower(text, "-")


def to_camel_case(text: str) -> str:
    if not text:
        return ""
    out: list[str] = []
    index = 0
    current = ""
    while index < len(text):  # a leading connector stays
        current = text[index]
        index += 1
        if not _is_connector(current):
            current = to_upper(current)
            break
        out.append(current)
    if index >= len(text):
        out.append(current)  # Go writes the last rune again even if it was a connector
        return "".join(out)
    while index < len(text):
        previous, current = current, text[index]
        index += 1
        if _is_connector(current) and _is_connector(previous):
            out.append(previous)
            continue
        if _is_connector(previous):
            current = to_upper(current)
        else:
            current = to_lower(current)
            out.append(previous)
    out.append(current)
    return "".join(out)


def shuffle(text: str) -> str:
    """xstrings.Shuffle: the runes in a random order (math/rand, not for secrets)."""
    runes = list(text)
    random.shuffle(runes)
    return "".join(runes)
