"""KrakenD's flexible configuration rendered as KrakenD renders it: Go's `text/template`
(our port, trio_gateway.config.gotemplate) with Sprig's functions and KrakenD's `marshal` and
`include` (krakend-flexibleconfig template.go).

As there: every `*.json` of FC_SETTINGS is decoded as Go's `map[string]interface{}` (numbers
are float64, so `{{ .service.port }}` of 8080 prints `8080` and 1000000 prints `1e+06`) and
becomes the variable named after the file; every `*.tmpl` of FC_TEMPLATES joins the template
set under its file name; the configuration file is executed under its base name. One
difference on purpose: a template error is an error (KrakenD logs it and parses the raw file).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .gotemplate import TemplateError
from .gotemplate.krakend import add_template_files, config_template

__all__ = ["GoFlexibleConfigError", "render_go"]


class GoFlexibleConfigError(Exception):
    """A file could not be read or the template failed; the message starts with the file."""


def _floats(value: Any) -> Any:
    """What Go's json.Unmarshal into interface{} gives: every number a float64."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, list):
        return [_floats(v) for v in value]
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    return value


def _load_settings(settings_dir: Path) -> dict[str, Any]:
    try:
        files = sorted(p for p in settings_dir.iterdir() if p.name.endswith(".json"))
    except OSError as exc:
        raise GoFlexibleConfigError(f"{settings_dir}: cannot read FC_SETTINGS: {exc}") from exc
    settings: dict[str, Any] = {}
    for file in files:
        try:
            value = json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise GoFlexibleConfigError(
                f"{file}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})"
            ) from exc
        except (OSError, UnicodeDecodeError, RecursionError) as exc:
            raise GoFlexibleConfigError(f"{file}: cannot read settings file: {exc}") from exc
        if not isinstance(value, dict):
            # template.go unmarshals into map[string]interface{}
            raise GoFlexibleConfigError(f"{file}: a settings file must hold a JSON object")
        settings[file.name.removesuffix(".json")] = _floats(value)
    return settings


def render_go(
    path: Path,
    *,
    settings_dir: Path | None,
    partials_dir: Path | None,
    templates_dir: Path | None,
    env: Mapping[str, str] | None = None,
) -> str:
    """The text KrakenD's flexible configuration renders from `path`.

    Raises:
        GoFlexibleConfigError: an unreadable file or directory, a settings file that is not a
            JSON object, or Go's parse or execution error (`template: NAME:LINE:...`).
    """
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GoFlexibleConfigError(
            f"{path}: cannot read the configuration template: {exc}"
        ) from exc
    if templates_dir is not None and not templates_dir.is_dir():
        raise GoFlexibleConfigError(f"{templates_dir}: FC_TEMPLATES is not a directory")
    variables = _load_settings(settings_dir) if settings_dir is not None else {}
    name = path.name
    partials = "" if partials_dir is None else str(partials_dir)
    template = config_template(name, partials=partials, environ=env)
    try:
        template.parse(source)
        if templates_dir is not None:
            add_template_files(template, templates_dir)
        return template.execute(variables)
    except TemplateError as exc:
        raise GoFlexibleConfigError(f"{path}: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise GoFlexibleConfigError(f"{templates_dir}: cannot read FC_TEMPLATES: {exc}") from exc
