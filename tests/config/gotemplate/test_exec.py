"""Go's `text/template/exec_test.go` tables, ported to JSON data (maps, lists, strings,
numbers, booleans, null): the cases that do not need Go methods or typed structs.

Where Go's case reads a typed map (`map[string]int`), our data is what JSON decodes to
(`map[string]interface{}`): a missing key is then nil, which prints `<no value>`; such cases
say "adapted"."""

from __future__ import annotations

import re
from typing import Any

import pytest

from trio_gateway.config.gotemplate import FuncError, GoFunc, Template, TemplateError
from trio_gateway.config.gotemplate.gofmt import go_type_name


def _die() -> bool:
    raise FuncError("die")


def _panic() -> str:
    raise RuntimeError("custom panic string")


def _dddarg(a: int, *b: str) -> str:
    return f"{a} [{' '.join(b)}]\n"


FUNCS = {
    "typeOf": GoFunc(go_type_name, ("any",)),
    "add": GoFunc(lambda a, b: a + b, ("int", "int")),
    "echo": GoFunc(lambda a: a, ("any",)),
    "makemap": GoFunc(lambda *a: dict(zip(a[::2], a[1::2], strict=True)), (), "string"),
    "mapOfThree": GoFunc(lambda: {"three": 3}, ()),
    "zeroArgs": GoFunc(lambda: "zeroArgs", ()),
    "oneArg": GoFunc(lambda a: "oneArg=" + a, ("string",)),
    "twoArgs": GoFunc(lambda a, b: "twoArgs=" + a + b, ("string", "string")),
    "dddArg": GoFunc(_dddarg, ("int",), "string"),
    "die": GoFunc(_die, ()),
    "doPanic": GoFunc(_panic, ()),
    "returnInt": GoFunc(lambda: 7, ()),
    "valueString": GoFunc(lambda v: "value is ignored", ("string",)),
}

TVAL: dict[str, Any] = {
    "True": True,
    "I": 17,
    "U16": 16,
    "X": "x",
    "S": "xyz",
    "U": {"V": "v"},
    "FloatZero": 0.0,
    "ComplexZero": 0j,
    "SI": [3, 4, 5],
    "AI": [3, 4, 5],
    "SIEmpty": [],
    "SB": [True, False],
    "MSI": {"one": 1, "two": 2, "three": 3},
    "MSIone": {"one": 1},
    "MSIEmpty": {},
    "MXI": {"one": 1},
    "SMSI": [{"one": 1, "two": 2}, {"eleven": 11, "twelve": 12}],
    "Empty0": None,
    "Empty1": 3,
    "Empty2": "empty2",
    "Empty3": [7, 8],
    "Empty4": {"V": "UinEmpty"},
    "PI": 23,
    "PS": "a string",
    "PSI": [21, 22, 23],
    "Uthree": 3,
    "Ufour": 4,
    "NonNilMap": {"one": 1},
}

BIG_INT = "0x7fffffffffffffff"
BIG_UINT = "0x8000000000000000"

