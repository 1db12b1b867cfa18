"""`trio-gateway check -c FILE [-d] [-t] [-l | -s SCHEMA] [--strict] [--format F]`: load a
configuration and report on it, for people (`text`) and for CI (`json`, `github`).

Output contract (stable, tested):

* every diagnostic is located in the source file when we can tell (`config/positions.py`: each
  JSON path, or its nearest ancestor written in the file; unknown for a flexible-configuration
  template and for keys set by `KRAKEND_*` variables). `text` prints
  `FILE:LINE:COL: error: $.path: message (hint: ...)`, or `error: $.path: message` when the
  position is unknown, one per line on `err`, errors first;
* success: warnings on `err`, then the `-t` routes (`GET /users/:id`, one per line) and
  `OK: <file>: N endpoint(s), M backend(s)` on `out`; exit code 0. With `-d` the effective
  configuration is printed on `out` and it is the only thing there (routes and `OK` go to `err`),
  so `check -d -c f > dump.json` is a configuration that passes `check --strict` again;
* failure: every error, then every warning, then `N error(s), M warning(s)` on `err`; exit code 1;
* `--format json`: one JSON object on `out`, `{"ok", "errors", "warnings"}` (plus `config` with
  `-d` and `routes` with `-t` on success), each diagnostic `{"severity", "path", "file", "line",
  "column", "message", "hint", "code"}` (`path` is null for a syntax error, `line` and `column`
  null when unknown); nothing on `err`;
* `--format github`: one workflow command per diagnostic (`::error file=F,line=L,col=C::$.path:
  message`, `::warning ...`) on `out` (on `err` with `-d`), the summary or `OK` line on `err`;
* `--strict`: warnings count as errors, so any warning fails the check;
* `-l`/`-n` lint the parsed file against our JSON Schema, `-s FILE` against a schema file (with
  `jsonschema`); lint findings are errors, as in KrakenD;
* never a traceback: whatever goes wrong is an error diagnostic and exit code 1, and every line is
  printable whatever the file holds (a lone surrogate in a file name becomes U+FFFD).
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TextIO

import attrs
import orjson

from trio_gateway.config.diagnostics import ConfigError, Diagnostic, format_path
from trio_gateway.config.dump import effective_config
from trio_gateway.config.known import fail_closed
from trio_gateway.config.load import ENV_PREFIX, load_config
from trio_gateway.config.model import ServiceConfig
from trio_gateway.config.namespaces import NAMESPACES, Status
from trio_gateway.config.parse import Format, format_for, parse_text
from trio_gateway.config.placeholders import clean_path, gin_path
from trio_gateway.config.plain import plain_data, without_surrogates
from trio_gateway.config.positions import position_of, source_positions

__all__ = ["OUTPUT_FORMATS", "OutputFormat", "gin_routes", "list_namespaces", "run_check"]

OutputFormat = Literal["text", "json", "github"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("text", "json", "github")

# The module that provides `lint(data) -> list[Diagnostic]` against trio-gateway's JSON Schema
# (`check -l`): imported by name so that `check` works (and says so) while it does not exist.
LINT_MODULE = "trio_gateway.config.schema"


def run_check(
    path: str,
    *,
    strict: bool = False,
    dump: bool = False,
    indent: str | None = None,
    out: TextIO,
    err: TextIO,
    env: Mapping[str, str] | None = None,
    output: OutputFormat = "text",
    routes: bool = False,
    lint: bool = False,
    lint_schema: str | None = None,
) -> int:
    """Check the configuration file at `path`; return the process exit code (0 or 1).

    Args:
        path: the configuration file.
        strict: treat warnings as errors.
        dump: print the effective configuration (derived defaults filled in) on success.
        indent: the dump's indentation per level (`-i`, as `krakend check -i`); None: two
            spaces. Only whitespace, so that the dump stays JSON.
        out: where the dump, the routes and the `OK` line go (see the module docstring).
        err: where diagnostics and the failure summary go.
        env: environment for `FC_*` and `KRAKEND_*` (`None` means `os.environ`).
        output: `text`, `json` or `github`.
        routes: `-t`: list the routes the gateway would register.
        lint: `-l`: validate the file against trio-gateway's JSON Schema.
        lint_schema: `-s`: validate the file against this JSON Schema file.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    config: ServiceConfig | None = None
    try:
        loaded = load_config(path, env=environ)
        config, diagnostics = loaded.config, list(loaded.warnings)
    except ConfigError as exc:
        diagnostics = list(exc.diagnostics)
    linting = lint or lint_schema is not None
    source = _read_source(path, environ, render=linting)
    if source is not None and linting:
        diagnostics += _lint(source[0], source[1], path, lint_schema)
    if source is not None and not source[2]:  # positions only in the file as written
        diagnostics = _located(diagnostics, source[0], source[1], path, environ)
    if strict:
        diagnostics = [d.as_error() for d in diagnostics]
    diagnostics.sort(key=lambda d: not d.is_error)
    ok = config is not None and not any(d.is_error for d in diagnostics)
    effective: dict[str, Any] | None = None
    if ok and dump and config is not None:
        try:
            effective = effective_config(config)
        except Exception as exc:  # a bug of ours: one diagnostic, not a traceback
            what = f"{type(exc).__name__}: {exc}"
            message = f"internal error while printing the configuration: {what}"
            hint = "this is a bug in trio-gateway: please report it with the configuration"
            diagnostics.insert(0, Diagnostic("error", path, message, hint))
            ok = False
    found = gin_routes(config, debug=dump) if ok and routes and config is not None else []
    summary = _summary(path, config, diagnostics, ok)
    if output == "json":
        _print(_json_report(path, diagnostics, ok, effective, found), out)
        return 0 if ok else 1
    side = err if effective is not None else out  # -d: only the dump on `out`
    for diagnostic in diagnostics:
        if output == "github":
            _print(_annotation(diagnostic, path), side)
        else:
            _print(_text(diagnostic, path), err)
    if effective is not None:
        _print(_dump_text(effective, indent), out)
    for method, route in found:
        _print(f"{method} {route}", side)
    _print(summary, err if output == "github" or not ok else side)
    return 0 if ok else 1


