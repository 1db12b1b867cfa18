"""The functions KrakenD's flexible configuration adds to Go's templates: Sprig's (its go.mod:
github.com/Masterminds/sprig/v3 v3.2.3, Go 1.24), `marshal` (the JSON of a value) and
`include` (a partial file, verbatim), as krakend-flexibleconfig's template.go defines them;
and the `.tmpl` files of FC_TEMPLATES parsed into the set under their file names
(ParseFiles), for `{{template "name.tmpl" .}}`."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import Template
from .funcs import GoFunc
from .gofmt import go_type_name
from .gojson import UnsupportedValue, go_json
from .sprig import SPRIG, expand_env
from .values import FuncError

__all__ = ["add_template_files", "config_template", "krakend_funcs"]


def _marshal(value: Any) -> str:
    # template.go: `a, _ := json.Marshal(v); return string(a)`: an error writes nothing
    try:
        return go_json(value)
    except UnsupportedValue:
        return ""


def _include(partials: str) -> GoFunc:
    def include(name: Any) -> str:
        if not isinstance(name, str):
            held = "nil" if name is None else go_type_name(name)
            raise FuncError(f"interface conversion: interface {{}} is {held}, not string")
        # `a, _ := os.ReadFile(path.Join(t.Partials, v.(string)))`: an unreadable file is ""
        try:
            return Path(posixpath.join(partials, name)).read_text(
                encoding="utf-8", errors="replace"
            )
        except (OSError, ValueError):
            return ""

    return GoFunc(include, ("any",))


def krakend_funcs(
    partials: str = "", environ: Mapping[str, str] | None = None
) -> dict[str, GoFunc]:
    """Sprig's functions, then KrakenD's `marshal` and `include` over them; `env` and
    `expandenv` read `environ` (the process environment when None)."""
    funcs = {**SPRIG, "marshal": GoFunc(_marshal, ("any",)), "include": _include(partials)}
    if environ is not None:
        funcs["env"] = GoFunc(lambda name: environ.get(name, ""), ("string",))
        funcs["expandenv"] = GoFunc(lambda text: expand_env(text, environ), ("string",))
    return funcs


def config_template(
    name: str, partials: str = "", environ: Mapping[str, str] | None = None
) -> Template:
    """The empty template set KrakenD parses the configuration file into."""
    return Template(name, krakend_funcs(partials, environ))


def add_template_files(template: Template, directory: str | Path) -> list[str]:
    """Parse every `*.tmpl` file of `directory` into `template` under its file name, in name
    order (os.ReadDir's). Returns the names.

    Raises:
        TemplateError: a file's parse error.
        OSError: the directory cannot be read.
    """
    names: list[str] = []
    for path in sorted(Path(directory).iterdir(), key=lambda p: p.name):
        if path.name.endswith(".tmpl"):
            template.parse(path.read_text(encoding="utf-8", errors="replace"), name=path.name)
            names.append(path.name)
    return names