# name, template, output, data, ok
EXEC = [
    ("empty", "", "", None, True),
    ("text", "some text", "some text", None, True),
    ("nil action", "{{nil}}", "", None, False),
    ("ideal int", "{{typeOf 3}}", "int", 0, True),
    ("ideal float", "{{typeOf 1.0}}", "float64", 0, True),
    ("ideal exp float", "{{typeOf 1e1}}", "float64", 0, True),
    ("ideal complex", "{{typeOf 1i}}", "complex128", 0, True),
    ("ideal big int", "{{typeOf " + BIG_INT + "}}", "int", 0, True),
    ("ideal too big", "{{typeOf " + BIG_UINT + "}}", "", 0, False),
    ("ideal nil without type", "{{nil}}", "", 0, False),
    (".X", "-{{.X}}-", "-x-", TVAL, True),
    (".U.V", "-{{.U.V}}-", "-v-", TVAL, True),
    ("map .one", "{{.MSI.one}}", "1", TVAL, True),
    ("map .two", "{{.MSI.two}}", "2", TVAL, True),
    ("map .NO", "{{.MSI.NO}}", "<no value>", TVAL, True),
    ("map .one interface", "{{.MXI.one}}", "1", TVAL, True),
    ("map .WRONG args", "{{.MSI.one 1}}", "", TVAL, False),
    ("dot int", "<{{.}}>", "<13>", 13, True),
    ("dot float", "<{{.}}>", "<15.1>", 15.1, True),
    ("dot bool", "<{{.}}>", "<true>", True, True),
    ("dot complex", "<{{.}}>", "<(16.2-17i)>", 16.2 - 17j, True),
    ("dot string", "<{{.}}>", "<hello>", "hello", True),
    ("dot slice", "<{{.}}>", "<[-1 -2 -3]>", [-1, -2, -3], True),
    ("dot map", "<{{.}}>", "<map[two:22]>", {"two": 22}, True),
    ("$ int", "{{$}}", "123", 123, True),
    ("$.I", "{{$.I}}", "17", TVAL, True),
    ("$.U.V", "{{$.U.V}}", "v", TVAL, True),
    ("declare in action", "{{$x := $.U.V}}{{$x}}", "v", TVAL, True),
    ("simple assignment", "{{$x := 2}}{{$x = 3}}{{$x}}", "3", TVAL, True),
    ("nested assignment", "{{$x := 2}}{{if true}}{{$x = 3}}{{end}}{{$x}}", "3", TVAL, True),
    (
        "nested assignment changes the last declaration",
        "{{$x := 1}}{{if true}}{{$x := 2}}{{if true}}{{$x = 3}}{{end}}{{end}}{{$x}}",
        "1",
        TVAL,
        True,
    ),
    ("*int", "{{.PI}}", "23", TVAL, True),
    ("*string", "{{.PS}}", "a string", TVAL, True),
    ("*[]int", "{{.PSI}}", "[21 22 23]", TVAL, True),
    ("*[]int[1]", "{{index .PSI 1}}", "22", TVAL, True),
    ("empty nil", "{{.Empty0}}", "<no value>", TVAL, True),
    ("empty with int", "{{.Empty1}}", "3", TVAL, True),
    ("empty with string", "{{.Empty2}}", "empty2", TVAL, True),
    ("empty with slice", "{{.Empty3}}", "[7 8]", TVAL, True),
    ("empty with struct", "{{.Empty4}}", "map[V:UinEmpty]", TVAL, True),  # adapted
    ("empty with struct, field", "{{.Empty4.V}}", "UinEmpty", TVAL, True),
    ("call nil", "{{call nil}}", "", TVAL, False),
    ("call of a non-function", "{{call .X}}", "", TVAL, False),
    (
        "parens in pipeline",
        "{{printf `%d %d %d` (1) (2 | add 3) (add 4 (add 5 6))}}",
        "1 5 15",
        TVAL,
        True,
    ),
    ("parens: $ in paren", "{{($).X}}", "x", TVAL, True),
    ("parens: $ in paren in pipe", "{{($ | echo).X}}", "x", TVAL, True),
    (
        "parens: spaces and args",
        '{{(makemap "up" "down" "left" "right").left}}',
        "right",
        TVAL,
        True,
    ),
    ("if true", "{{if true}}TRUE{{end}}", "TRUE", TVAL, True),
    ("if false", "{{if false}}TRUE{{else}}FALSE{{end}}", "FALSE", TVAL, True),
    ("if nil", "{{if nil}}TRUE{{end}}", "", TVAL, False),
    ("if 1", "{{if 1}}NON-ZERO{{else}}ZERO{{end}}", "NON-ZERO", TVAL, True),
    ("if 0", "{{if 0}}NON-ZERO{{else}}ZERO{{end}}", "ZERO", TVAL, True),
    ("if 1.5", "{{if 1.5}}NON-ZERO{{else}}ZERO{{end}}", "NON-ZERO", TVAL, True),
    ("if 0.0", "{{if .FloatZero}}NON-ZERO{{else}}ZERO{{end}}", "ZERO", TVAL, True),
    ("if 1.5i", "{{if 1.5i}}NON-ZERO{{else}}ZERO{{end}}", "NON-ZERO", TVAL, True),
    ("if 0.0i", "{{if .ComplexZero}}NON-ZERO{{else}}ZERO{{end}}", "ZERO", TVAL, True),
    ("if emptystring", "{{if ``}}NON-EMPTY{{else}}EMPTY{{end}}", "EMPTY", TVAL, True),
    ("if string", "{{if `notempty`}}NON-EMPTY{{else}}EMPTY{{end}}", "NON-EMPTY", TVAL, True),
    ("if emptyslice", "{{if .SIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}", "EMPTY", TVAL, True),
    ("if slice", "{{if .SI}}NON-EMPTY{{else}}EMPTY{{end}}", "NON-EMPTY", TVAL, True),
    ("if emptymap", "{{if .MSIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}", "EMPTY", TVAL, True),
    ("if map", "{{if .MSI}}NON-EMPTY{{else}}EMPTY{{end}}", "NON-EMPTY", TVAL, True),
    ("if map unset", "{{if .MXI.none}}NON-ZERO{{else}}ZERO{{end}}", "ZERO", TVAL, True),
    ("if map not unset", "{{if not .MXI.none}}ZERO{{else}}NON-ZERO{{end}}", "ZERO", TVAL, True),
    (
        "if $x with $y int",
        "{{if $x := true}}{{with $y := .I}}{{$x}},{{$y}}{{end}}{{end}}",
        "true,17",
        TVAL,
        True,
    ),
    (
        "if $x with $x int",
        "{{if $x := true}}{{with $x := .I}}{{$x}},{{end}}{{$x}}{{end}}",
        "17,true",
        TVAL,
        True,
    ),
    ("if else if", "{{if false}}FALSE{{else if true}}TRUE{{end}}", "TRUE", TVAL, True),
    (
        "if else chain",
        "{{if eq 1 3}}1{{else if eq 2 3}}2{{else if eq 3 3}}3{{end}}",
        "3",
        TVAL,
        True,
    ),
    ("print", '{{print "hello, print"}}', "hello, print", TVAL, True),
    ("print 123", "{{print 1 2 3}}", "1 2 3", TVAL, True),
    ("print nil", "{{print nil}}", "<nil>", TVAL, True),
    ("println", "{{println 1 2 3}}", "1 2 3\n", TVAL, True),
    ("printf int", '{{printf "%04x" 127}}', "007f", TVAL, True),
    ("printf float", '{{printf "%g" 3.5}}', "3.5", TVAL, True),
    ("printf complex", '{{printf "%g" 1+7i}}', "(1+7i)", TVAL, True),
    ("printf string", '{{printf "%s" "hello"}}', "hello", TVAL, True),
    ("printf function", '{{printf "%#q" zeroArgs}}', "`zeroArgs`", TVAL, True),
    ("printf field", '{{printf "%s" .U.V}}', "v", TVAL, True),
    ("printf dot", '{{with .I}}{{printf "%d" .}}{{end}}', "17", TVAL, True),
    ("printf var", '{{with $x := .I}}{{printf "%d" $x}}{{end}}', "17", TVAL, True),
    (
        "printf lots",
        '{{printf "%d %s %g %s" 127 "hello" 7-3i .X}}',
        "127 hello (7-3i) x",
        TVAL,
        True,
    ),
    (
        "html",
        '{{html "<script>alert(\\"XSS\\");</script>"}}',
        "&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;",
        None,
        True,
    ),
    (
        "html pipeline",
        '{{printf "<script>alert(\\"XSS\\");</script>" | html}}',
        "&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;",
        None,
        True,
    ),
    ("html field", "{{html .PS}}", "a string", TVAL, True),
    ("html nil", "{{html .Empty0}}", "&lt;no value&gt;", TVAL, True),
    ("js", "{{js .}}", "It\\'d be nice.", "It'd be nice.", True),
    ("js escapes", "{{js .}}", '\\u003Ca\\u003E\\u0026\\u003D\\\\\\"\\u000A', '<a>&=\\"\n', True),
    (
        "urlquery",
        '{{"http://www.example.org/"|urlquery}}',
        "http%3A%2F%2Fwww.example.org%2F",
        None,
        True,
    ),
    ("not", "{{not true}} {{not false}}", "false true", None, True),
    ("and", "{{and false 0}} {{and 1 0}} {{and 0 true}} {{and 1 1}}", "false 0 0 1", None, True),
    ("or", "{{or 0 0}} {{or 1 0}} {{or 0 true}} {{or 1 1}}", "0 1 true 1", None, True),
    ("or short-circuit", "{{or 0 1 (die)}}", "1", None, True),
    ("and short-circuit", "{{and 1 0 (die)}}", "0", None, True),
    ("or short-circuit2", "{{or 0 0 (die)}}", "", None, False),
    ("and short-circuit2", "{{and 1 1 (die)}}", "", None, False),
    ("and pipe-true", "{{1 | and 1}}", "1", None, True),
    ("and pipe-false", "{{0 | and 1}}", "0", None, True),
    ("or pipe-true", "{{1 | or 0}}", "1", None, True),
    ("or pipe-false", "{{0 | or 0}}", "0", None, True),
    ("and undef", "{{and 1 .Unknown}}", "<no value>", None, True),
    ("or undef", "{{or 0 .Unknown}}", "<no value>", None, True),
    ("boolean if", "{{if and true 1 `hi`}}TRUE{{else}}FALSE{{end}}", "TRUE", TVAL, True),
    ("boolean if not", "{{if and true 1 `hi` | not}}TRUE{{else}}FALSE{{end}}", "FALSE", None, True),
    ("boolean if pipe", "{{if true | not | and 1}}TRUE{{else}}FALSE{{end}}", "FALSE", None, True),
    ("slice[0]", "{{index .SI 0}}", "3", TVAL, True),
    ("slice[1]", "{{index .SI 1}}", "4", TVAL, True),
    ("slice[HUGE]", "{{index .SI 10}}", "", TVAL, False),
    ("slice[3]", "{{index .SI 3}}", "", TVAL, False),
    ("slice[WRONG]", "{{index .SI `hello`}}", "", TVAL, False),
    ("slice[nil]", "{{index .SI nil}}", "", TVAL, False),
    ("map[one]", "{{index .MSI `one`}}", "1", TVAL, True),
    ("map[two]", "{{index .MSI `two`}}", "2", TVAL, True),
    ("map[NO]", "{{index .MSI `XXX`}}", "<no value>", TVAL, True),  # adapted: interface{} zero
    ("map[nil]", "{{index .MSI nil}}", "", TVAL, False),
    ("map[``]", "{{index .MSI ``}}", "<no value>", TVAL, True),  # adapted
    ("map[WRONG]", "{{index .MSI 10}}", "", TVAL, False),
    ("double index", "{{index .SMSI 1 `eleven`}}", "11", TVAL, True),
    ("nil[1]", "{{index nil 1}}", "", TVAL, False),
    ("index of an interface field", "{{index .Empty3 0}}", "7", TVAL, True),
    ("index of a string is a byte", "{{index .S 1}}", "121", TVAL, True),
    ("slice[:]", "{{slice .SI}}", "[3 4 5]", TVAL, True),
    ("slice[1:]", "{{slice .SI 1}}", "[4 5]", TVAL, True),
    ("slice[1:2]", "{{slice .SI 1 2}}", "[4]", TVAL, True),
    ("slice[-1:]", "{{slice .SI -1}}", "", TVAL, False),
    ("slice[1:-2]", "{{slice .SI 1 -2}}", "", TVAL, False),
    ("slice[1:2:-1]", "{{slice .SI 1 2 -1}}", "", TVAL, False),
    ("slice[2:1]", "{{slice .SI 2 1}}", "", TVAL, False),
    ("slice[2:2:1]", "{{slice .AI 2 2 1}}", "", TVAL, False),
    ("out of range", "{{slice .SI 4 5}}", "", TVAL, False),
    ("string[:]", "{{slice .S}}", "xyz", TVAL, True),
    ("string[0:1]", "{{slice .S 0 1}}", "x", TVAL, True),
    ("string[1:]", "{{slice .S 1}}", "yz", TVAL, True),
    ("string[1:2]", "{{slice .S 1 2}}", "y", TVAL, True),
    ("string out of range", "{{slice .S 1 5}}", "", TVAL, False),
    ("3-index slice of string", "{{slice .S 1 2 2}}", "", TVAL, False),
    ("len slice", "{{len .SI}}", "3", TVAL, True),
    ("len map", "{{len .MSI }}", "3", TVAL, True),
    ("len of int", "{{len 3}}", "", TVAL, False),
    ("len of nothing", "{{len .Empty0}}", "", TVAL, False),
    ("len of an interface field", "{{len .Empty3}}", "2", TVAL, True),
    ("len of a string counts bytes", "{{len .}}", "3", "é1", True),
    ("with true", "{{with true}}{{.}}{{end}}", "true", TVAL, True),
    ("with false", "{{with false}}{{.}}{{else}}FALSE{{end}}", "FALSE", TVAL, True),
    ("with 1", "{{with 1}}{{.}}{{else}}ZERO{{end}}", "1", TVAL, True),
    ("with 0", "{{with 0}}{{.}}{{else}}ZERO{{end}}", "ZERO", TVAL, True),
    ("with 1.5", "{{with 1.5}}{{.}}{{else}}ZERO{{end}}", "1.5", TVAL, True),
    ("with 0.0", "{{with .FloatZero}}{{.}}{{else}}ZERO{{end}}", "ZERO", TVAL, True),
    ("with 1.5i", "{{with 1.5i}}{{.}}{{else}}ZERO{{end}}", "(0+1.5i)", TVAL, True),
    ("with 0.0i", "{{with .ComplexZero}}{{.}}{{else}}ZERO{{end}}", "ZERO", TVAL, True),
    ("with emptystring", "{{with ``}}{{.}}{{else}}EMPTY{{end}}", "EMPTY", TVAL, True),
    ("with string", "{{with `notempty`}}{{.}}{{else}}EMPTY{{end}}", "notempty", TVAL, True),
    ("with emptyslice", "{{with .SIEmpty}}{{.}}{{else}}EMPTY{{end}}", "EMPTY", TVAL, True),
    ("with slice", "{{with .SI}}{{.}}{{else}}EMPTY{{end}}", "[3 4 5]", TVAL, True),
    ("with emptymap", "{{with .MSIEmpty}}{{.}}{{else}}EMPTY{{end}}", "EMPTY", TVAL, True),
    ("with map", "{{with .MSIone}}{{.}}{{else}}EMPTY{{end}}", "map[one:1]", TVAL, True),
    ("with empty interface, struct field", "{{with .Empty4}}{{.V}}{{end}}", "UinEmpty", TVAL, True),
    ("with $x int", "{{with $x := .I}}{{$x}}{{end}}", "17", TVAL, True),
    ("with $x struct.U.V", "{{with $x := $}}{{$x.U.V}}{{end}}", "v", TVAL, True),
    ("with variable and action", "{{with $x := $}}{{$y := $.U.V}}{{$y}}{{end}}", "v", TVAL, True),
    ("with else with", "{{with 0}}{{.}}{{else with true}}{{.}}{{end}}", "true", TVAL, True),
    (
        "with else with chain",
        "{{with 0}}{{.}}{{else with false}}{{.}}{{else with `notempty`}}{{.}}{{end}}",
        "notempty",
        TVAL,
        True,
    ),
    ("range []int", "{{range .SI}}-{{.}}-{{end}}", "-3--4--5-", TVAL, True),
    ("range empty no else", "{{range .SIEmpty}}-{{.}}-{{end}}", "", TVAL, True),
    ("range []int else", "{{range .SI}}-{{.}}-{{else}}EMPTY{{end}}", "-3--4--5-", TVAL, True),
    ("range empty else", "{{range .SIEmpty}}-{{.}}-{{else}}EMPTY{{end}}", "EMPTY", TVAL, True),
    ("range []bool", "{{range .SB}}-{{.}}-{{end}}", "-true--false-", TVAL, True),
    ("range map", "{{range .MSI}}-{{.}}-{{end}}", "-1--3--2-", TVAL, True),
    ("range empty map no else", "{{range .MSIEmpty}}-{{.}}-{{end}}", "", TVAL, True),
    ("range map else", "{{range .MSI}}-{{.}}-{{else}}EMPTY{{end}}", "-1--3--2-", TVAL, True),
    ("range empty map else", "{{range .MSIEmpty}}-{{.}}-{{else}}EMPTY{{end}}", "EMPTY", TVAL, True),
    ("range empty interface", "{{range .Empty3}}-{{.}}-{{else}}EMPTY{{end}}", "-7--8-", TVAL, True),
    ("range empty nil", "{{range .Empty0}}-{{.}}-{{end}}", "", TVAL, True),
    ("range $x SI", "{{range $x := .SI}}<{{$x}}>{{end}}", "<3><4><5>", TVAL, True),
    (
        "range $x $y SI",
        "{{range $x, $y := .SI}}<{{$x}}={{$y}}>{{end}}",
        "<0=3><1=4><2=5>",
        TVAL,
        True,
    ),
    ("range $x MSIone", "{{range $x := .MSIone}}<{{$x}}>{{end}}", "<1>", TVAL, True),
    (
        "range $x $y MSIone",
        "{{range $x, $y := .MSIone}}<{{$x}}={{$y}}>{{end}}",
        "<one=1>",
        TVAL,
        True,
    ),
    ("range $x PSI", "{{range $x := .PSI}}<{{$x}}>{{end}}", "<21><22><23>", TVAL, True),
    (
        "declare in range",
        "{{range $x := .PSI}}<{{$foo:=$x}}{{$x}}>{{end}}",
        "<21><22><23>",
        TVAL,
        True,
    ),
    ("range quick break", "{{range .SI}}{{break}}{{.}}{{end}}", "", TVAL, True),
    (
        "range break after two",
        "{{range $i, $x := .SI}}{{if ge $i 2}}{{break}}{{end}}{{.}}{{end}}",
        "34",
        TVAL,
        True,
    ),
    ("range continue", "{{range .SI}}{{continue}}{{.}}{{end}}", "", TVAL, True),
    (
        "range continue condition",
        "{{range .SI}}{{if eq . 3 }}{{continue}}{{end}}{{.}}{{end}}",
        "45",
        TVAL,
        True,
    ),
    ("range int", "{{range $v := 4}}{{$v}}{{end}}", "0123", 0, True),
    ("range int else", "{{range 0}}x{{else}}none{{end}}", "none", 0, True),
    ("range int two vars", "{{range $i, $v := 4}}{{$v}}{{end}}", "", 0, False),
    ("range float", "{{range 1.5}}{{.}}{{end}}", "", 0, False),
    ("range string", "{{range .}}{{.}}{{end}}", "", "abc", False),
    ("issue56490", "{{$i := 0}}{{$x := 0}}{{range $i = .AI}}{{end}}{{$i}}", "5", TVAL, True),
    (
        "issue60801",
        "{{$k := 0}}{{$v := 0}}{{range $k, $v = .AI}}{{$k}}={{$v}} {{end}}",
        "0=3 1=4 2=5 ",
        TVAL,
        True,
    ),
    ("or as if true", '{{or .SI "slice is empty"}}', "[3 4 5]", TVAL, True),
    ("or as if false", '{{or .SIEmpty "slice is empty"}}', "slice is empty", TVAL, True),
    ("bug4", "{{if .Empty0}}non-nil{{else}}nil{{end}}", "nil", TVAL, True),
    ("bug7a", "{{3 2}}", "", TVAL, False),
    ("bug7b", "{{$x := 1}}{{$x 2}}", "", TVAL, False),
    ("bug7c", "{{$x := 1}}{{3 | $x}}", "", TVAL, False),
    ("bug8a", "{{3|oneArg}}", "", TVAL, False),
    ("bug8b", "{{4|dddArg 3}}", "", TVAL, False),
    ("bug9", "{{.cause}}", "neglect", {"cause": "neglect"}, True),
    ("bug10", "{{mapOfThree.three}}-{{(mapOfThree).three}}", "3-3", 0, True),
    ("bug12xe", "{{printf `%T` 0xef}}", "int", TVAL, True),
    ("bug12xE", "{{printf `%T` 0xEE}}", "int", TVAL, True),
    ("bug14a", "{{(nil).True}}", "", TVAL, False),
    ("bug14b", "{{$x := nil}}{{$x.anything}}", "", TVAL, False),
    ("bug14c", '{{$x := (1.0)}}{{$y := ("hello")}}{{$x.anything}}{{$y.true}}', "", TVAL, False),
    ("bug15", "{{valueString returnInt}}", "", TVAL, False),
    ("bug16a", "{{true|printf}}", "", TVAL, False),
    ("bug16b", "{{1|printf}}", "", TVAL, False),
    ("bug16c", "{{1.1|printf}}", "", TVAL, False),
    ("bug16d", "{{'x'|printf}}", "", TVAL, False),
    ("bug16e", "{{0i|printf}}", "", TVAL, False),
    ("bug16f", '{{true|twoArgs "xxx"}}', "", TVAL, False),
    ("bug16g", '{{"aaa" |twoArgs "bbb"}}', "twoArgs=bbbaaa", TVAL, True),
    ("bug16h", "{{1|oneArg}}", "", TVAL, False),
    ("bug16i", '{{"aaa"|oneArg}}', "oneArg=aaa", TVAL, True),
    ("bug16j", '{{1+2i|printf "%v"}}', "(1+2i)", TVAL, True),
    ("bug16k", '{{"aaa"|printf }}', "aaa", TVAL, True),
    ("bug18a", "{{eq . '.'}}", "true", ord("."), True),
    ("bug18b", "{{eq . 'e'}}", "true", ord("e"), True),
    ("dddArg", "{{dddArg 3 `a` `b`}}", "3 [a b]\n", TVAL, True),
    ("json null prints no value", "{{.x}}", "<no value>", {"x": None}, True),
    ("field of json null", "{{.x.y}}", "", {"x": None}, False),
    ("field of a missing key", "{{.x.y}}", "<no value>", {}, True),
    ("field of a string", "{{.x.y}}", "", {"x": "s"}, False),
    (
        "float64 prints shortest",
        "{{.a}} {{.b}} {{.c}}",
        "1e+06 1.5e-05 3",
        {"a": 1e6, "b": 1.5e-5, "c": 3.0},
        True,
    ),
    (
        "nested maps print sorted",
        "{{.}}",
        "map[a:[1 map[x:<nil>]] b:true]",
        {"b": True, "a": [1, {"x": None}]},
        True,
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "output", "data", "ok"), EXEC, ids=[case[0] for case in EXEC]
)
def test_exec_as_go(name: str, text: str, output: str, data: Any, ok: bool) -> None:
    template = Template(name, FUNCS).parse(text)
    if ok:
        assert template.execute(data) == output
    else:
        with pytest.raises(TemplateError, match="^template: " + re.escape(name) + ":"):
            template.execute(data)


