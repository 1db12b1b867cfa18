"""CEL expressions as krakend-cel runs them (`internal/cel.go`, `proxy.go`, `rejecter.go`), on
cel-python (`celpy`), compiled once at startup into Python code (celpy's `CompiledRunner`).

krakend-cel declares these variables (cel-go `decls`), and only these:

| variable | CEL type | bound in phase |
|---|---|---|
| `req_method`, `req_path` | string | request |
| `req_params` | map(string, string), first letter upper-cased (`req_params.Id`) | request |
| `req_headers`, `req_querystring` | map(string, list(string)) | request |
| `resp_completed` | bool | response |
| `resp_metadata_status` | int (0 unless `no-op`: lura keeps no status otherwise) | response |
| `resp_metadata_headers` | map(string, list(string)) (empty unless `no-op`) | response |
| `resp_data` | map(string, dyn) | response |
| `JWT` | map(string, dyn): the claims | token |
| `now` | string, RFC 3339 with milliseconds (`2006-01-02T15:04:05.999Z07:00`), local time | all |

The phase is chosen **by substring of the expression's text**, as krakend-cel does: an
expression containing `req` runs before the call, one containing `resp` after it, one
containing `JWT` when the token is validated; one containing several runs in several phases,
and a variable of another phase is then unbound: an evaluation error, a rejection.

The functions are CEL's standard ones (krakend-cel adds none and no extension library):
`size`, `contains`, `startsWith`, `endsWith`, `matches` (RE2 there, Python `re` here),
`int`/`uint`/`double`/`string`/`bytes`/`bool`, `timestamp`/`duration` with `getHours()` etc.,
the macros `has`, `all`, `exists`, `exists_one`, `map`, `filter`.

Differences: cel-go type-checks at startup and KrakenD silently *skips* an expression that does
not type-check (`req_method == 1`); celpy has no checker, so such an expression is evaluated and
its type error rejects the request (fail closed). An unknown variable or function, which cel-go's
checker also refuses, is a `check` error here. Numbers in `JWT` and `resp_data` are CEL ints when
the JSON number is integral (cel-go sees JSON numbers as doubles), so compare them with ints.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import celpy
from celpy import celtypes
from celpy.celparser import CELParseError, CELParser
from lark import Token, Tree

__all__ = [
    "DECLARED",
    "FUNCTIONS",
    "Expression",
    "ExpressionError",
    "LazyList",
    "LazyMap",
    "compile_expression",
    "go_now",
    "lazy_cel",
    "list_map",
    "string_map",
    "to_cel",
]

# The variables krakend-cel declares (internal/cel.go `defaultDeclarations`).
REQUEST_VARS = frozenset({"req_method", "req_path", "req_params", "req_headers", "req_querystring"})
RESPONSE_VARS = frozenset(
    {"resp_completed", "resp_metadata_status", "resp_metadata_headers", "resp_data"}
)
DECLARED = REQUEST_VARS | RESPONSE_VARS | {"JWT", "now"}

# CEL's standard functions and macros (cel-go's standard library, which celpy implements).
FUNCTIONS = frozenset(celpy.evaluation.base_functions) | {
    "has",
    "all",
    "exists",
    "exists_one",
    "map",
    "filter",
    "dyn",
}
_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})

# celpy logs every evaluation error at ERROR ("Internal error: ..."): a rejected request is not
# an internal error of the gateway; krakend-cel logs it at INFO itself (the caller does).
logging.getLogger("celpy").setLevel(logging.CRITICAL)


class ExpressionError(ValueError):
    """An expression cel-go refuses at startup (parse error, unknown variable or function)."""


class _Phase1(celpy.evaluation.Phase1Transpiler):
    """celpy 0.5's compiled `has()` yields a Python bool, which its `!`, `&&`, `||` and `?:`
    refuse ("no such overload"): make it a CEL bool, as its interpreter's `has()` is."""

    def ident_arg(self, tree: Any) -> None:
        super().ident_arg(tree)
        if str(tree.children[0]) == "has":
            tree.transpiled = f"celpy.celtypes.BoolType({tree.transpiled})"


