"""Configuration text -> plain data, by format, with syntax errors located by line and column.

As in KrakenD (`krakend-koanf:parser.go`) the file extension decides the format: `.yml`/`.yaml` is
YAML, `.toml` is TOML, anything else is JSON. The result is the parser's own data; `plain.py`
turns it into plain JSON-shaped data within bounds (string keys, ISO dates, no alias bombs).

Every failure of a parser is a `ConfigError`, never a traceback: nesting deep enough to exhaust a
parser's recursion is reported as such, and JSON numbers that Go's float64 cannot hold (`1e400`, or
an integer literal of thousands of digits, which Python would even refuse to convert) are syntax
errors, as Go's encoding/json makes them ("cannot unmarshal number ... into Go value of type
float64").
"""

from __future__ import annotations

import json
import math
import re
import sys
import tomllib
from typing import Any, Literal

import yaml

from trio_gateway.config.diagnostics import ConfigError, Diagnostic
from trio_gateway.config.plain import MAX_DEPTH, TOO_DEEP

__all__ = ["Format", "format_for", "parse_text"]

Format = Literal["json", "yaml", "toml"]

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def format_for(name: str) -> Format:
    """Return the format KrakenD would use for a file name."""
    lowered = name.lower()
    if lowered.endswith((".yml", ".yaml")):
        return "yaml"
    if lowered.endswith(".toml"):
        return "toml"
    return "json"


def parse_text(text: str, fmt: Format, source: str) -> Any:
    """Parse configuration text.

    Raises:
        ConfigError: with one diagnostic located at `source:line:column` when the text is not
            valid in its format.
    """
    try:
        if fmt == "yaml":
            return _parse_yaml(text, source)
        if fmt == "toml":
            return _parse_toml(text, source)
        return _parse_json(text, source)
    except RecursionError:
        line, column = _too_deep_at(text) if fmt == "json" else (None, None)
        message = f"invalid {fmt.upper()}: {TOO_DEEP}"
        raise _fail(source, message, line, column) from None


def _fail(
    source: str, message: str, line: int | None = None, column: int | None = None
) -> ConfigError:
    where = source if line is None else f"{source}:{line}:{column}"
    return ConfigError([Diagnostic("error", where, message)], source)


class _BadNumber(ValueError):
    def __init__(self, literal: str, message: str) -> None:
        super().__init__(message)
        self.literal = literal
        self.message = message


def _reject_constant(name: str) -> Any:
    # Go's encoding/json rejects NaN and Infinity; Python's accepts them by default.
    raise _BadNumber(name, f"{name} is not a JSON value")


# More digits than any float64 holds (1.8e308): Go refuses the number, Python would spend
# quadratic time converting it (and refuses past 4300 digits).
_MAX_INT_DIGITS = 310


def _parse_int(literal: str) -> int | float:
    digits = len(literal) - literal.startswith("-")
    if digits > _MAX_INT_DIGITS or abs(value := int(literal)) > sys.float_info.max:
        shown = literal if len(literal) <= 20 else f"{literal[:12]}... ({digits} digits)"
        raise _BadNumber(literal, f"number {shown} is out of range (Go's float64 cannot hold it)")
    return value


def _parse_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _BadNumber(literal, f"number {literal} is out of range (Go's float64 cannot hold it)")
    return value


def _parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(
            text, parse_constant=_reject_constant, parse_int=_parse_int, parse_float=_parse_float
        )
    except json.JSONDecodeError as exc:
        raise _fail(source, f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except _BadNumber as exc:
        # The hook does not know where the number is: its first occurrence is a good guess.
        line, column = _position(text, text.find(exc.literal))
        raise _fail(source, f"invalid JSON: {exc.message}", line, column) from None


def _position(text: str, offset: int) -> tuple[int | None, int | None]:
    if offset < 0:
        return None, None
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _too_deep_at(text: str) -> tuple[int | None, int | None]:
    """Where JSON text first opens more than MAX_DEPTH arrays/objects (strings skipped)."""
    depth = 0
    in_string = escaped = False
    for offset, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _position(text, offset)
        elif char in "]}":
            depth -= 1
    return None, None


def _parse_yaml(text: str, source: str) -> Any:
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        problem = exc.problem or str(exc)
        if mark is None:
            raise _fail(source, f"invalid YAML: {problem}") from None
        raise _fail(source, f"invalid YAML: {problem}", mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as exc:
        raise _fail(source, f"invalid YAML: {exc}") from None
    return data


def _parse_toml(text: str, source: str) -> Any:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_POSITION.search(message)
        if position is None:
            raise _fail(source, f"invalid TOML: {message}") from None
        line, column = int(position.group(1)), int(position.group(2))
        raise _fail(source, f"invalid TOML: {message[: position.start()]}", line, column) from None
    return data
