"""The Sprig (github.com/Masterminds/sprig/v3) functions KrakenD's flexible configuration
offers, for JSON values: strings, lists, dicts, defaults, integer and float math, JSON and
the environment. Each follows Sprig's code (`strings.go`, `list.go`, `dict.go`,
`defaults.go`, `numeric.go`, `functions.go`): a wrong-typed list panics there, which the
template reports as `error calling NAME: ...`."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from .funcs import GoFunc
from .gofmt import go_quote, go_sprint_one, go_type_name
from .gojson import UnsupportedValue, go_json
from .values import MISSING, FuncError

__all__ = ["SPRIG", "empty", "expand_env", "strval"]

_INT64 = 1 << 63


def strval(value: Any) -> str:
    """Sprig's strval: a string as it is, anything else as `%v`."""
    return value if isinstance(value, str) else go_sprint_one(value)


def _strslice(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [strval(v) for v in value if v is not None]
    if value is None:
        return []
    return [strval(value)]


def empty(value: Any) -> bool:
    """Sprig's empty: nil and the zero value of its type are empty."""
    if value is None or value is MISSING:
        return True
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float | complex):
        return value == 0
    if isinstance(value, str | list | tuple | dict):
        return len(value) == 0
    return False


def _to_int64(value: Any) -> int:
    """spf13/cast ToInt64 as Sprig uses it: floats truncate, strings parse, the rest is 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return -_INT64
        return int(value)
    if isinstance(value, str):
        text = value
        if re.fullmatch(r"[+-]?\d+\.0*", text):
            text = text.split(".")[0]
        try:
            from ..gostrconv import parse_int

            return parse_int(text)
        except ValueError:
            return 0
    return 0


def _to_float64(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return 0.0
    return 0.0


def _wrap64(value: int) -> int:
    """int64 arithmetic wraps around."""
    return (value + _INT64) % (1 << 64) - _INT64


def _kind(value: Any) -> str:
    """reflect.Kind's name, which Sprig's list errors print (`Cannot push on type map`)."""
    if value is None or value is MISSING:
        raise FuncError("runtime error: invalid memory address or nil pointer dereference")
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list | tuple):
        return "slice"
    return go_type_name(value)


def _list_of(value: Any, what: str) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    raise FuncError(f"Cannot {what} on type {_kind(value)}")


def _first(value: Any) -> Any:
    items = _list_of(value, "find first")
    return items[0] if items else None


def _last(value: Any) -> Any:
    items = _list_of(value, "find last")
    return items[-1] if items else None


def _rest(value: Any) -> Any:
    items = _list_of(value, "find rest")
    return items[1:] if items else None


def _initial(value: Any) -> Any:
    items = _list_of(value, "find initial")
    return items[:-1] if items else None


def _slice(value: Any, *indices: Any) -> Any:
    # list.go mustSlice: Sprig's `slice` replaces text/template's builtin in TxtFuncMap, so a
    # string fails and an empty list gives nil; bounds past the list fail as reflect's panic
    # does (Go checks against the capacity, which JSON decoding leaves unspecified).
    if not isinstance(value, list | tuple):
        raise FuncError(f"list should be type of slice or array but {_kind(value)}")
    if not value:
        return None
    start = _to_int64(indices[0]) if indices else 0
    end = _to_int64(indices[1]) if len(indices) > 1 else len(value)
    if not 0 <= start <= end <= len(value):
        raise FuncError(f"reflect.Value.Slice: slice index out of bounds [{start}:{end}]")
    return list(value[start:end])


def _append(value: Any, item: Any) -> list[Any]:
    return [*_list_of(value, "push"), item]


def _prepend(value: Any, item: Any) -> list[Any]:
    return [item, *_list_of(value, "prepend")]


def _has(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    items = _list_of(haystack, "find has")
    return any(_deep_equal(needle, item) for item in items)


def _deep_equal(a: Any, b: Any) -> bool:
    """reflect.DeepEqual: same Go type and equal values (1 and 1.0 differ)."""
    if go_type_name(a) != go_type_name(b):
        return False
    return bool(a == b)


def _uniq(value: Any) -> list[Any]:
    out: list[Any] = []
    for item in _list_of(value, "find uniq"):
        if not any(_deep_equal(item, seen) for seen in out):
            out.append(item)
    return out


def _without(value: Any, *omit: Any) -> list[Any]:
    return [i for i in _list_of(value, "find without") if not any(_deep_equal(i, o) for o in omit)]


def _compact(value: Any) -> list[Any]:
    return [i for i in _list_of(value, "compact") if not empty(i)]


def _reverse(value: Any) -> list[Any]:
    return list(reversed(_list_of(value, "find reverse")))


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


def _keys(*mappings: dict[str, Any] | None) -> list[str]:
    # Sprig walks Go maps, whose order is random: callers sort (sortAlpha); ours is the map's
    return [key for mapping in mappings if mapping for key in mapping]


def _values(mapping: dict[str, Any] | None) -> list[Any]:
    return list((mapping or {}).values())


def _pick(mapping: dict[str, Any] | None, *keys: str) -> dict[str, Any]:
    return {k: v for k, v in (mapping or {}).items() if k in keys}


def _omit(mapping: dict[str, Any] | None, *keys: str) -> dict[str, Any]:
    return {k: v for k, v in (mapping or {}).items() if k not in keys}


def _has_key(mapping: dict[str, Any] | None, key: str) -> bool:
    return mapping is not None and key in mapping


def _merge(destination: dict[str, Any] | None, *sources: dict[str, Any] | None) -> dict[str, Any]:
    """Sprig's merge (mergo without override): keys already in the destination stay."""
    if destination is None:
        raise FuncError("assignment to entry in nil map")

    def into(target: dict[str, Any], source: dict[str, Any]) -> None:
        for key, value in source.items():
            if key not in target or empty(target[key]):
                target[key] = value
            elif isinstance(target[key], dict) and isinstance(value, dict):
                into(target[key], value)

    for source in sources:
        if source:
            into(destination, source)
    return destination


