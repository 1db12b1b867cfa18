"""Sprig's regex functions on Go's regexp semantics: our RE2 translation (sprig/re2.py)
against Go's own tables (regexp/find_test.go, all_test.go, syntax/parse_test.go; the data is
regex_cases.py), and the constructs Python's re reads differently."""

from __future__ import annotations

from typing import Any

import pytest

from tests.config.gotemplate.regex_cases import (
    FIND_TESTS,
    REPLACE_LITERAL_TESTS,
    REPLACE_TESTS,
    SPLIT_TESTS,
)
from trio_gateway.config.gotemplate import Template, TemplateError
from trio_gateway.config.gotemplate.sprig import SPRIG
from trio_gateway.config.gotemplate.sprig.re2 import GoRegexpError, UnsupportedRegexp, translate
from trio_gateway.config.gotemplate.sprig.regex import REGEX, _matches

call = {name: fn.fn for name, fn in REGEX.items()}


def _positions(match: Any, groups: int) -> list[int]:
    out: list[int] = []
    for group in range(groups + 1):
        out += [match.start(group), match.end(group)]
    return out


@pytest.mark.parametrize(("pattern", "text", "want"), FIND_TESTS)
def test_find_all_submatch_index(pattern: str, text: str, want: list[list[int]]) -> None:
    compiled = translate(pattern)
    got = [_positions(m, compiled.groups) for m in _matches(compiled, text, -1)]
    assert got == want


@pytest.mark.parametrize(("pattern", "replacement", "text", "want"), REPLACE_TESTS)
def test_replace_all(pattern: str, replacement: str, text: str, want: str) -> None:
    assert call["regexReplaceAll"](pattern, text, replacement) == want


@pytest.mark.parametrize(("pattern", "replacement", "text", "want"), REPLACE_LITERAL_TESTS)
def test_replace_all_literal(pattern: str, replacement: str, text: str, want: str) -> None:
    assert call["regexReplaceAllLiteral"](pattern, text, replacement) == want


@pytest.mark.parametrize(("text", "pattern", "limit", "want"), SPLIT_TESTS)
def test_split(text: str, pattern: str, limit: int, want: list[str]) -> None:
    assert list(call["regexSplit"](pattern, text, limit)) == want


# syntax/parse_test.go invalidRegexps (those Python strings can hold: no invalid UTF-8; and
# not the size limits of 128 MB programs, which we do not model)
INVALID = [
    "(", ")", "(a", "a)", "(a))", "(a|b|", "a|b|)", "(a|b|))", "(a|b", "a|b)", "(a|b))",
    "[a-z", "([a-z)", "[a-z)", "([a-z]))", "x{1001}", "x{9876543210}", "x{2,1}",
    "x{1,9876543210}", "(?P<name>a", "(?P<name>", "(?P<name", "(?P<x y>a)", "(?P<>a)",
    "[a-Z]", "(?i)[a-Z]", r"\Q\E*", "a{100000}", "a{100000,}",
    "((((((((((x{2}){2}){2}){2}){2}){2}){2}){2}){2}){2})",
    # Perl syntax Go refuses and Python's re accepts
    "(?=a)", "(?!a)", "(?<=a)b", "(?<!a)b", r"(a)\1", "(?>a)", "a*+", "a++", "a?+",
    "a{2}+", "(?#comment)", "(?<name>a)", r"\Z", r"\1", r"\8", r"\C", "a**", "(?-)",
    "[[:foo:]]", r"\x{110000}", r"\pX", r"\e",
]  # fmt: skip
ONLY_PERL = [
    "[a-b-c]", r"\Qabc\E", r"\Q*+?{[\E", r"\Q\\E", r"\Q\\\E", r"\Q\\\\E", r"\Q\\\\\E",
    "(?:a)", "(?P<name>a)", "(?)", "(?i)", "(?i-s:a)", "(?U)a+", r"\pL", r"\p{^Lu}", r"\PN",
]  # fmt: skip