class _Transpiler(celpy.evaluation.Transpiler):
    """celpy's two-phase transpiler (evaluation.py `Transpiler.transpile`) with `_Phase1`."""

    def transpile(self) -> None:
        _Phase1(self).visit(self.ast)
        phase_2 = celpy.evaluation.Phase2Transpiler(self)
        phase_2.visit(self.ast)
        self.source_text = "\n".join(phase_2.statements(self.ast))
        self.executable_code = compile(self.source_text, "<string>", "exec")


class _Runner(celpy.CompiledRunner):
    """celpy's CompiledRunner on `_Transpiler` (its __init__, with our transpiler class)."""

    def __init__(self, environment: Any, ast: Any, functions: Any = None) -> None:
        celpy.Runner.__init__(self, environment, ast, functions)
        self.tp = _Transpiler(ast=self.ast, activation=self.new_activation())  # type: ignore[arg-type]
        self.tp.transpile()


def _environment() -> celpy.Environment:
    """The one environment, on the compiled runner. celpy's parser is a process-wide
    singleton made with the tree class of the first environment: make sure it is the compiled
    runner's (a subclass of lark's, which the interpreted runner accepts too)."""
    tree_class = _Runner.tree_node_class
    parser = CELParser.CEL_PARSER
    if parser is not None and parser.options.tree_class is not tree_class:
        CELParser.CEL_PARSER = None
    return celpy.Environment(runner_class=_Runner)


_ENV = _environment()


@attrs.frozen
class Expression:
    """One compiled `check_expr`: what it reads and how to run it."""

    text: str
    variables: frozenset[str]
    run: Callable[[Mapping[str, Any]], Any]

    def evaluate(self, activation: Mapping[str, Any]) -> bool:
        """True only for a CEL `true`; any error or other value is False (krakend-cel
        `evalChecks`: `!ok || !v` rejects, and so does an evaluation error)."""
        try:
            result = self.run(activation)
        except Exception:  # an evaluation error, or celpy's own failure: a rejection
            return False
        return isinstance(result, celtypes.BoolType) and bool(result)


def _identifiers(tree: Tree[Any]) -> tuple[set[str], set[str]]:
    """(free identifiers, called function names) of a parsed expression."""
    names: set[str] = set()
    bound: set[str] = set()
    functions: set[str] = set()
    for node in tree.iter_subtrees():
        if node.data == "ident":
            names.add(str(node.children[0]))
        elif node.data == "ident_arg":
            functions.add(str(node.children[0]))
        elif node.data in ("member_dot_arg", "dot_ident_arg"):
            method = next((c for c in node.children if isinstance(c, Token)), None)
            if method is None:
                continue
            functions.add(str(method))
            args = next(
                (c for c in node.children if isinstance(c, Tree) and c.data == "exprlist"), None
            )
            if str(method) in _MACROS and args is not None and args.children:
                variable = _bare_ident(args.children[0])
                if variable is not None:
                    bound.add(variable)
    return names - bound, functions


def _bare_ident(tree: Any) -> str | None:
    """The name when `tree` is an expression made of one identifier (a macro's variable)."""
    while isinstance(tree, Tree):
        if tree.data == "ident":
            return str(tree.children[0])
        if len(tree.children) != 1:
            return None
        tree = tree.children[0]
    return None


def compile_expression(text: str) -> Expression:
    """Parse, check and compile one expression (ExpressionError when cel-go would refuse it)."""
    if not isinstance(text, str) or not text:
        raise ExpressionError("cel: no expression")
    try:
        tree = _ENV.compile(text)
    except CELParseError as exc:
        detail = " ".join(str(exc).split())
        raise ExpressionError(f"error parsing the expression: {detail}") from None
    except RecursionError:
        raise ExpressionError("error parsing the expression: nested too deeply") from None
    names, functions = _identifiers(tree)
    unknown = sorted(names - DECLARED - {"google"})  # `google.protobuf.*` types are CEL's
    if unknown:
        raise ExpressionError(
            f"undeclared reference to {', '.join(repr(n) for n in unknown)}: krakend-cel declares "
            + ", ".join(sorted(DECLARED))
        )
    missing = sorted(functions - FUNCTIONS)
    if missing:
        raise ExpressionError(f"undeclared function {', '.join(repr(f) for f in missing)}")
    try:
        program = _ENV.program(tree)
    except Exception as exc:  # celpy's transpiler on an expression it cannot translate
        raise ExpressionError(f"cannot compile the expression: {exc}") from None
    return Expression(text=text, variables=frozenset(names & DECLARED), run=program.evaluate)