def _default(default: Any, *given: Any) -> Any:
    if not given or empty(given[0]):
        return default
    return given[0]


def _coalesce(*values: Any) -> Any:
    for value in values:
        if not empty(value):
            return value
    return None


def _ternary(true_value: Any, false_value: Any, condition: bool) -> Any:
    return true_value if condition else false_value


def _quote(*values: Any) -> str:
    return " ".join(go_quote(strval(v)) for v in values if v is not None)


def _squote(*values: Any) -> str:
    return " ".join("'" + strval(v) + "'" for v in values if v is not None)


def _split(separator: str, text: str) -> dict[str, str]:
    return {f"_{i}": part for i, part in enumerate(_go_split(text, separator))}


def _go_split(text: str, separator: str) -> list[str]:
    if separator == "":
        return list(text)
    return text.split(separator)


def _repeat(count: int, text: str) -> str:
    if count < 0:
        raise FuncError("strings: negative Repeat count")
    return text * count


def _substr(start: int, end: int, text: str) -> str:
    data = text.encode()
    if start < 0:
        return data[:end].decode("utf-8", "replace")
    if end < 0 or end > len(data):
        return data[start:].decode("utf-8", "replace")
    return data[start:end].decode("utf-8", "replace")


def _trunc(count: int, text: str) -> str:
    if count < 0 and len(text) + count > 0:
        return text[len(text) + count :]
    if count >= 0 and len(text) > count:
        return text[:count]
    return text


def _indent(spaces: int, text: str) -> str:
    pad = " " * spaces
    return pad + text.replace("\n", "\n" + pad)


def _title(text: str) -> str:
    return re.sub(r"(^|[^\w'])(\w)", lambda m: m.group(1) + m.group(2).upper(), text)


