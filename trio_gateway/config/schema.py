"""The editor schema of trio-gateway's configuration: a JSON Schema (draft-07) generated from the
attrs model (`model.py`) and the namespace registry, and `lint`, which checks a raw config
against it.

Rule 1: generated, never written by hand. Every key of `ServiceConfig`, `EndpointConfig`,
`BackendConfig` and of every implemented namespace's config class is a property, typed from its
attrs field type (bool, int, float, str, `Seconds`, tuples as arrays, mappings as objects, nested
attrs classes as definitions), with its default and a description taken from the comments above
(or beside) the field, else the field's name. The schema shipped with the package
(`trio-gateway.schema.json`, which `$schema` in the demo points at) is `trio-gateway schema`'s
output; a test keeps the two equal.

Rule 2: draft-07, as KrakenD's own schema (krakend/krakend-schema `v2.7/*.json`: `"$schema":
"http://json-schema.org/draft-07/schema#"`), which VS Code and the JetBrains IDEs read.

Rule 3: the schema is KrakenD's shape, stricter than the loader. Like KrakenD's schema, objects
list their keys with `additionalProperties: false` and let comment keys through
(`"patternProperties": {"^[@$_#]": {}}`, as `service_extra_config.json` does), so an editor
flags a misspelt key; the loader only warns about it (KrakenD ignores it). Values have their
JSON type: the weak typing KrakenD applies (`"port": "8080"`, `weak_typing.py`) loads with a
warning, and the schema reports it. Durations are Go duration strings only: KrakenD reads a
bare number as nanoseconds (`"timeout": 2` is 2 ns), which is never what was meant.
`extra_config` lists, at each level, the namespaces KrakenD reads there: ours (structured, with
their keys) and the ones trio-gateway knows but does not implement (any object, described as
refused or ignored), each under its v3 name and its legacy aliases.

`lint` returns the schema's complaints as warning `Diagnostic`s at the JSON path of the value:
the loader stays the judge of what runs.
"""

from __future__ import annotations

import collections.abc
import copy
import functools
import inspect
import json
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from trio_gateway.config.diagnostics import Diagnostic, did_you_mean, format_path
from trio_gateway.config.known import KNOWN, V2_NAMESPACES
from trio_gateway.config.model import (
    SUPPORTED_METHODS,
    BackendConfig,
    EndpointConfig,
    ExtraConfig,
    FlatmapOperation,
    ProxyConfig,
    Seconds,
    ServiceConfig,
)
from trio_gateway.config.schema_validator import validate

# The keys the unknown-key walker knows where the model has no class: one list of them.
from trio_gateway.config.unknown_keys import _CLIENT_TLS, _PLUGIN, _PROXY_BY_LEVEL, _TLS, V2_KEYS
from trio_gateway.config.validate_extra import FLATMAP_TYPES
from trio_gateway.namespace import Level
from trio_gateway.stack import REGISTRY

__all__ = ["SCHEMA_FILE", "generate_schema", "lint", "schema_text"]

# Shipped as package data (pyproject.toml). `$schema` in the demo says
# "schema/trio-gateway.schema.json": editors (VS Code) resolve a relative `$schema` against the
# file's own path, and configs/demo.json is a symlink to trio_gateway/demo/demo.json, so both
# directories have a `schema` symlink to trio_gateway/schema/.
SCHEMA_FILE = Path(__file__).parent.parent / "schema" / "trio-gateway.schema.json"

DRAFT = "http://json-schema.org/draft-07/schema#"
# Keys starting with these are comments, everywhere (namespaces.is_comment_key; KrakenD's schema).
_COMMENTS: Mapping[str, Any] = {"^[@$_#]": {}}
# Go's time.ParseDuration grammar (src/time/format.go): an optional sign, then "0" or one or
# more decimal numbers each with a unit.
DURATION_PATTERN = r"^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$"

# The JSON key of a field, where it is not the field's name.
_KEYS: Mapping[tuple[type, str], str] = {(ServiceConfig, "schema"): "$schema"}
_DESCRIPTIONS: Mapping[tuple[type, str], str] = {
    (ServiceConfig, "schema"): "The JSON Schema editors check this file against (KrakenD does "
    "not read it): trio-gateway's is `trio-gateway schema`'s output",
}
# Objects the model keeps as they are written, whose keys KrakenD knows (lura's config.TLS,
# config.ClientTLS, config.Plugin): listed, so an editor completes them and flags a typo.
_OBJECT_KEYS: Mapping[tuple[type, str], frozenset[str]] = {
    (ServiceConfig, "tls"): _TLS,
    (ServiceConfig, "client_tls"): _CLIENT_TLS,
    (ServiceConfig, "plugin"): _PLUGIN,
}
# Beyond the field type, what `validate.py` refuses, as KrakenD's schema says it: only version 3
# (lura config/parser.go), a port in range, the methods lura's router serves (endpoint.json's
# enum), the flatmap operations lura knows (proxy/flatmap.json).
_CONSTRAINTS: Mapping[tuple[type, str], Mapping[str, Any]] = {
    (ServiceConfig, "version"): {"const": 3},
    (ServiceConfig, "port"): {"minimum": 0, "maximum": 65535},
    (EndpointConfig, "method"): {"enum": list(SUPPORTED_METHODS)},
    (FlatmapOperation, "type"): {"enum": list(FLATMAP_TYPES)},
}
_LEVEL_OF: Mapping[type, Level] = {
    ServiceConfig: Level.SERVICE,
    EndpointConfig: Level.ENDPOINT,
    BackendConfig: Level.BACKEND,
}
_EXTRA_CONFIG_LEVELS = (Level.SERVICE, Level.ENDPOINT, Level.BACKEND)