@pytest.mark.parametrize("pattern", INVALID)
def test_go_refuses(pattern: str) -> None:
    with pytest.raises(GoRegexpError) as caught:
        translate(pattern)
    assert not isinstance(caught.value, UnsupportedRegexp)
    assert str(caught.value).startswith("error parsing regexp: ")


@pytest.mark.parametrize("pattern", ONLY_PERL)
def test_go_accepts(pattern: str) -> None:
    translate(pattern)


# what Python's re would read differently: (pattern, text, Go's FindString)
DIFFERENT_IN_PYTHON = [
    ("a$", "a\n", ""),  # $ is the end of the text, not before a final newline
    ("(?m)a$", "a\nb", "a"),
    (r"\d+", "x\u0663\u06644", "4"),  # ASCII digits
    (r"\w+", "\u00e9a_b", "a_b"),
    (r"\s+", "a\x0b\t b", "\t "),  # no \v in \s
    (r"\bfoo\b", "\u00e9foo", "foo"),  # an ASCII word boundary
    ("a{,2}", "a{,2}", "a{,2}"),  # not a repeat: literal text
    ("a{01}", "a{01}", "a{01}"),
    (r"\12", "\n", "\n"),  # octal, no back reference
    (r"\x{263a}", "\u263a", "\u263a"),
    (r"\Qa.b\E+", "a.bbb", "a.bbb"),
    ("a(?i)b|c", "aB", "aB"),  # (?i) in the middle, up to the end of the group
    ("(?i)[^a]", "A", ""),  # folded before negation
    ("(?i)k", "\u212a", "\u212a"),  # KELVIN SIGN folds to k
    ("(?U)a+", "aaa", "a"),  # ungreedy
    ("(?U)a+?", "aaa", "aaa"),
    ("[[:alpha:]]+", "12abc", "abc"),
    ("[[:^digit:]x]+", "12abc", "abc"),
    (r"[\d-z]+", "1-z", "1-z"),
    ("(?s).", "\n", "\n"),
    (".", "\n", ""),
    ("^*a", "a", "a"),  # a repeated empty assertion
    ("x|", "y", ""),
]


@pytest.mark.parametrize(("pattern", "text", "want"), DIFFERENT_IN_PYTHON)
def test_go_semantics(pattern: str, text: str, want: str) -> None:
    assert call["regexFind"](pattern, text) == want


def render(text: str, data: Any = None) -> str:
    return Template("t", SPRIG).parse(text).execute(data)


def test_template_functions() -> None:
    data = {"p": "(?P<k>\\w+)=(\\d+)", "s": "a=1, b=22"}
    assert render('{{regexReplaceAll .p .s "${2}:$k"}}', data) == "1:a, 22:b"
    assert render('{{regexReplaceAllLiteral .p .s "$1"}}', data) == "$1, $1"
    assert render("{{regexFindAll .p .s -1}} {{regexFindAll .p .s 1}}", data) == "[a=1 b=22] [a=1]"
    assert render('{{regexMatch "^a" .s}} {{regexMatch "(" .s}}', data) == "true false"
    assert render('{{regexSplit ", *" .s -1}} {{regexQuoteMeta "a.b*"}}', data) == (
        "[a=1 b=22] a\\.b\\*"
    )
    assert render('{{toJson (regexFindAll "z" .s -1)}} {{typeOf (regexSplit "," .s 0)}}', data) == (
        "null []string"
    )


@pytest.mark.parametrize(
    "text",
    [
        '{{regexFind "(" "x"}}',
        '{{mustRegexMatch "(" "x"}}',
        '{{regexFindAll "[" "x" -1}}',
        '{{regexReplaceAll "a**" "x" ""}}',
        '{{regexSplit "\\\\" "x" -1}}',
    ],
)
def test_bad_patterns_fail_the_template(text: str) -> None:
    with pytest.raises(TemplateError, match="error parsing regexp"):
        render(text)


def test_unsupported_is_an_error_even_for_regex_match() -> None:
    # \p{Greek} is valid Go; unicodedata has no scripts, so we refuse rather than answer false
    with pytest.raises(TemplateError, match=r"\\p\{Greek\} is not supported"):
        render('{{regexMatch "\\\\p{Greek}" "a"}}')