def gin_routes(config: ServiceConfig, *, debug: bool = False) -> list[tuple[str, str]]:
    """The routes KrakenD registers in gin for `config` (`check -t`), in registration order:
    the health route, `/__debug/*param` and `/__echo/*param` for any method when enabled (lura
    `router/gin/engine.go`; `-d` turns debug on as in krakend-cobra's `RunRouterFunc`), then each
    endpoint as `METHOD /gin/:path`."""
    found: list[tuple[str, str]] = []
    router = config.extra_config.router
    if router is None or not router.disable_health:
        found.append(("GET", router.health_path if router is not None else "/__health"))
    if debug or config.debug_endpoint:
        found.append(("ANY", "/__debug/*param"))
    if config.echo_endpoint:
        found.append(("ANY", "/__echo/*param"))
    for endpoint in config.endpoints:
        route = gin_path(clean_path(endpoint.endpoint), config.disable_rest).partition("?")[0]
        found.append((endpoint.method.upper(), route))
    return found


def _dump_text(effective: dict[str, Any], indent: str | None) -> str:
    if indent is None:
        return orjson.dumps(effective, option=orjson.OPT_INDENT_2).decode()
    return json.dumps(effective, indent=indent, ensure_ascii=False)


def _summary(
    path: str, config: ServiceConfig | None, diagnostics: Sequence[Diagnostic], ok: bool
) -> str:
    if ok and config is not None:
        backends = sum(len(endpoint.backend) for endpoint in config.endpoints)
        return f"OK: {path}: {len(config.endpoints)} endpoint(s), {backends} backend(s)"
    errors = sum(1 for d in diagnostics if d.is_error)
    return f"{errors} error(s), {len(diagnostics) - errors} warning(s)"


