"""How each KrakenD component reads its `extra_config` namespace, for the ones that read it by Go
type assertion.

mapstructure's weak typing (`weak_typing.py`) stops at `extra_config`: KrakenD keeps a namespace
as the parser made it (`map[string]interface{}`, every JSON number a float64) and each component
reads it its own way. Two ways matter here:

* type assertions (`v, ok := cfg["sts_seconds"].(float64)`): a value of the wrong type is
  skipped and the option is unset, silently. KrakenD serves such a file, so we do too, with a
  warning that says the option is unset (a quoted `"sts_seconds": "31536000"` sends no
  Strict-Transport-Security header). The readers below say, per key, what each component
  asserts; the strict converter then structures what is left;
* `json.Marshal` + `json.Unmarshal` into a struct (krakend-jose's `auth/*`, the bot detector, the
  HTTP cache, lura's gin `router`): a value of the wrong type is an error there (the component
  is then disabled or the endpoint fails), so the strict converter's error stands. Go's
  encoding/json leaves a field alone for `null`, so a `null` option is dropped first.

A value the component asserts without checking (`v.(string)` with no `ok`) makes KrakenD panic at
startup: an error here, as the strict converter says.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from trio_gateway.config.converter import describe_json
from trio_gateway.config.diagnostics import Diagnostic, PathSegment, format_path
from trio_gateway.config.durations import parse_duration
from trio_gateway.config.gostrconv import sprint
from trio_gateway.config.namespaces import IMPLEMENTED
from trio_gateway.namespace import reads_itself

__all__ = ["READERS", "SKIP", "Read", "Reader", "read_namespace"]

Path = tuple[PathSegment, ...]


class _Skip:
    def __repr__(self) -> str:
        return "SKIP"


SKIP: Any = _Skip()  # the key is dropped: the option is unset, as the component leaves it


class Read(enum.Enum):
    """What a component's reader asserts for one key (the Go expression in the comment)."""

    BOOL = enum.auto()  # v.(bool)
    STRING = enum.auto()  # v.(string)
    INT = enum.auto()  # case int, int64, float64: int(v) (truncated)
    FLOAT = enum.auto()  # case float64, int, int64: float64(v)
    STRINGS = enum.auto()  # v.([]interface{}), keeping the items that are strings
    STRING_MAP = enum.auto()  # v.(map[string]interface{}), keeping the string values
    SPRINT = enum.auto()  # fmt.Sprintf("%v", v)
    SPRINT_DURATION = enum.auto()  # time.ParseDuration(fmt.Sprintf("%v", v)), else the default
    DURATION_STRING = enum.auto()  # v.(string), then time.ParseDuration, else unset
    DURATION_OR_PANIC = enum.auto()  # time.ParseDuration(v.(string)): panics if not a string
    STRING_OR_EMPTY = enum.auto()  # present but not a string: counts as present and empty
    STRINGS_OR_UNSET = enum.auto()  # v.([]interface{}), its items asserted unchecked
    STATIC = enum.auto()  # lura proxy/static.go getStaticMiddlewareCfg
    FLATMAP = enum.auto()  # lura proxy/formatter.go newFlatmapFormatter


_KIND: Mapping[Read, str] = {
    Read.BOOL: "a boolean",
    Read.STRING: "a string",
    Read.INT: "a number",
    Read.FLOAT: "a number",
    Read.STRINGS: "an array of strings",
    Read.STRING_MAP: "an object of strings",
    Read.SPRINT_DURATION: "a duration",
    Read.DURATION_STRING: "a duration string",
    Read.STRINGS_OR_UNSET: "an array",
    Read.STATIC: "an object",
    Read.FLATMAP: "an array of operations",
}


@attrs.frozen
class Reader:
    """One component's reading of its namespace: `component` names it for messages."""

    component: str
    keys: Mapping[str, Read]