CMP_OK = [
    ("eq true true", "true"),
    ("eq true false", "false"),
    ("eq 1+2i 1+2i", "true"),
    ("eq 1+2i 1+3i", "false"),
    ("eq 1.5 1.5", "true"),
    ("eq 1.5 2.5", "false"),
    ("eq 1 1", "true"),
    ("eq 1 2", "false"),
    ("eq `xy` `xy`", "true"),
    ("eq `xy` `xyz`", "false"),
    ("eq .Uthree .Uthree", "true"),
    ("eq .Uthree .Ufour", "false"),
    ("eq 3 4 5 6 3", "true"),
    ("eq 3 4 5 6 7", "false"),
    ("ne true true", "false"),
    ("ne true false", "true"),
    ("ne 1+2i 1+2i", "false"),
    ("ne 1+2i 1+3i", "true"),
    ("ne 1.5 1.5", "false"),
    ("ne 1.5 2.5", "true"),
    ("ne 1 1", "false"),
    ("ne 1 2", "true"),
    ("ne `xy` `xy`", "false"),
    ("ne `xy` `xyz`", "true"),
    ("lt 1.5 1.5", "false"),
    ("lt 1.5 2.5", "true"),
    ("lt 1 1", "false"),
    ("lt 1 2", "true"),
    ("lt `xy` `xy`", "false"),
    ("lt `xy` `xyz`", "true"),
    ("le 1.5 1.5", "true"),
    ("le 1.5 2.5", "true"),
    ("le 2.5 1.5", "false"),
    ("le 1 1", "true"),
    ("le 1 2", "true"),
    ("le 2 1", "false"),
    ("le `xy` `xy`", "true"),
    ("le `xy` `xyz`", "true"),
    ("le `xyz` `xy`", "false"),
    ("gt 1.5 1.5", "false"),
    ("gt 1.5 2.5", "false"),
    ("gt 1 1", "false"),
    ("gt 2 1", "true"),
    ("gt 1 2", "false"),
    ("gt `xy` `xy`", "false"),
    ("gt `xy` `xyz`", "false"),
    ("ge 1.5 1.5", "true"),
    ("ge 1.5 2.5", "false"),
    ("ge 2.5 1.5", "true"),
    ("ge 1 1", "true"),
    ("ge 1 2", "false"),
    ("ge 2 1", "true"),
    ("ge `xy` `xy`", "true"),
    ("ge `xy` `xyz`", "false"),
    ("ge `xyz` `xy`", "true"),
    ("eq .Missing .Missing", "true"),
    ("eq .Missing nil", "true"),
    ("eq .Missing 1", "false"),
]

