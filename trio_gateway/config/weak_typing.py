"""KrakenD's weak typing of the core configuration, applied before the strict converter.

KrakenD CE decodes the file into lura's structs with mapstructure as krakend-koanf sets it up
(`koanf.UnmarshalWithConf` with `Tag: "mapstructure"` and koanf's default decoder config:
`WeaklyTypedInput: true`, hooks `StringToTimeDurationHookFunc` and the TextUnmarshaler hook;
no comma-splitting `StringToSliceHookFunc`, which only krakend-viper had). So a KrakenD file may
say `"port": "8080"`, `"concurrent_calls": true` or `"host": "http://a:8000"` and KrakenD runs
it. This pass rewrites such values into the JSON type of their field, as mapstructure would
decode them (go-viper/mapstructure v2 `decodeBool`, `decodeInt`, `decodeString`, `decodeSlice`,
`decodeMap`, `decodeStructFromMap`), and warns about each rewrite, so that `check` shows it. A
value that mapstructure cannot convert is left as written: the strict converter reports it.

The rules (target type <- value):

* bool <- number (`!= 0`), string (`strconv.ParseBool`: 1 t T TRUE true True, 0 f F FALSE false
  False; `""` is false);
* int <- boolean (1/0), string (`strconv.ParseInt(s, 0, 64)`: `"0x1F"`, `"017"` octal,
  `"1_000"`; `""` is 0), a fractional number (truncated: Go converts a float64 with `int64(f)`;
  every JSON number is a float64 in KrakenD, so `3.0` is simply 3);
* string <- boolean (`"1"`/`"0"`), number (base 10, `strconv.FormatFloat(f, 'f', -1, 64)`);
* duration <- number or boolean: nanoseconds (only a string goes through `time.ParseDuration`);
* array <- a single value (a one-element array), an empty object (an empty array);
* object (`extra_config`, `mapping`) <- an empty array, or an array of objects (merged);
* null <- anything: the field is left unset.

mapstructure also matches keys case-insensitively when the exact key is absent (`MatchName` is
`strings.EqualFold`): `"Endpoint"` is read as `endpoint`, with a warning.

Inside `extra_config`, each namespace is read as its component reads it (`component_readers.py`).
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping
from typing import Any

import attrs

from trio_gateway.config.component_readers import SKIP, read_namespace
from trio_gateway.config.converter import describe_json
from trio_gateway.config.diagnostics import Diagnostic, PathSegment, format_path
from trio_gateway.config.durations import format_duration_ns
from trio_gateway.config.gostrconv import format_float_f, parse_bool, parse_int
from trio_gateway.config.model import BackendConfig, ExtraConfig, Seconds, ServiceConfig
from trio_gateway.config.namespaces import canonical_name, is_comment_key

__all__ = ["weak_typing"]

Path = tuple[PathSegment, ...]

_INT64 = range(-(1 << 63), 1 << 63)
_WEAK = "KrakenD's weak typing"
# Fields of our model that lura does not decode: any value loads in KrakenD (we drop the ones
# of the wrong type, with a warning). A backend's `concurrent_calls` has no mapstructure tag
# (lura overwrites it with the endpoint's); `$schema` is for editors.
_NOT_READ: Mapping[tuple[type, str], str] = {
    (BackendConfig, "concurrent_calls"): "KrakenD uses the endpoint's `concurrent_calls`",
    (ServiceConfig, "schema"): "KrakenD does not read `$schema`",
}


def weak_typing(data: Any) -> tuple[Any, list[Diagnostic]]:
    """Return (`data` with KrakenD's weak conversions applied, a warning for each one).

    `data` is plain JSON-shaped data (`plain.py`) and is not changed. The diagnostics are warnings,
    and errors where a component would make KrakenD panic (`component_readers.py`).
    """
    if not isinstance(data, Mapping):
        return data, []
    weak = _Weak()
    return weak.struct(ServiceConfig, data, ()), weak.out


@attrs.frozen
class _Field:
    key: str  # as written in the file
    hint: Any  # the type, Optional removed
    optional: bool


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, _Field], ...]:
    hints = typing.get_type_hints(cls)
    result = []
    for field in attrs.fields(cls):
        hint = hints[field.name]
        args = typing.get_args(hint)
        is_union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        optional = is_union and type(None) in args
        if optional:
            hint = next(arg for arg in args if arg is not type(None))
        key = "$schema" if cls is ServiceConfig and field.name == "schema" else field.name
        result.append((field.name, _Field(key, hint, optional)))
    return tuple(result)


def _fold(char: str) -> str:
    # strings.EqualFold's simple folding, for ASCII field names: KELVIN SIGN folds to k and
    # LATIN SMALL LETTER LONG S to s (Python's lower() leaves the long s alone).
    return "s" if char == "\u017f" else char.lower()


def _same_but_case(written: str, name: str) -> bool:
    if len(written) != len(name):
        return False
    return all(_fold(a) == b for a, b in zip(written, name, strict=True))


class _Weak:
    def __init__(self) -> None:
        self.out: list[Diagnostic] = []

    def warn(self, path: Path, message: str, hint: str | None = None) -> None:
        self.out.append(Diagnostic("warning", format_path(path), message, hint))

    def converted(self, path: Path, value: Any, shown: str, hint: str | None = None) -> None:
        self.warn(path, f"{describe_json(value)} read as {shown} ({_WEAK})", hint)

    # -- objects -----------------------------------------------------------------------------

    def struct(self, cls: type, data: Mapping[str, Any], path: Path) -> dict[str, Any]:
        result, written = self.match_keys(cls, dict(data), path)
        for name, field in _fields(cls):
            if field.key not in result:
                continue
            where = (*path, written.get(field.key, field.key))
            value = result[field.key]
            reason = _NOT_READ.get((cls, name))
            if reason is not None:
                converted = self.not_read(field, value, where, reason)
            elif value is None:
                converted = None if field.optional else SKIP  # mapstructure: nil sets nothing
            else:
                converted = self.value(field.hint, value, where)
            if converted is SKIP:
                del result[field.key]
            else:
                result[field.key] = converted
        return result

    def match_keys(
        self, cls: type, data: dict[str, Any], path: Path
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Rename the keys that match a field only case-insensitively (mapstructure's
        MatchName); return the data and {field key: key as written} for the renamed ones."""
        written: dict[str, str] = {}
        for _, field in _fields(cls):
            if field.key in data or field.key.startswith("$"):
                continue
            found = next(
                (k for k in data if k not in written.values() and _same_but_case(k, field.key)),
                None,
            )
            if found is not None:
                written[field.key] = found
                self.warn(
                    (*path, found),
                    f"`{found}` read as `{field.key}`: KrakenD matches keys case-insensitively",
                    f"rename it to `{field.key}`",
                )
        if not written:
            return data, written
        renamed = {key: name for name, key in written.items()}
        return {renamed.get(key, key): value for key, value in data.items()}, written

    def not_read(self, field: _Field, value: Any, path: Path, reason: str) -> Any:
        """A field lura does not decode: any value loads; one of the wrong type is dropped."""
        if value is None:
            return value
        if isinstance(value, field.hint) and not isinstance(value, bool):
            return value
        self.warn(path, f"{describe_json(value)} ignored: {reason}")
        return SKIP

    def extra_config(self, value: Any, path: Path) -> Any:
        value = self.merged(value, path)
        if not isinstance(value, Mapping):
            return value
        result: dict[str, Any] = {}
        for key, item in value.items():
            if is_comment_key(key):
                result[key] = item
                continue
            read, diagnostics = read_namespace(canonical_name(key), item, (*path, key))
            self.out += diagnostics
            if read is not SKIP:
                result[key] = read
        return result

    def merged(self, value: Any, path: Path) -> Any:
        """A map from an array: `[]` is `{}`, an array of objects is their merge (decodeMap)."""
        if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
            return value
        merged: dict[str, Any] = {}
        for item in value:
            merged.update(item)
        shown = "an empty object" if not value else "one object, the items merged"
        self.warn(path, f"an array read as {shown} ({_WEAK})", "write an object")
        return merged

    # -- values ------------------------------------------------------------------------------

    def value(self, hint: Any, value: Any, path: Path) -> Any:
        if hint is bool:
            return self.boolean(value, path)
        if hint is int:
            return self.integer(value, path)
        if hint is str:
            return self.string(value, path)
        if hint is Seconds:
            return self.duration(value, path)
        if hint is ExtraConfig:
            return self.extra_config(value, path)
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return self.array(args[0], value, path)
        if origin in (Mapping, dict) and args == (str, str):
            return self.string_map(value, path)
        if attrs.has(hint) and isinstance(value, Mapping):
            return self.struct(hint, value, path)
        return value  # Go structs we keep as objects (tls, client_tls, plugin): as written

    def boolean(self, value: Any, path: Path) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            result = value != 0
        elif isinstance(value, str):
            try:
                result = parse_bool(value) if value else False
            except ValueError:
                return value
        else:
            return value
        shown = "true" if result else "false"
        self.converted(path, value, shown, f"write {shown}")
        return result

    def integer(self, value: Any, path: Path) -> Any:
        if isinstance(value, bool):
            result = int(value)
        elif isinstance(value, int):
            return value
        elif isinstance(value, float):
            if int(value) not in _INT64:
                return value  # Go's int64(f) overflows: the converter says it is out of range
            result = int(value)  # int64(f) truncates toward zero
            if result != value:
                self.warn(
                    path,
                    f"number {value!r} truncated to {result}, as KrakenD's decoder does",
                    f"write {result}",
                )
            return result
        elif isinstance(value, str):
            try:
                result = parse_int(value) if value else 0
            except ValueError:
                return value
        else:
            return value
        self.converted(path, value, str(result), f"write {result}")
        return result

    def string(self, value: Any, path: Path) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            result = "1" if value else "0"
        elif isinstance(value, int):
            result = str(value)
        elif isinstance(value, float):
            result = format_float_f(value)
        else:
            return value
        self.converted(path, value, f'the string "{result}"', f'write "{result}"')
        return result

    def duration(self, value: Any, path: Path) -> Any:
        if isinstance(value, str):
            return value  # StringToTimeDurationHookFunc: time.ParseDuration, errors are errors
        if not isinstance(value, int | float) or int(value) not in _INT64:  # bool is an int
            return value
        nanoseconds = int(value)
        self.warn(
            path,
            f"{describe_json(value)} read as {format_duration_ns(nanoseconds)}: KrakenD reads a "
            "bare number as nanoseconds",
            f'write a duration string such as "{value}s" if you meant seconds',
        )
        return f"{nanoseconds}ns"

    def array(self, item_hint: Any, value: Any, path: Path) -> Any:
        if isinstance(value, list):
            return [
                item if item is None else self.value(item_hint, item, (*path, index))
                for index, item in enumerate(value)
            ]
        if isinstance(value, Mapping) and not value:
            self.warn(path, f"an empty object read as an empty array ({_WEAK})", "write []")
            return []
        if isinstance(value, Mapping | str | int | float):
            self.warn(
                path,
                f"{describe_json(value)} read as a one-element array ({_WEAK})",
                "write it inside [ ]",
            )
            return [self.value(item_hint, value, (*path, 0))]
        return value

    def string_map(self, value: Any, path: Path) -> Any:
        value = self.merged(value, path)
        if not isinstance(value, Mapping):
            return value
        return {
            key: item if item is None else self.string(item, (*path, key))
            for key, item in value.items()
        }
