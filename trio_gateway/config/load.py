"""Load a KrakenD v3 configuration: read, render, parse, override, structure, validate.

Rule 1: every problem is reported at once. Syntax errors stop the pipeline (there is no data to
check); otherwise structure errors, unknown-key errors and semantic errors are all collected
(see `repair.py` for how semantic checks still run after type errors) and raised together as one
`ConfigError`. Warnings travel in `LoadedConfig.warnings` (or inside the `ConfigError`).

Rule 2: environment overrides work as in KrakenD (`krakend-koanf`): after parsing, every variable
`KRAKEND_<NAME>` sets the root key `<name>` (prefix stripped, lower-cased). KrakenD's environment
values are strings that weak typing converts. Here the value is interpreted by the type of the key:
for string and duration keys (`name`, `listen_ip`, `timeout`, ...) it is taken verbatim; for any
other key it is parsed as JSON if it parses (`KRAKEND_PORT=9000` -> 9000,
`KRAKEND_DEBUG_ENDPOINT=true` -> true, `KRAKEND_HOST=["http://a:8000"]` -> a list, where KrakenD
would make a one-element list of the text), else taken as a string for weak typing to convert.

Rule 3: nothing but a `ConfigError` leaves `load_config`. The parsers' failures, data beyond the
bounds of `plain.py` (nesting, aliases, numbers) and every problem of the content are
diagnostics; an exception of ours that escapes anyway becomes one `internal error while loading`
diagnostic (a bug to report: the property tests look for them), never a traceback.
"""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import cattrs

from trio_gateway.config.converter import CONVERTER, ValueProblem
from trio_gateway.config.diagnostics import ConfigError, Diagnostic, format_path
from trio_gateway.config.model import Seconds, ServiceConfig
from trio_gateway.config.parse import Format, format_for, parse_text
from trio_gateway.config.plain import plain_data
from trio_gateway.config.repair import drop_suppressed, repair
from trio_gateway.config.structure_errors import StructureIssue, structure_issues
from trio_gateway.config.unknown_keys import unknown_key_diagnostics
from trio_gateway.config.validate import validate
from trio_gateway.config.validate_files import PER_ENDPOINT
from trio_gateway.config.weak_typing import weak_typing

__all__ = [
    "ALLOW_UNENFORCED_ENV",
    "ENV_PREFIX",
    "LoadedConfig",
    "allowed_unenforced",
    "apply_env_overrides",
    "load_config",
    "load_config_data",
]

ENV_PREFIX = "KRAKEND_"
# Fail closed, unless the operator says otherwise: namespaces (comma-separated, or `*` for all)
# that may be served without being enforced, as KrakenD CE ignores what it does not implement.
ALLOW_UNENFORCED_ENV = "TRIO_GATEWAY_ALLOW_UNENFORCED"
_UNENFORCED = "unenforced:"


@attrs.frozen(kw_only=True)
class LoadedConfig:
    """A configuration that loaded without errors.

    Attributes:
        config: the structured configuration, as written (no derived defaults, see `model.py`).
        warnings: everything ignored or suspicious, for the caller to log or print.
        source: the file it came from (`<dict>` for `load_config_data`).
    """

    config: ServiceConfig
    warnings: tuple[Diagnostic, ...]
    source: str


