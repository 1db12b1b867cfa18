"""Go's `text/template/parse/parse_test.go` tables, ported: a template's parse tree printed
back (`String()`, text nodes as `%q`), and the parse errors with Go's texts."""

from __future__ import annotations

import pytest

from trio_gateway.config.gotemplate import TemplateError
from trio_gateway.config.gotemplate import parse as parse_module
from trio_gateway.config.gotemplate.nodes import is_empty_tree, render
from trio_gateway.config.gotemplate.parse import parse

# parse_test.go's builtins (printf, contains); Go's tests run with maxStackDepth = 3.
FUNCS = {"printf", "contains"}

OK = [
    ("empty", "", ""),
    ("comment", "{{/*\n\n\n*/}}", ""),
    ("spaces", " \t\n", '" \\t\\n"'),
    ("text", "some text", '"some text"'),
    ("field", "{{.X}}", "{{.X}}"),
    ("simple command", "{{printf}}", "{{printf}}"),
    ("$ invocation", "{{$}}", "{{$}}"),
    ("variable invocation", "{{with $x := 3}}{{$x 23}}{{end}}", "{{with $x := 3}}{{$x 23}}{{end}}"),
    ("variable with fields", "{{$.I}}", "{{$.I}}"),
    ("multi-word command", "{{printf `%d` 23}}", "{{printf `%d` 23}}"),
    ("pipeline", "{{.X|.Y}}", "{{.X | .Y}}"),
    ("pipeline with decl", "{{$x := .X|.Y}}", "{{$x := .X | .Y}}"),
    ("nested pipeline", "{{.X (.Y .Z) (.A | .B .C) (.E)}}", "{{.X (.Y .Z) (.A | .B .C) (.E)}}"),
    ("field applied to parentheses", "{{(.Y .Z).Field}}", "{{(.Y .Z).Field}}"),
    ("simple if", "{{if .X}}hello{{end}}", '{{if .X}}"hello"{{end}}'),
    ("if with else", "{{if .X}}true{{else}}false{{end}}", '{{if .X}}"true"{{else}}"false"{{end}}'),
    (
        "if with else if",
        "{{if .X}}true{{else if .Y}}false{{end}}",
        '{{if .X}}"true"{{else}}{{if .Y}}"false"{{end}}{{end}}',
    ),
    (
        "if else chain",
        "+{{if .X}}X{{else if .Y}}Y{{else if .Z}}Z{{end}}+",
        '"+"{{if .X}}"X"{{else}}{{if .Y}}"Y"{{else}}{{if .Z}}"Z"{{end}}{{end}}{{end}}"+"',
    ),
    ("simple range", "{{range .X}}hello{{end}}", '{{range .X}}"hello"{{end}}'),
    ("chained field range", "{{range .X.Y.Z}}hello{{end}}", '{{range .X.Y.Z}}"hello"{{end}}'),
    (
        "nested range",
        "{{range .X}}hello{{range .Y}}goodbye{{end}}{{end}}",
        '{{range .X}}"hello"{{range .Y}}"goodbye"{{end}}{{end}}',
    ),
    (
        "range with else",
        "{{range .X}}true{{else}}false{{end}}",
        '{{range .X}}"true"{{else}}"false"{{end}}',
    ),
    (
        "range over pipeline",
        "{{range .X|.M}}true{{else}}false{{end}}",
        '{{range .X | .M}}"true"{{else}}"false"{{end}}',
    ),
    ("range []int", "{{range .SI}}{{.}}{{end}}", "{{range .SI}}{{.}}{{end}}"),
    ("range 1 var", "{{range $x := .SI}}{{.}}{{end}}", "{{range $x := .SI}}{{.}}{{end}}"),
    ("range 2 vars", "{{range $x, $y := .SI}}{{.}}{{end}}", "{{range $x, $y := .SI}}{{.}}{{end}}"),
    (
        "range with break",
        "{{range .SI}}{{.}}{{break}}{{end}}",
        "{{range .SI}}{{.}}{{break}}{{end}}",
    ),
    (
        "range with continue",
        "{{range .SI}}{{.}}{{continue}}{{end}}",
        "{{range .SI}}{{.}}{{continue}}{{end}}",
    ),
    (
        "constants",
        "{{range .SI 1 -3.2i true false 'a' nil}}{{end}}",
        "{{range .SI 1 -3.2i true false 'a' nil}}{{end}}",
    ),
    ("template", "{{template `x`}}", '{{template "x"}}'),
    ("template with arg", "{{template `x` .Y}}", '{{template "x" .Y}}'),
    ("with", "{{with .X}}hello{{end}}", '{{with .X}}"hello"{{end}}'),
    (
        "with with else",
        "{{with .X}}hello{{else}}goodbye{{end}}",
        '{{with .X}}"hello"{{else}}"goodbye"{{end}}',
    ),
    (
        "with with else with",
        "{{with .X}}hello{{else with .Y}}goodbye{{end}}",
        '{{with .X}}"hello"{{else}}{{with .Y}}"goodbye"{{end}}{{end}}',
    ),
    (
        "with else chain",
        "{{with .X}}X{{else with .Y}}Y{{else with .Z}}Z{{end}}",
        '{{with .X}}"X"{{else}}{{with .Y}}"Y"{{else}}{{with .Z}}"Z"{{end}}{{end}}{{end}}',
    ),
    ("trim left", "x \r\n\t{{- 3}}", '"x"{{3}}'),
    ("trim right", "{{3 -}}\n\n\ty", '{{3}}"y"'),
    ("trim left and right", "x \r\n\t{{- 3 -}}\n\n\ty", '"x"{{3}}"y"'),
    ("trim with extra spaces", "x\n{{-  3   -}}\ny", '"x"{{3}}"y"'),
    ("comment trim left", "x \r\n\t{{- /* hi */}}", '"x"'),
    ("comment trim right", "{{/* hi */ -}}\n\n\ty", '"y"'),
    ("comment trim left and right", "x \r\n\t{{- /* */ -}}\n\n\ty", '"x""y"'),
    ("block definition", '{{block "foo" .}}hello{{end}}', '{{template "foo" .}}'),
    ("newline in assignment", "{{ $x \n := \n 1 \n }}", "{{$x := 1}}"),
    ("newline in pipeline", '{{\n"x"\n|\nprintf\n}}', '{{"x" | printf}}'),
    ("newline in comment", "{{/*\nhello\n*/}}", ""),
    ("newline in trimmed comment", "{{-\n/*\nhello\n*/\n-}}", ""),
    (
        "spaces around continue",
        "{{range .SI}}{{.}}{{ continue }}{{end}}",
        "{{range .SI}}{{.}}{{continue}}{{end}}",
    ),
    (
        "spaces around break",
        "{{range .SI}}{{.}}{{ break }}{{end}}",
        "{{range .SI}}{{.}}{{break}}{{end}}",
    ),
    ("bug0a", "{{$x := 0}}{{$x}}", "{{$x := 0}}{{$x}}"),
    ("bug1c", "{{$x:=.}}{{$x +2}}", "{{$x := .}}{{$x +2}}"),
    ("bug2a", "{{range $x := 0}}{{$x}}{{end}}", "{{range $x := 0}}{{$x}}{{end}}"),
    ("bug2b", "{{range $x = 0}}{{$x}}{{end}}", "{{range $x = 0}}{{$x}}{{end}}"),
    ("paren nesting normal", "{{ (( 1 )) }}", "{{((1))}}"),
    ("paren nesting at limit", "{{ ((( 1 ))) }}", "{{(((1)))}}"),
    ("paren nesting in pipeline", "{{ ((( 1 ))) | printf }}", "{{(((1))) | printf}}"),
    (
        "paren nesting with other constructs",
        "{{ if ((( true ))) }}YES{{ end }}",
        '{{if (((true)))}}"YES"{{end}}',
    ),
    (
        "control structure nesting at limit",
        "{{if .X}}{{with .Y}}{{range .Z}}x{{end}}{{end}}{{end}}",
        '{{if .X}}{{with .Y}}{{range .Z}}"x"{{end}}{{end}}{{end}}',
    ),
]

