"""The `yaml` output encoding: gin's YAML render (goccy/go-yaml) reproduced with PyYAML (§6)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from trio_gateway.encoding import yaml_codec
from trio_gateway.encoding.render import GoStruct
from trio_gateway.encoding.yaml_codec import render_yaml

CONTENT_TYPE = b"application/yaml; charset=utf-8"


@pytest.fixture(params=["libyaml", "python"])
def emitter(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a test with libyaml's emitter and with PyYAML's pure-Python fallback."""
    if request.param == "python":
        monkeypatch.setattr(yaml_codec, "_DUMPER", yaml_codec._GoccyDumper)


# Spec negotitate_plain: the mxj map of the mock /xml document, as YAML.
NEGOTIATE_MAP = {
    "user": {
        "-type": "admin",
        "name": "Elliot",
        "social": {
            "facebook": "https://facebook.com",
            "twitter": "https://twitter.com",
            "youtube": "https://youtube.com",
        },
    }
}
NEGOTIATE_PLAIN = (
    b"user:\n  -type: admin\n  name: Elliot\n  social:\n    facebook: https://facebook.com\n"
    b"    twitter: https://twitter.com\n    youtube: https://youtube.com\n"
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (NEGOTIATE_MAP, NEGOTIATE_PLAIN),
        (None, b"{}\n"),
        ({}, b"{}\n"),
        ({"b": 1, "a": 2}, b"a: 2\nb: 1\n"),
        ({"e": {}, "l": []}, b"e: {}\nl: []\n"),
        ({"l": [1, "x", None, True]}, b"l:\n- 1\n- x\n- null\n- true\n"),
        ({"l": [{"b": 1, "a": 2}]}, b"l:\n- a: 2\n  b: 1\n"),
        ({"i": 42, "f": 1.5, "z": 0.0, "neg": -3}, b"f: 1.5\ni: 42\nneg: -3\nz: 0.0\n"),
        ({"n": 1, "": ""}, b'"": ""\n"n": 1\n'),  # goccy quotes YAML 1.1 booleans
        ({"u": "é ü"}, "u: é ü\n".encode()),
        ({"long": "word " * 30 + "end"}, b"long: " + b"word " * 30 + b"end\n"),
        ({"m": "line1\nline2"}, b"m: |-\n  line1\n  line2\n"),
        ({"m": "line1\n"}, b"m: |\n  line1\n"),
        ({"1": "k"}, b'"1": k\n'),
    ],
)
@pytest.mark.usefixtures("emitter")
def test_render_yaml(data: dict[str, Any] | None, expected: bytes) -> None:
    assert render_yaml(data) == (CONTENT_TYPE, expected)


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        # goccy's token.IsNeedQuoted, case by case.
        ("", True),
        ("true", True),
        ("False", True),
        ("yes", True),
        ("Off", True),
        ("null", True),
        ("~", True),
        (".inf", True),
        ("-.Inf", True),
        (".NaN", True),
        ("42", True),
        ("-7", True),
        ("+3.5", True),
        ("1_000", True),
        ("0x1F", True),
        ("0o17", True),
        ("0b101", True),
        ("017", True),
        (".5", True),
        ("1.5e3", True),
        ("99999999999999999999999", True),  # out of range still counts as a number
        ("-", True),
        ("*x", True),
        ("&x", True),
        ("[x", True),
        ("{x", True),
        ("!x", True),
        ("|x", True),
        (">x", True),
        ("%x", True),
        ("'x", True),
        ('"x', True),
        ("@x", True),
        ("`x", True),
        (" x", True),
        ("x:", True),
        ("x ", True),
        ("2024-01-31", True),
        ("2024-01-31T10:20:30Z", True),
        ("2024-01-31t10:20:30.5+02:00", True),
        ("2024-01-31 10:20:30", True),
        ("12:30", True),
        ("a#b", True),
        ("a\\b", True),
        ("a: b", True),
        ("a- b", True),
        # Line breaks PyYAML would fold in other styles (goccy leaves them raw: a difference).
        ("x\x85y", True),
        ("a\rb", True),
        ("a\u2028b", True),
        # ...and strings it leaves plain.
        ("hello", False),
        ("-type", False),
        ("https://x.io/a?b=c", False),
        ("1e5", False),  # no dot: goccy does not take it for a number
        ("08", False),  # not octal, not decimal for goccy
        ("1.2.3", False),
        ("_1", False),
        ("2024-13-01", False),
        ("25:00", False),
        ("a-b:c", False),
        ("inf", False),
    ],
)
@pytest.mark.usefixtures("emitter")
def test_render_yaml_quotes_strings_like_goccy(text: str, quoted: bool) -> None:
    _, body = render_yaml({"k": text})
    rendered = body.decode()[len("k: ") : -1]
    assert rendered.startswith('"') is quoted, rendered
    assert yaml.safe_load(body) == {"k": text}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(), c, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(), json_values, max_size=4))
def test_render_yaml_round_trips(data: dict[str, Any]) -> None:
    content_type, body = render_yaml(data)
    assert content_type == CONTENT_TYPE
    assert yaml.safe_load(body) == data


def test_render_yaml_keeps_go_struct_field_order() -> None:
    # lura's error details are a Go struct: fields in declaration order, not sorted.
    data = {"error_b": GoStruct(http_status_code=404, http_body="x")}
    assert render_yaml(data)[1] == b"error_b:\n  http_status_code: 404\n  http_body: x\n"
