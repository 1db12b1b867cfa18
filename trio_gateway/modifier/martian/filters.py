"""martian's `filter.Filter`: a condition, the modifier to run when it holds, and the `else` one.

A filter is a request and a response modifier whatever its condition (google/martian v2.1.0
`filter/filter.go`): on a request it asks `match_request`, on a response `match_response`, and a
missing branch (its modifier has no such scope) does nothing. The conditions live with their
packages (header, querystring, cookie, url); this module also compiles the regular expressions
of `header.RegexFilter` and `url.RegexFilter`.

Go's regexp is RE2; Python's `re` reads the same syntax for what RE2 has, except a few forms
translated here (`\\z`, `[[:alpha:]]` classes). What RE2 refuses and Python would accept with
another meaning (look-arounds, back-references, atomic groups, possessive repeats, the `U`
flag) is a configuration error, as KrakenD's `regexp.Compile` error is.
"""

from __future__ import annotations

import re

from trio_gateway.config.diagnostics import Path
from trio_gateway.modifier.martian.message import GoRequest, GoResponse
from trio_gateway.modifier.martian.parse import Issues, Result

__all__ = ["Condition", "Filter", "compile_regex"]


class Condition:
    """filter.RequestCondition + ResponseCondition."""

    __slots__ = ()

    def match_request(self, request: GoRequest) -> bool:
        raise NotImplementedError

    def match_response(self, response: GoResponse) -> bool:
        raise NotImplementedError


class Filter:
    """filter.Filter: `then` when the condition holds, else `otherwise` (noop when missing)."""

    __slots__ = ("condition", "else_request", "else_response", "then_request", "then_response")

    def __init__(self, condition: Condition, then: Result, otherwise: Result | None) -> None:
        self.condition = condition
        self.then_request = then.request
        self.then_response = then.response
        self.else_request = otherwise.request if otherwise is not None else None
        self.else_response = otherwise.response if otherwise is not None else None

    def modify_request(self, request: GoRequest) -> None:
        branch = self.then_request if self.condition.match_request(request) else self.else_request
        if branch is not None:
            branch.modify_request(request)

    def modify_response(self, response: GoResponse) -> None:
        branch = (
            self.then_response if self.condition.match_response(response) else self.else_response
        )
        if branch is not None:
            branch.modify_response(response)


_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7F",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1F\\x7F",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_POSIX_CLASS = re.compile(r"\[:(\^?)([a-z]+):\]")
# What RE2 does not have (it refuses these; Python would give them a meaning).
_NOT_RE2 = re.compile(r"\(\?(?:[=!>]|<[=!]|P=|\()|\\[1-9]|[*+?}][+]|\(\?[a-zA-Z]*U")


def compile_regex(pattern: str, path: Path, issues: Issues) -> re.Pattern[str] | None:
    """Go's `regexp.Compile(pattern)` as a Python pattern (searched, not anchored, as
    `MatchString`), or None after an error."""
    unescaped = re.sub(r"\\\\", "", pattern)
    if _NOT_RE2.search(unescaped):
        issues.error(
            path,
            f"regular expression {pattern!r} uses syntax Go's RE2 does not have (look-arounds, "
            "back-references, atomic groups, possessive repeats or the U flag)",
        )
        return None

    def posix(found: re.Match[str]) -> str:
        body = _POSIX.get(found.group(2))
        if body is None:
            return found.group(0)
        return body if not found.group(1) else found.group(0)

    translated = _POSIX_CLASS.sub(posix, pattern.replace("\\z", "\\Z"))
    try:
        return re.compile(translated)
    except re.error as exc:
        issues.error(path, f"error parsing regexp {pattern!r}: {exc}")
        return None