FAILS = [
    ("emptyAction", "{{}}"),
    ("newline in empty action", "{{\n}}"),
    ("unclosed action", "hello{{range"),
    ("unmatched end", "{{end}}"),
    ("unmatched else", "{{else}}"),
    ("unmatched else after if", "{{if .X}}hello{{end}}{{else}}"),
    ("multiple else", "{{if .X}}1{{else}}2{{else}}3{{end}}"),
    ("missing end", "hello{{range .x}}"),
    ("missing end after else", "hello{{range .x}}{{else}}"),
    ("undefined function", "hello{{undefined}}"),
    ("undefined variable", "{{$x}}"),
    ("variable undefined after end", "{{with $x := 4}}{{end}}{{$x}}"),
    ("variable undefined in template", "{{template $v}}"),
    ("declare with field", "{{with $x.Y := 4}}{{end}}"),
    ("template with field ref", "{{template .X}}"),
    ("invalid punctuation", "{{printf 3, 4}}"),
    ("multidecl outside range", "{{with $v, $u := 3}}{{end}}"),
    ("too many decls in range", "{{range $u, $v, $w := 3}}{{end}}"),
    ("dot applied to parentheses", "{{printf (printf .).}}"),
    ("adjacent args", "{{printf 3`x`}}"),
    ("adjacent args with .", "{{printf `x`.}}"),
    ("extra end after if", "{{if .X}}a{{else if .Y}}b{{end}}{{end}}"),
    ("break outside range", "{{range .}}{{end}} {{break}}"),
    ("continue outside range", "{{range .}}{{end}} {{continue}}"),
    ("break in range else", "{{range .}}{{else}}{{break}}{{end}}"),
    ("continue in range else", "{{range .}}{{else}}{{continue}}{{end}}"),
    ("bug0b", "{{$x += 1}}{{$x}}"),
    ("bug0c", "{{$x ! 2}}{{$x}}"),
    ("bug0d", "{{$x % 3}}{{$x}}"),
    ("bug0e", "{{range $x := $y := 3}}{{end}}"),
    ("bug1a", "{{$x:=.}}{{$x!2}}"),
    ("bug1b", "{{$x:=.}}{{$x+2}}"),
    ("dot after integer", "{{1.E}}"),
    ("dot after float", "{{0.1.E}}"),
    ("dot after boolean", "{{true.E}}"),
    ("dot after char", "{{'a'.any}}"),
    ("dot after string", '{{"hello".guys}}'),
    ("dot after dot", "{{..E}}"),
    ("dot after nil", "{{nil.E}}"),
    ("wrong pipeline dot", "{{12|.}}"),
    ("wrong pipeline number", "{{.|12|printf}}"),
    ("wrong pipeline string", '{{.|printf|"error"}}'),
    ("wrong pipeline char", "{{12|printf|'e'}}"),
    ("wrong pipeline boolean", "{{.|true}}"),
    ("wrong pipeline nil", "{{'c'|nil}}"),
    ("empty pipeline", '{{printf "%d" ( ) }}'),
    ("block without pipeline", '{{block "foo"}}hello{{end}}'),
]