def _is_section(comment: list[str]) -> bool:
    """A one-line comment of a few plain words heads a group of fields (`# HTTP server`,
    `# endpoint level`): it describes none of them in particular."""
    return (
        len(comment) == 1
        and len(comment[0].split()) <= 4
        and not re.search(r"[.:;()`=]", comment[0])
    )


def _field_comments(cls: type) -> dict[str, str]:
    """The comment block right above each field of `cls`, and the comment beside it."""
    try:
        lines = inspect.getsource(cls).splitlines()
    except (OSError, TypeError):  # pragma: no cover - classes always come from source files
        return {}
    comments: dict[str, str] = {}
    pending: list[str] = []
    for line in lines[1:]:
        text = line.strip()
        if text.startswith("#"):
            pending.append(text.lstrip("#").strip())
            continue
        field = re.match(r"    ([A-Za-z_][A-Za-z0-9_]*)\s*:", line)
        if field is not None:
            parts = [] if _is_section(pending) else list(pending)
            if "  # " in line:
                parts.append(line.split("  # ", 1)[1].strip())
            if parts:
                comments[field.group(1)] = " ".join(parts)
        pending = []
    return comments


def _docstring(cls: type) -> str:
    return _plain(inspect.cleandoc(cls.__doc__ or cls.__name__))


def _plain(text: str) -> str:
    """A comment of the model in the file's words: Python's `None` is a key left out."""
    return re.sub(r"\bNone\b", "unset", text)


def _known_keys(keys: frozenset[str]) -> dict[str, Any]:
    return {
        "properties": {key: {"description": key} for key in sorted(keys)},
        "patternProperties": _COMMENTS,
        "additionalProperties": False,
    }


def _json_default(value: Any) -> Any:
    """A field default as JSON, or None when it has none worth showing."""
    if isinstance(value, attrs.Factory):  # type: ignore[arg-type]
        if value.takes_self:
            return None
        value = value.factory()
    if value is attrs.NOTHING or value is None or attrs.has(type(value)):
        return None
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


