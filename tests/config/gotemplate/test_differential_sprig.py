"""Differential test of Sprig's functions and printf against Go 1.19's text/template + Sprig
v3.2.3 (gorender_support): tables per function group, Masterminds/semver's own cases, and
generated inputs where the space is large (strings through the case functions, regular
expressions, printf's argument indexes, decimal math, merges)."""

# ruff: noqa: E501 - the tables are templates, one case a line

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.config.gotemplate.gobuild import SKIP_WITHOUT_GO
from tests.config.gotemplate.gorender_support import GoRenderer, check
from tests.config.gotemplate.semver_cases import CONSTRAINT_CHECK, NEW_VERSION

pytestmark = SKIP_WITHOUT_GO

DATA: dict[str, Any] = {
    "s": "hello",
    "n": 3,
    "f": 2.5,
    "big": 1000000,
    "l": [1, "two", None, True, 3.5],
    "m": {"x": 1, "k": {"deep": [1]}, "y": "why", "z": None},
    "em": {},
    "el": [],
    "z": None,
    "t": True,
    "nums": [3, 1, 2],
}

STRINGS = [
    '{{abbrev 5 "hello world"}} {{abbrev 3 "hello"}} {{abbrev 20 "hello"}}',
    '{{abbrev 4 "héllo wörld"}} {{abbrev 6 "日本語日本語"}}',
    '{{abbrevboth 5 10 "1234 5678 9123"}} {{abbrevboth 0 4 "abcdefghij"}}',
    '{{abbrevboth 3 6 "abcdefghijklm"}} {{abbrevboth 10 7 "abcdefghijklmnopq"}}',
    '{{wrap 5 "Hello World foo bar"}}|{{wrap 0 "a b"}}|{{wrap 3 "abcdefgh ij"}}',
    '{{wrapWith 5 "\\t" "Hello World"}}|{{wrapWith 3 "<br>" "abcdefgh ij k"}}',
    '{{initials "First Try"}} {{initials "héllo wörld"}} {{initials ""}} {{initials " a  b "}}',
    '{{snakecase "FirstName"}} {{snakecase "HTTPServer"}} {{snakecase "http2xx"}}',
    '{{snakecase "HTTP20xOK"}} {{snakecase " _-_ "}} {{snakecase "Bld4Floor3rd"}}',
    '{{snakecase "a1b2c3d"}} {{snakecase "A//B%%2c"}} {{snakecase "HTTP状态码404/502Error"}}',
    '{{snakecase "混合ABCWords与123数字456"}} {{snakecase "  sentence case  "}}',
    '{{snakecase " Mixed-hyphen case _and SENTENCE_case and UPPER-case"}}',
    '{{kebabcase "FirstName"}} {{kebabcase "FROM CamelCase to snake/kebab-case"}}',
    '{{snakecase "Abc\\uFFFDE\\uFFFDf\\uFFFDd\\uFFFD2\\uFFFD00z\\uFFFDZZ\\uFFFDZZ"}}',
    '{{camelcase "http_server"}} {{camelcase "_camel_case"}} {{camelcase "_complex__case_"}}',
    '{{camelcase " complex -case "}} {{camelcase "GOLANG_IS_GREAT"}} {{camelcase "a"}}',
    '{{camelcase "__"}} {{camelcase "_"}} {{camelcase "FROM CamelCase to snake/kebab-case"}}',
    '{{swapcase "This Is A.Test"}} {{swapcase "Θ~λa云Ξπ"}} {{swapcase "ǅa"}}',
    '{{untitle "Hello World"}} {{title "it\'s a dog\'s life"}} {{title "hello_world foo-bar"}}',
    '{{upper "straße"}} {{lower "ΑΣ"}} {{title "ǆx"}} {{upper "ᾳ"}} {{lower "İ"}}',
    '{{plural "one" "many" 1}} {{plural "one" "many" 2}} {{plural "one" "many" 0}}',
    '{{trim "\\u00a0 x \\x1c"}}|{{nospace "a b\\u00a0c"}}|{{nospace "été"}}|{{trimall "$" "$x$"}}',
    '{{substr 1 3 "héllo"}}|{{trunc 2 "héllo"}}|{{trunc -3 "héllo"}}',
    '{{substr 0 10 "abc"}}|{{substr -1 2 "abc"}}|{{substr 2 1 "abc"}}',
    '{{substr -1 9 "abc"}}',
    '{{substr 5 -1 "abc"}}',
    '{{splitn "," 2 "a,b,c"}} {{splitn "," 0 "a,b"}} {{splitn "" 2 "abc"}} {{toStrings .l}}',
    '{{typeOf (splitn "," 2 "a")}} {{typeOf (toStrings .l)}} {{join "," (splitList "" "ab")}}',
]

