"""Sprig's semver and semverCompare: a port of Masterminds/semver v3 (version.go's NewVersion
and Compare, constraints.go's NewConstraint and Check), with its own regular expressions run
through our RE2 translation, so they match as in Go."""

from __future__ import annotations

from typing import Any

from ..funcs import GoFunc
from ..gofmt import go_quote
from ..gotypes import GoObject, Int64
from ..values import FuncError
from .conv import f
from .re2 import translate

__all__ = ["SEMVER", "Version", "new_version", "semver_compare"]

_SEMVER = (
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_VERSION = translate("^" + _SEMVER + "$").pattern
_CONSTRAINT = translate(rf"^\s*({_OPS})\s*({_CV})\s*$").pattern
_RANGE = translate(rf"\s*({_CV})\s+-\s+({_CV})\s*").pattern
_FIND = translate(rf"({_OPS})\s*({_CV})").pattern
_VALID = translate(rf"^(\s*({_OPS})\s*({_CV})\s*)((?:\s+|,\s*)({_OPS})\s*({_CV})\s*)*$").pattern
_UINT64 = (1 << 64) - 1
_NUM = frozenset("0123456789")
_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789")


class Version(GoObject):
    """*semver.Version: prints as its String(), marshals as that string."""

    go_type = "*semver.Version"

    def __init__(self, major: int, minor: int, patch: int, pre: str, meta: str, original: str):
        self.major, self.minor, self.patch = major, minor, patch
        self.pre, self.metadata, self.original = pre, meta, original

    def go_text(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            text += "-" + self.pre
        if self.metadata:
            text += "+" + self.metadata
        return text

    def go_syntax(self) -> str:
        # `%#v` of a pointer to a struct: &, then the fields; uint64 in hexadecimal
        return (
            f"&semver.Version{{major:{self.major:#x}, minor:{self.minor:#x}, "
            f"patch:{self.patch:#x}, pre:{go_quote(self.pre)}, "
            f"metadata:{go_quote(self.metadata)}, original:{go_quote(self.original)}}}"
        )

    def compare(self, other: Version) -> int:
        for mine, theirs in (
            (self.major, other.major),
            (self.minor, other.minor),
            (self.patch, other.patch),
        ):
            if mine != theirs:
                return -1 if mine < theirs else 1
        if not self.pre and not other.pre:
            return 0
        if not self.pre:
            return 1
        if not other.pre:
            return -1
        return _compare_prerelease(self.pre, other.pre)

    def go_methods(self) -> dict[str, Any]:
        def other(method: Any) -> GoFunc:
            def call(value: Any) -> Any:
                if not isinstance(value, Version):
                    raise FuncError("wrong type for value; expected *semver.Version")
                return method(value)

            return f(call, "any")

        return {
            "Major": f(lambda: Int64(self.major)),
            "Minor": f(lambda: Int64(self.minor)),
            "Patch": f(lambda: Int64(self.patch)),
            "Prerelease": f(lambda: self.pre),
            "Metadata": f(lambda: self.metadata),
            "Original": f(lambda: self.original),
            "String": f(self.go_text),
            "Compare": other(lambda o: self.compare(o)),
            "LessThan": other(lambda o: self.compare(o) < 0),
            "GreaterThan": other(lambda o: self.compare(o) > 0),
            "Equal": other(lambda o: self.compare(o) == 0),
        }


def _compare_prerelease(mine: str, theirs: str) -> int:
    a, b = mine.split("."), theirs.split(".")
    for index in range(max(len(a), len(b))):
        result = _compare_part(
            a[index] if index < len(a) else "", b[index] if index < len(b) else ""
        )
        if result:
            return result
    return 0


def _parse_uint(text: str) -> int | None:
    if not text or not text.isascii() or not text.isdigit() or int(text) > _UINT64:
        return None
    return int(text)


def _compare_part(mine: str, theirs: str) -> int:
    if mine == theirs:
        return 0
    if mine == "":
        return -1
    if theirs == "":
        return 1
    a, b = _parse_uint(mine), _parse_uint(theirs)
    if a is None and b is None:
        return 1 if mine > theirs else -1  # Go compares the strings' bytes
    if b is None:
        return -1
    if a is None:
        return 1
    return 1 if a > b else -1


def _validate(parts: str, allowed: frozenset[str], error: str, prerelease: bool) -> None:
    for part in parts.split("."):
        if prerelease and part and set(part) <= _NUM:
            if len(part) > 1 and part[0] == "0":
                raise FuncError("Version segment starts with 0")
        elif not set(part) <= allowed:
            raise FuncError(error)


def new_version(text: str) -> Version:
    """semver.NewVersion.

    Raises:
        FuncError: its error text.
    """
    match = _VERSION.search(text)
    if match is None:
        raise FuncError("Invalid Semantic Version")
    numbers = []
    for group in (match[1], match[2], match[3]):
        digits = (group or "").removeprefix(".")
        if not digits:
            numbers.append(0)
            continue
        if int(digits) > _UINT64:
            raise FuncError(
                f'Error parsing version segment: strconv.ParseUint: parsing "{digits}": '
                "value out of range"
            )
        numbers.append(int(digits))
    pre, meta = match[5] or "", match[8] or ""
    if pre:
        _validate(pre, _ALLOWED, "Invalid Prerelease string", prerelease=True)
    if meta:
        _validate(meta, _ALLOWED, "Invalid Metadata string", prerelease=False)
    return Version(numbers[0], numbers[1], numbers[2], pre, meta, text)


class _Constraint:
    def __init__(self, text: str) -> None:
        match = _CONSTRAINT.search(text)
        if match is None:
            raise FuncError(f"improper constraint: {text}")
        self.orig, self.op = match[2], match[1]
        major, minor, patch, pre = (match[i] or "" for i in (3, 4, 5, 6))
        self.minor_dirty = self.patch_dirty = self.dirty = False
        version = match[2]
        if _is_x(major) or not major:
            version, self.dirty = f"0.0.0{pre}", True
        elif _is_x(minor.removeprefix(".")) or not minor:
            version, self.dirty, self.minor_dirty = f"{major}.0.0{pre}", True, True
        elif _is_x(patch.removeprefix(".")) or not patch:
            version, self.dirty, self.patch_dirty = f"{major}{minor}.0{pre}", True, True
        try:
            self.con = new_version(version)
        except FuncError:
            raise FuncError("constraint Parser Error") from None

    def check(self, v: Version) -> bool:
        c, op = self.con, self.op
        if v.pre and not c.pre:
            return False  # "a prerelease version and the constraint is only looking for..."
        if op in ("", "="):
            return self._tilde(v) if self.dirty else v.compare(c) == 0
        if op == "!=":
            return self._not_equal(v)
        if op == ">":
            if not self.dirty:
                return v.compare(c) == 1
            if v.major != c.major:
                return v.major > c.major
            if self.minor_dirty:
                return False
            if self.patch_dirty:
                return v.minor > c.minor
            return v.compare(c) == 1
        if op == "<":
            return v.compare(c) < 0
        if op in (">=", "=>"):
            return v.compare(c) >= 0
        if op in ("<=", "=<"):
            if not self.dirty:
                return v.compare(c) <= 0
            if v.major > c.major:
                return False
            return not (v.major == c.major and v.minor > c.minor and not self.minor_dirty)
        if op in ("~", "~>"):
            return self._tilde(v)
        return self._caret(v)

    def _tilde(self, v: Version) -> bool:
        c = self.con
        if v.compare(c) < 0:
            return False
        if (
            (c.major, c.minor, c.patch) == (0, 0, 0)
            and not self.minor_dirty
            and not self.patch_dirty
        ):
            return True
        if v.major != c.major:
            return False
        return not (v.minor != c.minor and not self.minor_dirty)

    def _caret(self, v: Version) -> bool:
        c = self.con
        if v.compare(c) < 0:
            return False
        if c.major > 0 or self.minor_dirty:
            return v.major == c.major
        if v.major > 0:
            return False
        if c.minor > 0 or self.patch_dirty:
            return v.minor == c.minor
        if v.minor > 0:
            return False
        return c.patch == v.patch

    def _not_equal(self, v: Version) -> bool:
        c = self.con
        if self.dirty:
            if c.major != v.major:
                return True
            if c.minor != v.minor and not self.minor_dirty:
                return True
            if self.minor_dirty:
                return False
            if c.patch != v.patch and not self.patch_dirty:
                return True
            if self.patch_dirty:
                if v.pre or c.pre:
                    return _compare_prerelease(v.pre, c.pre) != 0
                return False
        return v.compare(c) != 0


def _is_x(text: str) -> bool:
    return text in ("x", "*", "X")


def _rewrite_range(text: str) -> str:
    out = text
    for match in _RANGE.finditer(text):  # these matches are never empty
        out = out.replace(match[0], f">= {match[1]}, <= {match[11]}", 1)
    return out


def _constraints(text: str) -> list[list[_Constraint]]:
    alternatives = []
    for part in _rewrite_range(text).split("||"):
        if not _VALID.search(part):
            raise FuncError(f"improper constraint: {part}")
        found = [m[0] for m in _FIND.finditer(part)] or [part]
        alternatives.append([_Constraint(item) for item in found])
    return alternatives


def semver_compare(constraint: str, version: str) -> bool:
    alternatives = _constraints(constraint)
    candidate = new_version(version)
    return any(all(c.check(candidate) for c in group) for group in alternatives)


SEMVER: dict[str, GoFunc] = {
    "semver": f(new_version, "string"),
    "semverCompare": f(semver_compare, "string", "string"),
}