# Each table is the component's ConfigGetter, key by key (the source cited per reader).
READERS: Mapping[str, Reader] = {
    # krakend-httpsecure httpsecure.go ConfigGetter: getBool/getString/getStrings/getInt64/
    # getStringMap. HPKP's public_key is not read at all.
    "security/http": Reader(
        "krakend-httpsecure",
        {
            "allowed_hosts": Read.STRINGS,
            "allowed_hosts_are_regex": Read.BOOL,
            "host_proxy_headers": Read.STRINGS,
            "sts_seconds": Read.INT,
            "force_sts_header": Read.BOOL,
            "custom_frame_options_value": Read.STRING,
            "content_security_policy": Read.STRING,
            "ssl_host": Read.STRING,
            "referrer_policy": Read.STRING,
            "content_type_nosniff": Read.BOOL,
            "browser_xss_filter": Read.BOOL,
            "is_development": Read.BOOL,
            "sts_include_subdomains": Read.BOOL,
            "frame_deny": Read.BOOL,
            "ssl_redirect": Read.BOOL,
            "ssl_proxy_headers": Read.STRING_MAP,
            "hpkp_public_key": Read.STRING,
        },
    ),
    # krakend-cors cors.go ConfigGetter (v2.2.1). options_success_status asserts float64 only,
    # which every JSON number is (a YAML integer is not: KrakenD skips it, we do not).
    "security/cors": Reader(
        "krakend-cors",
        {
            "allow_origins": Read.STRINGS,
            "allow_methods": Read.STRINGS,
            "allow_headers": Read.STRINGS,
            "expose_headers": Read.STRINGS,
            "allow_credentials": Read.BOOL,
            "debug": Read.BOOL,
            "allow_private_network": Read.BOOL,
            "options_passthrough": Read.BOOL,
            "options_success_status": Read.INT,
            "max_age": Read.DURATION_OR_PANIC,
        },
    ),
    # krakend-circuitbreaker gobreaker/gobreaker.go ConfigGetter.
    "qos/circuit-breaker": Reader(
        "krakend-circuitbreaker",
        {
            "name": Read.STRING,
            "interval": Read.INT,
            "timeout": Read.INT,
            "max_errors": Read.INT,
            "log_status_change": Read.BOOL,
        },
    ),
    # krakend-ratelimit v3 router/router.go ConfigGetter.
    "qos/ratelimit/router": Reader(
        "krakend-ratelimit",
        {
            "max_rate": Read.FLOAT,
            "capacity": Read.INT,
            "strategy": Read.SPRINT,
            "client_max_rate": Read.FLOAT,
            "client_capacity": Read.INT,
            "key": Read.SPRINT,
            "every": Read.SPRINT_DURATION,
            "num_shards": Read.INT,
            "cleanup_period": Read.SPRINT_DURATION,
            "cleanup_threads": Read.INT,
        },
    ),
    # krakend-ratelimit v3 proxy/proxy.go ConfigGetter.
    "qos/ratelimit/proxy": Reader(
        "krakend-ratelimit",
        {"max_rate": Read.FLOAT, "capacity": Read.INT, "every": Read.SPRINT_DURATION},
    ),
    # lura proxy: merging.go (sequential, sequential_propagated_params; `combiner` is asserted
    # unchecked), shadow.go (shadow, shadow_timeout), static.go, formatter.go (flatmap_filter).
    "proxy": Reader(
        "lura's proxy",
        {
            "sequential": Read.BOOL,
            "sequential_propagated_params": Read.STRINGS_OR_UNSET,
            "shadow": Read.BOOL,
            "shadow_timeout": Read.DURATION_STRING,
            "static": Read.STATIC,
            "flatmap_filter": Read.FLATMAP,
        },
    ),
    # krakend-metrics metrics.go ConfigGetter: `collectionTime.(string)` unchecked (a number
    # panics), an invalid duration keeps the default; listen_address and the flags checked.
    "telemetry/metrics": Reader(
        "krakend-metrics",
        {
            "collection_time": Read.DURATION_OR_PANIC,
            "listen_address": Read.STRING,
            "proxy_disabled": Read.BOOL,
            "router_disabled": Read.BOOL,
            "backend_disabled": Read.BOOL,
            "endpoint_disabled": Read.BOOL,
        },
    ),
    # krakend-influx config.go configGetter: strings checked; an invalid `ttl` is an error
    # (left to the strict converter); `buffer_size` read as a number (see telemetry/influx.py).
    "telemetry/influx": Reader(
        "krakend-influx",
        {
            "address": Read.STRING,
            "username": Read.STRING,
            "password": Read.STRING,
            "db": Read.STRING,
            "buffer_size": Read.INT,
        },
    ),
    # lura transport/http/client/status.go GetHTTPStatusHandler.
    "backend/http": Reader(
        "lura's HTTP client",
        {"return_error_code": Read.BOOL, "return_error_details": Read.STRING_OR_EMPTY},
    ),
    # lura proxy/http.go: v[clientHTTPOptionRedirectPost].(bool).
    "backend/http/client": Reader("lura's HTTP client", {"send_body_on_redirect": Read.BOOL}),
}