def load_config(
    path: str | os.PathLike[str],
    *,
    env: Mapping[str, str] | None = None,
    allow_unenforced: Iterable[str] | None = None,
    for_serving: bool = False,
) -> LoadedConfig:
    """Load and check a configuration file.

    Args:
        path: the file; its extension picks the format (`.yml`/`.yaml`, `.toml`, else JSON).
        env: environment for `FC_*` (flexible configuration) and `KRAKEND_*` overrides;
            `None` means `os.environ`.
        allow_unenforced: namespaces (or `*`) that may be served although trio-gateway cannot
            enforce them (their errors become warnings); `None` reads
            `$TRIO_GATEWAY_ALLOW_UNENFORCED` from `env`.
        for_serving: load to serve (`run`), not to check: what KrakenD tolerates at start (an
            endpoint's JWK file it cannot read: that endpoint answers 401) is a warning, not an
            error (`config/validate_files.py`).

    Raises:
        ConfigError: with every error found (and the warnings), located by JSON path, or by
            `file:line:column` for syntax errors.
    """
    source = os.fspath(path)
    environ: Mapping[str, str] = os.environ if env is None else env
    allowed = allowed_unenforced(environ) if allow_unenforced is None else set(allow_unenforced)

    def load() -> LoadedConfig:
        text, fmt = _read(Path(source), environ, source)
        data = parse_text(text, fmt, source)
        overridden: dict[str, str] = {}
        if isinstance(data, Mapping):
            data, overridden = apply_env_overrides(data, environ)
        return _load(plain_data(data, source), source, overridden, allowed, for_serving)

    return _guarded(source, load)


def load_config_data(
    data: Mapping[str, Any],
    *,
    source: str = "<dict>",
    allow_unenforced: Iterable[str] | None = None,
    for_serving: bool = False,
) -> LoadedConfig:
    """Check a configuration built in Python (a JSON-shaped mapping, as `json.load` returns).

    `allow_unenforced` and `for_serving` as for `load_config` (`None` reads
    `$TRIO_GATEWAY_ALLOW_UNENFORCED`).

    Raises:
        ConfigError: as `load_config` (no environment overrides are applied).
    """
    allowed = allowed_unenforced(os.environ) if allow_unenforced is None else set(allow_unenforced)
    return _guarded(
        source, lambda: _load(plain_data(data, source), source, {}, allowed, for_serving)
    )


def _guarded(source: str, load: Callable[[], LoadedConfig]) -> LoadedConfig:
    """Let only ConfigError out (Rule 3): any other exception is a bug of ours, reported as one
    diagnostic that says so (the exception stays chained for a debugger)."""
    try:
        return load()
    except ConfigError:
        raise
    except Exception as exc:
        message = f"internal error while loading: {type(exc).__name__}: {exc}"
        hint = "this is a bug in trio-gateway: please report it with the configuration"
        raise ConfigError([Diagnostic("error", source, message, hint)], source) from exc


def allowed_unenforced(env: Mapping[str, str]) -> set[str]:
    """The namespaces `$TRIO_GATEWAY_ALLOW_UNENFORCED` names (`*` = all)."""
    return {name.strip() for name in env.get(ALLOW_UNENFORCED_ENV, "").split(",") if name.strip()}


def allow(diagnostics: Iterable[Diagnostic], allowed: Collection[str]) -> list[Diagnostic]:
    """Downgrade to warnings the `unenforced:` errors whose namespace the operator allowed."""
    result = []
    for diagnostic in diagnostics:
        code = diagnostic.code or ""
        if code.startswith(_UNENFORCED) and diagnostic.is_error:
            name = code[len(_UNENFORCED) :]
            if "*" in allowed or name in allowed or name.partition("=")[0] in allowed:
                diagnostic = attrs.evolve(
                    diagnostic,
                    severity="warning",
                    message=diagnostic.message.partition(": refused")[0]
                    + f": served WITHOUT it ({ALLOW_UNENFORCED_ENV})",
                    hint=None,
                )
        result.append(diagnostic)
    return result


