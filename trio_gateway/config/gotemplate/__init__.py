"""Go's `text/template`, ported to Python for KrakenD's flexible configuration.

`Template(name).parse(text).execute(data)` behaves as Go's
`template.New(name).Parse(text)` then `Execute`: the same syntax (actions, trim markers,
comments, pipelines, variables, if/else if/range/with/define/template/block/break/continue),
the same builtins and `fmt` printing, and Go's error texts in one exception class,
`TemplateError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import TemplateError
from .exec import execute
from .funcs import BUILTINS, GoFunc
from .nodes import is_empty_tree
from .parse import Tree
from .parse import parse as parse_text
from .values import MISSING, FuncError

__all__ = ["MISSING", "FuncError", "GoFunc", "Template", "TemplateError"]


class Template:
    """A set of named templates parsed together, as Go's `*template.Template`."""

    def __init__(
        self, name: str, funcs: Mapping[str, GoFunc] | None = None, missing_key: str = "default"
    ) -> None:
        if missing_key not in ("default", "invalid", "zero", "error"):
            raise ValueError(f"unrecognized option: missingkey={missing_key}")
        self.name = name
        self.funcs: dict[str, GoFunc] = {**BUILTINS, **(funcs or {})}
        self.missing_key = "error" if missing_key == "error" else "default"
        self.trees: dict[str, Tree] = {}

    def parse(self, text: str, name: str | None = None) -> Template:
        """Parse `text` into this set (Go's Parse; a later definition replaces an earlier one),
        as the template `name` (Go's `t.New(name).Parse`, as ParseFiles does for each file).

        Raises:
            TemplateError: Go's parse error.
        """
        found: dict[str, Tree] = {}
        try:
            parse_text(self.name if name is None else name, text, self.funcs, found)
        except RecursionError:
            raise TemplateError(f"template: {self.name}: max depth exceeded") from None
        for name, tree in found.items():
            # Go's associate: an empty definition does not replace an existing template
            if name in self.trees and is_empty_tree(tree.root):
                continue
            self.trees[name] = tree
        return self

    def execute(self, data: Any, name: str | None = None) -> str:
        """Run the template `name` (this one by default) over `data`.

        Raises:
            TemplateError: Go's execution error.
        """
        return execute(
            self.trees, self.name if name is None else name, data, self.funcs, self.missing_key
        )

    def defined_templates(self) -> list[str]:
        return sorted(self.trees)