@attrs.define
class _Reading:
    """The diagnostics of reading one namespace."""

    reader: Reader
    path: Path
    out: list[Diagnostic]

    def unset(
        self, key: str, value: Any, read: Read, hint: str | None = None, *, under: Path = ()
    ) -> Any:
        """Report that `key` is skipped by the component (the option is unset); return SKIP."""
        if value is not None:  # a null is skipped silently: it means unset
            self.warn(
                (*self.path, *under, key),
                f"ignored: {self.reader.component} reads `{key}` only as {_KIND[read]}, "
                f"so {describe_json(value)} leaves it unset, as in KrakenD",
                hint,
            )
        return SKIP

    def warn(self, path: Path, message: str, hint: str | None = None) -> None:
        self.out.append(Diagnostic("warning", format_path(path), message, hint))

    def error(self, path: Path, message: str, hint: str | None = None) -> None:
        self.out.append(Diagnostic("error", format_path(path), message, hint))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _unquote_hint(value: Any) -> str | None:
    """`write 3 without quotes` for a quoted number or boolean."""
    if not isinstance(value, str):
        return None
    stripped = value.strip()
    if stripped.lower() in ("true", "false"):
        return f"write {stripped.lower()} without quotes"
    try:
        float(stripped)
    except ValueError:
        return None
    return f"write {stripped} without quotes"


def _bool(reading: _Reading, key: str, value: Any) -> Any:
    if isinstance(value, bool):
        return value
    hint = _unquote_hint(value) or ("write true or false" if _is_number(value) else None)
    return reading.unset(key, value, Read.BOOL, hint)


def _string(reading: _Reading, key: str, value: Any) -> Any:
    if isinstance(value, str):
        return value
    quotable = _is_number(value) or isinstance(value, bool)
    return reading.unset(key, value, Read.STRING, "write it in quotes" if quotable else None)


def _int(reading: _Reading, key: str, value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        whole = int(value)
        if whole != value:
            reading.warn(
                (*reading.path, key),
                f"number {value!r} truncated to {whole} by {reading.reader.component}, as in "
                "KrakenD",
                f"write {whole}",
            )
        return whole
    return reading.unset(key, value, Read.INT, _unquote_hint(value))


def _float(reading: _Reading, key: str, value: Any) -> Any:
    if _is_number(value):
        return float(value)
    return reading.unset(key, value, Read.FLOAT, _unquote_hint(value))


def _strings(reading: _Reading, key: str, value: Any) -> Any:
    if not isinstance(value, list):
        hint = f'write ["{value}"]' if isinstance(value, str) else None
        return reading.unset(key, value, Read.STRINGS, hint)
    kept = [item for item in value if isinstance(item, str)]
    for index, item in enumerate(value):
        if not isinstance(item, str):
            reading.warn(
                (*reading.path, key, index),
                f"ignored: {reading.reader.component} keeps only the strings of `{key}`, so "
                f"{describe_json(item)} is skipped, as in KrakenD",
            )
    return kept


def _string_map(reading: _Reading, key: str, value: Any) -> Any:
    if not isinstance(value, Mapping):
        return reading.unset(key, value, Read.STRING_MAP)
    kept = {name: item for name, item in value.items() if isinstance(item, str)}
    for name, item in value.items():
        if not isinstance(item, str):
            reading.warn(
                (*reading.path, key, name),
                f"ignored: {reading.reader.component} keeps only the string values of "
                f"`{key}`, so {describe_json(item)} is skipped, as in KrakenD",
            )
    return kept


def _sprint(reading: _Reading, key: str, value: Any) -> Any:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, list | Mapping):
        return value if value is not None else SKIP  # the strict converter says what is wrong
    text = sprint(value)
    reading.warn(
        (*reading.path, key),
        f'{describe_json(value)} read as the string "{text}" by {reading.reader.component}, '
        "as in KrakenD",
        f'write "{text}"',
    )
    return text


def _duration_text(reading: _Reading, key: str, value: Any, text: str) -> Any:
    try:
        parse_duration(text)
    except ValueError as exc:
        reading.warn(
            (*reading.path, key),
            f"ignored: {exc}: {reading.reader.component} uses its default, as in KrakenD",
            'use a Go duration such as "1s" or "1m"',
        )
        return SKIP
    return text


def _sprint_duration(reading: _Reading, key: str, value: Any) -> Any:
    if value is None:
        return SKIP
    if isinstance(value, list | Mapping):
        return reading.unset(key, value, Read.SPRINT_DURATION)
    return _duration_text(reading, key, value, sprint(value))


