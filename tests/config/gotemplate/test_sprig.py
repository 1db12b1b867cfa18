"""Sprig's functions as KrakenD offers them (cases after Sprig's own tests), and KrakenD's
`marshal`, `include` and FC_TEMPLATES files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trio_gateway.config.gotemplate import TemplateError
from trio_gateway.config.gotemplate.gojson import go_json
from trio_gateway.config.gotemplate.krakend import add_template_files, config_template

CASES: list[tuple[str, str, Any]] = [
    # strings
    ('{{trim "   5.00   "}}', "5.00", None),
    ('{{upper "hello"}}-{{lower "HeLLo"}}', "HELLO-hello", None),
    ('{{"I Am Henry VIII" | replace " " "-"}}', "I-Am-Henry-VIII", None),
    ('{{contains "cat" "fair catch"}} {{contains "dog" "fair catch"}}', "true false", None),
    ('{{hasPrefix "cat" "catch"}} {{hasSuffix "cat" "catch"}}', "true false", None),
    ('{{trimPrefix "-" "-hi"}}{{trimSuffix "-" "hi-"}}', "hihi", None),
    ('{{$v := split "$" "a$b$c"}}{{$v._0}}{{$v._2}}', "ac", None),
    ('{{splitList "," "a,b"}}', "[a b]", None),
    ('{{join "-" (list 1 "b" 3.5 nil)}}', "1-b-3.5", None),
    ('{{join "," .l}}', "x,y", {"l": ["x", "y"]}),
    ('{{quote "a" 1 nil "q\\""}}', '"a" "1" "q\\""', None),
    ('{{squote "a" 2}}', "'a' '2'", None),
    ('{{repeat 3 "ab"}}', "ababab", None),
    ('{{substr 1 3 "hello"}}', "el", None),
    ('{{trunc 3 "hello"}}|{{trunc -2 "hello"}}', "hel|lo", None),
    ('{{indent 2 "a\\nb"}}', "  a\n  b", None),
    ('{{nindent 2 "a"}}', "\n  a", None),
    ('{{nospace " a b\\tc "}}', "abc", None),
    ('{{cat "a" 1 nil "b"}}', "a 1 b", None),
    # lists
    ("{{list 1 2 3}}", "[1 2 3]", None),
    ("{{list 1 2 3 | first}} {{list 1 2 3 | last}}", "1 3", None),
    ("{{first .e}}", "<no value>", {"e": []}),
    ("{{append (list 1 2) 3}} {{prepend (list 1 2) 0}}", "[1 2 3] [0 1 2]", None),
    ("{{has 4 (list 1 2 3 4)}} {{has 5 (list 1 2 3 4)}} {{has 1 nil}}", "true false false", None),
    ("{{has 1 .l}}", "false", {"l": [1.0]}),  # DeepEqual: int 1 is not float64 1
    ("{{rest (list 1 2 3)}} {{initial (list 1 2 3)}}", "[2 3] [1 2]", None),
    (
        '{{uniq (list 1 1 2 1)}} {{without (list 1 2 3) 2}} {{compact (list 0 1 "" 2)}}',
        "[1 2] [1 3] [1 2]",
        None,
    ),
    ('{{reverse (list 1 2 3)}} {{sortAlpha (list "b" "a" 3)}}', "[3 2 1] [3 a b]", None),
    # dicts
    ('{{$d := dict "a" 1 "b" 2}}{{get $d "a"}}[{{get $d "z"}}]', "1[]", None),
    ('{{$d := dict "a" 1}}{{$_ := set $d "b" 2}}{{$d}}', "map[a:1 b:2]", None),
    ('{{dict "a" 1 "odd"}}', "map[a:1 odd:]", None),
    ('{{keys (dict "b" 1 "a" 2) | sortAlpha}}', "[a b]", None),
    ('{{hasKey (dict "a" 1) "a"}} {{hasKey .m "z"}}', "true false", {"m": {"a": 1}}),
    (
        '{{values (dict "a" 1)}} {{pick (dict "a" 1 "b" 2) "b"}} {{omit (dict "a" 1 "b" 2) "b"}}',
        "[1] map[b:2] map[a:1]",
        None,
    ),
    ('{{unset (dict "a" 1 "b" 2) "a"}}', "map[b:2]", None),
    ('{{merge (dict "a" 1) (dict "a" 2 "b" 3)}}', "map[a:1 b:3]", None),
    ('{{get .settings "port"}}', "8080", {"settings": {"port": 8080.0}}),
    # defaults
    (
        '{{default "foo" .missing}} {{default "foo" "bar"}} {{"" | default "foo"}} {{default 1 0}}',
        "foo bar foo 1",
        {},
    ),
    (
        '{{empty ""}} {{empty 0.0}} {{empty .l}} {{empty "x"}} {{empty .missing}}',
        "true true true false true",
        {"l": []},
    ),
    ('{{coalesce 0 "" "x"}} {{coalesce 0 ""}}', "x <no value>", None),
    ('{{ternary "a" "b" true}} {{false | ternary "a" "b"}}', "a b", None),
    # math
    ("{{add 1 2 3}} {{add 1.5 2}} {{add1 4}} {{sub 5 7}}", "6 3 5 -2", None),
    ("{{mul 2 3 4}} {{div 7 2}} {{div -7 2}} {{mod 7 3}} {{mod -7 3}}", "24 3 -3 1 -1", None),
    ('{{max 1 5 3}} {{min 4 2 8}} {{add .n 1}} {{add "4" 1}}', "5 2 3 5", {"n": 2.0}),
    (
        "{{addf 1.5 2}} {{subf 5 1.5}} {{mulf 1.5 2}} {{divf 1 4}} {{maxf 1 2.5}} {{minf 1 2.5}}",
        "3.5 3.5 3 0.25 2.5 1",
        None,
    ),
    # JSON
    (
        '{{toJson (dict "b" 1 "a" (list "<x>" 1.5 nil))}}',
        '{"a":["\\u003cx\\u003e",1.5,null],"b":1}',
        None,
    ),
    (
        '{{toPrettyJson (dict "a" (list 1) "b" (dict))}}',
        '{\n  "a": [\n    1\n  ],\n  "b": {}\n}',
        None,
    ),
    ('{{toRawJson (list "<x>")}}', '["<x>"]', None),
    ('{{(fromJson "{\\"a\\": [1, 2]}").a}} {{fromJson "x"}}', "[1 2] <no value>", None),
    (
        "{{marshal .}}",
        '{"a":[1,2.5e+21,1e-7,"x\\u0026"],"b":null}',
        {"b": None, "a": [1, 2.5e21, 1e-7, "x&"]},
    ),
    ("{{marshal .f}}", "", {"f": float("nan")}),
    # found by the differential test against Go 1.19 + Sprig 3.2.3
    (
        "{{slice .l 1}} {{slice .l 0 1}} {{slice .l}} {{slice .e}}",
        "[2 3] [1] [1 2 3] <no value>",
        {"l": [1, 2, 3], "e": []},
    ),
    (
        '{{printf "%+v|%d|%5.1f|%x|%X" .l .m .m 1.5 0.0}}',
        "[1 2 3]|map[%!d(string=a):<nil>]|map[%!f(string=    a):<nil>]|0x1.8p+00|0X0P+00",
        {"l": [1, 2, 3], "m": {"a": None}},
    ),
    ("{{.z}} {{.l}}", "-0 [-0]", {"z": -0.0, "l": [-0.0]}),
]


@pytest.mark.parametrize(("text", "want", "data"), CASES)
def test_sprig_and_krakend_functions(text: str, want: str, data: Any) -> None:
    assert config_template("c").parse(text).execute(data) == want


ERRORS = [
    ("{{upper 1}}", "expected string; found 1"),
    ("{{upper .n}}", "wrong type for value; expected string; got int"),
    ('{{first "s"}}', "error calling first: Cannot find first on type string"),
    ('{{append "s" 1}}', "error calling append: Cannot push on type string"),
    ("{{div 1 0}}", "error calling div: runtime error: integer divide by zero"),
    ("{{divf 1 0}}", "error calling divf: decimal division by 0"),
    ("{{first .m}}", "error calling first: Cannot find first on type map"),
    ("{{has 1 .n}}", "error calling has: Cannot find has on type int"),
    ("{{repeat -1 `a`}}", "error calling repeat: strings: negative Repeat count"),
    ('{{get "s" "a"}}', 'can\'t handle "s" for arg of type map[string]interface {}'),
    ('{{get .s "a"}}', "wrong type for value; expected map[string]interface {}; got string"),
    ("{{ternary 1 2 3}}", "expected bool; found 3"),
    (
        "{{include 1}}",
        "error calling include: interface conversion: interface {} is int, not string",
    ),
    ("{{repeat .x `a`}}", "invalid value; expected int"),
    ('{{slice "abc" 1}}', "error calling slice: list should be type of slice or array but string"),
    ("{{slice .l 2 5}}", "error calling slice: reflect.Value.Slice: slice index out of bounds"),
    ("{{keys .z}}", "wrong type for value; expected map[string]interface {}; got interface {}"),
]


@pytest.mark.parametrize(("text", "part"), ERRORS)
def test_sprig_errors(text: str, part: str) -> None:
    with pytest.raises(TemplateError) as caught:
        config_template("c").parse(text).execute({"n": 1, "s": "s", "m": {}, "l": [1], "z": None})
    assert str(caught.value).startswith("template: c:1:")
    assert part in str(caught.value)


def test_env_and_expandenv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOTMPL_TEST", "v1")
    monkeypatch.delenv("GOTMPL_UNSET", raising=False)
    text = (
        '{{env "GOTMPL_TEST"}}|{{env "GOTMPL_UNSET"}}|'
        '{{expandenv "a-$GOTMPL_TEST-${GOTMPL_TEST}-$GOTMPL_UNSET."}}'
    )
    assert config_template("c").parse(text).execute(None) == "v1||a-v1-v1-."


def test_include_reads_a_partial_verbatim(tmp_path: Path) -> None:
    (tmp_path / "cors.json").write_text('{"x": "{{ not a template }}"}\n')
    template = config_template("c", partials=str(tmp_path))
    assert template.parse('[{{include "cors.json"}}][{{include "missing.json"}}]').execute(
        None
    ) == ('[{"x": "{{ not a template }}"}\n][]')


def test_template_files_join_the_set_under_their_names(tmp_path: Path) -> None:
    (tmp_path / "b.tmpl").write_text('{{define "x"}}X{{.}}{{end}}B')
    (tmp_path / "a.tmpl").write_text("A{{.}}")
    (tmp_path / "skip.txt").write_text("{{")
    template = config_template("krakend.json").parse(
        '{{template "a.tmpl" 1}}|{{template "x" 2}}|{{template "b.tmpl"}}'
    )
    assert add_template_files(template, tmp_path) == ["a.tmpl", "b.tmpl"]
    assert template.execute(None) == "A1|X2|B"


def test_go_json_numbers() -> None:
    assert (
        go_json([1e20, 1e21, 1e-6, 1e-7, -0.0, 100.0, 1.5])
        == "[100000000000000000000,1e+21,0.000001,1e-7,-0,100,1.5]"
    )
    assert go_json({"a": {"b": []}}, indent="  ") == '{\n  "a": {\n    "b": []\n  }\n}'