# ---- values into CEL ----------------------------------------------------------------------


def to_cel(value: Any) -> Any:
    """A JSON-like Python value as a CEL value (ints stay ints, floats are doubles)."""
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        if -(2**63) <= value < 2**63:
            return celtypes.IntType(value)
        return celtypes.DoubleType(float(value))
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if value is None:
        return None
    if isinstance(value, Mapping):
        return celtypes.MapType({celtypes.StringType(str(k)): to_cel(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return celtypes.ListType([to_cel(v) for v in value])
    if isinstance(value, bytes):
        return celtypes.BytesType(value)
    return celtypes.StringType(str(value))


class LazyMap(celtypes.MapType):
    """A JSON object as a CEL map whose values are converted when first read: a check such as
    `resp_data.id == 42` on a 200 KB answer converts one value, not the whole document (a full
    conversion costs ~6 ms for 20 KB, ~95 ms for 200 KB). Keys are converted at once; every way
    celpy reads a value (`[]`, `get`, `items`, `values`, `==`) goes through `__getitem__`."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        dict.__init__(self, ((celtypes.StringType(str(k)), v) for k, v in raw.items()))
        self._converted: set[Any] = set()

    def __getitem__(self, key: Any) -> Any:
        value = super().__getitem__(key)
        if key not in self._converted:
            value = lazy_cel(value)
            dict.__setitem__(self, key, value)
            self._converted.add(key)
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self:
            super().get(key)  # celpy's key-type check
            return self[key]
        return super().get(key, default)

    def values(self) -> Any:
        return [self[k] for k in self.keys()]

    def items(self) -> Any:
        return [(k, self[k]) for k in self.keys()]

    def copy(self) -> Any:
        return celtypes.MapType(self.items())


class LazyList(celtypes.ListType):
    """A JSON array as a CEL list whose items are converted when first read (`[i]`, iteration,
    `in`, `==`, `+`); its length is known at once."""

    def __init__(self, raw: list[Any] | tuple[Any, ...]) -> None:
        list.__init__(self, raw)
        self._converted = bytearray(len(raw))

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return celtypes.ListType([self[i] for i in range(len(self))[index]])
        position = int(index)
        if position < 0:
            position += len(self)
        value = list.__getitem__(self, position)  # IndexError beyond the end, as celpy expects
        if not self._converted[position]:
            value = lazy_cel(value)
            list.__setitem__(self, position, value)
            self._converted[position] = 1
        return value

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))

    def __contains__(self, item: object) -> bool:
        return any(value == item for value in self)

    def __add__(self, other: Any) -> Any:
        return celtypes.ListType([*self, *other])

    def copy(self) -> Any:
        return celtypes.ListType(list(self))


def lazy_cel(value: Any) -> Any:
    """`to_cel`, with JSON objects and arrays converted as they are read (`LazyMap`,
    `LazyList`)."""
    if isinstance(value, Mapping) and not isinstance(value, celtypes.MapType):
        return LazyMap(value)
    if isinstance(value, list | tuple) and not isinstance(value, celtypes.ListType):
        return LazyList(value)
    return to_cel(value)


def string_map(items: Iterable[tuple[str, str]]) -> Any:
    """map(string, string)."""
    return celtypes.MapType({celtypes.StringType(k): celtypes.StringType(v) for k, v in items})


def list_map(items: Iterable[tuple[str, str]]) -> Any:
    """map(string, list(string)), values of one name in order (Go's http.Header, url.Values)."""
    grouped: dict[str, list[Any]] = {}
    for name, value in items:
        grouped.setdefault(name, []).append(celtypes.StringType(value))
    return celtypes.MapType(
        {celtypes.StringType(k): celtypes.ListType(v) for k, v in grouped.items()}
    )


def go_now(now: datetime.datetime | None = None) -> str:
    """`time.Now().Format("2006-01-02T15:04:05.999Z07:00")`: local time, milliseconds without
    trailing zeros (none at all on a whole second), `Z` for UTC."""
    moment = (now or datetime.datetime.now()).astimezone()
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    millis = f"{moment.microsecond // 1000:03d}".rstrip("0")
    if millis:
        text += "." + millis
    offset = moment.utcoffset() or datetime.timedelta(0)
    if not offset:
        return text + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"
