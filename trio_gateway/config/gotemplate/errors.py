"""The one error Go's `text/template` port raises, parse or execution, with Go's text."""

from __future__ import annotations

__all__ = ["TemplateError"]


class TemplateError(Exception):
    """`template: NAME:LINE: ...` (parse) or `template: NAME:LINE:COL: executing ...` (run)."""
