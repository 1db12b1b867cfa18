"""Sprig's regex.go on Go's regexp semantics (patterns translated by re2): FindAllString's
rule for empty matches (none right after a match), ReplaceAllString's `$1`/`${name}`
expansion (regexp.Expand: `$1x` names the group "1x"), Split's, QuoteMeta's. The plain
functions compile with MustCompile, whose panic fails the template as the must* function's
error does; regexMatch alone drops the error and answers false. A pattern Go accepts and we
cannot translate fails the template in every function (UnsupportedRegexp), rather than
answering what Go might not."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from ..funcs import GoFunc
from ..gotypes import GoList, nil_list, string_list
from ..values import FuncError
from .conv import f
from .re2 import GoRegexpError, Translated, UnsupportedRegexp, translate

__all__ = ["REGEX"]


def _compile(expression: str) -> Translated:
    try:
        return translate(expression)
    except UnsupportedRegexp as error:
        raise FuncError(str(error)) from None
    except GoRegexpError as error:
        raise FuncError(f"regexp: Compile({_backquote(expression)}): {error}") from None


def _backquote(text: str) -> str:
    # regexp.MustCompile's panic quotes with strconv.Quote unless CanBackquote
    from ..gofmt import go_quote

    if "`" in text or any((c < " " and c != "\t") or c == "\x7f" for c in text):
        return go_quote(text)
    return f"`{text}`"


def _matches(compiled: Translated, text: str, limit: int) -> Iterator[re.Match[str]]:
    """regexp.go allMatches: leftmost-first matches; an empty match right after the
    previous match is skipped; at most `limit` (all when negative)."""
    position, delivered, previous_end = 0, 0, -1
    while (limit < 0 or delivered < limit) and position <= len(text):
        match = compiled.pattern.search(text, position)
        if match is None:
            break
        accept = True
        if match.end() == position:  # an empty match
            if match.start() == previous_end:
                accept = False
            position += 1
        else:
            position = match.end()
        previous_end = match.end()
        if accept:
            delivered += 1
            yield match


def _regex_match(expression: str, text: str) -> bool:
    try:
        compiled = translate(expression)
    except UnsupportedRegexp as error:
        raise FuncError(str(error)) from None
    except GoRegexpError:
        return False  # `match, _ := regexp.MatchString(regex, s)`
    return compiled.pattern.search(text) is not None


def _must_regex_match(expression: str, text: str) -> bool:
    try:
        compiled = translate(expression)
    except GoRegexpError as error:
        raise FuncError(str(error)) from None
    return compiled.pattern.search(text) is not None


def _find_all(expression: str, text: str, limit: int) -> GoList:
    compiled = _compile(expression)
    found = [m[0] for m in _matches(compiled, text, limit)] if limit != 0 else []
    return string_list(found) if found else nil_list("[]string")


def _find(expression: str, text: str) -> str:
    match = _compile(expression).pattern.search(text)
    return match[0] if match else ""


# regexp.go extract: a name is letters, digits and `_` (unicode.IsLetter/IsDigit)
_REFERENCE = re.compile(r"\{(\w+)\}|(\w+)")


def _expand(template: str, match: re.Match[str], compiled: Translated) -> str:
    """regexp.Expand: `$$` is `$`; `$name`/`${name}` a group by number or name ("" if none);
    a `$` that starts no valid reference is kept."""
    out: list[str] = []
    index = 0
    while index < len(template):
        dollar = template.find("$", index)
        if dollar < 0:
            out.append(template[index:])
            break
        out.append(template[index:dollar])
        if template.startswith("$$", dollar):
            out.append("$")
            index = dollar + 2
            continue
        reference = _REFERENCE.match(template, dollar + 1)
        if reference is None:
            out.append("$")
            index = dollar + 1
            continue
        name = reference[1] or reference[2]
        index = reference.end()
        if re.fullmatch("[0-9]+", name):
            number = int(name)
            if number <= compiled.groups:
                out.append(match[number] or "")
        else:  # the first group of that name that took part (names may repeat)
            out.append(
                next((match[i] for i in compiled.names.get(name, ()) if match.start(i) >= 0), "")
            )
    return "".join(out)


def _replace(literal: bool) -> Callable[[str, str, str], str]:
    def replace_all(expression: str, text: str, replacement: str) -> str:
        # regexp.go replaceAll: a match of the empty string right after a match is not
        # replaced; the search always moves on by at least one character
        compiled = _compile(expression)
        out: list[str] = []
        last_end, position = 0, 0
        while position <= len(text):
            match = compiled.pattern.search(text, position)
            if match is None:
                break
            out.append(text[last_end : match.start()])
            if match.end() > last_end or match.start() == 0:
                out.append(replacement if literal else _expand(replacement, match, compiled))
            last_end = match.end()
            position = position + 1 if position + 1 > match.end() else match.end()
        out.append(text[last_end:])
        return "".join(out)

    return replace_all


def _split(expression: str, text: str, limit: int) -> Any:
    compiled = _compile(expression)
    if limit == 0:
        return nil_list("[]string")
    if expression and not text:
        return string_list([""])
    parts: list[str] = []
    begin = end = 0
    for match in _matches(compiled, text, limit):
        if limit > 0 and len(parts) == limit - 1:
            break
        end = match.start()
        if match.end() != 0:
            parts.append(text[begin:end])
        begin = match.end()
    if end != len(text):
        parts.append(text[begin:])
    return string_list(parts)


_META = frozenset("\\.+*?()|[]{}^$")


def _quote_meta(text: str) -> str:
    return "".join("\\" + c if c in _META else c for c in text)


REGEX: dict[str, GoFunc] = {
    "regexMatch": f(_regex_match, "string", "string"),
    "mustRegexMatch": f(_must_regex_match, "string", "string"),
    "regexFindAll": f(_find_all, "string", "string", "int"),
    "mustRegexFindAll": f(_find_all, "string", "string", "int"),
    "regexFind": f(_find, "string", "string"),
    "mustRegexFind": f(_find, "string", "string"),
    "regexReplaceAll": f(_replace(False), "string", "string", "string"),
    "mustRegexReplaceAll": f(_replace(False), "string", "string", "string"),
    "regexReplaceAllLiteral": f(_replace(True), "string", "string", "string"),
    "mustRegexReplaceAllLiteral": f(_replace(True), "string", "string", "string"),
    "regexSplit": f(_split, "string", "string", "int"),
    "mustRegexSplit": f(_split, "string", "string", "int"),
    "regexQuoteMeta": f(_quote_meta, "string"),
}
