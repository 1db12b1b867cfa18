"""Converter exceptions -> `StructureIssue`s, one per bad value, each with its JSON path.

cattrs' detailed validation raises nested exception groups (`ClassValidationError` for objects,
`IterableValidationError` for lists and mappings) whose leaves carry notes naming the attribute or
index. We walk them ourselves rather than use `cattrs.transform_error`, to keep the path as
segments (needed by `repair.py`), to keep our `ValueProblem` hints, and to print `$schema` and
namespace keys as written.
"""

from __future__ import annotations

import attrs
from cattrs.errors import ClassValidationError, IterableValidationError

from trio_gateway.config.converter import ValueProblem
from trio_gateway.config.diagnostics import Diagnostic, PathSegment, format_path
from trio_gateway.config.model import ServiceConfig

__all__ = ["StructureIssue", "structure_issues"]


@attrs.frozen(kw_only=True)
class StructureIssue:
    """One structure problem: where (path segments), what, and whether a required key is missing."""

    path: tuple[PathSegment, ...]
    message: str
    hint: str | None = None
    missing: bool = False

    def diagnostic(self) -> Diagnostic:
        """Return this issue as an error `Diagnostic`."""
        return Diagnostic("error", format_path(self.path), self.message, self.hint)


def _json_key(cls: type, name: str) -> str:
    """The JSON key of attribute `name` (converter.py: `json_key` metadata renames a field)."""
    if attrs.has(cls):
        for field in attrs.fields(cls):
            if field.name == name:
                return str(field.metadata.get("json_key", name))
    return name


def structure_issues(exc: BaseException) -> list[StructureIssue]:
    """Flatten a converter exception (group) into issues, one per bad value (model field order)."""
    issues: list[StructureIssue] = []
    _collect(exc, (), issues)
    return issues


def _collect(exc: BaseException, path: tuple[PathSegment, ...], out: list[StructureIssue]) -> None:
    if isinstance(exc, ClassValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            name = "$schema" if exc.cl is ServiceConfig and note.name == "schema" else note.name
            _collect(sub, (*path, _json_key(exc.cl, name)), out)
        for sub in without:
            _collect(sub, path, out)
    elif isinstance(exc, IterableValidationError):
        with_index, without = exc.group_exceptions()
        for sub, index_note in with_index:
            _collect(sub, (*path, index_note.index), out)
        for sub in without:
            _collect(sub, path, out)
    elif isinstance(exc, KeyError):
        hint = 'KrakenD v3 files declare "version": 3' if path == ("version",) else None
        out.append(
            StructureIssue(path=path, message="required key missing", hint=hint, missing=True)
        )
    elif isinstance(exc, ValueProblem):
        out.append(StructureIssue(path=path, message=exc.message, hint=exc.hint))
    else:
        out.append(StructureIssue(path=path, message=f"invalid value ({exc})"))
