"""Go's regexp syntax (RE2, regexp/syntax/parse.go with Go's Perl flags) translated to an
equivalent Python `re` pattern, rejecting what Go rejects.

Python's `re` reads many RE2 texts differently, so nothing is passed through as it is:
`$` is the end of the text (Python's also matches before a final newline), `\\d \\w \\s \\b`
are ASCII (Python's are Unicode, and its `\\s` has `\\v`), `{,n}` is literal text in Go,
`\\12` is an octal escape (a back reference in Python), flags like `(?i)` apply from where
they stand to the end of the group (Python refuses them there), `(?U)` swaps greediness,
`[[:alpha:]]`, `\\Q...\\E`, `\\x{263a}`, `\\z` and `(?P<1>...)` exist only in Go; look-around,
back references, atomic groups and possessive quantifiers exist only in Python, and Go
refuses them as we do. Literals and classes are written out as code points, so no Python
metacharacter survives. `\\pN`/`\\p{Lu}` (general categories) are built from unicodedata;
Unicode scripts (`\\p{Greek}`) are refused as unsupported rather than guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from .re2_classes import (
    BOUNDARY,
    CATEGORIES,
    MAX_RUNE,
    NO_BOUNDARY,
    PERL,
    POSIX,
    SCRIPTS,
    case_orbits,
    category,
    class_text,
    complement,
    fold,
    literal,
)

__all__ = ["GoRegexpError", "Translated", "UnsupportedRegexp", "translate"]


class GoRegexpError(ValueError):
    """Go's regexp.Compile error, with its text (`error parsing regexp: ...`)."""


class UnsupportedRegexp(GoRegexpError):
    """Valid in Go, but not something we translate faithfully."""


@dataclass
class Translated:
    pattern: re.Pattern[str]
    groups: int
    names: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class _Repeat:
    """An x{min,max} of the parsed expression and the repeats inside x."""

    low: int
    high: int
    inner: list[_Repeat]

    def valid(self, budget: int) -> bool:
        """parse.go repeatIsValid: nested counts multiply to at most 1000."""
        count = self.high
        if count == 0:
            return True
        if count < 0:
            count = self.low
        if count > budget:
            return False
        if count > 0:
            budget //= count
        return all(r.valid(budget) for r in self.inner)