def _print(line: object, stream: TextIO) -> None:
    print(without_surrogates(str(line)), file=stream)


# -- positions -------------------------------------------------------------------------------


def _read_source(
    path: str, env: Mapping[str, str], *, render: bool
) -> tuple[str, Format, bool] | None:
    """The text `load_config` parsed, its format and whether it was rendered from a flexible
    configuration template (only if `render`: positions are not taken from a rendering); None
    when it cannot be read (`load_config` said why)."""
    from trio_gateway.config.flexible import FlexibleConfigError, render_if_enabled

    if env.get("FC_ENABLE") and not render:
        return None
    try:
        rendered = render_if_enabled(Path(path), env)
        if rendered is not None:
            return rendered, format_for(env.get("FC_OUT") or ".json"), True
        return Path(path).read_bytes().decode("utf-8"), format_for(path), False
    except (FlexibleConfigError, OSError, UnicodeDecodeError, ValueError):
        return None


def _located(
    diagnostics: Sequence[Diagnostic], text: str, fmt: Format, path: str, env: Mapping[str, str]
) -> list[Diagnostic]:
    """Each diagnostic with the line and column of its JSON path in `text` (nearest ancestor
    written there), or of its `FILE:LINE:COL` location (syntax errors)."""
    positions = source_positions(text, fmt)
    # A root key set by KRAKEND_<NAME> is not where the file says (config/load.py Rule 2).
    from_env = tuple(
        format_path((name[len(ENV_PREFIX) :].lower(),))
        for name in env
        if name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX)
    )
    syntax = re.compile(re.escape(path) + r":(\d+):(\d+)")
    located = []
    for diagnostic in diagnostics:
        where: tuple[int, int] | None = None
        if match := syntax.fullmatch(diagnostic.path):
            where = int(match[1]), int(match[2])
        elif not any(_is_under(diagnostic.path, root) for root in from_env):
            where = position_of(positions, diagnostic.path)
        if where is not None and diagnostic.line is None:
            diagnostic = attrs.evolve(diagnostic, line=where[0], column=where[1])
        located.append(diagnostic)
    return located


def _is_under(path: str, prefix: str) -> bool:
    return path == prefix or (path.startswith(prefix) and path[len(prefix)] in ".[")


# -- renderings ------------------------------------------------------------------------------


def _text(diagnostic: Diagnostic, source: str) -> str:
    if diagnostic.line is None:
        return str(diagnostic)
    hint = f" (hint: {diagnostic.hint})" if diagnostic.hint else ""
    where = f"{source}:{diagnostic.line}:{diagnostic.column}"
    if not diagnostic.path.startswith("$"):  # a syntax error: its path is this location
        return f"{where}: {diagnostic.severity}: {diagnostic.message}{hint}"
    return f"{where}: {diagnostic}"


def _as_json(diagnostic: Diagnostic, source: str) -> dict[str, Any]:
    return {
        "severity": diagnostic.severity,
        "path": diagnostic.path if diagnostic.path.startswith("$") else None,
        "file": source,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
        "code": diagnostic.code,
    }