ENCODINGS = [
    '{{b64enc "hello"}} {{b64dec "aGVsbG8="}} {{b32enc "hello"}} {{b32dec "NBSWY3DP"}}',
    '{{b64dec "!!!"}}|{{b32dec "x"}}|{{b64dec "aGVsbG8"}}|{{b64dec "aGVs\\nbG8="}}',
    '{{sha1sum "abc"}} {{sha256sum "abc"}} {{adler32sum "abc"}} {{adler32sum ""}}',
    '{{b64enc "日本"}} {{b64dec (b64enc "日本")}} {{b32dec (b32enc "é")}}',
]

LISTS = [
    "{{concat (list 1 2) (list 3) .el}} {{concat}} {{toJson (concat)}} {{concat .el}}",
    '{{concat (list 1) "x"}}',
    '{{concat (splitList "," "a,b") .nums}} {{typeOf (concat .nums)}}',
    "{{chunk 2 (list 1 2 3 4 5)}} {{chunk 3 .el}} {{chunk 5 (list 1 2)}} {{typeOf (chunk 1 .l)}}",
    "{{chunk 0 (list 1 2)}}",
    "{{mustFirst .nums}} {{mustLast .nums}} {{mustRest .nums}} {{mustInitial .nums}}",
    '{{mustPush .nums 4}} {{mustPrepend .nums 0}} {{mustUniq (list 1 1.0 "1")}}',
    "{{mustWithout .nums 1}} {{mustHas 3 .nums}} {{mustReverse .nums}} {{mustCompact .l}}",
    "{{mustSlice .nums 1}} {{tuple 1 2}} {{sortAlpha .z}} {{sortAlpha 5}} {{sortAlpha .l}}",
    '{{slice (splitList "," "a,b,c") 1}} {{typeOf (slice (splitList "," "a,b,c") 1)}}',
    '{{has 1 (list 1.0)}} {{has "a" (splitList "," "a")}} {{uniq (list (list 1) (list 1))}}',
]

DICTS = [
    '{{pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3)}} {{pluck "x"}}',
    '{{dig "a" "b" "def" (dict "a" (dict "b" 1))}} {{dig "a" "c" "def" (dict "a" (dict "b" 1))}}',
    '{{dig "m" "k" "deep" "none" .}} {{dig "x" "d" .m}}',
    '{{dig "s" "x" "d" .}}',
    '{{dig "a" .m}}',
    '{{merge (dict "a" 1 "b" (dict "c" 1)) (dict "a" 2 "b" (dict "c" 2 "d" 3) "e" 4)}}',
    '{{mergeOverwrite (dict "a" 1 "b" (dict "c" 1)) (dict "a" 2 "b" (dict "c" 2 "d" 3) "e" 4)}}',
    '{{mergeOverwrite (dict "a" "s") (dict "a" (dict "x" 1))}} {{mergeOverwrite (dict "a" 1) (dict "a" "")}}',
    '{{mergeOverwrite (dict "a" 1) (dict "a" nil)}} {{merge (dict "a" "") (dict "a" (list 1))}}',
    '{{merge (dict "a" (list)) (dict "a" (list 1))}} {{merge (dict "a" 0) (dict "a" (dict))}}',
    '{{mustMerge (dict) (dict "a" 1) (dict "a" 2)}} {{mustMergeOverwrite (dict) (dict "a" 1) (dict "a" 2)}}',
    '{{merge .missing (dict "a" 1)}} {{keys (merge (dict "a" (dict)) .m) | sortAlpha}}',
    '{{$c := deepCopy .m}}{{$_ := set $c "x" 2}}{{.m.x}} {{$c.x}} {{deepCopy .z}} {{mustDeepCopy .l}}',
    '{{keys .m | sortAlpha}} {{typeOf (keys .m)}} {{values (dict "a" 1)}} {{pick .m "x" "nope"}}',
    '{{keys (split "," "a")}}',
]

