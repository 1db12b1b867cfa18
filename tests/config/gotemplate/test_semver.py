"""Sprig's semver/semverCompare (our port of Masterminds/semver v3) against semver's own
tables (tests/config/gotemplate/semver_cases.py)."""

from __future__ import annotations

import pytest

from tests.config.gotemplate.semver_cases import (
    COMPARE,
    CONSTRAINTS_CHECK,
    NEW_CONSTRAINT,
    NEW_VERSION,
)
from trio_gateway.config.gotemplate import Template, TemplateError
from trio_gateway.config.gotemplate.sprig import SPRIG
from trio_gateway.config.gotemplate.sprig.semver import new_version, semver_compare
from trio_gateway.config.gotemplate.values import FuncError


@pytest.mark.parametrize(("constraint", "version", "want"), CONSTRAINTS_CHECK)
def test_constraints_check(constraint: str, version: str, want: bool) -> None:
    assert semver_compare(constraint, version) is want


@pytest.mark.parametrize(("constraint", "error"), NEW_CONSTRAINT)
def test_new_constraint(constraint: str, error: bool) -> None:
    if error:
        with pytest.raises(FuncError):
            semver_compare(constraint, "1.0.0")
    else:
        assert isinstance(semver_compare(constraint, "1.0.0"), bool)


@pytest.mark.parametrize(("version", "error"), NEW_VERSION)
def test_new_version(version: str, error: bool) -> None:
    if error:
        with pytest.raises(FuncError):
            new_version(version)
    else:
        assert new_version(version).original == version


@pytest.mark.parametrize(("first", "second", "want"), COMPARE)
def test_compare(first: str, second: str, want: int) -> None:
    assert new_version(first).compare(new_version(second)) == want


def render(text: str) -> str:
    return Template("t", SPRIG).parse(text).execute(None)


def test_version_methods_and_printing() -> None:
    text = (
        '{{$v := semver "v1.2.3-beta.1+build.5"}}{{$v}} {{$v.Major}}.{{$v.Minor}}.{{$v.Patch}} '
        "{{$v.Prerelease}} {{$v.Metadata}} {{$v.Original}} {{toJson $v}} {{typeOf $v}} "
        '{{$v.LessThan (semver "1.2.3")}} {{$v.Compare (semver "1.2.3-alpha")}}'
    )
    assert render(text) == (
        "1.2.3-beta.1+build.5 1.2.3 beta.1 build.5 v1.2.3-beta.1+build.5 "
        '"1.2.3-beta.1+build.5" *semver.Version true 1'
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{{semver "1.2.x"}}', "error calling semver: Invalid Semantic Version"),
        ('{{semverCompare ">= bar" "1.0.0"}}', "improper constraint: >= bar"),
        ('{{semverCompare "^1" "x"}}', "error calling semverCompare: Invalid Semantic Version"),
        ('{{(semver "1.0.0").Compare 1}}', "wrong type for value; expected *semver.Version"),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message.replace("^", r"\^").replace("*", r"\*")):
        render(text)
