"""Go's `text/template/parse/parse.go`, ported: a template's text to its trees (the main one
and every `{{define}}`/`{{block}}`), with Go's parse errors `template: NAME:LINE: ...`."""

from __future__ import annotations

from collections.abc import Container

from .errors import TemplateError
from .gofmt import go_unquote
from .lexer import Item, ItemType, lex
from .nodes import (
    ActionNode,
    BoolNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
    ElseNode,
    EndNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    RangeNode,
    StringNode,
    TemplateNode,
    TextNode,
    VariableNode,
    WithNode,
    is_empty_tree,
)
from .numbers import new_number

__all__ = ["MAX_PARSE_DEPTH", "Tree", "parse"]

# Go counts nested control structures and parenthesized pipelines against one limit of 10000
# (parse.go maxStackDepth); Python's stack holds fewer, so ours is 100.
MAX_PARSE_DEPTH = 100

_T = ItemType
_TERMS = frozenset(
    {
        _T.BOOL,
        _T.CHAR_CONSTANT,
        _T.COMPLEX,
        _T.DOT,
        _T.FIELD,
        _T.IDENTIFIER,
        _T.NUMBER,
        _T.NIL,
        _T.RAW_STRING,
        _T.STRING,
        _T.VARIABLE,
        _T.LEFT_PAREN,
    }
)


class Tree:
    """One named template: its root list and the text it came from (for error positions)."""

    def __init__(self, name: str, parse_name: str, text: str) -> None:
        self.name = name
        self.parse_name = parse_name
        self.text = text
        self.root: ListNode | None = None


