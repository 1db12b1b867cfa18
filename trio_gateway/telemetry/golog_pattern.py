"""go-logging's (github.com/op/go-logging, `format.go`) string formats, parsed as it parses them.

A pattern is text with verbs `%{name}` or `%{name:layout}`: the layout of `time` is a Go time
layout, of `color` one of `bold`/`reset`, of `callpath` a depth, and of any other verb a `fmt`
verb without its `%` (`%{level:.4s}`, `%{id:03d}`). `NewStringFormatter` fails on a pattern with
no verb at all ("invalid log format") and on an unknown verb ("unknown variable"); krakend-gologging
calls `MustStringFormatter`, so KrakenD panics at startup on either: here both are `check` errors.
"""

from __future__ import annotations

import re

import attrs

__all__ = ["DEFAULT_LAYOUTS", "VERBS", "Part", "PatternError", "parse_pattern"]

# format.go `formatRe`: the layout is everything up to the first `}` not escaped by a backslash.
_VERB = re.compile(r"%{([a-z]+)(?::(.*?[^\\]))?}")

# format.go `fmtVerbs` and `defaultVerbsLayout`.
DEFAULT_LAYOUTS: dict[str, str] = {
    "time": "2006-01-02T15:04:05.999Z07:00",
    "level": "s",
    "id": "d",
    "pid": "d",
    "program": "s",
    "module": "s",
    "message": "s",
    "longfile": "s",
    "shortfile": "s",
    "longpkg": "s",
    "shortpkg": "s",
    "longfunc": "s",
    "shortfunc": "s",
    "callpath": "0",
    "color": "",
}
VERBS = tuple(DEFAULT_LAYOUTS)
STATIC = ""  # the verb of a literal part


class PatternError(ValueError):
    """A pattern go-logging refuses (its error text, without the `logger: ` prefix)."""


@attrs.frozen
class Part:
    """One piece of a pattern: a verb and its layout, or literal text (`verb == ""`)."""

    verb: str
    layout: str


def parse_pattern(pattern: str) -> tuple[Part, ...]:
    """The parts of `pattern`, as go-logging's `NewStringFormatter` splits it."""
    parts: list[Part] = []
    previous = 0
    for match in _VERB.finditer(pattern):
        if match.start() > previous:
            parts.append(Part(STATIC, pattern[previous : match.start()]))
        name, layout = match.group(1), match.group(2)
        if name not in DEFAULT_LAYOUTS:
            raise PatternError(f"unknown variable: {name}")
        parts.append(Part(name, DEFAULT_LAYOUTS[name] if layout is None else layout))
        previous = match.end()
    if not parts or all(part.verb == STATIC for part in parts):
        raise PatternError(f"invalid log format: {pattern}")
    if previous < len(pattern):
        parts.append(Part(STATIC, pattern[previous:]))
    return tuple(parts)
