"""Configuration text -> plain data, by format, with syntax errors located by line and column.

As in KrakenD (`krakend-koanf:parser.go`) the file extension decides the format: `.yml`/`.yaml` is
YAML, `.toml` is TOML, anything else is JSON. YAML and TOML values that JSON cannot express are
normalised so that the three formats yield the same data: mapping keys become strings and dates
become ISO 8601 strings.
"""

from __future__ import annotations

import datetime
import json
import re
import tomllib
from collections.abc import Mapping
from typing import Any, Literal

import yaml

from trio_gateway.config.diagnostics import ConfigError, Diagnostic

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
    if fmt == "yaml":
        return _parse_yaml(text, source)
    if fmt == "toml":
        return _parse_toml(text, source)
    return _parse_json(text, source)


def _fail(
    source: str, message: str, line: int | None = None, column: int | None = None
) -> ConfigError:
    where = source if line is None else f"{source}:{line}:{column}"
    return ConfigError([Diagnostic("error", where, message)], source)


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _parse_json(text: str, source: str) -> Any:
    try:
        # Go's encoding/json rejects NaN and Infinity; Python's accepts them by default.
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _fail(source, f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except ValueError as exc:
        raise _fail(source, f"invalid JSON: {exc} is not a JSON value") from None


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
    return _normalise(data)


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
    return _normalise(data)


def _normalise(value: Any) -> Any:
    """Make YAML/TOML data JSON-shaped: string keys, ISO dates."""
    if isinstance(value, Mapping):
        return {_key(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, datetime.date | datetime.time):
        return key.isoformat()
    return str(key)