def _div(a: Any, b: Any) -> int:
    divisor = _to_int64(b)
    if divisor == 0:
        raise FuncError("runtime error: integer divide by zero")
    quotient = abs(_to_int64(a)) // abs(divisor)
    return _wrap64(quotient if (_to_int64(a) >= 0) == (divisor > 0) else -quotient)


def _mod(a: Any, b: Any) -> int:
    divisor = _to_int64(b)
    if divisor == 0:
        raise FuncError("runtime error: integer divide by zero")
    dividend = _to_int64(a)
    remainder = abs(dividend) % abs(divisor)
    return remainder if dividend >= 0 else -remainder


def _max(a: Any, *rest: Any) -> int:
    return max([_to_int64(a), *(_to_int64(v) for v in rest)])


def _min(a: Any, *rest: Any) -> int:
    return min([_to_int64(a), *(_to_int64(v) for v in rest)])


def _divf(a: Any, *rest: Any) -> float:
    """Sprig's divf: decimal division, as float64."""
    result = _to_float64(a)
    for value in rest:
        divisor = _to_float64(value)
        if divisor == 0:
            raise FuncError("decimal division by zero")  # Sprig divides shopspring decimals
        result /= divisor
    return result


def _to_json(value: Any) -> str:
    try:
        return go_json(value)
    except UnsupportedValue:
        return ""


def _to_pretty_json(value: Any) -> str:
    try:
        return go_json(value, indent="  ")
    except UnsupportedValue:
        return ""


def _to_raw_json(value: Any) -> str:
    try:
        return go_json(value, escape_html=False)
    except UnsupportedValue as error:
        raise FuncError(str(error)) from None


def _from_json(text: str) -> Any:
    try:
        return json.loads(text, parse_int=float, parse_constant=_reject)
    except (ValueError, RecursionError):
        return None  # mustFromJson's output stays nil


def _reject(name: str) -> Any:
    raise ValueError(name)


def expand_env(text: str, environ: Mapping[str, str] | None = None) -> str:
    """os.ExpandEnv: $VAR and ${VAR}; unset variables become empty."""
    variables = os.environ if environ is None else environ

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or ""
        return variables.get(name, "")

    return re.sub(r"\$\{([^}]*)\}|\$([A-Za-z0-9_]+|[*#$@!?\-0-9])", value, text)


def _f(fn: Callable[..., Any], *params: str, variadic: str | None = None) -> GoFunc:
    return GoFunc(fn, tuple(params), variadic)


