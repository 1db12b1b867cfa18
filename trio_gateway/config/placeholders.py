"""Endpoint paths and `{placeholders}`: the pure helpers shared by validation, the router and plan.

Every regex here is KrakenD's (lura `config/config.go`, `config/uri.go`), compiled with `re.ASCII`
because Go's `\\w` and `\\d` are ASCII-only, and anchored with `\\Z` because Go's `$` (without the
`m` flag) means end of text while Python's also matches before a trailing newline.
"""

from __future__ import annotations

import re

__all__ = [
    "JWT_PLACEHOLDER",
    "PLACEHOLDER",
    "backend_placeholders",
    "clean_path",
    "endpoint_params",
    "gin_path",
    "is_invalid_endpoint_path",
    "is_sequential_or_jwt",
]

# Strict REST (default): a parameter is a whole segment, right after a `/`.
_REST_PARAM = re.compile(r"/\{([a-zA-Z\-_0-9]+)\}", re.ASCII)
# THE placeholder grammar (lura's `{param}` alphabet), used by check, the router, the URL
# templates and the JWT claims: `disable_rest: true` paths and backend url_patterns have a
# `{name}` anywhere.
_NAME = r"[\w\-\.:/]+"
PLACEHOLDER = re.compile(r"\{(" + _NAME + r")\}", re.ASCII)
JWT_PLACEHOLDER = re.compile(r"\{JWT\.(" + _NAME + r")\}", re.ASCII)
_ANY_PARAM = PLACEHOLDER
_SEQUENTIAL_OR_JWT = re.compile(r"(resp[\d]+_.+)?(JWT\.([\w\-\.:/]+))?", re.ASCII)
_INVALID_ENDPOINT = re.compile(r"^[^/]|\*.|/__(debug|echo|health)(/.*)?\Z", re.ASCII)


def endpoint_params(path: str, disable_rest: bool) -> tuple[str, ...]:
    """Return the parameter names KrakenD extracts from an endpoint path, in order of appearance.

    Duplicates are kept (the regex result, unprocessed). With strict REST (`disable_rest` false)
    only `/{name}` counts, so in `/file.{ext}` the braces stay literal text; with `disable_rest`
    true `{name}` counts anywhere.
    """
    pattern = _ANY_PARAM if disable_rest else _REST_PARAM
    return tuple(pattern.findall(path))


def gin_path(path: str, disable_rest: bool) -> str:
    """Return the route KrakenD registers in gin: each extracted `{name}` becomes `:name`.

    As in lura `GetEndpointPath`, only the part before `?` is rewritten.
    """
    route, sep, query = path.partition("?")
    for name in endpoint_params(path, disable_rest):
        route = route.replace("{" + name + "}", ":" + name)
    return route + sep + query


def backend_placeholders(url_pattern: str) -> tuple[str, ...]:
    """Return the `{placeholder}` names of a backend `url_pattern` (path and query), in order."""
    return tuple(_ANY_PARAM.findall(url_pattern))


def is_sequential_or_jwt(name: str) -> bool:
    """Whether a backend placeholder needs no endpoint parameter (`resp0_id`, `JWT.sub`).

    Note that `resp0` (no underscore) is a plain placeholder, exactly as in KrakenD.
    """
    return _SEQUENTIAL_OR_JWT.fullmatch(name) is not None


def clean_path(path: str) -> str:
    """KrakenD `CleanPath`: make sure the path starts with exactly one added `/`."""
    return "/" + path.removeprefix("/")


def is_invalid_endpoint_path(path: str) -> bool:
    """Whether KrakenD rejects this (already cleaned) endpoint path.

    Rejected: a path not starting with `/`, a `*` followed by anything, and a path ending in
    `/__debug`, `/__echo` or `/__health` (optionally followed by `/...`).
    """
    return _INVALID_ENDPOINT.search(path) is not None
