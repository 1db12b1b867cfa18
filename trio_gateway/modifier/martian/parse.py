"""martian's `parse` package: modifier JSON -> a tree of modifier objects, built once.

`from_json` is martian's `parse.FromJSON` (google/martian v2.1.0 `parse/parse.go`): the value is an
object with exactly one key, the modifier's registered name; that modifier's builder decodes its
body as Go's `encoding/json` decodes it into the modifier's struct, and `new_result` applies the
`scope` as `parse.NewResult` does:

* no `scope` (or `null`): the modifier runs wherever it can (request, response, or both);
* a list: each entry must be `"request"` or `"response"` and a scope the modifier has, else
  `parse: invalid scope ...`; `[]` runs it nowhere.

Go's decoding, kept here: object keys match the struct's JSON names exactly or, failing that,
case-insensitively (`"Name"` is `name`); unknown keys are ignored (we warn); `null` leaves a field
as it was; a value of the wrong JSON type is an error (`json: cannot unmarshal ...`), and so is a
fractional number for an integer field.

Where KrakenD logs a martian error and serves the backend *without* its modifiers
(krakend-martian `NewConfiguredBackendFactory`), trio-gateway refuses the configuration: every
problem is a `check` error at its JSON path (fail closed).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import enum
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import attrs

from trio_gateway.config.diagnostics import Path, did_you_mean
from trio_gateway.modifier.martian.message import GoRequest, GoResponse

__all__ = [
    "BUILDERS",
    "Field",
    "Issues",
    "RequestModifier",
    "ResponseModifier",
    "Result",
    "describe",
    "fields",
    "from_json",
    "new_result",
    "register",
]


class RequestModifier(Protocol):
    def modify_request(self, request: GoRequest) -> None: ...


class ResponseModifier(Protocol):
    def modify_response(self, response: GoResponse) -> None: ...


@attrs.frozen
class Result:
    """`parse.Result`: what runs on the request and what runs on the response (None: nothing)."""

    request: RequestModifier | None
    response: ResponseModifier | None


@attrs.define
class Issues:
    """The problems found while building, each at its JSON path."""

    errors: list[tuple[Path, str, str | None]] = attrs.Factory(list)
    warnings: list[tuple[Path, str, str | None]] = attrs.Factory(list)

    def error(self, path: Path, message: str, hint: str | None = None) -> None:
        self.errors.append((path, message, hint))

    def warn(self, path: Path, message: str, hint: str | None = None) -> None:
        self.warnings.append((path, message, hint))


Builder = Callable[[Any, Path, Issues], Result | None]
BUILDERS: dict[str, Builder] = {}


def register(name: str) -> Callable[[Builder], Builder]:
    """`parse.Register(name, ...)`: each modifier module registers its builders at import."""

    def add(builder: Builder) -> Builder:
        BUILDERS[name] = builder
        return builder

    return add


def describe(value: Any) -> str:
    """A JSON value in words, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def from_json(value: Any, path: Path, issues: Issues) -> Result | None:
    """`parse.FromJSON`: one modifier object -> its Result (None after an error, recorded)."""
    if value is None or not isinstance(value, Mapping):
        # Go unmarshals `null` into a nil map: "expected one modifier, received 0".
        if value is None:
            issues.error(path, "parse: expected one modifier, received 0: `null` is no modifier")
        else:
            issues.error(
                path,
                f"a modifier is an object with one key, the modifier's name, not {describe(value)}",
            )
        return None
    if len(value) != 1:
        names = ", ".join(f"`{k}`" for k in value)
        issues.error(
            path,
            f"parse: expected one modifier, received {len(value)}"
            + (f": {names}" if names else ""),
            "a martian object has exactly one key, the modifier's name; group several with "
            "`fifo.Group` (comment keys count too)",
        )
        return None
    ((name, body),) = value.items()
    builder = BUILDERS.get(name)
    if builder is None:
        close = did_you_mean(str(name), sorted(BUILDERS))
        issues.error(
            (*path, name),
            f"parse: unknown modifier: {name}",
            f"did you mean `{close}`?" if close else "see docs/martian.md for the modifiers",
        )
        return None
    return builder(body, (*path, name), issues)


class Field(enum.Enum):
    """The Go type of a modifier struct field, as encoding/json decodes into it."""

    STRING = "string"
    BOOL = "bool"
    INT = "int"
    STRINGS = "[]string"
    SCOPE = "[]parse.ModifierType"
    RAW = "json.RawMessage"
    BYTES = "[]byte"
    TIME = "time.Time"


_INT64 = range(-(1 << 63), 1 << 63)
# time.Time.UnmarshalJSON: RFC 3339 (Go 1.20+ is strict about it).
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z"
)


def _type_error(issues: Issues, path: Path, field: Field, value: Any) -> None:
    issues.error(
        path,
        f"json: cannot unmarshal {describe(value)} into a field of Go type {field.value}",
    )


