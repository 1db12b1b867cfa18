"""Sprig's dict functions (dict.go): dict, get, set, unset, hasKey, pluck, keys, pick, omit,
values, merge/mergeOverwrite (imdario/mergo's map rules), deepCopy and dig. Go's maps iterate
in random order: keys and values here follow the map's order; templates sort them."""

from __future__ import annotations

from typing import Any

from ..funcs import GoFunc
from ..gofmt import go_type_name
from ..gotypes import GoList, GoMap, string_list
from ..values import FuncError
from .conv import empty, f, strval

__all__ = ["DICTS", "deep_copy"]


def _dict(*pairs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for index in range(0, len(pairs), 2):
        key = strval(pairs[index])
        out[key] = pairs[index + 1] if index + 1 < len(pairs) else ""
    return out


def _get(mapping: dict[str, Any] | None, key: str) -> Any:
    if mapping is not None and key in mapping:
        return mapping[key]
    return ""


def _set(mapping: dict[str, Any] | None, key: str, value: Any) -> dict[str, Any]:
    if mapping is None:
        raise FuncError("assignment to entry in nil map")
    mapping[key] = value
    return mapping


def _unset(mapping: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    if mapping is not None:
        mapping.pop(key, None)
    return mapping


def _pluck(key: str, *mappings: dict[str, Any] | None) -> list[Any]:
    return [m[key] for m in mappings if m is not None and key in m]


def _keys(*mappings: dict[str, Any] | None) -> GoList:
    return string_list(key for mapping in mappings if mapping for key in mapping)


def _pick(mapping: dict[str, Any] | None, *keys: str) -> dict[str, Any]:
    source = mapping or {}
    return {k: source[k] for k in keys if k in source}


def _omit(mapping: dict[str, Any] | None, *keys: str) -> dict[str, Any]:
    return {k: v for k, v in (mapping or {}).items() if k not in keys}


def _mergo(destination: dict[str, Any], source: dict[str, Any], overwrite: bool) -> None:
    """mergo's deepMerge of two map[string]interface{} (merge.go, case reflect.Map), which
    reduces to: a nil in the source is written only when overwriting; a map in the source is
    merged into a non-empty map of the destination and never replaces another non-empty
    value, not even when overwriting; any other value replaces a missing or empty one, or
    every one when overwriting (even with an empty value)."""
    for key, value in source.items():
        present = key in destination
        current = destination.get(key)
        if value is None:
            if overwrite:
                destination[key] = None
            continue
        if isinstance(value, dict):
            if isinstance(current, dict):
                _mergo(current, value, overwrite)
            if present and not empty(current):
                continue
            destination[key] = value
            continue
        if overwrite or not present or empty(current):
            destination[key] = value


def _merge(overwrite: bool) -> Any:
    def merge(destination: dict[str, Any] | None, *sources: dict[str, Any] | None) -> Any:
        # a nil destination becomes a new map (mergo sets it through the pointer Sprig
        # passes); we cannot tell a nil map from an empty one, so it prints as map[]
        target = {} if destination is None else destination
        for source in sources:
            if source:
                _mergo(target, source, overwrite)
        return target

    return merge


def deep_copy(value: Any) -> Any:
    """copystructure.Copy: the same value with no storage shared."""
    if isinstance(value, GoMap):
        return GoMap({k: deep_copy(v) for k, v in value.items()}, value.go_type)
    if isinstance(value, dict):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, GoList):
        out = GoList((deep_copy(v) for v in value), value.go_type)
        out.nil = value.nil
        return out
    if isinstance(value, list | tuple):
        return [deep_copy(v) for v in value]
    return value


def _deep_copy(value: Any) -> Any:
    if value is None:  # copystructure walks reflect.ValueOf(nil), which panics
        raise FuncError("reflect: call of reflect.Value.Type on zero Value")
    return deep_copy(value)


def _assert(value: Any, want: str) -> Any:
    """A Go type assertion `value.(want)` on an interface{}; failing it panics."""
    held = "nil" if value is None else go_type_name(value)
    if held != want:
        raise FuncError(f"interface conversion: interface {{}} is {held}, not {want}")
    return value


def _dig(*args: Any) -> Any:
    if len(args) < 3:
        raise FuncError("dig needs at least three arguments")
    mapping = _assert(args[-1], "map[string]interface {}")
    default = args[-2]
    keys = [_assert(k, "string") for k in args[:-2]]
    for index, key in enumerate(keys):
        if key not in mapping:
            return default
        step = mapping[key]
        if index == len(keys) - 1:
            return step
        mapping = _assert(step, "map[string]interface {}")
    return default  # pragma: no cover - the loop returns


DICTS: dict[str, GoFunc] = {
    "dict": f(_dict, variadic="any"),
    "get": f(_get, "dict", "string"),
    "set": f(_set, "dict", "string", "any"),
    "unset": f(_unset, "dict", "string"),
    "hasKey": f(lambda m, k: m is not None and k in m, "dict", "string"),
    "pluck": f(_pluck, "string", variadic="dict"),
    "keys": f(_keys, variadic="dict"),
    "pick": f(_pick, "dict", variadic="string"),
    "omit": f(_omit, "dict", variadic="string"),
    "merge": f(_merge(False), "dict", variadic="dict"),
    "mergeOverwrite": f(_merge(True), "dict", variadic="dict"),
    "mustMerge": f(_merge(False), "dict", variadic="dict"),
    "mustMergeOverwrite": f(_merge(True), "dict", variadic="dict"),
    "values": f(lambda m: list((m or {}).values()), "dict"),
    "deepCopy": f(_deep_copy, "any"),
    "mustDeepCopy": f(_deep_copy, "any"),
    "dig": f(_dig, variadic="any"),
}