class _Parser:
    def __init__(self, text: str) -> None:
        self.nested: list[_Repeat] = []
        self.text = text
        self.pos = 0
        self.groups = 0
        self.names: dict[str, list[int]] = {}

    def error(self, code: str, expr: str) -> GoRegexpError:
        return GoRegexpError(f"error parsing regexp: {code}: `{expr}`")

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def parse(self) -> str:
        out, _ = self.alternation({"i": False, "m": False, "s": False, "U": False}, top=True)
        if self.pos < len(self.text):
            raise self.error("unexpected )", self.text)
        return out

    def alternation(self, flags: dict[str, bool], top: bool = False) -> tuple[str, list[_Repeat]]:
        """The Python text of a group's body, and its {n,m} repeats for Go's size check."""
        branches: list[str] = []
        items: list[tuple[str, list[_Repeat]]] = []
        repeats: list[_Repeat] = []
        last_repeat = ""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "|":
                self.pos += 1
                branches.append("".join(text for text, _ in items))
                repeats += [r for _, nested in items for r in nested]
                items, last_repeat = [], ""
                continue
            if char == ")":
                if top:
                    raise self.error("unexpected )", self.text)
                break
            if char in "*+?{":
                repeat = self.repetition(items, last_repeat, flags)
                if repeat is not None:
                    last_repeat = repeat
                    continue
            last_repeat = ""
            if self.text.startswith("\\Q", self.pos):
                items += [(literal, []) for literal in self.quoted(flags)]
                continue
            self.nested = []
            atom = self.atom(flags)
            if atom:  # `(?i)` adds nothing to repeat
                items.append((atom, self.nested))
        branches.append("".join(text for text, _ in items))
        repeats += [r for _, nested in items for r in nested]
        return "|".join(branches), repeats

    def repetition(
        self, items: list[tuple[str, list[_Repeat]]], last_repeat: str, flags: dict[str, bool]
    ) -> str | None:
        start = self.pos
        char = self.text[self.pos]
        if char == "{":
            match = re.compile(r"\{(\d+)(?:(,)(\d*))?\}").match(self.text, self.pos)
            if match is None or any(
                n and len(n) > 1 and n[0] == "0" for n in (match[1], match[3])
            ):  # parse.go parseInt refuses leading zeros
                return None  # not a repeat: `{` is a literal
            low = int(match[1])
            high = low if match[2] is None else (int(match[3]) if match[3] else -1)
            self.pos = match.end()
            if low > 1000 or high > 1000 or (high >= 0 and low > high):
                raise self.error("invalid repeat count", self.text[start : self.pos])
            suffix = match[0] if high != -1 else f"{{{low},}}"
            counted = (low, high)
        else:
            counted = None
            self.pos += 1
            suffix = char
        lazy = flags["U"]
        if self.peek() == "?":
            self.pos += 1
            lazy = not lazy
        if last_repeat:
            raise self.error(
                "invalid nested repetition operator", last_repeat + self.text[start : self.pos]
            )
        if not items:
            raise self.error("missing argument to repetition operator", self.text[start : self.pos])
        text, nested = items[-1]
        if counted is not None:
            node = _Repeat(counted[0], counted[1], nested)
            if (counted[0] >= 2 or counted[1] >= 2) and not node.valid(1000):
                raise self.error("invalid repeat count", self.text[start : self.pos])
            nested = [node]
        items[-1] = (f"(?:{text}){suffix}{'?' if lazy else ''}", nested)
        return self.text[start : self.pos]

    def atom(self, flags: dict[str, bool]) -> str:
        char = self.text[self.pos]
        if char == "(":
            return self.group(flags)
        if char == "[":
            return self.char_class(flags)
        if char == ".":
            self.pos += 1
            return "(?s:.)" if flags["s"] else "[^\\n]"
        if char == "^":
            self.pos += 1
            return "(?m:^)" if flags["m"] else "\\A"
        if char == "$":
            self.pos += 1
            return "(?m:$)" if flags["m"] else "\\Z"
        if char == "\\":
            return self.escape(flags)
        self.pos += 1
        return self.literal(ord(char), flags)

    def literal(self, code: int, flags: dict[str, bool]) -> str:
        if flags["i"] and code in case_orbits():
            return class_text([(c, c) for c in case_orbits()[code]])
        return literal(code)

    def ranges(self, ranges: list[tuple[int, int]], negate: bool, flags: dict[str, bool]) -> str:
        folded = fold(ranges) if flags["i"] else ranges
        return class_text(complement(folded) if negate else folded)

    def group(self, flags: dict[str, bool]) -> str:
        start = self.pos
        self.pos += 1
        inner = dict(flags)
        capture = True
        if self.peek() == "?":
            if self.text.startswith("?P<", self.pos):
                end = self.text.find(">", self.pos)
                if end < 0:
                    raise self.error("invalid named capture", self.text[start:])
                name = self.text[self.pos + 3 : end]
                if not name or not re.fullmatch(r"[0-9A-Za-z_]+", name):
                    raise self.error("invalid named capture", self.text[start : end + 1])
                self.pos = end + 1
                self.groups += 1
                self.names.setdefault(name, []).append(self.groups)  # Go 1.19 allows repeats
                return self.close(start, inner, True)
            match = re.compile(r"\?([imsU]*)(?:-([imsU]*))?([:)])").match(self.text, self.pos)
            if match is None or (match[2] is not None and not match[2]):
                bad = re.compile(r"\?[^)]*\)?").match(self.text, self.pos)
                raise self.error(
                    "invalid or unsupported Perl syntax",
                    self.text[start : (bad.end() if bad else self.pos + 1)][:3]
                    if match is None
                    else self.text[start : match.end()],
                )
            for flag in match[1]:
                inner[flag] = True
            for flag in match[2] or "":
                inner[flag] = False
            self.pos = match.end()
            if match[3] == ")":
                flags.update(inner)  # `(?i)`: to the end of the enclosing group
                return ""
            capture = False
        else:
            self.groups += 1
        return self.close(start, inner, capture)

    def close(self, start: int, flags: dict[str, bool], capture: bool) -> str:
        body, repeats = self.alternation(flags)
        if self.peek() != ")":
            raise self.error("missing closing )", self.text[start:] if start else self.text)
        self.pos += 1
        self.nested = repeats
        return f"({body})" if capture else f"(?:{body})"

    def escape_rune(self) -> int:
        """parse.go parseEscape: one rune, after the backslash at self.pos."""
        start = self.pos
        self.pos += 1
        if self.pos >= len(self.text):
            raise self.error("trailing backslash at end of expression", "")
        char = self.text[self.pos]
        self.pos += 1
        if (char in "1234567" and self.peek() in tuple("01234567")) or char == "0":
            value = ord(char) - 48
            for _ in range(2):
                if self.peek() and self.peek() in "01234567":
                    value = value * 8 + ord(self.peek()) - 48
                    self.pos += 1
            return value
        if char == "x":
            hex_match = re.compile(r"\{([0-9A-Fa-f]+)\}|([0-9A-Fa-f]{2})").match(
                self.text, self.pos
            )
            if hex_match and (hex_match[2] or int(hex_match[1], 16) <= MAX_RUNE):
                self.pos = hex_match.end()
                return int(hex_match[1] or hex_match[2], 16)
        simple = {"a": 7, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
        if char in simple:
            return simple[char]
        if char.isascii() and not char.isalnum():
            return ord(char)
        raise self.error("invalid escape sequence", self.text[start : self.pos])

    def unicode_class(self) -> tuple[list[tuple[int, int]], bool]:
        start = self.pos
        negate = self.text[self.pos + 1] == "P"
        self.pos += 2
        if self.peek() == "{":
            end = self.text.find("}", self.pos)
            if end < 0:
                raise self.error("invalid character class range", self.text[start:])
            name = self.text[self.pos + 1 : end]
            self.pos = end + 1
        else:
            name = self.peek()
            if not name:
                raise self.error("invalid character class range", self.text[start:])
            self.pos += 1
        if name.startswith("^"):
            negate, name = not negate, name[1:]
        if name == "Any":
            ranges = [(0, MAX_RUNE)]
        elif name in CATEGORIES or name in ("L", "M", "N", "P", "S", "Z", "C"):
            ranges = list(category(name))
        elif name in SCRIPTS:
            raise UnsupportedRegexp(
                f"regexp: the Unicode script \\p{{{name}}} is not supported here"
            )
        else:
            raise self.error("invalid character class range", self.text[start : self.pos])
        return ranges, negate

    def escape(self, flags: dict[str, bool]) -> str:
        following = self.peek(1)
        simple = {"A": "\\A", "z": "\\Z", "b": BOUNDARY, "B": NO_BOUNDARY}
        if following in simple:
            self.pos += 2
            return simple[following]
        if following == "C":
            raise self.error("invalid escape sequence", "\\C")
        if following in ("p", "P"):
            ranges, negate = self.unicode_class()
            return self.ranges(ranges, negate, flags)
        if following.lower() in PERL:
            self.pos += 2
            return self.ranges(PERL[following.lower()], following.isupper(), flags)
        return self.literal(self.escape_rune(), flags)

    def quoted(self, flags: dict[str, bool]) -> list[str]:
        """`\\Q...\\E`: literals, each its own atom (`\\Qab\\E+` repeats the b)."""
        end = self.text.find("\\E", self.pos + 2)
        literal = self.text[self.pos + 2 : end if end >= 0 else len(self.text)]
        self.pos = end + 2 if end >= 0 else len(self.text)
        return [self.literal(ord(c), flags) for c in literal]

    def char_class(self, flags: dict[str, bool]) -> str:
        start = self.pos
        self.pos += 1
        negate = self.peek() == "^"
        if negate:
            self.pos += 1
        ranges: list[tuple[int, int]] = []
        first = True
        while self.peek() != "]" or first:
            if self.pos >= len(self.text):
                raise self.error("missing closing ]", self.text[start:])
            first = False
            if self.text.startswith("[:", self.pos):
                end = self.text.find(":]", self.pos + 2)
                if end >= 0:
                    name = self.text[self.pos + 2 : end]
                    positive = name.removeprefix("^")
                    if positive not in POSIX:
                        raise self.error(
                            "invalid character class range", self.text[self.pos : end + 2]
                        )
                    group = POSIX[positive]
                    ranges += complement(group) if name.startswith("^") else group
                    self.pos = end + 2
                    continue
            if self.peek() == "\\" and self.peek(1) in ("p", "P"):
                group, negated = self.unicode_class()
                ranges += complement(group) if negated else group
                continue
            if self.peek() == "\\" and self.peek(1).lower() in PERL:
                group = PERL[self.peek(1).lower()]
                ranges += group if self.peek(1).islower() else complement(group)
                self.pos += 2
                continue
            low = self.class_char(start)
            high = low
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                high = self.class_char(start)
                if high < low:
                    raise self.error("invalid character class range", f"{chr(low)}-{chr(high)}")
            ranges.append((low, high))
        self.pos += 1
        return self.ranges(ranges, negate, flags)

    def class_char(self, start: int) -> int:
        if self.pos >= len(self.text):
            raise self.error("missing closing ]", self.text[start:])
        if self.peek() == "\\":
            return self.escape_rune()
        self.pos += 1
        return ord(self.text[self.pos - 1])


@cache
def translate(expression: str) -> Translated:
    """The Python pattern that matches as Go's regexp.Compile(expression) does.

    Raises:
        GoRegexpError: Go refuses the expression (its message).
        UnsupportedRegexp: Go accepts it, we do not translate it.
    """
    parser = _Parser(expression)
    text = parser.parse()
    try:
        pattern = re.compile(text)
    except (re.error, OverflowError, RecursionError) as error:  # pragma: no cover - a gap here
        raise UnsupportedRegexp(f"regexp: cannot translate `{expression}`: {error}") from None
    return Translated(pattern, parser.groups, parser.names)
