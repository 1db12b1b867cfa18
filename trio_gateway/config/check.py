"""`trio-gateway check -c FILE [-d] [--strict]`: load a configuration and report on it.

Output contract (stable, tested):

* success: each warning on its own line on `err`, then (with `-d`) the effective configuration as
  indented JSON on `out`, then `OK: <file>: N endpoint(s), M backend(s)` on `out`; exit code 0;
* failure: every error, then every warning, one per line on `err` (`error: <json path>: <message>
  (hint: ...)`), then `N error(s), M warning(s)`; exit code 1;
* `--strict`: warnings count as errors (printed as `error:`), so any warning fails the check;
* never a traceback: whatever goes wrong is one `error:` line and exit code 1, and every line is
  printable whatever the file holds (a lone surrogate in a file name becomes U+FFFD).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

import orjson

from trio_gateway.config.diagnostics import ConfigError, Diagnostic
from trio_gateway.config.dump import effective_config
from trio_gateway.config.known import fail_closed
from trio_gateway.config.load import load_config
from trio_gateway.config.namespaces import NAMESPACES, Status
from trio_gateway.config.plain import without_surrogates

__all__ = ["list_namespaces", "run_check"]


def run_check(
    path: str,
    *,
    strict: bool,
    dump: bool,
    out: TextIO,
    err: TextIO,
    env: Mapping[str, str] | None = None,
) -> int:
    """Check the configuration file at `path`; return the process exit code (0 or 1).

    Args:
        path: the configuration file.
        strict: treat warnings as errors.
        dump: print the effective configuration (derived defaults filled in) on success.
        out: where the dump and the `OK` line go.
        err: where diagnostics and the failure summary go.
        env: environment for `FC_*` and `KRAKEND_*` (`None` means `os.environ`).
    """
    try:
        loaded = load_config(path, env=env)
    except ConfigError as exc:
        return _fail(exc.diagnostics, strict, err)
    if strict and loaded.warnings:
        return _fail(loaded.warnings, strict, err)
    config = loaded.config
    dumped = ""
    if dump:
        try:
            dumped = orjson.dumps(effective_config(config), option=orjson.OPT_INDENT_2).decode()
        except Exception as exc:  # a bug of ours: one line, not a traceback
            what = f"{type(exc).__name__}: {exc}"
            message = f"internal error while printing the configuration: {what}"
            hint = "this is a bug in trio-gateway: please report it with the configuration"
            return _fail([Diagnostic("error", path, message, hint)], strict, err)
    for warning in loaded.warnings:
        _print(warning, err)
    if dump:
        _print(dumped, out)
    backends = sum(len(endpoint.backend) for endpoint in config.endpoints)
    _print(f"OK: {path}: {len(config.endpoints)} endpoint(s), {backends} backend(s)", out)
    return 0


def _print(line: object, stream: TextIO) -> None:
    print(without_surrogates(str(line)), file=stream)


def _fail(diagnostics: Sequence[Diagnostic], strict: bool, err: TextIO) -> int:
    shown = [d.as_error() for d in diagnostics] if strict else list(diagnostics)
    shown.sort(key=lambda d: not d.is_error)
    for diagnostic in shown:
        _print(diagnostic, err)
    errors = sum(1 for d in shown if d.is_error)
    _print(f"{errors} error(s), {len(shown) - errors} warning(s)", err)
    return 1


def list_namespaces(out: TextIO) -> None:
    """`check --list-namespaces`: every namespace trio-gateway knows, from the registry and the
    table of the others, one per line: name, levels, what happens to a config that uses it."""
    rows = []
    for name in sorted(NAMESPACES):
        known = NAMESPACES[name]
        levels = ",".join(sorted(level.value for level in known.levels))
        if known.status is Status.ENTERPRISE:
            levels = "any"  # not checked for these
        if known.status is Status.IMPLEMENTED:
            what = "implemented"
        elif fail_closed(name):
            what = "refused (fail closed: not implemented)"
        else:
            what = "ignored with a warning (not implemented)"
        if known.status is Status.ENTERPRISE:
            what += ", KrakenD Enterprise only"
        rows.append((name, levels, what))
    width = max(len(name) for name, _, _ in rows)
    level_width = max(len(levels) for _, levels, _ in rows)
    for name, levels, what in rows:
        print(f"{name:<{width}}  {levels:<{level_width}}  {what}", file=out)