CMP_FAIL = [
    "eq `xy` 1",  # different types
    "eq 2 2.0",  # different types
    "lt true true",  # unordered types
    "lt 1+0i 1+0i",  # unordered types
    "eq .NonNilMap .NonNilMap",  # uncomparable types
    "eq .SI .SI",
    "eq .SI .NonNilMap",
    "lt .Missing 1",
    "eq 1",
]


@pytest.mark.parametrize(("expression", "truth"), CMP_OK)
def test_comparison(expression: str, truth: str) -> None:
    assert Template("t").parse("{{" + expression + "}}").execute(TVAL) == truth


@pytest.mark.parametrize("expression", CMP_FAIL)
def test_comparison_errors(expression: str) -> None:
    with pytest.raises(TemplateError, match="error calling"):
        Template("t").parse("{{" + expression + "}}").execute(TVAL)


# The exact texts: position (line:byte column), the node, Go's message.
ERRORS = [
    (
        "{{.a.b}}",
        {"a": "s"},
        'template: t:1:4: executing "t" at <.a.b>: can\'t evaluate field b in type interface {}',
    ),
    (
        "{{.x.y}}",
        {"x": None},
        'template: t:1:4: executing "t" at <.x.y>: nil pointer evaluating interface {}.y',
    ),
    (
        "{{.y}}",
        "s",
        'template: t:1:2: executing "t" at <.y>: can\'t evaluate field y in type string',
    ),
    (
        "{{index .SI 10}}",
        TVAL,
        'template: t:1:2: executing "t" at <index .SI 10>: '
        "error calling index: index out of range: 10",
    ),
    (
        "{{len 3}}",
        TVAL,
        'template: t:1:2: executing "t" at <len 3>: error calling len: len of type int',
    ),
    ("{{nil}}", TVAL, 'template: t:1:2: executing "t" at <nil>: nil is not a command'),
    (
        "{{3 2}}",
        TVAL,
        'template: t:1:2: executing "t" at <3>: can\'t give argument to non-function 3',
    ),
    (
        '\n  {{template "x"}}',
        TVAL,
        'template: t:2:13: executing "t" at <{{template "x"}}>: template "x" not defined',
    ),
    (
        "{{printf}}",
        TVAL,
        'template: t:1:2: executing "t" at <printf>: '
        "wrong number of args for printf: want at least 1 got 0",
    ),
    (
        "{{not}}",
        TVAL,
        'template: t:1:2: executing "t" at <not>: wrong number of args for not: want 1 got 0',
    ),
    (
        "{{1|printf}}",
        TVAL,
        'template: t:1:4: executing "t" at <printf>: '
        "wrong type for value; expected string; got int",
    ),
    (
        "{{doPanic}}",
        TVAL,
        'template: t:1:2: executing "t" at <doPanic>: error calling doPanic: custom panic string',
    ),
    (
        "{{call doPanic}}",
        TVAL,
        'template: t:1:7: executing "t" at <doPanic>: error calling doPanic: custom panic string',
    ),
    (
        "{{typeOf " + BIG_UINT + "}}",
        TVAL,
        'template: t:1:9: executing "t" at <0x8000000000000000>: 0x8000000000000000 overflows int',
    ),
    (
        "{{index .SI 10 10 10 10 10 10 10}}",
        TVAL,
        'template: t:1:2: executing "t" at <index .SI 10 10 10 10 10 10 10>: '
        "error calling index: index out of range: 10",
    ),
    (
        "é{{len 3}}",
        TVAL,
        'template: t:1:4: executing "t" at <len 3>: error calling len: len of type int',
    ),
    (
        "{{eq 2 2.0}}",
        TVAL,
        'template: t:1:2: executing "t" at <eq 2 2.0>: '
        "error calling eq: incompatible types for comparison",
    ),
    (
        "{{range 1.5}}{{end}}",
        TVAL,
        'template: t:1:8: executing "t" at <1.5>: range can\'t iterate over 1.5',
    ),
]