def _json_report(
    source: str,
    diagnostics: Sequence[Diagnostic],
    ok: bool,
    effective: dict[str, Any] | None,
    found: Sequence[tuple[str, str]],
) -> str:
    report: dict[str, Any] = {
        "ok": ok,
        "errors": [_as_json(d, source) for d in diagnostics if d.is_error],
        "warnings": [_as_json(d, source) for d in diagnostics if not d.is_error],
    }
    if effective is not None:
        report["config"] = effective
    if ok and found:
        report["routes"] = [{"method": method, "path": route} for method, route in found]
    return without_surrogates(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


def _annotation(diagnostic: Diagnostic, source: str) -> str:
    """A GitHub Actions workflow command (`::error file=F,line=L,col=C::message`), escaped as
    the runner's toolkit does (`%`, CR, LF in the message; also `:` and `,` in properties)."""
    properties = f"file={_escape_property(source)}"
    if diagnostic.line is not None:
        properties += f",line={diagnostic.line},col={diagnostic.column}"
    message = diagnostic.message
    if diagnostic.path.startswith("$"):
        message = f"{diagnostic.path}: {message}"
    if diagnostic.hint:
        message += f" (hint: {diagnostic.hint})"
    return f"::{diagnostic.severity} {properties}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


# -- linting ---------------------------------------------------------------------------------


def _lint(text: str, fmt: Format, source: str, schema_file: str | None) -> list[Diagnostic]:
    """`-l`/`-s`: schema findings on the data of the file as parsed (KrakenD lints the file's
    content, not its effective configuration: krakend-cobra `check.go`)."""
    try:
        data = plain_data(parse_text(text, fmt, source), source)
    except ConfigError:
        return []  # a syntax error: `load_config` reported it
    if schema_file is None:
        return _builtin_lint(data)
    return _schema_file_lint(data, schema_file)


def _builtin_lint(data: Any) -> list[Diagnostic]:
    try:
        lint: Callable[[Any], list[Diagnostic]] = importlib.import_module(LINT_MODULE).lint
    except (ImportError, AttributeError):
        message = "--lint is not available: this build has no JSON Schema for trio-gateway"
        hint = "use --lint-schema FILE with a schema file (e.g. KrakenD's)"
        return [Diagnostic("error", "$", message, hint, code="lint-unavailable")]
    # `lint()` reports warnings (the loader, not the schema, decides what runs); asked for with
    # `-l`, they fail the check as `krakend check -l` fails on schema errors (krakend-cobra
    # check.go exits 1 on `Validate` errors).
    return [attrs.evolve(d, severity="error") for d in lint(data)]


def _schema_file_lint(data: Any, schema_file: str) -> list[Diagnostic]:
    try:
        schema = orjson.loads(Path(schema_file).read_bytes())
    except OSError as exc:
        message = f"cannot read the schema file: {exc.strerror or exc}"
        return [Diagnostic("error", schema_file, message, code="lint-schema")]
    except orjson.JSONDecodeError as exc:
        message = f"the schema file is not JSON: {exc}"
        return [Diagnostic("error", schema_file, message, code="lint-schema")]
    try:
        return _jsonschema_lint(data, schema, schema_file)
    except ImportError:
        pass
    try:
        return _fastjsonschema_lint(data, schema, schema_file)
    except ImportError:
        message = "--lint-schema needs the jsonschema (or fastjsonschema) Python package"
        hint = "pip install jsonschema"
        return [Diagnostic("error", schema_file, message, hint, code="lint-schema")]


def _jsonschema_lint(data: Any, schema: Any, schema_file: str) -> list[Diagnostic]:
    jsonschema = importlib.import_module("jsonschema")
    try:
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        errors = list(validator_class(schema).iter_errors(data))
    except jsonschema.exceptions.SchemaError as exc:
        message = f"invalid schema: {exc.message}"
        return [Diagnostic("error", schema_file, message, code="lint-schema")]
    errors.sort(key=lambda e: [str(part) for part in e.absolute_path])
    return [
        Diagnostic("error", format_path(tuple(e.absolute_path)), e.message, code="lint")
        for e in errors
    ]


def _fastjsonschema_lint(data: Any, schema: Any, schema_file: str) -> list[Diagnostic]:
    fastjsonschema = importlib.import_module("fastjsonschema")
    try:
        validate = fastjsonschema.compile(schema)
    except fastjsonschema.JsonSchemaDefinitionException as exc:
        return [Diagnostic("error", schema_file, f"invalid schema: {exc}", code="lint-schema")]
    try:
        validate(data)
    except fastjsonschema.JsonSchemaValueException as exc:  # it stops at the first problem
        path = tuple(exc.path[1:]) if exc.path else ()  # its paths start with "data"
        return [Diagnostic("error", format_path(path), exc.message, code="lint")]
    return []


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
