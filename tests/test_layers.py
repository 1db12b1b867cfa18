"""Layers only look down: no module imports one from a higher layer, and there is no circle.

The ranks below are the architecture (docs/architecture.md): the configuration's data model and
the request types at the bottom, the serving layer and the library on top. Imports made only for
type checking (`if TYPE_CHECKING:`) and imports inside functions (made lazily, for startup cost)
are not edges of the graph.
"""

from __future__ import annotations

import ast
from pathlib import Path

import trio_gateway

ROOT = Path(trio_gateway.__file__).parent

RANKS = {
    # 0: core types and the configuration as data
    "trio_gateway._version": 0,
    "trio_gateway.types": 0,
    "trio_gateway.errors": 0,
    "trio_gateway.headers": 0,
    "trio_gateway.config.diagnostics": 0,
    "trio_gateway.config.durations": 0,
    "trio_gateway.config.model": 0,
    "trio_gateway.config.hosts": 0,
    "trio_gateway.config.placeholders": 0,
    # 1: what a namespace is, the wire, the encodings
    "trio_gateway.namespace": 1,
    "trio_gateway.config.known": 1,
    "trio_gateway.transport": 1,
    "trio_gateway.encoding": 1,
    # 2: KrakenD's core proxy and routing
    "trio_gateway.routing": 2,
    "trio_gateway.proxy": 2,
    # 3: the namespaces
    "trio_gateway.qos": 3,
    "trio_gateway.auth": 3,
    "trio_gateway.security": 3,
    "trio_gateway.modifier": 3,
    "trio_gateway.telemetry": 3,
    "trio_gateway.validation": 3,
    "trio_gateway.modifier.martian": 3,
    "trio_gateway.modifier.lua": 3,
    "trio_gateway.config.core_namespaces": 3,
    # 4: the order and the registry
    "trio_gateway.stack": 4,
    # 5: loading and checking a configuration (uses the registry)
    "trio_gateway.config": 5,
    # 6: compiling it
    "trio_gateway.plan": 6,
    # 7: HTTP
    "trio_gateway.edge": 7,
    # 8: serving
    "trio_gateway.serving": 8,
    "trio_gateway.demo": 8,
    # 9: entry points
    "trio_gateway.library": 9,
    "trio_gateway.cli": 9,
    "trio_gateway.__main__": 10,
    "trio_gateway": 10,
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _rank(module: str) -> int:
    prefix = max((p for p in RANKS if module == p or module.startswith(p + ".")), key=len)
    return RANKS[prefix]


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Module-level imports of trio_gateway modules (not TYPE_CHECKING, not in functions)."""
    out: set[str] = set()
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            if not base.startswith("trio_gateway"):
                continue
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("trio_gateway"))
    return {m for m in out if m in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def test_every_module_has_a_layer() -> None:
    for module in _modules():
        _rank(module)  # raises ValueError (max of nothing) for a module outside the table


def test_no_import_looks_up() -> None:
    graph = _graph()
    assert "trio_gateway.stack" in graph["trio_gateway.edge.app"]  # the graph is really read
    upward = [
        f"{a} (layer {_rank(a)}) imports {b} (layer {_rank(b)})"
        for a, targets in graph.items()
        for b in targets
        if _rank(b) > _rank(a)
    ]
    assert upward == []


def test_no_import_circle() -> None:
    graph = _graph()
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                raise AssertionError(" -> ".join([*trail, node, target]))
            if target not in state:
                visit(target, [*trail, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_the_top_of_the_package_is_small() -> None:
    top = sorted(p.name for p in ROOT.glob("*.py"))
    assert top == [
        "__init__.py",
        "__main__.py",
        "_version.py",
        "cli.py",
        "errors.py",
        "headers.py",
        "namespace.py",
        "plan.py",
        "stack.py",
        "types.py",
    ]
