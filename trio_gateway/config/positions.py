"""Where each value of a configuration file is written: JSON path -> (line, column), both 1-based.

`check` locates every diagnostic in the source file with this map (`position_of` falls back to the
nearest ancestor written in the file, e.g. a default that is missing points at its object). An
object member is located at its key, an array item at its value.

* JSON: a scanner of our own, not a YAML compose pass: PyYAML (YAML 1.1) refuses tab indentation
  and loses simple keys after 1024 characters on one line, both common in JSON files.
* YAML: `yaml.compose` with the safe loader gives every node's start mark; an alias is walked
  once (its later uses fall back to the alias's key), so alias bombs cost nothing.
* TOML: `tomllib` keeps no positions; a line scan reads `[table]`, `[[array.of.tables]]` and
  `key = ...` lines, which locates everything but values inside inline tables and arrays
  (those fall back to their key).

Nothing here raises for any text: a file that does not parse gives what was found before the
problem (the parser reports the syntax error itself).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import yaml

from trio_gateway.config.diagnostics import PathSegment, format_path
from trio_gateway.config.parse import Format

__all__ = ["Position", "position_of", "source_positions"]

Position = tuple[int, int]
Positions = dict[str, Position]

# Bounds the map (a file is limited in size elsewhere; this keeps a pathological one cheap).
_MAX_ENTRIES = 200_000
_SEGMENT = re.compile(r'\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\]')


def source_positions(text: str, fmt: Format) -> Positions:
    """Return the position of every value of `text` that has one, by JSON path."""
    positions: Positions = {"$": (1, 1)}
    try:
        if fmt == "yaml":
            _yaml(text, positions)
        elif fmt == "toml":
            _toml(text, positions)
        else:
            _JsonScanner(text, positions).document()
    except (_Stop, yaml.YAMLError, RecursionError, ValueError):
        pass  # positions found so far stay; the parser reports the problem
    return positions


def position_of(positions: Positions, path: str) -> Position | None:
    """The position of `path`, or of its nearest ancestor in `positions`; None if `path` is not a
    JSON path (`$...`) we can read."""
    if not path.startswith("$"):
        return None
    prefixes = ["$"]
    for match in _SEGMENT.finditer(path, 1):
        prefixes.append(prefixes[-1] + match.group())
    for prefix in reversed(prefixes):
        found = positions.get(prefix)
        if found is not None:
            return found
    return None


class _Stop(Exception):
    """The text ends or goes wrong: keep what was found."""


class _JsonScanner:
    """Just enough of a JSON parser to note where each key and array item starts."""

    def __init__(self, text: str, positions: Positions) -> None:
        self.text = text
        self.offset = 0
        self.line = 1
        self.line_start = 0
        self.positions = positions

    def document(self) -> None:
        self._skip()
        self._value(())

    def _note(self, path: tuple[PathSegment, ...]) -> None:
        if len(self.positions) >= _MAX_ENTRIES:
            raise _Stop
        column = self.offset - self.line_start + 1
        self.positions.setdefault(format_path(path), (self.line, column))

    def _skip(self) -> None:
        text = self.text
        while self.offset < len(text) and text[self.offset] in " \t\r\n":
            if text[self.offset] == "\n":
                self.line += 1
                self.line_start = self.offset + 1
            self.offset += 1

    def _peek(self) -> str:
        if self.offset >= len(self.text):
            raise _Stop
        return self.text[self.offset]

    def _value(self, path: tuple[PathSegment, ...]) -> None:
        char = self._peek()
        if char == "{":
            self._object(path)
        elif char == "[":
            self._array(path)
        elif char == '"':
            self._string()
        else:  # number, true, false, null: up to the next delimiter
            while self.offset < len(self.text) and self.text[self.offset] not in ",]} \t\r\n":
                self.offset += 1

    def _object(self, path: tuple[PathSegment, ...]) -> None:
        self.offset += 1
        self._skip()
        if self._peek() == "}":
            self.offset += 1
            return
        while True:
            self._skip()
            if self._peek() != '"':
                raise _Stop
            line, column = self.line, self.offset - self.line_start + 1
            key = self._string()
            member = (*path, key)
            if len(self.positions) >= _MAX_ENTRIES:
                raise _Stop
            self.positions.setdefault(format_path(member), (line, column))
            self._skip()
            if self._peek() != ":":
                raise _Stop
            self.offset += 1
            self._skip()
            self._value(member)
            self._skip()
            char = self._peek()
            self.offset += 1
            if char == "}":
                return
            if char != ",":
                raise _Stop

    def _array(self, path: tuple[PathSegment, ...]) -> None:
        self.offset += 1
        self._skip()
        if self._peek() == "]":
            self.offset += 1
            return
        index = 0
        while True:
            self._skip()
            self._note((*path, index))
            self._value((*path, index))
            self._skip()
            char = self._peek()
            self.offset += 1
            if char == "]":
                return
            if char != ",":
                raise _Stop
            index += 1

    def _string(self) -> str:
        start = self.offset
        self.offset += 1
        text = self.text
        while True:
            if self.offset >= len(text) or text[self.offset] == "\n":
                raise _Stop
            char = text[self.offset]
            self.offset += 1
            if char == "\\":
                self.offset += 1
            elif char == '"':
                break
        decoded = json.loads(text[start : self.offset])  # ValueError on a bad escape: stop
        if not isinstance(decoded, str):  # pragma: no cover - a JSON string literal is a str
            raise _Stop
        return decoded


def _yaml(text: str, positions: Positions) -> None:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is None:
        return
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[PathSegment, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue  # an alias: walked where it was anchored
        seen.add(id(node))
        children: list[tuple[yaml.Node, tuple[PathSegment, ...]]] = []
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                    continue
                _note_mark(positions, (*path, str(key.value)), key.start_mark)
                children.append((value, (*path, str(key.value))))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                _note_mark(positions, (*path, index), item.start_mark)
                children.append((item, (*path, index)))
        stack.extend(reversed(children))  # walked in document order: an anchor before its aliases


def _note_mark(positions: Positions, path: tuple[PathSegment, ...], mark: yaml.Mark) -> None:
    if len(positions) >= _MAX_ENTRIES:
        raise _Stop
    positions.setdefault(format_path(path), (mark.line + 1, mark.column + 1))


_TOML_ARRAY_TABLE = re.compile(r"\[\[\s*(?P<key>[^\]]+?)\s*\]\]")
_TOML_TABLE = re.compile(r"\[\s*(?P<key>[^\]]+?)\s*\]")
_TOML_KEY = re.compile(
    r"""(?P<key>(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
    r"""(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'))*)\s*="""
)
_TOML_PART = re.compile(r"""[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'""")


def _toml_parts(key: str) -> list[str]:
    parts = []
    for match in _TOML_PART.finditer(key):
        part = match.group()
        if part.startswith('"'):
            part = json.loads(part)
        elif part.startswith("'"):
            part = part[1:-1]
        parts.append(part)
    return parts


def _toml(text: str, positions: Positions) -> None:
    table: tuple[PathSegment, ...] = ()
    arrays: dict[tuple[PathSegment, ...], int] = {}  # array-of-tables path -> its last index
    in_multiline: str | None = None
    for number, line in _lines(text):
        stripped = line.lstrip()
        column = len(line) - len(stripped) + 1
        if in_multiline is not None:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if match := _TOML_ARRAY_TABLE.match(stripped):
            parent = _toml_resolve(_toml_parts(match["key"]), arrays)
            index = arrays.get(parent, -1) + 1
            arrays[parent] = index
            table = (*parent, index)
            _note_at(positions, table, (number, column))
        elif match := _TOML_TABLE.match(stripped):
            table = _toml_resolve(_toml_parts(match["key"]), arrays)
            _note_at(positions, table, (number, column))
        elif match := _TOML_KEY.match(stripped):
            key_path = (*table, *_toml_parts(match["key"]))
            _note_at(positions, key_path, (number, column))
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    in_multiline = quote


def _toml_resolve(
    parts: list[str], arrays: dict[tuple[PathSegment, ...], int]
) -> tuple[PathSegment, ...]:
    """A table header's path, with the current index of every array of tables on the way."""
    path: tuple[PathSegment, ...] = ()
    for position, part in enumerate(parts):
        path = (*path, part)
        if position < len(parts) - 1 and path in arrays:
            path = (*path, arrays[path])
    return path


def _note_at(positions: Positions, path: tuple[PathSegment, ...], where: Position) -> None:
    """Note `path` and the tables on its way (`[a.b]` opens `a` too) that are not noted yet."""
    if len(positions) >= _MAX_ENTRIES:
        raise _Stop
    for end in range(1, len(path) + 1):
        positions.setdefault(format_path(path[:end]), where)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.split("\n"), 1):
        yield number, line.rstrip("\r")
