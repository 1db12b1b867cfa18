"""Sprig's functions whose output is random (shuffle, randAlpha, randAlphaNum, randNumeric,
randAscii, randBytes, randInt, uuidv4): properties instead of Go's bytes (length, alphabet,
format), and that two calls differ."""

from __future__ import annotations

import base64
import re
import string
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.config.gotemplate import Template, TemplateError
from trio_gateway.config.gotemplate.sprig import SPRIG


def render(text: str, data: object = None) -> str:
    return Template("t", SPRIG).parse(text).execute(data)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=30))
def test_shuffle_keeps_the_runes(text: str) -> None:
    shuffled = render("{{shuffle .s}}", {"s": text})
    assert sorted(shuffled) == sorted(text)


def test_shuffle_moves_runes() -> None:
    text = string.ascii_letters
    assert any(render("{{shuffle .s}}", {"s": text}) != text for _ in range(5))


@pytest.mark.parametrize(
    ("function", "alphabet"),
    [
        ("randAlpha", string.ascii_letters),
        ("randAlphaNum", string.ascii_letters + string.digits),
        ("randNumeric", string.digits),
        ("randAscii", "".join(chr(c) for c in range(32, 127))),
    ],
)
@pytest.mark.parametrize("count", [0, 1, 17, 200])
def test_random_strings(function: str, alphabet: str, count: int) -> None:
    out = render(f"{{{{{function} {count}}}}}")
    assert len(out) == count
    assert set(out) <= set(alphabet)
    if count >= 17:
        assert out != render(f"{{{{{function} {count}}}}}")


def test_random_strings_of_a_negative_count_are_empty() -> None:
    # goutils returns an error for a negative count, which Sprig drops
    assert render("{{randAlpha -3}}|{{randNumeric -1}}") == "|"


@pytest.mark.parametrize("count", [0, 1, 16, 33])
def test_rand_bytes(count: int) -> None:
    out = render(f"{{{{randBytes {count}}}}}")
    assert len(base64.b64decode(out, validate=True)) == count


def test_rand_bytes_of_a_negative_count_fail() -> None:
    with pytest.raises(TemplateError, match="error calling randBytes"):
        render("{{randBytes -1}}")


def test_uuidv4() -> None:
    first, second = render("{{uuidv4}} {{uuidv4}}").split()
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first
    )
    assert uuid.UUID(first).version == 4
    assert first != second


def test_rand_int() -> None:
    values = {int(render("{{randInt 3 7}}")) for _ in range(60)}
    assert values <= {3, 4, 5, 6}
    assert len(values) > 1
    with pytest.raises(TemplateError, match="invalid argument to Intn"):
        render("{{randInt 5 5}}")
