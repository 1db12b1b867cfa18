"""Whatever the template text and the data, parsing and running end in output or in a
`TemplateError` (Go's text), never another exception or a hang."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.config.gotemplate import Template, TemplateError

_WORDS = [
    "{{",
    "}}",
    "{{-",
    "-}}",
    " ",
    "\n",
    ".",
    ".a",
    ".b.c",
    "$",
    "$x",
    "$i",
    ":=",
    "=",
    ",",
    "|",
    "(",
    ")",
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
    "nil",
    "true",
    "1",
    "-2",
    "1.5",
    "0x1F",
    "'c'",
    '"s"',
    "`r`",
    "/*",
    "*/",
    "and",
    "or",
    "not",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "len",
    "index",
    "slice",
    "print",
    "printf",
    "println",
    "html",
    "js",
    "urlquery",
    "call",
    '"%v %d %s %q %x %5.2f"',
    "text",
]

_ACTIONS = st.sampled_from(
    [
        "{{.a}}",
        "{{.b.c}}",
        "{{$}}",
        "{{len .l}}",
        "{{index .l 0}}",
        "{{slice .l 1}}",
        '{{printf "%v|%d|%s|%q|%x|%t|%6.2f" .a .n .s .s .n .t .f}}',
        "{{print .a .l .m}}",
        "{{eq .n 1}}",
        "{{lt .n .f}}",
        "{{html .s}}{{js .s}}{{urlquery .s}}",
        "{{and .a .t}}",
        "{{or .z .a}}",
        "{{not .l}}",
        "{{.m.k}}",
        "{{$x := .n}}{{$x}}",
        "{{break}}",
        "{{continue}}",
        '{{template "d" .}}',
    ]
)


def _nest(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda a, b: f"{{{{if .t}}}}{a}{{{{else if .n}}}}{b}{{{{end}}}}", inner, inner),
        st.builds(
            lambda a, b: f"{{{{range $i, $v := .l}}}}{a}{{{{else}}}}{b}{{{{end}}}}", inner, inner
        ),
        st.builds(lambda a: f"{{{{range .m}}}}{a}{{{{end}}}}", inner),
        st.builds(lambda a: f"{{{{with .m}}}}{a}{{{{end}}}}", inner),
        st.builds(lambda a, b: a + b, inner, inner),
    )


_TEMPLATES = st.recursive(st.one_of(_ACTIONS, st.text(max_size=5)), _nest, max_leaves=12)
_SOUP = st.lists(st.sampled_from(_WORDS), max_size=30).map("".join)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from("abcfklmnstz"), children, max_size=5)
    ),
    max_leaves=15,
)
_DATA = st.fixed_dictionaries(
    {},
    optional={
        "a": _JSON,
        "b": _JSON,
        "l": _JSON,
        "m": _JSON,
        "n": _JSON,
        "s": _JSON,
        "t": _JSON,
        "f": _JSON,
        "z": _JSON,
    },
)


def _run(text: str, data: Any) -> None:
    try:
        template = Template("p").parse('{{define "d"}}{{.}}{{end}}' + text)
        output = template.execute(data)
    except TemplateError as error:
        assert str(error).startswith("template: ")
    else:
        assert isinstance(output, str)


@settings(max_examples=300, deadline=None)
@given(_TEMPLATES, _DATA)
def test_grammar_templates_end_in_output_or_template_error(text: str, data: Any) -> None:
    _run(text, data)


@settings(max_examples=300, deadline=None)
@given(_SOUP, _DATA)
def test_token_soup_ends_in_output_or_template_error(text: str, data: Any) -> None:
    _run(text, data)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), _JSON)
def test_any_text_ends_in_output_or_template_error(text: str, data: Any) -> None:
    _run(text, data)


def test_deep_nesting_is_a_template_error() -> None:
    for text in ("{{" + "(" * 5000 + "1" + ")" * 5000 + "}}", "{{if 1}}" * 5000):
        try:
            Template("deep").parse(text)
        except TemplateError as error:
            assert "depth exceeded" in str(error)
        else:
            raise AssertionError("no error")