class _Generator:
    def __init__(self) -> None:
        self.definitions: dict[str, Any] = {}

    def ref(self, cls: type, level: Level | None = None) -> dict[str, Any]:
        """A reference to the definition of attrs class `cls`, made on first use."""
        name = cls.__name__
        if name not in self.definitions:
            self.definitions[name] = {}  # placeholder: a class may refer to itself
            self.definitions[name] = self.object_schema(cls, _LEVEL_OF.get(cls, level))
        return {"$ref": f"#/definitions/{name}"}

    def object_schema(
        self, cls: type, level: Level | None, only: frozenset[str] | None = None
    ) -> dict[str, Any]:
        """The schema of attrs class `cls` (only the keys in `only`, if given)."""
        hints = typing.get_type_hints(cls)
        comments = _field_comments(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for field in attrs.fields(cls):
            key = _KEYS.get((cls, field.name), field.name)
            if only is not None and key not in only:
                continue
            value = self.type_schema(hints[field.name], level)
            value.update(_CONSTRAINTS.get((cls, field.name), {}))
            if (cls, field.name) in _OBJECT_KEYS:
                value.update(_known_keys(_OBJECT_KEYS[cls, field.name]))
            # draft-07 ignores the siblings of `$ref`: wrap it, to keep the description
            prop: dict[str, Any] = {"allOf": [value]} if "$ref" in value else value
            description = _DESCRIPTIONS.get((cls, field.name)) or comments.get(field.name)
            prop = {"description": _plain(description or field.name), **prop}
            if field.default is attrs.NOTHING:
                required.append(key)
            else:
                default = _json_default(field.default)
                if default is not None:
                    prop["default"] = default
            properties[key] = prop
        schema: dict[str, Any] = {
            "description": _docstring(cls),
            "type": "object",
            "properties": properties,
            "patternProperties": _COMMENTS,
            "additionalProperties": False,
        }
        if required:
            schema["required"] = required
        if getattr(cls, "FREE_FORM", False):
            # its keys are not fields (`modifier/martian`: one modifier, keyed by its name); the
            # namespace's `check` reads them
            schema = {
                "description": _docstring(cls),
                "type": "object",
                "properties": {},
                "minProperties": 1,
                "maxProperties": 1,
            }
        return schema

    def type_schema(self, hint: Any, level: Level | None) -> dict[str, Any]:
        if hint is Seconds:
            return {"$ref": "#/definitions/duration"}
        if hint is Any:
            return {}
        if hint is ExtraConfig:
            return {"$ref": f"#/definitions/{(level or Level.SERVICE).value}_extra_config"}
        if attrs.has(hint):
            return self.ref(hint, level)
        simple = {bool: "boolean", int: "integer", float: "number", str: "string"}
        if hint in simple:
            return {"type": simple[hint]}
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (typing.Union, types.UnionType):
            present = [arg for arg in args if arg is not type(None)]
            if len(present) == 1:  # `X | None`: None is "not set", written by leaving it out
                return self.type_schema(present[0], level)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return {"type": "array", "items": self.type_schema(args[0], level)}
            return {
                "type": "array",
                "items": [self.type_schema(arg, level) for arg in args],
                "minItems": len(args),
                "maxItems": len(args),
            }
        if origin in (collections.abc.Mapping, dict):
            values = self.type_schema(args[1], level)
            return {"type": "object", **({"additionalProperties": values} if values else {})}
        raise TypeError(f"no JSON Schema for the field type {hint!r}")

    def namespace_ref(self, cls: type, level: Level) -> dict[str, Any]:
        if cls is not ProxyConfig:
            return self.ref(cls, level)
        # `proxy` has different keys at the endpoint and at the backend (the unknown-key
        # walker warns about the other level's keys): one definition per level.
        name = f"{level.value}_proxy"
        if name not in self.definitions:
            self.definitions[name] = self.object_schema(cls, level, _PROXY_BY_LEVEL[level])
        return {"$ref": f"#/definitions/{name}"}

    def extra_config(self, level: Level) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        for namespace in REGISTRY:
            if level not in namespace.levels:
                continue
            entry = {"allOf": [self.namespace_ref(namespace.config, level)]}
            properties[namespace.name] = {
                "description": f"{namespace.name}: {_docstring(namespace.config)}",
                **entry,
            }
            for alias in namespace.aliases:
                properties[alias] = {
                    "description": f"the legacy name of {namespace.name}",
                    **entry,
                }
        for known in KNOWN:
            if level not in known.levels:
                continue
            what = (
                "refused by `check` and `run` unless TRIO_GATEWAY_ALLOW_UNENFORCED names it"
                if known.fail_closed
                else "ignored, with a warning"
            )
            description = f"{known.name} ({known.status.value} in trio-gateway): {what}"
            properties[known.name] = {"description": description, "type": "object"}
            for alias in known.aliases:
                properties[alias] = {
                    "description": f"the legacy name of {known.name}",
                    "type": "object",
                }
        return {
            "description": f"The {level.value}'s extra_config: the namespaces KrakenD reads here",
            "type": "object",
            "properties": dict(sorted(properties.items())),
            "patternProperties": _COMMENTS,
            "additionalProperties": False,
        }


@functools.cache
def _schema() -> Mapping[str, Any]:
    generator = _Generator()
    root = generator.object_schema(ServiceConfig, Level.SERVICE)
    generator.definitions["duration"] = {
        "description": 'A Go duration: a number with a unit, e.g. "2s", "1500ms", "1m30s" '
        "(units ns, us, µs, ms, s, m, h)",
        "type": "string",
        "pattern": DURATION_PATTERN,
    }
    for level in _EXTRA_CONFIG_LEVELS:
        generator.definitions[f"{level.value}_extra_config"] = generator.extra_config(level)
    return {
        "$schema": DRAFT,
        "title": "trio-gateway configuration (KrakenD v3)",
        **root,
        "definitions": dict(sorted(generator.definitions.items())),
    }


def generate_schema() -> dict[str, Any]:
    """The JSON Schema of a trio-gateway (KrakenD v3) configuration file, as a fresh dict."""
    return copy.deepcopy(dict(_schema()))


def schema_text() -> str:
    """The schema as `trio-gateway schema` prints it and `SCHEMA_FILE` holds it."""
    return json.dumps(_schema(), indent=2, ensure_ascii=False) + "\n"


def lint(data: Any) -> list[Diagnostic]:
    """Check a raw configuration (as parsed from the file) against the schema: one warning per
    mismatch, at the JSON path of the offending value, in file order."""
    schema = _schema()
    diagnostics: list[Diagnostic] = []
    for problem in validate(data, schema):
        hint, message = None, problem.message
        if problem.kind == "unknown":
            key = str(problem.path[-1])
            renamed = V2_KEYS.get(key) or V2_NAMESPACES.get(key)
            close = renamed or did_you_mean(key, problem.known_keys)
            if renamed:
                hint = f"KrakenD v3 reads `{renamed}`"
            elif close:
                hint = f"did you mean `{close}`?"
        elif problem.kind == "pattern":  # the one pattern of the schema is DURATION_PATTERN
            message = problem.message.split(" does not match ")[0] + " is not a Go duration"
            hint = 'use a Go duration such as "2s", "1500ms" or "1m30s"'
        diagnostics.append(Diagnostic("warning", format_path(problem.path), message, hint))
    return diagnostics