DEFAULTS = [
    '{{all 1 "a" true}} {{all 1 0}} {{all}} {{any 0 "" nil}} {{any 0 1}} {{any}}',
    '{{mustToJson .m}} {{mustToPrettyJson .l}} {{mustToRawJson "<&>"}} {{(mustFromJson "[1]")}}',
    '{{mustFromJson "{"}}',
    '{{fromJson "{"}}|{{toJson (fromJson "{\\"a\\":[1,{}]}")}}',
    '{{fail "boom"}}',
    '{{ternary "a" "b" (regexMatch "x" "x")}} {{default "d" (splitList "," "")}}',
]

MATH = [
    "{{addf 0.1 0.2}} {{divf 1 3}} {{divf 2 3}} {{mulf 1.1 1.1}} {{subf 0.3 0.1}} {{add1f 0.1}}",
    "{{divf 10 4 0.5}} {{addf}} {{mulf 1e300 1e300}} {{divf -1 3}} {{divf 1 -7}} {{subf 1}}",
    "{{divf 1 0}}",
    '{{floor 1.5}} {{floor -1.5}} {{ceil 1.2}} {{ceil -1.2}} {{floor "x"}} {{ceil .big}}',
    '{{round 1.2345 2}} {{round 1.5 0}} {{round -2.5 0}} {{round 2.5 0 0.6}} {{round "3.14159" 3}}',
    '{{int "12"}} {{int 3.9}} {{int "0x1F"}} {{int "12.00"}} {{int "12."}} {{int true}}',
    '{{int64 "-5"}} {{float64 "1e3"}} {{float64 "inf"}} {{float64 "1_0"}} {{float64 "0x1p4"}}',
    '{{atoi "42"}} {{atoi "x"}} {{atoi "99999999999999999999"}} {{atoi "+7"}} {{atoi " 1"}}',
    '{{toDecimal "777"}} {{toDecimal 755}} {{toDecimal "8"}} {{toDecimal 1.5}} {{toDecimal "-17"}}',
    "{{until 5}} {{until -3}} {{until 0}} {{untilStep 0 10 3}} {{untilStep 10 0 -3}}",
    "{{untilStep 0 10 -1}} {{seq 5}} {{seq 3 -1}} {{seq 1 2 10}} {{seq 10 -2 1}} {{seq 0}}",
    "{{seq}}|{{seq 1 2 3 4}}|{{seq 5 2 1}}|{{typeOf (until 2)}}",
    '{{biggest 1 5 3}} {{max 1.9 1}} {{min "3" 2}} {{maxf 1 "2.5"}} {{minf -0.0 0}}',
    "{{mul 4611686018427387904 4}} {{add 9223372036854775807 1}} {{mod -7 2}} {{div -7 2}}",
    '{{repeat (add 1 1) "x"}}',
    '{{printf "%d %T" (int 3.5) (int 3.5)}} {{repeat (int 2.0) "ab"}}',
]

REFLECT = [
    "{{kindOf 1}} {{kindOf .n}} {{kindOf .s}} {{kindOf .l}} {{kindOf .m}} {{kindOf .z}}",
    '{{kindOf (add 1 1)}} {{kindOf .t}} {{kindOf (splitList "," "a")}} {{kindOf (semver "1.0.0")}}',
    "{{typeOf 1}} {{typeOf .n}} {{typeOf .l}} {{typeOf .m}} {{typeOf .z}} {{typeOf (until 2)}}",
    '{{typeOf (split "," "a")}} {{typeOf (keys .m)}} {{typeOf (semver "1.2.3")}}',
    '{{typeIs "int" 1}} {{typeIs "float64" .n}} {{typeIsLike "semver.Version" (semver "1.0.0")}}',
    '{{kindIs "map" .m}} {{kindIs "slice" .l}} {{kindIs "invalid" .z}} {{typeIsLike "int" 1}}',
    "{{deepEqual .l .l}} {{deepEqual 1 1.0}} {{deepEqual (list 1) (list 1)}} {{deepEqual (list) .el}}",
    '{{deepEqual (rest .el) .el}} {{deepEqual .m .m}} {{deepEqual nil nil}} {{deepEqual (splitList "," "a") (list "a")}}',
]