# errorTests: the error text must contain the given part.
ERRORS = [
    ("unclosed1", "line1\n{{", "unclosed1:2: unclosed action"),
    ("unclosed2", "line1\n{{define `x`}}line2\n{{", "unclosed2:3: unclosed action"),
    ("unclosed3", 'line1\n{{"x"\n"y"\n', "unclosed3:4: unclosed action started at unclosed3:2"),
    ("unclosed4", "{{\n\n\n\n\n", "unclosed4:6: unclosed action started at unclosed4:1"),
    ("var1", "line1\n{{\nx\n}}", 'var1:3: function "x" not defined'),
    ("function", "{{foo}}", 'function "foo" not defined'),
    ("comment1", "{{/*}}", "comment1:1: unclosed comment"),
    ("comment2", "{{/*\nhello\n}}", "comment2:1: unclosed comment"),
    ("lparen", "{{.X (1 2 3}}", "unclosed left paren"),
    ("rparen", "{{.X 1 2 3 ) }}", "unexpected right paren"),
    ("rparen2", "{{(.X 1 2 3", "unclosed action"),
    ("space", "{{`x`3}}", "in operand"),
    ("idchar", "{{a#}}", "'#'"),
    ("charconst", "{{'a}}", "unterminated character constant"),
    ("stringconst", '{{"a}}', "unterminated quoted string"),
    ("rawstringconst", "{{`a}}", "unterminated raw quoted string"),
    ("number", "{{0xi}}", "number syntax"),
    (
        "multidefine",
        "{{define `a`}}a{{end}}{{define `a`}}b{{end}}",
        "multiple definition of template",
    ),
    ("eof", "{{range .X}}", "unexpected EOF"),
    ("variable", "{{$x := 23}}{{with $x.y := 3}}{{$x 23}}{{end}}", 'unexpected ":="'),
    ("multidecl", "{{$a,$b,$c := 23}}", "too many declarations"),
    ("undefvar", "{{$a}}", "undefined variable"),
    ("wrongdot", "{{true.any}}", "unexpected . after term"),
    ("wrongpipeline", "{{12|false}}", "non executable command in pipeline"),
    ("emptypipeline", "{{ ( ) }}", "missing value for parenthesized pipeline"),
    ("multilinerawstring", "{{ $v := `\n` }} {{", "multilinerawstring:2: unclosed action"),
    ("rangeundefvar", "{{range $k}}{{end}}", "undefined variable"),
    ("rangeundefvars", "{{range $k, $v}}{{end}}", "undefined variable"),
    ("rangemissingvalue1", "{{range $k,}}{{end}}", "missing value for range"),
    ("rangemissingvalue2", "{{range $k, $v := }}{{end}}", "missing value for range"),
    ("rangenotvariable1", "{{range $k, .}}{{end}}", "range can only initialize variables"),
    ("rangenotvariable2", "{{range $k, 123 := .}}{{end}}", "range can only initialize variables"),
    (
        "ifnesting",
        "{{if .}}{{if .}}{{if .}}{{if .}}{{end}}{{end}}{{end}}{{end}}",
        "max control structure depth exceeded",
    ),
    (
        "rangenesting",
        "{{range .}}{{range .}}{{range .}}{{range .}}{{end}}{{end}}{{end}}{{end}}",
        "max control structure depth exceeded",
    ),
    (
        "withnesting",
        "{{with .}}{{with .}}{{with .}}{{with .}}{{end}}{{end}}{{end}}{{end}}",
        "max control structure depth exceeded",
    ),
    (
        "elseifnesting",
        "{{if .}}{{else if .}}{{else if .}}{{else if .}}{{end}}",
        "max control structure depth exceeded",
    ),
    (
        "blocknesting",
        "{{block `a` .}}{{block `b` .}}{{block `c` .}}{{block `d` .}}{{end}}{{end}}{{end}}{{end}}",
        "max control structure depth exceeded",
    ),
    (
        "parennesting",
        "{{if .}}{{with .}}{{range .}}{{(.)}}{{end}}{{end}}{{end}}",
        "max expression depth exceeded",
    ),
    (
        "paren nesting exceeds limit",
        "{{ (((( 1 )))) }}",
        "template: paren nesting exceeds limit:1: max expression depth exceeded",
    ),
]