@pytest.mark.parametrize(("text", "data", "want"), ERRORS)
def test_exec_error_texts(text: str, data: Any, want: str) -> None:
    with pytest.raises(TemplateError) as caught:
        Template("t", FUNCS).parse(text).execute(data)
    assert str(caught.value) == want


def test_missing_key_error_option() -> None:
    template = Template("t", missing_key="error").parse("{{.x}}")
    with pytest.raises(TemplateError) as caught:
        template.execute({"y": 1})
    assert (
        str(caught.value) == 'template: t:1:2: executing "t" at <.x>: map has no entry for key "x"'
    )
    assert Template("t").parse("{{.x}}").execute({"y": 1}) == "<no value>"


def test_define_template_and_block() -> None:
    text = (
        '{{define "x"}}TEXT{{end}}{{define "dotV"}}{{.V}}{{end}}'
        '{{template "x"}}-{{template "dotV" .U}}-{{block "b" .X}}[{{.}}]{{end}}'
    )
    template = Template("root").parse(text)
    assert template.execute(TVAL) == "TEXT-v-[x]"
    # a later parse may redefine a block, as Go's Parse does (text/template/multi_test.go)
    template.parse('{{define "b"}}<{{.}}>{{end}}')
    assert template.execute(TVAL) == "TEXT-v-<x>"
    assert template.execute(TVAL["U"], name="dotV") == "v"
    assert template.defined_templates() == ["b", "dotV", "root", "x"]