def _duration_string(reading: _Reading, key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return reading.unset(key, value, Read.DURATION_STRING)
    return _duration_text(reading, key, value, value)


def _duration_or_panic(reading: _Reading, key: str, value: Any) -> Any:
    if value is None:
        reading.error(
            (*reading.path, key),
            f"{reading.reader.component} panics at startup on a `{key}` that is not a string",
            'use a Go duration such as "12h"',
        )
        return SKIP
    if not isinstance(value, str):
        return value  # the strict converter's error: KrakenD panics on it
    return _duration_text(reading, key, value, value)


def _string_or_empty(reading: _Reading, key: str, value: Any) -> Any:
    if isinstance(value, str):
        return value
    if value is not None:
        reading.warn(
            (*reading.path, key),
            f"{reading.reader.component} reads `{key}` only as a string: {describe_json(value)} "
            "counts as set and empty, as in KrakenD",
        )
    return ""


def _strings_or_unset(reading: _Reading, key: str, value: Any) -> Any:
    if isinstance(value, list):
        return value  # items that are not strings make KrakenD panic: the converter's error
    return reading.unset(key, value, Read.STRINGS_OR_UNSET)


def _static(reading: _Reading, key: str, value: Any) -> Any:
    if not isinstance(value, Mapping):
        return reading.unset(key, value, Read.STATIC)
    if not isinstance(value.get("data"), Mapping):
        reading.warn(
            (*reading.path, key),
            f"ignored: {reading.reader.component} applies `static` only with a `data` object, "
            f"so this one (data: {describe_json(value.get('data'))}) is not applied, as in "
            "KrakenD",
        )
        return SKIP
    if "strategy" in value and not isinstance(value["strategy"], str):
        fixed = dict(value)
        reading.unset("strategy", fixed.pop("strategy"), Read.STRING, under=(key,))
        return fixed
    return value


def _flatmap(reading: _Reading, key: str, value: Any) -> Any:
    if not isinstance(value, list):
        return reading.unset(key, value, Read.FLATMAP)
    kept = []
    for index, operation in enumerate(value):
        if isinstance(operation, Mapping) and isinstance(operation.get("type"), str):
            kept.append(operation)
            continue
        reading.warn(
            (*reading.path, key, index),
            f"ignored: {reading.reader.component} skips a flatmap operation that is not an "
            f"object with a string `type` ({describe_json(operation)}), as in KrakenD",
        )
    return kept


_RULES: Mapping[Read, Callable[[_Reading, str, Any], Any]] = {
    Read.BOOL: _bool,
    Read.STRING: _string,
    Read.INT: _int,
    Read.FLOAT: _float,
    Read.STRINGS: _strings,
    Read.STRING_MAP: _string_map,
    Read.SPRINT: _sprint,
    Read.SPRINT_DURATION: _sprint_duration,
    Read.DURATION_STRING: _duration_string,
    Read.DURATION_OR_PANIC: _duration_or_panic,
    Read.STRING_OR_EMPTY: _string_or_empty,
    Read.STRINGS_OR_UNSET: _strings_or_unset,
    Read.STATIC: _static,
    Read.FLATMAP: _flatmap,
}


def read_namespace(name: str, value: Any, path: Path) -> tuple[Any, list[Diagnostic]]:
    """Read one namespace (canonical `name`) as its component does.

    Returns:
        (the value to structure, or SKIP when the component ignores the whole namespace;
        the warnings and errors of the reading).
    """
    reader = READERS.get(name)
    if reader is None:
        if reads_itself(IMPLEMENTED.get(name)):
            return value, []  # a JSON schema, a list of expressions: as written
        if name in IMPLEMENTED and isinstance(value, Mapping):
            # json.Unmarshal leaves a field alone for null: the option is unset.
            return {key: item for key, item in value.items() if item is not None}, []
        return value, []
    out: list[Diagnostic] = []
    if not isinstance(value, Mapping):
        if value is not None:
            out.append(
                Diagnostic(
                    "warning",
                    format_path(path),
                    f"ignored: {reader.component} reads this namespace only as an object, so "
                    f"{describe_json(value)} disables it, as in KrakenD",
                )
            )
        return SKIP, out
    reading = _Reading(reader, path, out)
    result: dict[str, Any] = {}
    for key, item in value.items():
        read = reader.keys.get(key) if isinstance(key, str) else None
        converted = item if read is None else _RULES[read](reading, key, item)
        if converted is not SKIP:
            result[key] = converted
    return result, out