SEMVER = [
    '{{semver "1.2.3"}} {{(semver "v1.2.3-beta.1+build").Prerelease}} {{(semver "1.2").Minor}}',
    '{{(semver "1.2.3").Major}} {{toJson (semver "1.2.3")}} {{(semver "v1.2").Original}}',
    '{{(semver "1.2.3").Compare (semver "1.2.4")}} {{(semver "1.2.3").LessThan (semver "1.2.4")}}',
    '{{(semver "1.0.0").GreaterThan (semver "1.0.0-rc.1")}} {{(semver "1.0.0").Equal (semver "1.0")}}',
    '{{printf "%v|%s|%q|%#v|%T" (semver "1.2.3-b") (semver "1.2") (semver "1") (semver "v1.2.3-b+m") (semver "1")}}',
    '{{semver "bad"}}',
    '{{semverCompare "bogus" "1.0.0"}}',
    '{{semverCompare "^1" "x"}}',
    '{{semverCompare "^1.2.0" "1.2.3"}} {{semverCompare "~1.2.0" "1.3.0"}} {{semverCompare ">=1.0, <2.0" "1.5.0"}}',
    '{{semverCompare "1.2.x" "1.2.9"}} {{semverCompare "1.0 - 2.0" "2.0.0"}} {{semverCompare "!=1.2.3" "1.2.3"}}',
    '{{semverCompare "1.2 || 2.x" "2.1.0"}} {{semverCompare "" "1.0.0"}}',
]

SYSTEM = [
    '{{base "/a/b.txt"}} {{base ""}} {{base "///"}} {{base "a/b/"}} {{dir "/a/b/c"}} {{dir "x"}}',
    '{{clean "a//b/../c/."}} {{clean ""}} {{clean "/../a"}} {{clean "../../a/.."}} {{ext "a/b.tar.gz"}}',
    '{{ext "a.b/c"}} {{isAbs "/x"}} {{isAbs "x"}} {{osBase "/a/b"}} {{osDir "/a/b"}} {{osClean "a/./b"}}',
    '{{osExt "x.y"}} {{osIsAbs "/"}} {{expandenv "x${NO_SUCH_VAR_XYZ}y"}} {{env "NO_SUCH_VAR_XYZ"}}',
]

PRINTF = [
    '{{printf "%[1]d|%[2]d|%[2]d %[1]d|%[2]*[1]d" 1 2 1 2 2 5}}',
    '{{printf "%[3]*.[2]*[1]f|%[1]*.[2]*[3]f" 12.0 2 6 6 2 12.0}}',
    '{{printf "%d %d %d %#[1]o %#o %#o %#o" 11 12 13}}',
    '{{printf "%[d" 2 1}}|{{printf "%]d" 2 1}}|{{printf "%[]d" 2 1}}|{{printf "%[-3]d" 2 1}}',
    '{{printf "%[99]d" 2 1}}|{{printf "%[3]" 2 1}}|{{printf "%[1].2d" 5 6}}|{{printf "%[1]2d" 2 1}}',
    '{{printf "%3.[2]d" 7}}|{{printf "%.[2]d" 7}}|{{printf "%[5]d %[2]d %d" 1 2 3}}',
    '{{printf "%d %[3]d %d" 1 2}}|{{printf "%.[]"}}|{{printf "%.-3d" 42}}|{{printf "%2147483648d" 42}}',
    '{{printf "%#v|%#v|%#v|%#v|%#v" .s .n .f .l .m}}',
    '{{printf "%#v|%#v|%#v|%#v|%#v|%#v" .z .t .el .em 1e6 "q\\"\\n"}}',
    '{{printf "%#v|%#v|%#v" (splitList "," "a,b") (until 3) (split "," "a,b")}}',
    '{{printf "%#v|%#v|%#v|%#v" (rest .el) (regexFindAll "x" "a" -1) (add 1 2) (chunk 2 .nums)}}',
    '{{printf "%#v" (list 1 nil "a" (list) (dict))}} {{printf "%#6v|%#-6v|%#06v" .l .l .nums}}',
    '{{printf "%#8v" .m}}|{{printf "%10T|%-10T|%.3T" .m .s .l}}',
    '{{printf "%*d" (add 3 0) 1}}|{{printf "%*d" 1.0 1}}|{{printf "%.*f" -1 1.5}}|{{printf "%[1]v" 1 2}}',
    '{{printf "%+v %#v" .m .m}}|{{printf "%#x %#q" "hi" "a`b"}}|{{printf "%#+v" .l}}',
]


