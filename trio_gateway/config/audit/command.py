"""The `trio-gateway audit` command, as `krakend audit` (krakend-cobra `audit.go`, `root.go`).

- `-c/--config` is required; `-i/--ignore` takes rule ids (comma-separated) and `-I/--ignore-file`
  a file of them (one a line); `-s/--severity` the severities to INCLUDE (comma-separated, default
  all four). Spaces are dropped from these lists, as KrakenD does.
- The findings go to stderr (KrakenD renders its template to `os.Stderr`), one a line:
  `<rule>\\t[<SEVERITY>]   \\t<message>`, the severity coloured when stderr is a terminal.
- Exit 1 when at least one finding is left after `-i` and `-s` (or when the file does not load);
  0 otherwise.

Where we differ, on purpose: `-f/--format` is a Go template in KrakenD; here it is `text` (the
default template, never coloured) or `json` (`{"recommendations":[...],"stats":{}}`, what
KrakenD's `{{ marshal . }}` prints; that template itself is accepted as a synonym). Any other
template is refused with a clear error rather than half-rendered. `-s` names are accepted in any
case and an unknown one is an error (KrakenD silently matches nothing, which passes the audit).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from trio_gateway.config.audit.table import SEVERITIES, Recommendation, audit
from trio_gateway.config.diagnostics import ConfigError
from trio_gateway.config.load import load_config
from trio_gateway.config.plain import without_surrogates

__all__ = ["FORMATS", "AuditUsageError", "render", "run_audit", "split_list"]

FORMATS = ("text", "json")
# KrakenD's documented way to get JSON out of `-f`: `{{ marshal . }}` (any spacing).
_MARSHAL_TEMPLATE = re.compile(r"\{\{-?\s*marshal\s+\.\s*-?\}\}")
_COLOURS = {"LOW": "32;1", "MEDIUM": "33;1", "HIGH": "31;1", "CRITICAL": "41;1"}


class AuditUsageError(ValueError):
    """A bad `-s`, `-f` or `-I` value: one line for the user."""


def split_list(text: str) -> list[str]:
    """A comma-separated flag value with every space removed (krakend-cobra: `ReplaceAll(" ",
    "")` then `Split(",")`); empty items dropped."""
    return [item for item in text.replace(" ", "").split(",") if item]


def _severities(text: str) -> list[str]:
    names = [name.upper() for name in split_list(text)]
    unknown = [name for name in names if name not in SEVERITIES]
    if unknown or not names:
        shown = ", ".join(unknown) if unknown else "none"
        raise AuditUsageError(
            f"unknown severity {shown} in -s/--severity: use a comma-separated list of "
            + ", ".join(SEVERITIES)
        )
    return names


def _ignore_file(path: str) -> list[str]:
    """The rule ids of an ignore file: one a line, spaces removed, blank lines skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise AuditUsageError(f"cannot read the ignore file {path}: {exc.strerror or exc}") from exc
    return [line for line in text.replace(" ", "").splitlines() if line.strip()]


def _format(fmt: str | None) -> str | None:
    if fmt is None or fmt in FORMATS:
        return fmt
    if _MARSHAL_TEMPLATE.fullmatch(fmt.strip()):
        return "json"
    raise AuditUsageError(
        f"unsupported -f/--format {fmt!r}: trio-gateway renders `text` or `json` "
        "(`{{ marshal . }}`), not Go templates"
    )


def render(findings: Sequence[Recommendation], fmt: str, *, colour: bool = False) -> str:
    """The findings as KrakenD prints them: its default template for `text`, `marshal .` for
    `json` (Go's encoding/json: no spaces, `<`, `>` and `&` escaped)."""
    if fmt == "json":
        data = {
            "recommendations": [
                {"rule": f.rule, "severity": f.severity, "message": f.message} for f in findings
            ],
            "stats": {},
        }
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
            text = text.replace(char, escaped)
        return text + "\n"

    def severity(name: str) -> str:
        return f"\033[{_COLOURS[name]}m{name}\033[0m" if colour and name in _COLOURS else name

    return "".join(f"{f.rule}\t[{severity(f.severity)}]   \t{f.message}\n" for f in findings)


def run_audit(
    path: str | None,
    *,
    ignore: str = "",
    ignore_file: str | None = None,
    severities: str = ",".join(SEVERITIES),
    fmt: str | None = None,
    err: TextIO,
    env: Mapping[str, str] | None = None,
) -> int:
    """Audit the configuration at `path`; return the exit code (1 when anything is reported).

    Args:
        path: the configuration file (`-c`).
        ignore: rule ids to leave out, comma-separated (`-i`).
        ignore_file: a file of more rule ids, one a line (`-I`).
        severities: the severities to report, comma-separated (`-s`).
        fmt: `text`, `json` or `{{ marshal . }}` (`-f`); `None` is text, coloured on a terminal.
        err: where findings and errors go (stderr, as in KrakenD).
        env: environment for `FC_*` and `KRAKEND_*` (`None` means `os.environ`).
    """
    if not path:
        _print(
            "Please, provide the path to the configuration file with --config or see all the "
            "options with --help",
            err,
        )
        return 1
    try:
        chosen = _format(fmt)
        included = _severities(severities)
        ignored = split_list(ignore) + (_ignore_file(ignore_file) if ignore_file else [])
    except AuditUsageError as exc:
        _print(f"ERROR: {exc}", err)
        return 1
    try:
        # Audit what KrakenD would parse: namespaces trio-gateway does not enforce are no reason
        # to refuse the file here (serving it is what fails closed).
        loaded = load_config(path, env=env, allow_unenforced=["*"])
    except ConfigError as exc:
        _print("ERROR parsing the configuration file:", err)
        _lines((str(d) for d in exc.diagnostics if d.is_error), err)
        return 1
    findings = audit(loaded.config, ignore=set(ignored), severities=set(included))
    colour = chosen is None and _is_terminal(err)
    err.write(without_surrogates(render(findings, chosen or "text", colour=colour)))
    return 1 if findings else 0


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _lines(lines: Iterable[str], stream: TextIO) -> None:
    for line in lines:
        _print(f"\t{line}", stream)


def _print(line: str, stream: TextIO) -> None:
    print(without_surrogates(line), file=stream)