SPRIG: dict[str, GoFunc] = {
    # strings.go
    "trim": _f(lambda s: s.strip(), "string"),
    "trimAll": _f(lambda cut, s: s.strip(cut), "string", "string"),
    "trimPrefix": _f(lambda p, s: s.removeprefix(p), "string", "string"),
    "trimSuffix": _f(lambda p, s: s.removesuffix(p), "string", "string"),
    "upper": _f(lambda s: s.upper(), "string"),
    "lower": _f(lambda s: s.lower(), "string"),
    "title": _f(_title, "string"),
    "replace": _f(lambda old, new, s: s.replace(old, new), "string", "string", "string"),
    "contains": _f(lambda sub, s: sub in s, "string", "string"),
    "hasPrefix": _f(lambda p, s: s.startswith(p), "string", "string"),
    "hasSuffix": _f(lambda p, s: s.endswith(p), "string", "string"),
    "split": _f(_split, "string", "string"),
    "splitList": _f(lambda sep, s: _go_split(s, sep), "string", "string"),
    "join": _f(lambda sep, v: sep.join(_strslice(v)), "string", "any"),
    "quote": _f(_quote, variadic="any"),
    "squote": _f(_squote, variadic="any"),
    "cat": _f(lambda *v: " ".join(strval(x) for x in v if x is not None), variadic="any"),
    "repeat": _f(_repeat, "int", "string"),
    "substr": _f(_substr, "int", "int", "string"),
    "trunc": _f(_trunc, "int", "string"),
    "nospace": _f(lambda s: "".join(s.split()), "string"),
    "indent": _f(_indent, "int", "string"),
    "nindent": _f(lambda n, s: "\n" + _indent(n, s), "int", "string"),
    "toString": _f(strval, "any"),
    # list.go
    "list": _f(lambda *v: list(v), variadic="any"),
    "first": _f(_first, "any"),
    "last": _f(_last, "any"),
    "rest": _f(_rest, "any"),
    "initial": _f(_initial, "any"),
    "slice": _f(_slice, "any", variadic="any"),
    "append": _f(_append, "any", "any"),
    "push": _f(_append, "any", "any"),
    "prepend": _f(_prepend, "any", "any"),
    "has": _f(_has, "any", "any"),
    "uniq": _f(_uniq, "any"),
    "without": _f(_without, "any", variadic="any"),
    "compact": _f(_compact, "any"),
    "reverse": _f(_reverse, "any"),
    "sortAlpha": _f(lambda v: sorted(_strslice(v)), "any"),
    # dict.go
    "dict": _f(_dict, variadic="any"),
    "get": _f(_get, "dict", "string"),
    "set": _f(_set, "dict", "string", "any"),
    "unset": _f(_unset, "dict", "string"),
    "keys": _f(_keys, variadic="dict"),
    "values": _f(_values, "dict"),
    "pick": _f(_pick, "dict", variadic="string"),
    "omit": _f(_omit, "dict", variadic="string"),
    "hasKey": _f(_has_key, "dict", "string"),
    "merge": _f(_merge, "dict", variadic="dict"),
    # defaults.go
    "default": _f(_default, "any", variadic="any"),
    "empty": _f(empty, "any"),
    "coalesce": _f(_coalesce, variadic="any"),
    "ternary": _f(_ternary, "any", "any", "bool"),
    "toJson": _f(_to_json, "any"),
    "toPrettyJson": _f(_to_pretty_json, "any"),
    "toRawJson": _f(_to_raw_json, "any"),
    "fromJson": _f(_from_json, "string"),
    # numeric.go (integers are int64, floats float64)
    "add": _f(lambda *v: _wrap64(sum(_to_int64(x) for x in v)), variadic="any"),
    "add1": _f(lambda v: _wrap64(_to_int64(v) + 1), "any"),
    "sub": _f(lambda a, b: _wrap64(_to_int64(a) - _to_int64(b)), "any", "any"),
    "mul": _f(
        lambda a, *v: _wrap64(math.prod([_to_int64(a), *(_to_int64(x) for x in v)])),
        "any",
        variadic="any",
    ),
    "div": _f(_div, "any", "any"),
    "mod": _f(_mod, "any", "any"),
    "max": _f(_max, "any", variadic="any"),
    "min": _f(_min, "any", variadic="any"),
    "addf": _f(lambda *v: sum(_to_float64(x) for x in v), variadic="any"),
    "subf": _f(
        lambda a, *v: _to_float64(a) - sum(_to_float64(x) for x in v), "any", variadic="any"
    ),
    "mulf": _f(
        lambda a, *v: math.prod([_to_float64(a), *(_to_float64(x) for x in v)]),
        "any",
        variadic="any",
    ),
    "divf": _f(_divf, "any", variadic="any"),
    "maxf": _f(
        lambda a, *v: max([_to_float64(a), *(_to_float64(x) for x in v)]), "any", variadic="any"
    ),
    "minf": _f(
        lambda a, *v: min([_to_float64(a), *(_to_float64(x) for x in v)]), "any", variadic="any"
    ),
    # os
    "env": _f(lambda name: os.environ.get(name, ""), "string"),
    "expandenv": _f(expand_env, "string"),
}
