"""docs/configuration.md's namespace table says what the registry does, for every namespace."""

from __future__ import annotations

import re
from pathlib import Path

from trio_gateway.config.known import KNOWN
from trio_gateway.stack import REGISTRY

DOC = Path(__file__).parents[2] / "docs" / "configuration.md"


def _rows() -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in DOC.read_text().splitlines():
        match = re.match(r"\| `([a-z0-9/.-]+)`(?:, `([a-z0-9/.-]+)`)? \|", line)
        if match:
            for name in match.groups():
                if name:
                    rows[name] = line
    return rows


def test_every_namespace_has_a_row_with_its_status() -> None:
    rows = _rows()
    for namespace in REGISTRY:
        assert "**supported**" in rows[namespace.name], namespace.name
    for known in KNOWN:
        if known.status.value == "enterprise":
            continue  # listed together in the fail-closed section
        row = rows[known.name]
        if known.fail_closed:
            assert "**refused**" in row, known.name
        else:
            assert "`check` warns" in row and "refused" not in row, known.name


ARCHITECTURE = Path(__file__).parents[2] / "docs" / "architecture.md"


def test_the_architecture_diagram_names_every_layer() -> None:
    """docs/architecture.md draws the stack: each layer of stack.py appears in it by name."""
    from trio_gateway.stack import layers

    text = ARCHITECTURE.read_text()
    start = text.index("## The order of layers")
    diagram = text[text.index("```", start) : text.index("```", text.index("```", start) + 3)]
    missing = [layer.name for layer in layers() if layer.name not in diagram]
    assert not missing, f"add them to the diagram in docs/architecture.md: {missing}"