def _decode(field: Field, value: Any, path: Path, issues: Issues) -> tuple[bool, Any]:
    """(ok, the decoded value) for one non-null field value."""
    if field is Field.STRING:
        if isinstance(value, str):
            return True, value
    elif field is Field.BOOL:
        if isinstance(value, bool):
            return True, value
    elif field is Field.INT:
        if isinstance(value, int) and not isinstance(value, bool) and value in _INT64:
            return True, value
    elif field in (Field.STRINGS, Field.SCOPE):
        if isinstance(value, list):
            bad = [
                i for i, item in enumerate(value) if item is not None and not isinstance(item, str)
            ]
            if not bad:
                return True, tuple("" if item is None else item for item in value)
            _type_error(issues, (*path, bad[0]), Field.STRING, value[bad[0]])
            return False, None
    elif field is Field.RAW:
        return True, value
    elif field is Field.BYTES:
        return _bytes(value, path, issues)
    elif field is Field.TIME and isinstance(value, str):
        return _time(value, path, issues)
    _type_error(issues, path, field, value)
    return False, None


def _bytes(value: Any, path: Path, issues: Issues) -> tuple[bool, Any]:
    # []byte is a base64 string (StdEncoding, padded; \r and \n skipped), or an array of bytes.
    if isinstance(value, str):
        try:
            return True, base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
        except (binascii.Error, ValueError) as exc:
            issues.error(path, f"not standard base64 (padded): {exc}")
            return False, None
    if isinstance(value, list) and all(
        isinstance(b, int) and not isinstance(b, bool) and 0 <= b < 256 for b in value
    ):
        return True, bytes(value)
    _type_error(issues, path, Field.BYTES, value)
    return False, None


def _time(value: str, path: Path, issues: Issues) -> tuple[bool, Any]:
    found = _RFC3339.match(value)
    if found is None:
        issues.error(path, f"parsing time {value!r} as RFC 3339 (2006-01-02T15:04:05Z07:00) failed")
        return False, None
    text = value.upper().replace("Z", "+00:00")
    if found.group(7):  # Python wants at most 6 fraction digits
        text = text.replace(found.group(7), found.group(7)[:7].ljust(7, "0"), 1)
    try:
        return True, datetime.datetime.fromisoformat(text)
    except ValueError as exc:
        issues.error(path, f"parsing time {value!r}: {exc}")
        return False, None


def fields(
    value: Any, path: Path, issues: Issues, spec: Mapping[str, Field]
) -> dict[str, Any] | None:
    """Decode a modifier's JSON body into its fields, as Go's json.Unmarshal into its struct.

    Returns the fields present (absent or `null` ones are missing), or None after an error.
    """
    if value is None:
        return {}  # json.Unmarshal of null into a struct leaves it zero
    if not isinstance(value, Mapping):
        issues.error(path, f"json: cannot unmarshal {describe(value)} into a modifier object")
        return None
    folded = {name.lower(): name for name in spec}
    out: dict[str, Any] = {}
    ok = True
    for key, item in value.items():
        name = key if key in spec else folded.get(str(key).lower())
        if name is None:
            if not str(key).startswith(("@", "$", "_", "#")):
                close = did_you_mean(str(key), sorted(spec))
                issues.warn(
                    (*path, key),
                    f"unknown key `{key}` (ignored, as martian ignores it)",
                    f"did you mean `{close}`?" if close else None,
                )
            continue
        field = spec[name]
        if item is None:
            if field is Field.RAW:
                out[name] = None  # a RawMessage holds `null`; the builder decides
            elif field in (Field.SCOPE, Field.STRINGS, Field.BYTES):
                out.pop(name, None)  # a nil slice
            continue
        good, decoded = _decode(field, item, (*path, key), issues)
        if good:
            out[name] = decoded
        else:
            ok = False
    return out if ok else None


_REQUEST, _RESPONSE = "request", "response"


def new_result(modifier: Any, data: Mapping[str, Any], path: Path, issues: Issues) -> Result | None:
    """`parse.NewResult(modifier, scope)`."""
    request = modifier if hasattr(modifier, "modify_request") else None
    response = modifier if hasattr(modifier, "modify_response") else None
    scope = data.get("scope")
    if scope is None:
        return Result(request, response)
    result_request = result_response = None
    for index, entry in enumerate(scope):
        where = (*path, "scope", index)
        if entry == _REQUEST:
            if request is None:
                issues.error(
                    where,
                    'parse: invalid scope "request" for modifier',
                    "this modifier only runs on responses",
                )
                return None
            result_request = request
        elif entry == _RESPONSE:
            if response is None:
                issues.error(
                    where,
                    'parse: invalid scope "response" for modifier',
                    "this modifier only runs on requests",
                )
                return None
            result_response = response
        else:
            issues.error(where, f'parse: invalid scope: {entry} not in ["request", "response"]')
            return None
    return Result(result_request, result_response)


def child(
    data: Mapping[str, Any], key: str, path: Path, issues: Issues, *, required: bool
) -> Result | bool | None:
    """A nested modifier (`modifier`, `else`): its Result; False when absent and optional;
    None after an error. A required one that is missing is Go's `unexpected end of JSON input`
    (json.Unmarshal of an empty RawMessage)."""
    if key not in data:
        if required:
            issues.error(
                (*path, key),
                f"`{key}` is missing: a filter needs a modifier to run "
                "(parse: unexpected end of JSON input)",
            )
            return None
        return False
    return from_json(data[key], (*path, key), issues)
