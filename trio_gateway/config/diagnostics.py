"""What the config layer reports: `Diagnostic` (one problem at one JSON path) and `ConfigError`.

Rule: every problem found while loading a configuration becomes a `Diagnostic` carrying the JSON
path of the offending value (`$.endpoints[3].backend[0].url_pattern`), so that `check` can print
all of them at once, one per line, in the same shape whatever layer found them (parser,
converter, unknown-key walker, semantic validation).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from typing import Literal

import attrs

__all__ = [
    "ConfigError",
    "Diagnostic",
    "Path",
    "PathSegment",
    "Report",
    "Severity",
    "did_you_mean",
    "format_path",
    "is_under",
]

Severity = Literal["error", "warning"]
PathSegment = str | int
Path = tuple[PathSegment, ...]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@attrs.frozen
class Diagnostic:
    """One problem found in a configuration.

    Attributes:
        severity: `"error"` (the gateway refuses to start) or `"warning"` (it starts, but something
            in the file is ignored or will misbehave at request time).
        path: JSON path of the offending value, e.g. `$.endpoints[0].backend[1].url_pattern`, or a
            `file:line:column` location for syntax errors.
        message: what is wrong, in one line.
        hint: how to fix it, if we can tell (e.g. `did you mean {user_id}?`).
        code: a machine-readable kind for the few diagnostics that callers act on:
            `unenforced:<name>` for something the config asks for that trio-gateway cannot
            enforce (refused unless the operator opts out; see `config/load.py`).
        line, column: where `path` is written in the source file (1-based), when `check` knows
            (`config/positions.py`); not part of equality, not shown by `str()`.
    """

    severity: Severity
    path: str
    message: str
    hint: str | None = None
    code: str | None = attrs.field(default=None, eq=False)
    line: int | None = attrs.field(default=None, eq=False, kw_only=True)
    column: int | None = attrs.field(default=None, eq=False, kw_only=True)

    def __str__(self) -> str:
        text = f"{self.severity}: {self.path}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    @property
    def is_error(self) -> bool:
        """Whether this diagnostic prevents the configuration from loading."""
        return self.severity == "error"

    def as_error(self) -> Diagnostic:
        """Return the same diagnostic with severity `error` (used by `check --strict`)."""
        return attrs.evolve(self, severity="error")


class ConfigError(Exception):
    """The configuration cannot be used.

    Attributes:
        diagnostics: every problem found, errors first, then warnings (each group in file order).
        source: the file name (or `<dict>` for configurations built in Python).
    """

    def __init__(self, diagnostics: Iterable[Diagnostic], source: str) -> None:
        ordered = sorted(diagnostics, key=lambda d: not d.is_error)
        self.diagnostics: tuple[Diagnostic, ...] = tuple(ordered)
        self.source = source
        super().__init__(self._summary())

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the diagnostics of severity `error`."""
        return tuple(d for d in self.diagnostics if d.is_error)

    def _summary(self) -> str:
        lines = [f"{self.source}: {len(self.errors)} error(s) in the configuration"]
        lines.extend(str(d) for d in self.diagnostics)
        return "\n".join(lines)


def format_path(segments: Sequence[PathSegment]) -> str:
    """Render path segments as a JSON path: `("endpoints", 3, "url")` -> `$.endpoints[3].url`.

    Keys that are not identifiers (namespaces such as `backend/http`, `$schema`) use the bracket
    form `["backend/http"]` so the path stays unambiguous.
    """
    parts = ["$"]
    for segment in segments:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif _IDENTIFIER.match(segment):
            parts.append(f".{segment}")
        else:
            parts.append(f"[{json.dumps(segment, ensure_ascii=False)}]")
    return "".join(parts)


def is_under(path: str, prefix: str) -> bool:
    """Whether JSON path `path` is `prefix` itself or something nested inside it."""
    if not path.startswith(prefix):
        return False
    rest = path[len(prefix) :]
    return rest == "" or rest[0] in ".["


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to `word` (a likely typo), or None if nothing is close.

    A case-insensitive exact match wins over any fuzzy match.
    """
    pool = list(candidates)
    lowered = word.lower()
    for candidate in pool:
        if candidate.lower() == lowered:
            return candidate
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return matches[0] if matches else None


@attrs.define(eq=False)
class Report:
    """Collects diagnostics in the order they are found (every check writes into one)."""

    items: list[Diagnostic] = attrs.field(factory=list)

    def error(
        self, path: Path, message: str, hint: str | None = None, *, code: str | None = None
    ) -> None:
        """Record an error at the JSON path given as segments."""
        self.items.append(Diagnostic("error", format_path(path), message, hint, code))

    def warning(self, path: Path, message: str, hint: str | None = None) -> None:
        """Record a warning at the JSON path given as segments."""
        self.items.append(Diagnostic("warning", format_path(path), message, hint))
