"""Go's `text/template/exec.go`, ported: running a parsed template over JSON data with Go's
semantics (truth of zero values, `<no value>` for a missing map key, maps ranged in key order,
variables scoped to their control structure) and Go's error text
`template: NAME:LINE:COL: executing "NAME" at <NODE>: ...`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import TemplateError
from .funcs import BUILTINS, GoFunc
from .gofmt import go_sprint_one, go_type_name
from .gotypes import GoMap, GoObject, Int64
from .nodes import (
    ActionNode,
    BoolNode,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
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
)
from .parse import Tree
from .values import MISSING, NO_FINAL, FuncError, is_true, unwrap

__all__ = ["MAX_EXEC_DEPTH", "execute"]

# Go allows 100000 nested template calls (maxExecDepth); Python's stack holds far fewer.
MAX_EXEC_DEPTH = 100

_INT_MIN, _INT_MAX = -(1 << 63), (1 << 63) - 1


_KIND_NAMES = {
    "string": "string",
    "int": "int",
    "bool": "bool",
    "float": "float64",
    "dict": "map[string]interface {}",
}
_KIND_CHECKS = {
    "string": lambda v: isinstance(v, str),
    # an int64 (Sprig's math) is not assignable to int, nor a map[string]string to a map
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool | Int64),
    "bool": lambda v: isinstance(v, bool),
    "float": lambda v: isinstance(v, float),
    "dict": lambda v: isinstance(v, dict) and not isinstance(v, GoMap),
}


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def _go_quote(text: str) -> str:
    from .gofmt import go_quote

    return go_quote(text)


def _type_name(value: Any, boxed: bool) -> str:
    """The Go type of a receiver: a value read out of a map or a list is an `interface {}`."""
    if boxed or value is None:
        return "interface {}"
    return go_type_name(value)


class _State:
    def __init__(
        self, trees: Mapping[str, Tree], funcs: Mapping[str, GoFunc], tree: Tree, missing_key: str
    ) -> None:
        self.trees = trees
        self.funcs = funcs
        self.tree = tree
        self.missing_key = missing_key
        self.node: Node | None = None
        # [name, value, boxed]: boxed when the value is an element read out of a
        # []interface{} or map[string]interface{} by `range` (Go's reflect.Value then has the
        # static type interface {}, which error messages name); a pipeline's result is not.
        self.vars: list[list[Any]] = []
        self.dot_boxed = False
        self.depth = 0
        self.out: list[str] = []

    # errors
    def errorf(self, message: str) -> TemplateError:
        name = self.tree.name
        if self.node is None:
            return TemplateError(f"template: {name}: {message}")
        pos = self.node.pos
        text = self.tree.text[:pos]
        newline = text.rfind("\n")
        column = len(text[newline + 1 :].encode("utf-8", "surrogatepass"))
        line = 1 + text.count("\n")
        # Go 1.19 and later print the whole node (older releases cut it at 20 bytes).
        context = str(self.node)
        location = f"{self.tree.parse_name}:{line}:{column}"
        return TemplateError(
            f"template: {location}: executing {_go_quote(name)} at <{context}>: {message}"
        )

    def at(self, node: Node) -> None:
        self.node = node

    # variables
    def push(self, name: str, value: Any) -> None:
        self.vars.append([name, value, False])

    def mark(self) -> int:
        return len(self.vars)

    def pop(self, mark: int) -> None:
        del self.vars[mark:]

    def set_var(self, name: str, value: Any, boxed: bool = False) -> None:
        for entry in reversed(self.vars):
            if entry[0] == name:
                entry[1], entry[2] = value, boxed
                return
        raise self.errorf(f"undefined variable: {name}")

    def set_top_var(self, n: int, value: Any, boxed: bool = False) -> None:
        self.vars[len(self.vars) - n][1:] = [value, boxed]

    def var_boxed(self, name: str) -> bool:
        for entry in reversed(self.vars):
            if entry[0] == name:
                return bool(entry[2])
        return False

    def var_value(self, name: str) -> Any:
        for entry in reversed(self.vars):
            if entry[0] == name:
                return entry[1]
        raise self.errorf(f"undefined variable: {name}")

    # walking
    def walk(self, dot: Any, node: Node) -> None:
        self.at(node)
        if isinstance(node, ActionNode):
            value = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.print_value(node, value)
        elif isinstance(node, TextNode):
            self.out.append(node.text)
        elif isinstance(node, ListNode):
            for child in node.nodes:
                self.walk(dot, child)
        elif isinstance(node, IfNode | WithNode):
            self.walk_if_or_with(isinstance(node, WithNode), dot, node)
        elif isinstance(node, RangeNode):
            self.walk_range(dot, node)
        elif isinstance(node, TemplateNode):
            self.walk_template(dot, node)
        elif isinstance(node, BreakNode):
            raise _Break
        elif isinstance(node, ContinueNode):
            raise _Continue
        else:
            raise self.errorf(f"unknown node: {node}")

    def print_value(self, node: Node, value: Any) -> None:
        self.at(node)
        self.out.append("<no value>" if value is MISSING else go_sprint_one(value))

    def walk_if_or_with(self, is_with: bool, dot: Any, node: BranchNode) -> None:
        mark = self.mark()
        try:
            value = self.eval_pipeline(dot, node.pipe)
            if is_true(value) and is_with:
                boxed, self.dot_boxed = self.dot_boxed, False
                try:
                    self.walk(value, node.body)
                finally:
                    self.dot_boxed = boxed
            elif is_true(value):
                self.walk(dot, node.body)
            elif node.else_list is not None:
                self.walk(dot, node.else_list)
        finally:
            self.pop(mark)

    def walk_range(self, dot: Any, node: RangeNode) -> None:
        self.at(node)
        outer = self.mark()
        try:
            value = self.eval_pipeline(dot, node.pipe)
            mark = self.mark()
            decl = node.pipe.decl

            def one_iteration(index: Any, elem: Any, boxed: bool = True) -> None:
                if decl:
                    if node.pipe.is_assign:
                        if len(decl) > 1:
                            self.set_var(decl[0].ident[0], index)
                        else:
                            self.set_var(decl[0].ident[0], elem, boxed)
                    else:
                        self.set_top_var(1, elem, boxed)
                if len(decl) > 1:
                    if node.pipe.is_assign:
                        self.set_var(decl[1].ident[0], elem, boxed)
                    else:
                        self.set_top_var(2, index)
                outer_boxed, self.dot_boxed = self.dot_boxed, boxed
                try:
                    self.walk(elem, node.body)
                except _Continue:
                    pass
                finally:
                    self.pop(mark)
                    self.dot_boxed = outer_boxed

            ran = False
            try:
                if isinstance(value, list | tuple):
                    for index, elem in enumerate(value):
                        ran = True
                        one_iteration(index, elem)
                elif isinstance(value, dict):
                    for key in sorted(value):
                        ran = True
                        one_iteration(key, value[key])
                elif isinstance(value, int) and not isinstance(value, bool):
                    if len(decl) > 1:
                        raise self.errorf(
                            f"can't use {value} to iterate over more than one variable"
                        )
                    for index in range(max(value, 0)):
                        ran = True
                        one_iteration(index, index, boxed=False)
                elif value is not MISSING:
                    raise self.errorf(f"range can't iterate over {go_sprint_one(value)}")
            except _Break:
                return
            if not ran and node.else_list is not None:
                self.walk(dot, node.else_list)
        finally:
            self.pop(outer)

    def walk_template(self, dot: Any, node: TemplateNode) -> None:
        self.at(node)
        tree = self.trees.get(node.name)
        if tree is None or tree.root is None:
            raise self.errorf(f"template {_go_quote(node.name)} not defined")
        if self.depth >= MAX_EXEC_DEPTH:
            raise self.errorf(f"exceeded maximum template depth ({MAX_EXEC_DEPTH})")
        dot = self.eval_pipeline(dot, node.pipe) if node.pipe is not None else MISSING
        saved = (self.tree, self.vars, self.node)
        self.tree, self.vars = tree, [["$", dot, False]]
        self.depth += 1
        boxed, self.dot_boxed = self.dot_boxed, False
        try:
            self.walk(dot, tree.root)
        finally:
            self.depth -= 1
            self.tree, self.vars, self.node = saved
            self.dot_boxed = boxed

    # evaluation
    def eval_pipeline(self, dot: Any, pipe: PipeNode) -> Any:
        self.at(pipe)
        value: Any = NO_FINAL
        for cmd in pipe.cmds:
            value = unwrap(self.eval_command(dot, cmd, value))
        for variable in pipe.decl:
            if pipe.is_assign:
                self.set_var(variable.ident[0], value)
            else:
                self.push(variable.ident[0], value)
        return value

    def not_a_function(self, args: list[Node], final: Any) -> None:
        if len(args) > 1 or final is not NO_FINAL:
            raise self.errorf(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: Any, cmd: CommandNode, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, FieldNode):
            return self.eval_field_node(dot, first, cmd.args, final)
        if isinstance(first, ChainNode):
            return self.eval_chain_node(dot, first, cmd.args, final)
        if isinstance(first, IdentifierNode):
            return self.eval_function(dot, first, cmd, cmd.args, final)
        if isinstance(first, PipeNode):
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, first)
        if isinstance(first, VariableNode):
            return self.eval_variable_node(dot, first, cmd.args, final)
        self.at(first)
        self.not_a_function(cmd.args, final)
        if isinstance(first, BoolNode):
            return first.true
        if isinstance(first, DotNode):
            return dot
        if isinstance(first, NilNode):
            raise self.errorf("nil is not a command")
        if isinstance(first, NumberNode):
            return self.ideal_constant(first)
        if isinstance(first, StringNode):
            return first.text
        raise self.errorf(f"can't evaluate command {_go_quote(str(first))}")

    def ideal_constant(self, number: NumberNode) -> Any:
        self.at(number)
        text = number.text
        if number.is_complex:
            return number.complex128
        hex_int = text.lower().lstrip("+-").startswith("0x") and "p" not in text.lower()
        rune_int = text.startswith("'")
        if number.is_float and not hex_int and not rune_int and any(c in text for c in ".eEpP"):
            return number.float64
        if number.is_int:
            return number.int64
        if number.is_uint:
            raise self.errorf(f"{text} overflows int")
        return MISSING

    def eval_field_node(self, dot: Any, field: FieldNode, args: list[Node], final: Any) -> Any:
        self.at(field)
        return self.eval_field_chain(
            dot, dot, field, field.ident, args, final, boxed=self.dot_boxed
        )

    def eval_chain_node(self, dot: Any, chain: ChainNode, args: list[Node], final: Any) -> Any:
        self.at(chain)
        if isinstance(chain.node, NilNode):
            raise self.errorf(f"indirection through explicit nil in {chain}")
        receiver = self.eval_arg(dot, None, chain.node)
        return self.eval_field_chain(dot, receiver, chain, chain.fields, args, final, boxed=False)

    def eval_variable_node(
        self, dot: Any, variable: VariableNode, args: list[Node], final: Any
    ) -> Any:
        self.at(variable)
        value = self.var_value(variable.ident[0])
        if len(variable.ident) == 1:
            self.not_a_function(args, final)
            return value
        boxed = self.var_boxed(variable.ident[0])
        return self.eval_field_chain(
            dot, value, variable, variable.ident[1:], args, final, boxed=boxed
        )

    def eval_field_chain(
        self,
        dot: Any,
        receiver: Any,
        node: Node,
        ident: list[str],
        args: list[Node],
        final: Any,
        boxed: bool,
    ) -> Any:
        for name in ident[:-1]:
            receiver = self.eval_field(dot, name, node, [], NO_FINAL, receiver, boxed)
            boxed = True
        return self.eval_field(dot, ident[-1], node, args, final, receiver, boxed)

    def eval_field(
        self,
        dot: Any,
        name: str,
        node: Node,
        args: list[Node],
        final: Any,
        receiver: Any,
        boxed: bool,
    ) -> Any:
        if receiver is MISSING:
            if self.missing_key == "error":
                raise self.errorf(f"nil data; no entry for key {_go_quote(name)}")
            return MISSING
        if receiver is None:
            raise self.errorf(f"nil pointer evaluating interface {{}}.{name}")
        if isinstance(receiver, dict):
            if len(args) > 1 or final is not NO_FINAL:
                raise self.errorf(f"{name} is not a method but has arguments")
            if name in receiver:
                return receiver[name]
            if self.missing_key == "error":
                raise self.errorf(f"map has no entry for key {_go_quote(name)}")
            return MISSING
        if isinstance(receiver, GoObject) and name in receiver.go_methods():
            # exec.go evalField: a method of the value is called with the arguments
            return self.eval_call(dot, receiver.go_methods()[name], False, node, name, args, final)
        raise self.errorf(f"can't evaluate field {name} in type {_type_name(receiver, boxed)}")

    def eval_function(
        self, dot: Any, node: IdentifierNode, cmd: Node, args: list[Node], final: Any
    ) -> Any:
        self.at(node)
        name = node.ident
        function = self.funcs.get(name)
        if function is None:
            raise self.errorf(f"{_go_quote(name)} is not a defined function")
        return self.eval_call(
            dot, function, name in BUILTINS and BUILTINS[name] is function, cmd, name, args, final
        )

    def eval_call(
        self,
        dot: Any,
        function: GoFunc,
        builtin: bool,
        node: Node,
        name: str,
        args: list[Node],
        final: Any,
    ) -> Any:
        args = args[1:] if args else []
        fixed = len(function.params)
        given = len(args) + (0 if final is NO_FINAL else 1)
        if function.variadic is not None:
            if given < fixed:
                raise self.errorf(
                    f"wrong number of args for {name}: want at least {fixed} got {len(args)}"
                )
        elif given != fixed:
            raise self.errorf(f"wrong number of args for {name}: want {fixed} got {given}")
        if builtin and name in ("and", "or"):
            value: Any = MISSING
            for arg in args:
                value = self.eval_arg(dot, "value", arg)
                if is_true(value) == (name == "or"):
                    return value
            if final is not NO_FINAL:
                value = final
            return value
        argv: list[Any] = []
        for index, arg in enumerate(args):
            kind = function.params[index] if index < fixed else function.variadic
            argv.append(self.eval_arg(dot, kind, arg))
        if final is not NO_FINAL:
            kind = function.params[given - 1] if given - 1 < fixed else function.variadic
            argv.append(self.validate_type(final, kind))
        if builtin and name == "call":
            argv.insert(0, str(args[0]) if args else "")
        try:
            return function.fn(*argv)
        except FuncError as error:
            self.at(node)
            raise self.errorf(f"error calling {name}: {error}") from None
        except TemplateError:
            raise
        except RecursionError:
            raise
        except Exception as error:  # a function's bug is the template's error, as safeCall does
            self.at(node)
            raise self.errorf(f"error calling {name}: {error}") from None

    def validate_type(self, value: Any, kind: str | None) -> Any:
        """exec.go validateType: a value for a parameter of a Go type."""
        if kind is None or kind == "value":
            return value
        if value is MISSING:
            if kind == "any":
                return None
            if kind == "dict":
                return None  # a nil map
            raise self.errorf(f"invalid value; expected {_KIND_NAMES[kind]}")
        if kind != "any" and not _KIND_CHECKS[kind](value):
            # a nil held in interface{} (a JSON null) is no nil map: exec.go validateType
            # unwraps only a non-nil interface, so `keys .null` fails
            raise self.errorf(
                f"wrong type for value; expected {_KIND_NAMES[kind]}; "
                f"got {'interface {}' if value is None else go_type_name(value)}"
            )
        return value

    def eval_arg(self, dot: Any, kind: str | None, node: Node) -> Any:
        self.at(node)
        if isinstance(node, DotNode):
            return self.validate_type(dot, kind)
        if isinstance(node, NilNode):
            if kind in _KIND_CHECKS and kind != "dict":
                raise self.errorf(f"cannot assign nil to {_KIND_NAMES[kind]}")
            return MISSING if kind in ("value", None) else None
        if isinstance(node, FieldNode):
            return self.validate_type(self.eval_field_node(dot, node, [node], NO_FINAL), kind)
        if isinstance(node, VariableNode):
            return self.validate_type(self.eval_variable_node(dot, node, [], NO_FINAL), kind)
        if isinstance(node, PipeNode):
            return self.validate_type(self.eval_pipeline(dot, node), kind)
        if isinstance(node, IdentifierNode):
            return self.validate_type(self.eval_function(dot, node, node, [], NO_FINAL), kind)
        if isinstance(node, ChainNode):
            return self.validate_type(self.eval_chain_node(dot, node, [], NO_FINAL), kind)
        if kind == "string":
            if isinstance(node, StringNode):
                return node.text
            raise self.errorf(f"expected string; found {node}")
        if kind == "int":
            if isinstance(node, NumberNode) and node.is_int:
                return node.int64
            raise self.errorf(f"expected integer; found {node}")
        if kind == "bool":
            if isinstance(node, BoolNode):
                return node.true
            raise self.errorf(f"expected bool; found {node}")
        if kind == "float":
            if isinstance(node, NumberNode) and node.is_float:
                return node.float64
            raise self.errorf(f"expected float; found {node}")
        if kind == "dict":
            raise self.errorf(f"can't handle {node} for arg of type map[string]interface {{}}")
        if isinstance(node, BoolNode):
            return node.true
        if isinstance(node, NumberNode):
            return self.ideal_constant(node)
        if isinstance(node, StringNode):
            return node.text
        raise self.errorf(f"can't handle {node} for arg of type {kind}")


def execute(
    trees: Mapping[str, Tree],
    name: str,
    data: Any,
    funcs: Mapping[str, GoFunc] | None = None,
    missing_key: str = "default",
) -> str:
    """The text template `name` of `trees` writes for `data`.

    Raises:
        TemplateError: Go's execution error text.
    """
    table = dict(BUILTINS) if funcs is None else {**BUILTINS, **funcs}
    tree = trees.get(name)
    if tree is None:
        raise TemplateError(
            f"template: no template {_go_quote(name)} associated with template {_go_quote(name)}"
        )
    state = _State(trees, table, tree, missing_key)
    if tree.root is None:
        raise state.errorf(f"{_go_quote(name)} is an incomplete or empty template")
    value = MISSING if data is None else data
    state.vars = [["$", value, False]]
    try:
        state.walk(value, tree.root)
    except RecursionError:
        raise state.errorf(f"exceeded maximum template depth ({MAX_EXEC_DEPTH})") from None
    except (_Break, _Continue):  # the parser allows these only inside range
        raise state.errorf("break or continue outside range") from None
    return "".join(state.out)
