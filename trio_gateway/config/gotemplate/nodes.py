"""The node tree of a parsed template (Go's `text/template/parse/node.go`); `str(node)` is
Go's `String()`, the template text the node stands for."""

from __future__ import annotations

from dataclasses import dataclass, field

from .gofmt import go_quote

__all__ = [
    "ActionNode",
    "BoolNode",
    "BranchNode",
    "BreakNode",
    "ChainNode",
    "CommandNode",
    "ContinueNode",
    "DotNode",
    "ElseNode",
    "EndNode",
    "FieldNode",
    "IdentifierNode",
    "IfNode",
    "ListNode",
    "NilNode",
    "Node",
    "NumberNode",
    "PipeNode",
    "RangeNode",
    "StringNode",
    "TemplateNode",
    "TextNode",
    "VariableNode",
    "WithNode",
    "render",
]


@dataclass(eq=False)
class Node:
    pos: int

    def write(self, out: list[str], quote: bool) -> None:
        raise NotImplementedError

    def __str__(self) -> str:
        return render(self)


def render(node: Node, quote_text: bool = False) -> str:
    """Go's `String()`; `quote_text` writes text nodes as `%q` (as Go's parse tests do)."""
    out: list[str] = []
    node.write(out, quote_text)
    return "".join(out)


@dataclass(eq=False)
class TextNode(Node):
    text: str

    def write(self, out: list[str], quote: bool) -> None:
        out.append(go_quote(self.text) if quote else self.text)


@dataclass(eq=False)
class ListNode(Node):
    nodes: list[Node] = field(default_factory=list)

    def write(self, out: list[str], quote: bool) -> None:
        for node in self.nodes:
            node.write(out, quote)


@dataclass(eq=False)
class IdentifierNode(Node):
    ident: str

    def write(self, out: list[str], quote: bool) -> None:
        out.append(self.ident)


@dataclass(eq=False)
class VariableNode(Node):
    ident: list[str]

    def write(self, out: list[str], quote: bool) -> None:
        out.append(".".join(self.ident))


@dataclass(eq=False)
class DotNode(Node):
    def write(self, out: list[str], quote: bool) -> None:
        out.append(".")


@dataclass(eq=False)
class NilNode(Node):
    def write(self, out: list[str], quote: bool) -> None:
        out.append("nil")


@dataclass(eq=False)
class FieldNode(Node):
    ident: list[str]

    def write(self, out: list[str], quote: bool) -> None:
        out.extend("." + name for name in self.ident)


@dataclass(eq=False)
class BoolNode(Node):
    true: bool

    def write(self, out: list[str], quote: bool) -> None:
        out.append("true" if self.true else "false")


@dataclass(eq=False)
class NumberNode(Node):
    text: str
    is_int: bool = False
    is_uint: bool = False
    is_float: bool = False
    is_complex: bool = False
    int64: int = 0
    float64: float = 0.0
    complex128: complex = 0j

    def write(self, out: list[str], quote: bool) -> None:
        out.append(self.text)


@dataclass(eq=False)
class StringNode(Node):
    quoted: str
    text: str

    def write(self, out: list[str], quote: bool) -> None:
        out.append(self.quoted)


@dataclass(eq=False)
class CommandNode(Node):
    args: list[Node] = field(default_factory=list)

    def write(self, out: list[str], quote: bool) -> None:
        for index, arg in enumerate(self.args):
            if index > 0:
                out.append(" ")
            if isinstance(arg, PipeNode):
                out.append("(")
                arg.write(out, quote)
                out.append(")")
            else:
                arg.write(out, quote)


@dataclass(eq=False)
class PipeNode(Node):
    line: int
    is_assign: bool = False
    decl: list[VariableNode] = field(default_factory=list)
    cmds: list[CommandNode] = field(default_factory=list)

    def write(self, out: list[str], quote: bool) -> None:
        if self.decl:
            for index, variable in enumerate(self.decl):
                if index > 0:
                    out.append(", ")
                variable.write(out, quote)
            out.append(" = " if self.is_assign else " := ")
        for index, cmd in enumerate(self.cmds):
            if index > 0:
                out.append(" | ")
            cmd.write(out, quote)


@dataclass(eq=False)
class ChainNode(Node):
    node: Node
    fields: list[str] = field(default_factory=list)

    def write(self, out: list[str], quote: bool) -> None:
        if isinstance(self.node, PipeNode):
            out.append("(")
            self.node.write(out, quote)
            out.append(")")
        else:
            self.node.write(out, quote)
        out.extend("." + name for name in self.fields)


@dataclass(eq=False)
class ActionNode(Node):
    line: int
    pipe: PipeNode

    def write(self, out: list[str], quote: bool) -> None:
        out.append("{{")
        self.pipe.write(out, quote)
        out.append("}}")


@dataclass(eq=False)
class BranchNode(Node):
    line: int
    pipe: PipeNode
    body: ListNode
    else_list: ListNode | None
    keyword = ""

    def write(self, out: list[str], quote: bool) -> None:
        out.append("{{" + self.keyword + " ")
        self.pipe.write(out, quote)
        out.append("}}")
        self.body.write(out, quote)
        if self.else_list is not None:
            out.append("{{else}}")
            self.else_list.write(out, quote)
        out.append("{{end}}")


class IfNode(BranchNode):
    keyword = "if"


class RangeNode(BranchNode):
    keyword = "range"


class WithNode(BranchNode):
    keyword = "with"


@dataclass(eq=False)
class TemplateNode(Node):
    line: int
    name: str
    pipe: PipeNode | None

    def write(self, out: list[str], quote: bool) -> None:
        out.append("{{template " + go_quote(self.name))
        if self.pipe is not None:
            out.append(" ")
            self.pipe.write(out, quote)
        out.append("}}")


@dataclass(eq=False)
class BreakNode(Node):
    line: int

    def write(self, out: list[str], quote: bool) -> None:
        out.append("{{break}}")


@dataclass(eq=False)
class ContinueNode(Node):
    line: int

    def write(self, out: list[str], quote: bool) -> None:
        out.append("{{continue}}")


@dataclass(eq=False)
class EndNode(Node):
    def write(self, out: list[str], quote: bool) -> None:
        out.append("{{end}}")


@dataclass(eq=False)
class ElseNode(Node):
    line: int

    def write(self, out: list[str], quote: bool) -> None:
        out.append("{{else}}")


def is_empty_tree(node: Node | None) -> bool:
    """Go's IsEmptyTree: only spaces and empty lists (a define of nothing may be redefined)."""
    if node is None:
        return True
    if isinstance(node, ListNode):
        return all(is_empty_tree(n) for n in node.nodes)
    if isinstance(node, TextNode):
        return not node.text.strip(" \t\n\v\f\r\x85\xa0")
    return False