def apply_env_overrides(
    data: Mapping[str, Any], env: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (data with `KRAKEND_*` overrides applied, {root key: variable name} overridden)."""
    result = dict(data)
    overridden: dict[str, str] = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or len(name) == len(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX) :].lower()
        result[key] = value if key in _VERBATIM_KEYS else _json_or_string(value)
        overridden[key] = name
    return result, overridden


def _verbatim_keys() -> frozenset[str]:
    """Root keys whose type is a string or a duration (possibly optional)."""
    textual = (str, Seconds, type(None))

    def is_textual(hint: Any) -> bool:
        if hint in textual:
            return True
        is_union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        return is_union and all(arg in textual for arg in typing.get_args(hint))

    hints = typing.get_type_hints(ServiceConfig)
    return frozenset(name for name, hint in hints.items() if is_textual(hint))


_VERBATIM_KEYS = _verbatim_keys()


def _json_or_string(value: str) -> Any:
    try:
        # The file's JSON rules (no NaN, no 1e400), else the text is a string, as KrakenD has it.
        return parse_text(value, "json", "<environment>")
    except ConfigError:
        return value


def _read(path: Path, env: Mapping[str, str], source: str) -> tuple[str, Format]:
    # Imported lazily: flexible configuration is optional and pulls in Jinja2.
    from trio_gateway.config.flexible import FlexibleConfigError, render_if_enabled

    try:
        rendered = render_if_enabled(path, env)
    except FlexibleConfigError as exc:
        raise ConfigError([Diagnostic("error", source, str(exc))], source) from None
    if rendered is not None:
        # KrakenD parses the rendered template from FC_OUT, or from a temporary `.json` file.
        return rendered, format_for(env.get("FC_OUT") or ".json")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        message = f"cannot read the configuration file: {reason}"
        raise ConfigError([Diagnostic("error", source, message)], source) from None
    try:
        return raw.decode("utf-8"), format_for(source)
    except UnicodeDecodeError as exc:
        message = f"the configuration file is not valid UTF-8 (byte {exc.start})"
        raise ConfigError([Diagnostic("error", source, message)], source) from None


def _load(
    data: Any,
    source: str,
    overridden: Mapping[str, str],
    allowed: Collection[str],
    for_serving: bool,
) -> LoadedConfig:
    data, weak = weak_typing(data)
    diagnostics: list[Diagnostic] = list(weak)
    config: ServiceConfig | None = None
    try:
        config = CONVERTER.structure(data, ServiceConfig)
    except cattrs.BaseValidationError as exc:
        issues = structure_issues(exc)
        diagnostics += [issue.diagnostic() for issue in issues]
        diagnostics += unknown_key_diagnostics(data)
        diagnostics += _validate_repaired(data, issues)
    except ValueProblem as exc:  # the root itself is not an object
        diagnostics.append(Diagnostic("error", "$", exc.message))
    else:
        diagnostics += unknown_key_diagnostics(data)
        diagnostics += validate(config)
    diagnostics = allow(diagnostics, allowed)
    if for_serving:
        diagnostics = [_tolerated(d) for d in diagnostics]
    diagnostics = _with_env_hints(diagnostics, overridden)
    if config is None or any(d.is_error for d in diagnostics):
        raise ConfigError(diagnostics, source)
    return LoadedConfig(config=config, warnings=tuple(diagnostics), source=source)


def _tolerated(diagnostic: Diagnostic) -> Diagnostic:
    """At `run`, what KrakenD survives at start is a warning (validate_files.PER_ENDPOINT)."""
    if diagnostic.is_error and (diagnostic.code or "").startswith(PER_ENDPOINT):
        return attrs.evolve(
            diagnostic, severity="warning", hint="this endpoint answers 401 to every request"
        )
    return diagnostic


def _validate_repaired(data: Any, issues: list[StructureIssue]) -> list[Diagnostic]:
    repaired = repair(data, issues)
    if repaired is None:
        return []
    fixed, suppressed = repaired
    try:
        config = CONVERTER.structure(fixed, ServiceConfig)
    except (cattrs.BaseValidationError, ValueError):
        return []  # a repair we did not foresee: report the structure errors only
    return drop_suppressed(validate(config), suppressed)


def _with_env_hints(
    diagnostics: list[Diagnostic], overridden: Mapping[str, str]
) -> list[Diagnostic]:
    if not overridden:
        return diagnostics
    origin = {format_path((key,)): name for key, name in overridden.items()}
    result = []
    for diagnostic in diagnostics:
        name = origin.get(diagnostic.path)
        if name is not None:
            hint = f"set by the environment variable {name}"
            if diagnostic.hint:
                hint = f"{diagnostic.hint}; {hint}"
            diagnostic = attrs.evolve(diagnostic, hint=hint)
        result.append(diagnostic)
    return result