def _params(*groups: list[str]) -> list[str]:
    return [case for group in groups for case in group]


@pytest.mark.parametrize(
    "template",
    _params(STRINGS, ENCODINGS, LISTS, DICTS, DEFAULTS, MATH, REFLECT, SEMVER, SYSTEM, PRINTF),
)
def test_sprig_table(gorender: GoRenderer, template: str) -> None:
    check(gorender, template, DATA)


@pytest.mark.parametrize(("constraint", "version", "_check"), CONSTRAINT_CHECK)
def test_semver_constraints(
    gorender: GoRenderer, constraint: str, version: str, _check: bool
) -> None:
    check(gorender, "{{semverCompare .c .v}}", {"c": constraint, "v": version})


@pytest.mark.parametrize(("version", "_error"), NEW_VERSION)
def test_semver_versions(gorender: GoRenderer, version: str, _error: bool) -> None:
    check(
        gorender, "{{semver .v}} {{(semver .v).Major}} {{(semver .v).Prerelease}}", {"v": version}
    )


# --- generated ------------------------------------------------------------------------------

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# letters of both cases and title case, digits of several scripts, Go's spaces and what only
# Python calls space, connectors, punctuation, CJK, the replacement character, bytes that
# goutils splits (à is C3 A0; A0 is a space to goutils' byte loop)
TRICKY = "aAbBzZ09_- .,/!%$+\t\n\u00a0\u2003\x1céÉàßΣσςǅǆǄİıKſ中文²Ⅻ٣\ufffdᾳ'"
tricky_text = st.text(TRICKY, max_size=12)

STRING_FUNCS = [
    "snakecase", "kebabcase", "camelcase", "swapcase", "title", "untitle", "upper", "lower",
    "initials", "nospace", "trim", "quote", "squote", "b64enc", "b32enc", "sha1sum",
    "adler32sum", "regexQuoteMeta", "toString", "toStrings",
]  # fmt: skip


@SETTINGS
@given(
    function=st.sampled_from(STRING_FUNCS),
    text=tricky_text,
    width=st.integers(-3, 14),
    other=st.integers(-2, 14),
)
def test_generated_strings(
    gorender: GoRenderer, function: str, text: str, width: int, other: int
) -> None:
    data = {"s": text, "w": width, "o": other}
    check(gorender, f"{{{{{function} .s}}}}", data)
    check(
        gorender,
        f"{{{{abbrev {width} .s}}}}|{{{{abbrevboth {other} {width} .s}}}}|{{{{wrap {width} .s}}}}"
        f'|{{{{wrapWith {width} "+" .s}}}}|{{{{trunc {width} .s}}}}|{{{{substr {other} {width} .s}}}}'
        f'|{{{{b64dec (b64enc .s)}}}}|{{{{splitn "a" {width} .s}}}}|{{{{b64dec .s}}}}',
        data,
    )


regex_pieces = st.sampled_from(
    [
        "a", "b", "A", ".", "é", r"\d", r"\w", r"\s", r"\W", r"\b", r"\B", "^", "$", "[a-c]",
        "[^b]", "[[:alpha:]]", r"\pL", "(", ")", "(?:", "(?i)", "(?s)", "(?m)", "(?U)",
        "(?P<n>", "|", "*", "+", "?", "*?", "{1,2}", "{2}", "{,1}", "[", "]", "{", "\\",
        r"\.", r"\Q.\E", r"\x41", r"\z", r"\A", " ", "\n",
    ]
)  # fmt: skip
patterns = st.lists(regex_pieces, max_size=7).map("".join)
regex_text = st.text("abAB01 _\n.é-", max_size=10)