@pytest.fixture(autouse=True)
def _go_test_depth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_module, "MAX_PARSE_DEPTH", 3)


@pytest.mark.parametrize(("name", "text", "want"), OK, ids=[case[0] for case in OK])
def test_parse_prints_back_as_go(name: str, text: str, want: str) -> None:
    trees = parse(name, text, FUNCS)
    root = trees[name].root
    assert root is not None
    assert render(root, quote_text=True) == want


@pytest.mark.parametrize(("name", "text"), FAILS, ids=[case[0] for case in FAILS])
def test_parse_rejects_as_go(name: str, text: str) -> None:
    with pytest.raises(TemplateError, match=f"^template: {name}:"):
        parse(name, text, FUNCS)


@pytest.mark.parametrize(("name", "text", "part"), ERRORS, ids=[case[0] for case in ERRORS])
def test_parse_error_texts(name: str, text: str, part: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse(name, text, set())
    assert part in str(caught.value)


def test_exact_parse_error_forms() -> None:
    cases = {
        "{{end}}": "template: t:1: unexpected {{end}}",
        "{{.X | 3}}": "template: t:1: non executable command in pipeline stage 2",
        "a\nb{{if}}": "template: t:2: missing value for if",
        "{{range .}}": "template: t:1: unexpected EOF",
        "{{nope 1}}": 'template: t:1: function "nope" not defined',
        "{{3 3}": 'template: t:1: unexpected "}" in operand',
        "{{`a` `b` | `c`}}": "template: t:1: non executable command in pipeline stage 2",
        "{{template .X}}": 'template: t:1: unexpected ".X" in template clause',
    }
    for text, want in cases.items():
        with pytest.raises(TemplateError) as caught:
            parse("t", text, FUNCS)
        assert str(caught.value) == want, text


def test_block_defines_its_template() -> None:
    trees = parse("outer", 'a{{block "inner" .}}bar{{.}}baz{{end}}b', set())
    assert str(trees["outer"].root) == 'a{{template "inner" .}}b'
    assert str(trees["inner"].root) == "bar{{.}}baz"


IS_EMPTY = [
    ("", True),
    ("hello", False),
    (" \t\n \t\n", True),
    ("{{/* comment */}}", True),
    ('{{define "x"}}something{{end}}', True),
    ("{{define `x`}}something{{end}}\n\n{{define `y`}}something{{end}}\n\n", True),
    ("{{define `x`}}something{{end}}\nx\n{{define `y`}}something{{end}}\ny\n", False),
    ("{{define `x`}}something{{end}}{{if 3}}foo{{end}}", False),
]


@pytest.mark.parametrize(("text", "empty"), IS_EMPTY)
def test_is_empty_tree(text: str, empty: bool) -> None:
    assert is_empty_tree(parse("root", text, set())["root"].root) is empty


def test_line_numbers_of_actions() -> None:
    root = parse("bench", "{{printf 1234}}\n" * 3, FUNCS)["bench"].root
    assert root is not None
    lines = [getattr(node, "line", None) for node in root.nodes[::2]]
    assert lines == [1, 2, 3]


NUMBERS = [
    # text, is_int, is_float, is_complex, int64, float64
    ("0", True, True, False, 0, 0.0),
    ("-0", True, True, False, 0, 0.0),
    ("73", True, True, False, 73, 73.0),
    ("7_3", True, True, False, 73, 73.0),
    ("0b10_010_01", True, True, False, 73, 73.0),
    ("073", True, True, False, 0o73, 0o73),
    ("0o73", True, True, False, 0o73, 0o73),
    ("0x73", True, True, False, 0x73, 0x73),
    ("0x7_3", True, True, False, 0x73, 0x73),
    ("-73", True, True, False, -73, -73.0),
    ("+73", True, True, False, 73, 73.0),
    ("1e9", True, True, False, 10**9, 1e9),
    ("-1.2", False, True, False, 0, -1.2),
    ("1e19", False, True, False, 0, 1e19),
    ("1e1_9", False, True, False, 0, 1e19),
    ("0x_1p4", True, True, False, 16, 16.0),
    ("0x_1p-4", False, True, False, 0, 1 / 16),
    ("4i", False, False, True, 0, 0.0),
    ("-1.2+4.2i", False, False, True, 0, 0.0),
    ("073i", False, False, True, 0, 0.0),
    ("0i", True, True, True, 0, 0.0),
    ("-1.2+0i", False, True, True, 0, -1.2),
    ("-12+0i", True, True, True, -12, -12.0),
    ("0123", True, True, False, 0o123, 0o123),
    ("0xdeadbeef", True, True, False, 0xDEADBEEF, 0xDEADBEEF),
    ("'a'", True, True, False, 97, 97.0),
    ("'\\n'", True, True, False, 10, 10.0),
    ("'\\\\'", True, True, False, 92, 92.0),
    ("'\\''", True, True, False, 39, 39.0),
    ("'\\xFF'", True, True, False, 0xFF, 0xFF),
    ("'パ'", True, True, False, 0x30D1, 0x30D1),
    ("'\\u30d1'", True, True, False, 0x30D1, 0x30D1),
    ("'\\U000030d1'", True, True, False, 0x30D1, 0x30D1),
    ("0xef", True, True, False, 0xEF, 0xEF),
]


@pytest.mark.parametrize(("text", "is_int", "is_float", "is_complex", "int64", "float64"), NUMBERS)
def test_number_literals(
    text: str, is_int: bool, is_float: bool, is_complex: bool, int64: int, float64: float
) -> None:
    root = parse("n", "{{print " + text + "}}", {"print"})["n"].root
    assert root is not None
    number = root.nodes[0].pipe.cmds[0].args[1]  # type: ignore[attr-defined]
    assert (number.is_int, number.is_float, number.is_complex) == (is_int, is_float, is_complex)
    if is_int:
        assert number.int64 == int64
    if is_float:
        assert number.float64 == float64


@pytest.mark.parametrize(
    "text",
    ["+-2", "0x123.", "1e.", "0xi.", "1+2.", "'x", "'xx'", "'433937734937734969526500969526500'"],
)
def test_bad_number_literals(text: str) -> None:
    with pytest.raises(TemplateError):
        parse("n", "{{print " + text + "}}", {"print"})