class _Stream:
    """The items with Go's look-ahead; `farthest` is Go's token[0], the line of parse errors."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.index = 0
        self.farthest = 0

    def next(self) -> Item:
        item = self.items[min(self.index, len(self.items) - 1)]
        self.farthest = max(self.farthest, self.index)
        self.index += 1
        return item

    def backup(self, count: int = 1) -> None:
        self.index -= count

    def peek(self) -> Item:
        item = self.next()
        self.backup()
        return item

    def line(self) -> int:
        return self.items[min(self.farthest, len(self.items) - 1)].line


class _Parser:
    def __init__(self, name: str, text: str, funcs: Container[str], trees: dict[str, Tree]) -> None:
        self.parse_name = name
        self.text = text
        self.funcs = funcs
        self.trees = trees
        self.stream = _Stream(lex(text))
        self.tree = Tree(name, name, text)
        self.vars = ["$"]
        self.range_depth = 0
        self.action_line = 0
        self.depth = 0

    # errors
    def errorf(self, message: str) -> TemplateError:
        return TemplateError(f"template: {self.parse_name}:{self.stream.line()}: {message}")

    def unexpected(self, item: Item, context: str) -> TemplateError:
        if item.typ == _T.ERROR:
            extra = ""
            if self.action_line and self.action_line != item.line:
                extra = f" in action started at {self.parse_name}:{self.action_line}"
                if item.val.endswith(" action"):
                    extra = extra[len(" in action") :]
            return self.errorf(f"{item}{extra}")
        return self.errorf(f"unexpected {item} in {context}")

    # tokens
    def next_non_space(self) -> Item:
        while True:
            item = self.stream.next()
            if item.typ != _T.SPACE:
                return item

    def peek_non_space(self) -> Item:
        item = self.next_non_space()
        self.stream.backup()
        return item

    def expect(self, expected: ItemType, context: str) -> Item:
        item = self.next_non_space()
        if item.typ != expected:
            raise self.unexpected(item, context)
        return item

    def expect_one_of(self, first: ItemType, second: ItemType, context: str) -> Item:
        item = self.next_non_space()
        if item.typ not in (first, second):
            raise self.unexpected(item, context)
        return item

    def unquote(self, text: str) -> str:
        try:
            return go_unquote(text)
        except ValueError as error:
            raise self.errorf(str(error)) from None

    def deeper(self, what: str) -> None:
        if self.depth >= MAX_PARSE_DEPTH:
            raise self.errorf(f"max {what} depth exceeded")
        self.depth += 1

    # structure
    def add(self, tree: Tree) -> None:
        existing = self.trees.get(tree.name)
        if existing is None or is_empty_tree(existing.root):
            self.trees[tree.name] = tree
            return
        if not is_empty_tree(tree.root):
            raise self.errorf(f"template: multiple definition of template {_q(tree.name)}")

    def parse(self) -> None:
        self.tree.root = ListNode(self.stream.peek().pos)
        while self.stream.peek().typ != _T.EOF:
            if self.stream.peek().typ == _T.LEFT_DELIM:
                delim_index = self.stream.index
                self.stream.next()
                if self.next_non_space().typ == _T.DEFINE:
                    self.parse_definition()
                    continue
                self.stream.index = delim_index
            node = self.text_or_action()
            if isinstance(node, EndNode | ElseNode):
                raise self.errorf(f"unexpected {node}")
            self.tree.root.nodes.append(node)
        self.add(self.tree)

    def parse_definition(self) -> None:
        context = "define clause"
        name = self.expect_one_of(_T.STRING, _T.RAW_STRING, context)
        tree = Tree(self.unquote(name.val), self.parse_name, self.text)
        self.expect(_T.RIGHT_DELIM, context)
        saved_vars, self.vars = self.vars, ["$"]
        tree.root, end = self.item_list()
        self.vars = saved_vars
        if not isinstance(end, EndNode):
            raise self.errorf(f"unexpected {end} in {context}")
        self.add(tree)

    def item_list(self) -> tuple[ListNode, Node]:
        result = ListNode(self.peek_non_space().pos)
        while self.peek_non_space().typ != _T.EOF:
            node = self.text_or_action()
            if isinstance(node, EndNode | ElseNode):
                return result, node
            result.nodes.append(node)
        raise self.errorf("unexpected EOF")

    def text_or_action(self) -> Node:
        item = self.next_non_space()
        if item.typ == _T.TEXT:
            return TextNode(item.pos, item.val)
        if item.typ == _T.LEFT_DELIM:
            self.action_line = item.line
            try:
                return self.action()
            finally:
                self.action_line = 0
        raise self.unexpected(item, "input")

    def action(self) -> Node:
        item = self.next_non_space()
        typ = item.typ
        if typ == _T.BLOCK:
            return self.block_control()
        if typ in (_T.BREAK, _T.CONTINUE):
            return self.loop_control(item)
        if typ == _T.ELSE:
            return self.else_control()
        if typ == _T.END:
            return EndNode(self.expect(_T.RIGHT_DELIM, "end").pos)
        if typ in (_T.IF, _T.RANGE, _T.WITH):
            return self.branch_control(typ)
        if typ == _T.TEMPLATE:
            return self.template_control()
        self.stream.backup()
        first = self.stream.peek()
        return ActionNode(first.pos, first.line, self.pipeline("command", _T.RIGHT_DELIM))

    def loop_control(self, item: Item) -> Node:
        word = "break" if item.typ == _T.BREAK else "continue"
        following = self.next_non_space()
        if following.typ != _T.RIGHT_DELIM:
            raise self.unexpected(following, "{{" + word + "}}")
        if self.range_depth == 0:
            raise self.errorf("{{" + word + "}} outside {{range}}")
        if item.typ == _T.BREAK:
            return BreakNode(item.pos, item.line)
        return ContinueNode(item.pos, item.line)

    def pipeline(self, context: str, end: ItemType) -> PipeNode:
        first = self.peek_non_space()
        pipe = PipeNode(first.pos, first.line)
        while True:  # declarations: Go's "decls:" label
            variable = self.peek_non_space()
            if variable.typ != _T.VARIABLE:
                break
            self.next_non_space()
            mark = self.stream.index
            after = self.stream.peek()
            following = self.peek_non_space()
            if following.typ in (_T.ASSIGN, _T.DECLARE):
                pipe.is_assign = following.typ == _T.ASSIGN
                self.next_non_space()
                pipe.decl.append(VariableNode(variable.pos, [variable.val]))
                self.vars.append(variable.val)
                break
            if following.typ == _T.CHAR and following.val == ",":
                self.next_non_space()
                pipe.decl.append(VariableNode(variable.pos, [variable.val]))
                self.vars.append(variable.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (_T.VARIABLE, _T.RIGHT_DELIM, _T.RIGHT_PAREN):
                        continue
                    raise self.errorf("range can only initialize variables")
                raise self.errorf(f"too many declarations in {context}")
            del after  # Go's backup2/backup3: the variable is an operand after all
            self.stream.index = mark - 1
            break
        while True:
            item = self.next_non_space()
            if item.typ == end:
                self.check_pipeline(pipe, context)
                return pipe
            if item.typ in _TERMS:
                self.stream.backup()
                pipe.cmds.append(self.command())
                continue
            raise self.unexpected(item, context)

    def check_pipeline(self, pipe: PipeNode, context: str) -> None:
        if not pipe.cmds:
            raise self.errorf(f"missing value for {context}")
        for index, cmd in enumerate(pipe.cmds[1:]):
            if isinstance(cmd.args[0], BoolNode | DotNode | NilNode | NumberNode | StringNode):
                raise self.errorf(f"non executable command in pipeline stage {index + 2}")

    def branch_control(self, typ: ItemType) -> Node:
        context = {_T.IF: "if", _T.RANGE: "range", _T.WITH: "with"}[typ]
        saved = len(self.vars)
        deeper = False
        try:
            pipe = self.pipeline(context, _T.RIGHT_DELIM)
            self.deeper("control structure")  # the body counts, not the pipeline (parse_test.go)
            deeper = True
            if context == "range":
                self.range_depth += 1
            body, following = self.item_list()
            if context == "range":
                self.range_depth -= 1
            else_list: ListNode | None = None
            if isinstance(following, ElseNode):
                peek = self.stream.peek().typ
                if context == "if" and peek == _T.IF:
                    self.stream.next()
                    else_list = ListNode(following.pos, [self.branch_control(_T.IF)])
                elif context == "with" and peek == _T.WITH:
                    self.stream.next()
                    else_list = ListNode(following.pos, [self.branch_control(_T.WITH)])
                else:
                    else_list, following = self.item_list()
                    if not isinstance(following, EndNode):
                        raise self.errorf(f"expected end; found {following}")
        finally:
            del self.vars[saved:]
            self.depth -= deeper
        node_type = {_T.IF: IfNode, _T.RANGE: RangeNode, _T.WITH: WithNode}[typ]
        return node_type(pipe.pos, pipe.line, pipe, body, else_list)

    def else_control(self) -> Node:
        peek = self.peek_non_space()
        if peek.typ in (_T.IF, _T.WITH):
            return ElseNode(peek.pos, peek.line)
        item = self.expect(_T.RIGHT_DELIM, "else")
        return ElseNode(item.pos, item.line)

    def template_name(self, item: Item, context: str) -> str:
        if item.typ in (_T.STRING, _T.RAW_STRING):
            return self.unquote(item.val)
        raise self.unexpected(item, context)

    def block_control(self) -> Node:
        context = "block clause"
        item = self.next_non_space()
        name = self.template_name(item, context)
        pipe = self.pipeline(context, _T.RIGHT_DELIM)
        block = Tree(name, self.parse_name, self.text)
        saved_vars, saved_range = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        self.deeper("control structure")
        block.root, end = self.item_list()
        self.depth -= 1
        self.vars, self.range_depth = saved_vars, saved_range
        if not isinstance(end, EndNode):
            raise self.errorf(f"unexpected {end} in {context}")
        self.add(block)
        return TemplateNode(item.pos, item.line, name, pipe)

    def template_control(self) -> Node:
        context = "template clause"
        item = self.next_non_space()
        name = self.template_name(item, context)
        pipe = None
        if self.next_non_space().typ != _T.RIGHT_DELIM:
            self.stream.backup()
            pipe = self.pipeline(context, _T.RIGHT_DELIM)
        return TemplateNode(item.pos, item.line, name, pipe)

    def command(self) -> CommandNode:
        cmd = CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            item = self.stream.next()
            if item.typ == _T.SPACE:
                continue
            if item.typ in (_T.RIGHT_DELIM, _T.RIGHT_PAREN):
                self.stream.backup()
            elif item.typ == _T.PIPE:
                pass
            else:
                raise self.unexpected(item, "operand")
            break
        if not cmd.args:
            raise self.errorf("empty command")
        return cmd

    def operand(self) -> Node | None:
        node = self.term()
        if node is None:
            return None
        if self.stream.peek().typ == _T.FIELD:
            chain = ChainNode(self.stream.peek().pos, node)
            while self.stream.peek().typ == _T.FIELD:
                chain.fields.append(self.stream.next().val[1:])
            if isinstance(node, FieldNode):
                return FieldNode(chain.pos, [*node.ident, *chain.fields])
            if isinstance(node, VariableNode):
                return VariableNode(chain.pos, [*node.ident, *chain.fields])
            if isinstance(node, BoolNode | StringNode | NilNode | DotNode | NumberNode):
                raise self.errorf(f"unexpected . after term {_q(str(node))}")
            return chain
        return node

    def term(self) -> Node | None:
        item = self.next_non_space()
        typ = item.typ
        if typ == _T.IDENTIFIER:
            if item.val not in self.funcs:
                raise self.errorf(f"function {_q(item.val)} not defined")
            return IdentifierNode(item.pos, item.val)
        if typ == _T.DOT:
            return DotNode(item.pos)
        if typ == _T.NIL:
            return NilNode(item.pos)
        if typ == _T.VARIABLE:
            return self.use_var(item)
        if typ == _T.FIELD:
            return FieldNode(item.pos, item.val[1:].split("."))
        if typ == _T.BOOL:
            return BoolNode(item.pos, item.val == "true")
        if typ in (_T.CHAR_CONSTANT, _T.COMPLEX, _T.NUMBER):
            try:
                return new_number(item.pos, item.val, typ == _T.CHAR_CONSTANT, typ == _T.COMPLEX)
            except ValueError as error:
                raise self.errorf(str(error)) from None
        if typ == _T.LEFT_PAREN:
            self.deeper("expression")
            try:
                return self.pipeline("parenthesized pipeline", _T.RIGHT_PAREN)
            finally:
                self.depth -= 1
        if typ in (_T.STRING, _T.RAW_STRING):
            return StringNode(item.pos, item.val, self.unquote(item.val))
        self.stream.backup()
        return None

    def use_var(self, item: Item) -> VariableNode:
        node = VariableNode(item.pos, item.val.split("."))
        if node.ident[0] not in self.vars:
            raise self.errorf(f"undefined variable {_q(node.ident[0])}")
        return node


def _q(text: str) -> str:
    from .gofmt import go_quote

    return go_quote(text)


def parse(
    name: str, text: str, funcs: Container[str], trees: dict[str, Tree] | None = None
) -> dict[str, Tree]:
    """The trees `text` defines, the main one under `name` (into `trees` when given).

    Raises:
        TemplateError: Go's parse error text.
    """
    found: dict[str, Tree] = {} if trees is None else trees
    parser = _Parser(name, text, funcs, found)
    parser.parse()
    return found