@SETTINGS
@given(pattern=patterns, text=regex_text, limit=st.integers(-1, 3))
def test_generated_regex(gorender: GoRenderer, pattern: str, text: str, limit: int) -> None:
    data = {"p": pattern, "s": text, "r": "<$1${n}$$>"}
    check(gorender, "{{regexMatch .p .s}}", data)
    check(gorender, f"{{{{regexFindAll .p .s {limit}}}}}|{{{{regexFind .p .s}}}}", data)
    check(gorender, "{{regexReplaceAll .p .s .r}}|{{regexReplaceAllLiteral .p .s .r}}", data)
    check(gorender, f"{{{{regexSplit .p .s {limit}}}}}", data)


format_pieces = st.sampled_from(
    [
        "%", "%", "%", "#", "0", "+", "-", " ", "[1]", "[2]", "[3]", "[4]", "[9]", "[x]", "[",
        "]", "*", "1", "5", "12", ".", "v", "d", "s", "q", "x", "X", "f", "e", "g", "t", "T",
        "c", "U", "o", "b", "|", "é",
    ]
)  # fmt: skip
formats = st.lists(format_pieces, max_size=10).map("".join)
printf_args = st.lists(
    st.sampled_from(
        ["1", "-2", "3.5", '"s"', "nil", "true", ".l", ".m", "(add 1 2)", '(splitList "a" "b")']
    ),
    max_size=4,
).map(" ".join)


@SETTINGS
@given(format_text=formats, args=printf_args)
def test_generated_printf(gorender: GoRenderer, format_text: str, args: str) -> None:
    check(gorender, f"{{{{printf .f {args}}}}}", {"f": format_text, **DATA})


numbers = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(-1e9, 1e9, allow_nan=False).map(lambda x: round(x, 4)),
    st.sampled_from([0, 0.1, 0.2, 0.3, 1e-7, 123456789.123, 2.5, -2.5]),
)
numeric_strings = st.one_of(
    st.from_regex(r"[+-]?(0[xob]?)?[0-9a-f_]{0,6}(\.[0-9]{0,3})?(e[+-]?[0-9])?", fullmatch=True),
    st.sampled_from(["inf", "-Inf", "NaN", "1.", "012", "0x", " 1", "1_000", "9" * 25]),
)


@SETTINGS
@given(a=numbers, b=numbers, text=numeric_strings, places=st.integers(-3, 6))
def test_generated_math(gorender: GoRenderer, a: float, b: float, text: str, places: int) -> None:
    data = {"a": a, "b": b, "s": text}
    check(
        gorender,
        "{{addf .a .b}} {{subf .a .b}} {{mulf .a .b}} {{maxf .a .b}} {{minf .a .b}} "
        f"{{{{floor .a}}}} {{{{ceil .a}}}} {{{{round .a {places}}}}} {{{{add .a .b}}}} "
        "{{mul .a .b}} {{max .a .b}} {{min .a .b}} {{sub .a .b}}",
        data,
    )
    check(gorender, "{{divf .a .b}} {{div .a .b}} {{mod .a .b}}", data)
    check(
        gorender,
        "{{int .s}} {{int64 .s}} {{float64 .s}} {{atoi .s}} {{toDecimal .s}} {{add1 .s}} "
        "{{addf .s 1}} {{round .s 2}}",
        data,
    )


json_leaves = st.one_of(
    st.none(), st.booleans(), st.sampled_from([0, 1, 2.5]), st.sampled_from(["", "x"])
)
json_trees = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from("abc"), inner, max_size=3)
    ),
    max_leaves=6,
)
dicts = st.dictionaries(st.sampled_from("abc"), json_trees, max_size=3)


@SETTINGS
@given(first=dicts, second=dicts, third=dicts)
def test_generated_merges(
    gorender: GoRenderer, first: dict[str, Any], second: dict[str, Any], third: dict[str, Any]
) -> None:
    data = {"a": first, "b": second, "c": third}
    check(gorender, "{{toJson (merge .a .b .c)}}", data)
    check(gorender, "{{toJson (mergeOverwrite .a .b .c)}}", data)
    check(gorender, '{{toJson (dig "a" "b" "none" .a)}} {{toJson (pluck "a" .a .b .c)}}', data)


@SETTINGS
@given(text=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcxyz+/=\n\r!é", max_size=18))
def test_generated_decoding(gorender: GoRenderer, text: str) -> None:
    # Go's decoders, with their error offsets (Sprig returns err.Error() as the result)
    check(gorender, "{{b64dec .s}}|{{b32dec .s}}|{{b32dec (upper .s)}}", {"s": text})
