"""The `yaml` output encoding, shaped like gin's YAML render (goccy/go-yaml v1.19.2).

goccy writes block style with 2-space indentation, keys sorted, sequences not indented under their
key, and no document markers. It double-quotes (Go `strconv.Quote` style) every string that YAML
could read as something else or that starts or ends awkwardly, and writes multi-line strings as
literal blocks. PyYAML does the layout; a string representer applies goccy's quoting rules.

KrakenD holds backend numbers as `json.Number`, a Go string, so goccy writes them quoted (`"42"`);
we hold real numbers and write them as YAML numbers (a documented difference).
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Final

import yaml
from yaml.representer import SafeRepresenter

try:
    from yaml import CSafeDumper as _CSafeDumper
except ImportError:  # PyYAML built without libyaml: the pure-Python emitter serves both
    from yaml import SafeDumper as _CSafeDumper  # type: ignore[assignment]

__all__ = ["YAML_CONTENT_TYPE", "render_yaml"]

YAML_CONTENT_TYPE: Final = b"application/yaml; charset=utf-8"

# goccy's reservedEncKeywordMap: YAML 1.2 null/bool/inf/nan words plus YAML 1.1 booleans.
_RESERVED: Final = frozenset(
    {"null", "Null", "NULL", "~", "true", "True", "TRUE", "false", "False", "FALSE"}
    | {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off"}
    | {"OFF", ".inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"}
)
_OTHER_BREAKS: Final = ("\r", "\x85", "\u2028", "\u2029")
_FIRST_NEEDS_QUOTE: Final = frozenset("*&[{}],!|>%'\"@ `")
_HEX: Final = re.compile(r"[0-9a-fA-F]+")
_OCT: Final = re.compile(r"[0-7]+")
_BIN: Final = re.compile(r"[01]+")
_DEC: Final = re.compile(r"[0-9]+")
_FLOAT: Final = re.compile(r"(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# goccy's timestampFormats as Go's time.Parse reads them: RFC 3339 (either `T` case), DateTime,
# DateOnly, and a legacy "15:4" clock. Go also accepts a fraction after the seconds.
_DATE_TIME: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt](\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})"
    r"| (\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?)?",
    re.ASCII,
)
_CLOCK: Final = re.compile(r"(\d{1,2}):(\d{1,2})", re.ASCII)


def _is_go_number(value: str) -> bool:
    """goccy's isNumber: its toNumber succeeds or fails only by range."""
    if value.startswith("_") or value.count(".") > 1:
        return False
    text = value[1:] if value.startswith("+") else value
    text = (text[1:] if text.startswith("-") else text).replace("_", "")
    for prefix, digits in (("0x", _HEX), ("0o", _OCT), ("0b", _BIN)):
        if text.startswith(prefix):
            return digits.fullmatch(text[2:]) is not None
    if text.startswith("0") and len(text) > 1 and "." not in value:
        return _OCT.fullmatch(text) is not None
    return (_FLOAT if "." in value else _DEC).fullmatch(text) is not None


def _is_go_timestamp(value: str) -> bool:
    clock = _CLOCK.fullmatch(value)
    if clock is not None:
        return int(clock[1]) < 24 and int(clock[2]) < 60
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    year, month, day, *times = (int(g) if g else 0 for g in match.groups())
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    hour, minute, second = times[:3] if match[4] else times[3:]
    return hour < 24 and minute < 60 and second < 60


def _go_needs_quote(value: str) -> bool:
    """goccy's token.IsNeedQuoted."""
    if not value or value in _RESERVED or _is_go_number(value) or value == "-":
        return True
    if value[0] in _FIRST_NEEDS_QUOTE or value[-1] in ": ":
        return True
    if _is_go_timestamp(value):
        return True
    return "#" in value or "\\" in value or ": " in value or "- " in value


class _GoccyDumper(yaml.SafeDumper):
    """SafeDumper with goccy's string styles."""

    def check_simple_key(self) -> bool:
        # goccy writes an empty key as `"": v`; PyYAML would switch to a `? ""` complex key.
        if isinstance(self.event, yaml.ScalarEvent) and self.event.value == "":
            return True
        return bool(super().check_simple_key())


class _GoccyCDumper(_CSafeDumper):
    """The same with libyaml's emitter (ten times faster; it keeps an empty key simple)."""


def _represent_str(dumper: SafeRepresenter, value: str) -> yaml.ScalarNode:
    style: str | None = None
    if _go_needs_quote(value) or any(c in value for c in _OTHER_BREAKS):
        style = '"'  # PyYAML folds NEL/LS/PS/CR inside other styles, changing the value
    elif "\n" in value:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_struct(dumper: SafeRepresenter, value: dict[str, Any]) -> yaml.MappingNode:
    # dict subclasses stand for Go structs (render.GoStruct): goccy keeps their field order.
    return dumper.represent_mapping("tag:yaml.org,2002:map", list(value.items()))


for _dumper in (_GoccyDumper, _GoccyCDumper):
    _dumper.add_representer(str, _represent_str)
    _dumper.add_multi_representer(dict, _represent_struct)
_DUMPER = _GoccyCDumper if yaml.__with_libyaml__ else _GoccyDumper


def render_yaml(data: dict[str, Any] | None) -> tuple[bytes, bytes]:
    """Render response data as gin's YAML render does (reference §6).

    Args:
        data: the response data; None (a nil map in Go) renders as `{}`, like an empty one.

    Returns:
        The Content-Type and the body.
    """
    body = yaml.dump(
        {} if data is None else data,
        Dumper=_DUMPER,
        indent=2,
        sort_keys=True,
        default_flow_style=False,
        allow_unicode=True,
        width=2**31 - 1,  # goccy never folds long lines
    )
    return YAML_CONTENT_TYPE, body.encode("utf-8")