def test_template_without_pipeline_has_no_data() -> None:
    assert (
        Template("t").parse('{{define "a"}}{{.}}{{end}}{{template "a"}}').execute(TVAL)
        == "<no value>"
    )


def test_templates_do_not_inherit_variables() -> None:
    with pytest.raises(TemplateError, match='undefined variable "\\$x"'):
        Template("t").parse('{{$x := 1}}{{define "a"}}{{$x}}{{end}}')


def test_recursion_stops_with_a_template_error() -> None:
    template = Template("t").parse('{{define "a"}}{{template "a" .}}{{end}}{{template "a" .}}')
    with pytest.raises(TemplateError, match=r"exceeded maximum template depth \(100\)"):
        template.execute({})


def test_recursion_bounded_by_data_works() -> None:
    text = '{{define "n"}}{{.v}}{{with .next}}>{{template "n" .}}{{end}}{{end}}{{template "n" .}}'
    data: dict[str, Any] = {"v": 3, "next": {"v": 2, "next": {"v": 1}}}
    assert Template("t").parse(text).execute(data) == "3>2>1"


def test_errors_name_the_executing_template() -> None:
    template = Template("root").parse('{{define "inner"}}\n {{len 3}}{{end}}{{template "inner"}}')
    with pytest.raises(TemplateError) as caught:
        template.execute(None)
    assert str(caught.value) == (
        'template: root:2:3: executing "inner" at <len 3>: error calling len: len of type int'
    )


def test_unknown_template_name() -> None:
    with pytest.raises(TemplateError, match='no template "nope" associated'):
        Template("t").parse("x").execute(None, name="nope")
