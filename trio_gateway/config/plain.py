"""Parsed data -> plain JSON-shaped data, within bounds, or a `ConfigError` saying where not.

Whatever a parser (or a Python caller of `load_config_data`) hands over, every later stage walks
plain data: objects with string keys, arrays, strings, numbers, booleans and null. This module
makes it so in one iterative walk (no recursion, so no input can exhaust the stack), and refuses,
with the JSON path, what no later stage could walk safely:

* nesting deeper than `MAX_DEPTH` levels. Go's encoding/json allows 10000; real configurations
  use about ten, and every later stage (cattrs, the unknown-key walker, `check -d`'s encoder)
  recurses per level, so we stop far below Python's stack (a deliberate difference);
* a value that contains itself (YAML `a: &a [*a]`), which go-yaml v3 refuses too
  ("anchor 'a' value contains itself");
* excessive alias expansion (a YAML "billion laughs" of a few lines that expands to billions of
  values). PyYAML builds the aliases as shared objects; walking them expands them. The bound is
  go-yaml v3's own (`decode.go` `allowedAliasRatio`): past 1000 values, at most 99% of them may
  come from alias expansion, tapering to 10% between 400,000 and 4,000,000 values ("document
  contains excessive aliasing"), so the work stays linear in the size of the text;
* numbers that Go's float64 cannot hold (JSON `1e400`: "cannot unmarshal number"), NaN and
  infinities, and values that are not JSON at all (a Python `set`, bytes...).

And it normalises, as KrakenD's parsers do: YAML/TOML keys become strings (krakend-koanf's
`cleanupMapValue`, `fmt.Sprintf("%v", key)`), dates become ISO 8601 strings, tuples become
lists, integers beyond 64 bits become floats (KrakenD holds every JSON number as a float64), and
lone UTF-16 surrogates (`"\\ud800"` in JSON) become U+FFFD, as Go's encoding/json decodes them
(`unquote`: "invalid surrogate; fall back to replacement rune").
"""

from __future__ import annotations

import datetime
import math
import re
import sys
from collections.abc import Mapping
from typing import Any

from trio_gateway.config.diagnostics import ConfigError, Diagnostic, PathSegment, format_path

__all__ = ["MAX_DEPTH", "TOO_DEEP", "plain_data", "without_surrogates"]

MAX_DEPTH = 128
TOO_DEEP = f"nested too deeply (more than {MAX_DEPTH} levels of objects and arrays)"
_SHOWN_SEGMENTS = 12  # of a path this deep, where it starts is enough to find it

# go-yaml v3 decode.go
_ALIAS_RATIO_RANGE_LOW = 400_000
_ALIAS_RATIO_RANGE_HIGH = 4_000_000
_INT64 = range(-(1 << 63), 1 << 63)
_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """`text` with each lone UTF-16 surrogate replaced by U+FFFD (Go's encoding/json rule)."""
    return _SURROGATE.sub("\ufffd", text)


def _allowed_alias_ratio(decoded: int) -> float:
    if decoded <= _ALIAS_RATIO_RANGE_LOW:
        return 0.99
    if decoded >= _ALIAS_RATIO_RANGE_HIGH:
        return 0.10
    span = _ALIAS_RATIO_RANGE_HIGH - _ALIAS_RATIO_RANGE_LOW
    return 0.99 - 0.89 * ((decoded - _ALIAS_RATIO_RANGE_LOW) / span)


class _Refused(Exception):
    def __init__(self, path: tuple[PathSegment, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def plain_data(data: Any, source: str) -> Any:
    """Return `data` as plain JSON-shaped data (a new structure; `data` is not changed).

    Raises:
        ConfigError: one error at the JSON path of the first value that cannot be used.
    """
    try:
        return _Walk().run(data)
    except _Refused as exc:
        where = format_path(exc.path[:_SHOWN_SEGMENTS])
        if len(exc.path) > _SHOWN_SEGMENTS:
            where += "..."
        raise ConfigError([Diagnostic("error", where, exc.message)], source) from None


_EXIT = object()


class _Walk:
    """One iterative depth-first walk; containers are rebuilt as they are entered."""

    def __init__(self) -> None:
        self.decoded = 0
        self.from_aliases = 0
        self.seen: set[int] = set()  # every container entered once (a second entry is an alias)
        self.open: set[int] = set()  # the containers around the current value

    def run(self, data: Any) -> Any:
        root: list[Any] = [None]
        # (value, path, depth, in_alias, parent, key) or (_EXIT, id)
        stack: list[Any] = [(data, (), 1, False, root, 0)]
        while stack:
            item = stack.pop()
            if item[0] is _EXIT:
                self.open.discard(item[1])
                continue
            value, path, depth, in_alias, parent, key = item
            self.count(path, in_alias)
            if isinstance(value, Mapping | list | tuple):
                ident = id(value)
                if ident in self.open:
                    raise _Refused(path, "this value contains itself (a recursive YAML alias)")
                if depth > MAX_DEPTH:
                    raise _Refused(path, TOO_DEEP)
                in_alias = in_alias or ident in self.seen
                self.seen.add(ident)
                self.open.add(ident)
                stack.append((_EXIT, ident))
                if isinstance(value, Mapping):
                    children = [(self.key(k, path), v) for k, v in value.items()]
                    # Keys in the file's order; a key written twice (YAML `1` and `"1"`) keeps
                    # the last value.
                    built: dict[str, Any] = dict.fromkeys(name for name, _ in children)
                    parent[key] = built
                    for name, child in reversed(children):
                        stack.append((child, (*path, name), depth + 1, in_alias, built, name))
                else:
                    items: list[Any] = [None] * len(value)
                    parent[key] = items
                    for index in range(len(value) - 1, -1, -1):
                        stack.append(
                            (value[index], (*path, index), depth + 1, in_alias, items, index)
                        )
            else:
                parent[key] = self.scalar(value, path)
        return root[0]

    def count(self, path: tuple[PathSegment, ...], in_alias: bool) -> None:
        self.decoded += 1
        if in_alias:
            self.from_aliases += 1
        if (
            self.from_aliases > 100
            and self.decoded > 1000
            and self.from_aliases / self.decoded > _allowed_alias_ratio(self.decoded)
        ):
            raise _Refused(
                path,
                "the document contains excessive aliasing: its YAML aliases expand to more "
                "values than it writes (refused, as KrakenD's go-yaml does)",
            )

    def key(self, key: Any, path: tuple[PathSegment, ...]) -> str:
        if isinstance(key, str):
            return without_surrogates(key)
        if isinstance(key, bool):
            return "true" if key else "false"
        if key is None:
            return "null"  # go-yaml gives nil; cleanupMapValue prints it as "<nil>"
        if isinstance(key, int | float):
            return str(self.scalar(key, path))
        if isinstance(key, datetime.date | datetime.time):
            return key.isoformat()
        raise _Refused(path, f"a key of type {type(key).__name__} is not a JSON object key")

    def scalar(self, value: Any, path: tuple[PathSegment, ...]) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            return without_surrogates(value)
        if isinstance(value, int):
            if value in _INT64:
                return value
            if abs(value) > sys.float_info.max:
                raise _Refused(path, "number out of range: Go's float64 cannot hold it")
            return float(value)  # as KrakenD holds it: a float64
        if isinstance(value, float):
            if not math.isfinite(value):
                raise _Refused(path, f"{value!r} is not a JSON number")
            return value
        if isinstance(value, datetime.date | datetime.time):
            return value.isoformat()
        raise _Refused(path, f"a {type(value).__name__} is not a JSON value")
