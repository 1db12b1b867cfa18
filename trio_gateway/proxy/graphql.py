"""`backend/graphql`: a REST endpoint answered by a GraphQL backend (lura `proxy/graphql.go` and
`transport/http/client/graphql/graphql.go`).

The backend request carries a GraphQL request built from the configuration: for a `query`, the
configured `variables` with every `"{param}"` value replaced by that request parameter; for a
`mutation`, the client's JSON body as the variables, the configured ones filling the keys it
lacks. `method: GET` sends `query`, `operationName` and `variables` in the query string (added
to the forwarded query, sorted with it as Go's `url.Values.Encode` sorts), anything else a POST
of the JSON object; both with `Content-Type: application/json`.

KrakenD CE builds the backend URL before this middleware runs (`proxy/factory.go` `newStack`:
the load balancer is outside it), so the query string it adds for `method: GET` never reaches
the backend. We send it, as KrakenD documents it (docs/compatibility.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs
import orjson

from trio_gateway.encoding.gonumber import go_json_float
from trio_gateway.encoding.render import GoStruct, dumps_go
from trio_gateway.errors import BackendError
from trio_gateway.namespace import Level, Namespace, Where
from trio_gateway.proxy.request import param_lookup, placeholder_key
from trio_gateway.types import Headers, Request

if TYPE_CHECKING:
    from trio_gateway.config.diagnostics import Report

__all__ = ["NAMESPACE", "NAMESPACE_ENTRY", "GraphQLCall", "GraphQLConfig", "compile_graphql"]

NAMESPACE = "backend/graphql"
LEGACY_NAMESPACE = "github.com/devopsfaith/krakend/transport/http/client/graphql"
_JSON = b"application/json"


@attrs.frozen(kw_only=True)
class GraphQLConfig:
    """`extra_config."backend/graphql"` (backend level)."""

    NAMESPACE: ClassVar[str] = NAMESPACE

    type: str = ""
    query: str = ""
    query_path: str = ""
    variables: Mapping[str, Any] | None = None
    operationName: str = ""
    method: str = ""

    @property
    def operation(self) -> str:
        return self.type.lower()

    @property
    def http_method(self) -> Literal["GET", "POST"]:
        # GetOptions: upper-cased; anything but GET or POST is POST.
        return "GET" if self.method.upper() == "GET" else "POST"


def _placeholder(value: Any) -> str | None:
    """The lura key of a `"{name}"` variable (`{id}` -> `Id`), or None for any other value.
    lura indexes the string blindly (`val[0]`, `val[2:len-1]`) and panics at startup on `""` and
    `"{}"`; those are plain values here."""
    if isinstance(value, str) and len(value) > 2 and value[0] == "{" and value[-1] == "}":
        return placeholder_key(value[1:-1])
    return None


def _go_numbers(value: Any) -> Any:
    """Go decodes JSON numbers into float64 and marshals them back in its own form: `5.0` is
    `5`, `1e-07` is `1e-7`, and integers past 2**53 lose their low digits."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        try:
            return orjson.Fragment(go_json_float(float(value)).encode())
        except (ValueError, OverflowError):  # not from JSON; Go's Marshal fails on them too
            raise BackendError("graphql: json: unsupported value") from None
    if isinstance(value, list):
        return [_go_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    return value


@attrs.frozen
class GraphQLCall:
    """The compiled `backend/graphql` of one backend: builds each request's body or query."""

    operation: str
    method: Literal["GET", "POST"]
    query: str
    operation_name: str
    variables: Mapping[str, Any]
    # (variable, request param to read): the `"{param}"` variables of a query
    replacements: tuple[tuple[str, str], ...]
    static_body: bytes | None  # a query without replacements: the same bytes every time

    def _request_struct(self, variables: Mapping[str, Any]) -> GoStruct:
        # GraphQLRequest: `query`, then `operationName` and `variables` (both omitempty)
        struct = GoStruct(query=self.query)
        if self.operation_name:
            struct["operationName"] = self.operation_name
        if variables:
            struct["variables"] = _go_numbers(dict(variables))
        return struct

    def _variables(self, request: Request) -> dict[str, Any]:
        if self.operation == "mutation":
            try:
                # a mutation's variables: the client's JSON object, defaults for missing keys
                given = json.loads(request.body) if request.body else None
            except (ValueError, RecursionError) as exc:
                raise BackendError(f"graphql: invalid request body: {exc}") from None
            if not isinstance(given, dict):
                if given is None and not request.body:
                    raise BackendError("graphql: unexpected end of JSON input")
                raise BackendError(
                    "graphql: json: cannot unmarshal the request body into an object"
                )
            for key, value in self.variables.items():
                given.setdefault(key, value)
            return given
        variables = dict(self.variables)
        for name, param in self.replacements:
            variables[name] = request.params.get(param, "")  # Go's map: "" when missing
        return variables

    def body(self, request: Request) -> bytes:
        """The POST body (Go's json.Marshal of the GraphQL request)."""
        if self.static_body is not None:
            return self.static_body
        return dumps_go(self._request_struct(self._variables(request)), sort_keys=False)

    def query_pairs(self, request: Request) -> list[tuple[str, str]]:
        """For `method: GET`: what is added to the backend's query string."""
        variables = self._variables(request)
        pairs = [("query", self.query)]
        if self.operation_name:
            pairs.append(("operationName", self.operation_name))
        if variables:
            pairs.append(("variables", dumps_go(_go_numbers(variables)).decode()))
        return pairs

    def headers(self, headers: Headers, body: bytes) -> Headers:
        """The forwarded headers with lura's Content-Type (and no stale Content-Length)."""
        kept = [(n, v) for n, v in headers if n.lower() not in (b"content-type", b"content-length")]
        kept.append((b"Content-Type", _JSON))
        return kept


def compile_graphql(config: GraphQLConfig, names: Mapping[str, str]) -> GraphQLCall:
    """Build the request maker; `names` maps lura's param keys to the endpoint's spelling.

    Raises:
        OSError: `query_path` cannot be read (check reports it first).
    """
    query = config.query
    if config.query_path:
        query = FilePath(config.query_path).read_text(encoding="utf-8")
    variables = dict(config.variables or {})
    replacements = tuple(
        (name, param_lookup(key, names))
        for name, value in variables.items()
        if (key := _placeholder(value)) is not None
    )
    call = GraphQLCall(
        operation=config.operation,
        method=config.http_method,
        query=query,
        operation_name=config.operationName,
        variables=variables,
        replacements=() if config.operation == "mutation" else replacements,
        static_body=None,
    )
    if call.operation == "query" and not call.replacements:
        return attrs.evolve(
            call, static_body=dumps_go(call._request_struct(variables), sort_keys=False)
        )
    return call


def check(config: GraphQLConfig, where: Where, report: Report) -> None:
    """What lura would skip with a log line (the backend then gets a plain REST call, which is
    never what the configuration meant) is an error here."""
    if config.operation not in ("query", "mutation"):
        report.error(
            (*where.path, "type"),
            f"type must be query or mutation, not {config.type!r} (KrakenD then skips the "
            "GraphQL middleware and calls the backend without the GraphQL request)",
        )
    if config.method and config.method.upper() not in ("GET", "POST"):
        report.warning(
            (*where.path, "method"), f"method {config.method!r} is sent as POST, as in KrakenD"
        )
    if config.query_path:
        try:
            FilePath(config.query_path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            report.error(
                (*where.path, "query_path"),
                f"cannot read the query file {config.query_path}: {exc}",
                "the path is relative to the working directory, as in KrakenD",
            )
        if config.query:
            report.warning((*where.path, "query"), "query_path is set: query is ignored")
    elif not config.query:
        report.error(where.path, "a GraphQL backend needs a query or a query_path")
    for name, value in (config.variables or {}).items():
        if value in ("", "{}"):
            report.warning(
                (*where.path, "variables", name),
                f"{value!r} is sent as it is (KrakenD stops at start-up on it)",
            )


NAMESPACE_ENTRY = Namespace(
    name=NAMESPACE,
    levels=frozenset({Level.BACKEND}),
    config=GraphQLConfig,
    aliases=(LEGACY_NAMESPACE,),
    check=check,
)
