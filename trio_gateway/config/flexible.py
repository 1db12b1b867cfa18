"""KrakenD Flexible Configuration (the ``FC_*`` environment variables), rendered with Jinja2.

KrakenD CE renders the ``-c`` file as a Go ``text/template`` when ``FC_ENABLE`` is set
(``krakend-flexibleconfig:template.go``). We read the same variables and directories, but the
template language is Jinja2; ``docs/flexible-config.md`` has the Go → Jinja translation table.

Rule 1: a template that fails to render is an error. KrakenD logs it and falls back to parsing
the raw template, which then fails with a JSON error far from the cause; we stop at the cause.

Rule 2: every :class:`FlexibleConfigError` message starts with ``file:line:`` (or ``file:`` when
there is no line), so the user knows where to look.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2

__all__ = ["FlexibleConfigError", "render", "render_if_enabled"]

LOGGER = logging.getLogger(__name__)

# Spots Go template syntax on a line Jinja rejected, to add a hint to the syntax error.
_GO_SYNTAX = re.compile(
    r"\{\{-?\s*(?:\.|(?:template|include|range|if|else|end|with|env|marshal)\s)"
)
# Names our templates get as globals; a settings file with one of these stems hides it.
_GLOBALS = frozenset({"b64dec", "b64enc", "env", "include", "marshal", "toJson", "tojson"})


class FlexibleConfigError(Exception):
    """The flexible configuration could not be rendered; the message names the file and line."""


def render_if_enabled(path: Path, env: Mapping[str, str]) -> str | None:
    """Render ``path`` as KrakenD does when ``FC_ENABLE`` is set (even to ``0``).

    ``FC_ENGINE`` picks the template language: ``go`` (the default, KrakenD's Go templates with
    Sprig) or ``jinja2`` (:func:`render`).

    ``FC_SETTINGS``, ``FC_PARTIALS`` and ``FC_TEMPLATES`` become the directories of :func:`render`
    (relative paths are relative to the working directory, as in KrakenD).

    Returns:
        ``None`` when ``FC_ENABLE`` is unset or empty; otherwise the rendered text, which is
        also written to ``FC_OUT`` if that is set.

    Raises:
        FlexibleConfigError: The template could not be rendered or ``FC_OUT`` not written.
    """
    if not env.get("FC_ENABLE"):
        return None
    engine = env.get("FC_ENGINE") or "go"
    if engine == "go":
        # KrakenD's language: Go's text/template with Sprig (ours, trio_gateway.config.gotemplate)
        from trio_gateway.config.flexible_go import GoFlexibleConfigError, render_go

        try:
            text = render_go(
                path,
                settings_dir=_env_path(env, "FC_SETTINGS"),
                partials_dir=_env_path(env, "FC_PARTIALS"),
                templates_dir=_env_path(env, "FC_TEMPLATES"),
                env=env,
            )
        except GoFlexibleConfigError as exc:
            raise FlexibleConfigError(str(exc)) from exc
    elif engine == "jinja2":
        text = render(
            path,
            settings_dir=_env_path(env, "FC_SETTINGS"),
            partials_dir=_env_path(env, "FC_PARTIALS"),
            templates_dir=_env_path(env, "FC_TEMPLATES"),
            env=env,
        )
    else:
        raise FlexibleConfigError(f"{path}: FC_ENGINE must be go or jinja2, not {engine!r}")
    out = _env_path(env, "FC_OUT")
    if out is not None:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise FlexibleConfigError(f"{out}: cannot write FC_OUT: {exc}") from exc
        LOGGER.info("flexible config: %s rendered into %s", path, out)
    return text


def render(
    path: Path,
    *,
    settings_dir: Path | None,
    partials_dir: Path | None,
    templates_dir: Path | None,
    env: Mapping[str, str],
) -> str:
    """Render the configuration template at ``path`` with Jinja2.

    Args:
        path: The configuration template.
        settings_dir: Every ``*.json`` directly inside becomes a variable named after its stem.
        partials_dir: Where ``include("name")`` reads raw files (``None``: the working directory,
            as KrakenD joins an empty ``FC_PARTIALS`` with the name).
        templates_dir: Where ``{% include "x.tmpl" %}`` finds sub-templates.
        env: What ``env("NAME")`` and ``env.NAME`` read.

    Raises:
        FlexibleConfigError: A file is unreadable, a settings file is not JSON, or the template
            fails to parse or render (e.g. an undefined variable).
    """
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlexibleConfigError(f"{path}: cannot read the configuration template: {exc}") from exc
    if templates_dir is not None and not templates_dir.is_dir():
        raise FlexibleConfigError(f"{templates_dir}: FC_TEMPLATES is not a directory")
    variables = _load_settings(settings_dir) if settings_dir is not None else {}
    environment = _environment(templates_dir, partials_dir, env)
    try:
        return environment.from_string(source).render(variables)
    except jinja2.TemplateSyntaxError as exc:
        # Raised for the main file at parse time, or for a sub-template when it is included.
        message = f"{exc.filename or path}:{exc.lineno}: {exc.message}"
        lines = (exc.source or "").splitlines()
        if 0 < exc.lineno <= len(lines) and _GO_SYNTAX.search(lines[exc.lineno - 1]):
            message += " (Go template syntax? see docs/flexible-config.md)"
        raise FlexibleConfigError(message) from exc
    except Exception as exc:  # anything a render raises is a configuration error; translate it
        where = _template_location(exc, path, templates_dir)
        if isinstance(exc, jinja2.TemplateNotFound):
            what = f"template {exc.name!r} not found in FC_TEMPLATES ({templates_dir or 'not set'})"
        else:
            what = str(exc) if isinstance(exc, jinja2.TemplateError) else f"{exc!r}"
        raise FlexibleConfigError(f"{where}: {what}") from exc


def _env_path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name)
    return Path(value) if value else None


def _load_settings(settings_dir: Path) -> dict[str, Any]:
    """Read every ``*.json`` file directly inside ``settings_dir`` (not recursive, as KrakenD)."""
    try:
        files = sorted(p for p in settings_dir.iterdir() if p.suffix == ".json" and p.is_file())
    except OSError as exc:
        raise FlexibleConfigError(f"{settings_dir}: cannot read FC_SETTINGS: {exc}") from exc
    settings: dict[str, Any] = {}
    for file in files:
        try:
            settings[file.stem] = json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise FlexibleConfigError(
                f"{file}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})"
            ) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise FlexibleConfigError(f"{file}: cannot read settings file: {exc}") from exc
        if not file.stem.isidentifier() or file.stem in _GLOBALS:
            # Go reaches any key with `index . "my-service"`; Jinja has no equivalent.
            LOGGER.warning("flexible config: %s: no usable variable named %r", file, file.stem)
    LOGGER.debug("flexible config: settings %s loaded from %s", sorted(settings), settings_dir)
    return settings


def _environment(
    templates_dir: Path | None, partials_dir: Path | None, env: Mapping[str, str]
) -> jinja2.Environment:
    environment = jinja2.Environment(
        # An empty search path rather than no loader: a stray include is "not found", not TypeError.
        loader=jinja2.FileSystemLoader([] if templates_dir is None else templates_dir),
        undefined=jinja2.StrictUndefined,  # an error with file and line, not Go's "<no value>"
        keep_trailing_newline=True,
        autoescape=False,  # the output is JSON, not HTML
        finalize=_finalize,
    )
    # Our tojson replaces Jinja's, which HTML-escapes and puts spaces after ":" and ",".
    functions = {"marshal": _marshal, "tojson": _marshal, "toJson": _marshal}
    functions |= {"b64enc": _b64enc, "b64dec": _b64dec}
    environment.filters.update(functions)
    environment.globals.update(functions, env=_Env(env), include=_partial_reader(partials_dir))
    return environment


def _template_location(exc: BaseException, path: Path, templates_dir: Path | None) -> str:
    """``file:line`` of the innermost template frame; Jinja rewrites frames to template lines."""
    roots = ["<template>"]  # what from_string calls the main file
    if templates_dir is not None:
        roots.append(os.path.normpath(templates_dir) + os.sep)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(tuple(roots)):
            name = path if frame.filename == "<template>" else frame.filename
            return f"{name}:{frame.lineno}"
    return str(path)


def _finalize(value: object) -> object:
    # Jinja would print Python reprs (True, None, {'a': 1}), which are not JSON; Go prints
    # true/false too. Strings and numbers print as they are, as in Go.
    if value is None or isinstance(value, bool | dict | list):
        return _marshal(value)
    return value


def _marshal(value: object) -> str:
    """JSON-encode like Go's ``json.Marshal``: compact, sorted keys, UTF-8 kept as is."""
    return json.dumps(
        value, separators=(",", ":"), sort_keys=True, ensure_ascii=False, default=_json_default
    )


def _json_default(value: object) -> object:
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError, naming the missing variable
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _b64enc(value: object) -> str:
    return base64.b64encode(str(value).encode()).decode("ascii")


def _b64dec(value: object) -> str:
    return base64.b64decode(str(value)).decode()


def _partial_reader(partials_dir: Path | None) -> Callable[[str], str]:
    def include(name: str) -> str:
        """Insert a partial file raw: its text is not evaluated as a template."""
        file = Path(partials_dir or ".", name)
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            # KrakenD silently inserts "" on any read error; keep that, but say so.
            LOGGER.warning("flexible config: partial %s not included (empty string): %s", file, exc)
            return ""

    return include


class _Env(dict[str, str]):
    """``env`` in templates: ``env("NAME", default)`` like sprig's, and ``env.NAME`` strictly."""

    def __call__(self, name: str, default: object = "") -> object:
        # sprig's env gives "" for an unset variable; a set but empty one stays "".
        return self.get(name, default)
