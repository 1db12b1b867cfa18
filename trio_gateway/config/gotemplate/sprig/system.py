"""Sprig's environment and path functions: env, expandenv (os.ExpandEnv), and Go's `path`
(base, dir, clean, ext, isAbs) with `path/filepath` (osBase...), which on Linux, where
KrakenD runs, are the same functions."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from ..funcs import GoFunc
from .conv import f

__all__ = ["SYSTEM", "expand_env", "path_clean"]


def expand_env(text: str, environ: Mapping[str, str] | None = None) -> str:
    """os.ExpandEnv: $VAR and ${VAR}; unset variables become empty."""
    variables = os.environ if environ is None else environ

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or ""
        return variables.get(name, "")

    return re.sub(r"\$\{([^}]*)\}|\$([A-Za-z0-9_]+|[*#$@!?\-0-9])", value, text)


def path_clean(path: str) -> str:
    """path.Clean: the shortest equivalent path (Rob Pike's rules)."""
    if not path:
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(segment)
    text = "/".join(parts)
    if rooted:
        return "/" + text
    return text or "."


def _base(path: str) -> str:
    if not path:
        return "."
    path = path.rstrip("/")
    if not path:
        return "/"
    return path[path.rfind("/") + 1 :]


def _dir(path: str) -> str:
    return path_clean(path[: path.rfind("/") + 1])


def _ext(path: str) -> str:
    for index in range(len(path) - 1, -1, -1):
        if path[index] == "/":
            break
        if path[index] == ".":
            return path[index:]
    return ""


_PATHS = {"base": _base, "dir": _dir, "clean": path_clean, "ext": _ext}

SYSTEM: dict[str, GoFunc] = {
    "env": f(lambda name: os.environ.get(name, ""), "string"),
    "expandenv": f(expand_env, "string"),
    **{name: f(fn, "string") for name, fn in _PATHS.items()},
    **{"os" + name.title(): f(fn, "string") for name, fn in _PATHS.items()},
    "isAbs": f(lambda p: p.startswith("/"), "string"),
    "osIsAbs": f(lambda p: p.startswith("/"), "string"),
}
