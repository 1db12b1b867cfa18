"""`validation/cel` at run time: the compiled phases, the proxy that runs them around the call,
and the token rejecter for auth/validator (krakend-cel `proxy.go`, `rejecter.go`). Imported only
when a configuration has a `validation/cel` block (celpy is slow to import)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from trio_gateway.errors import GatewayError
from trio_gateway.proxy.request import (
    canonical_header,
    filter_headers,
    filter_query,
    placeholder_key,
)
from trio_gateway.types import Headers, ProxyFunction, Request, Response
from trio_gateway.validation.cel import JWT, POST, PRE
from trio_gateway.validation.cel_engine import (
    Expression,
    ExpressionError,
    compile_expression,
    go_now,
    lazy_cel,
    list_map,
    string_map,
    to_cel,
)

if TYPE_CHECKING:
    from trio_gateway.proxy.backend import BackendCall

__all__ = [
    "CELProxy",
    "CELRejection",
    "Checks",
    "backend_view",
    "compile_phases",
    "endpoint_view",
    "token_rejecter",
]

LOGGER = logging.getLogger("trio_gateway.validation.cel")


class CELRejection(GatewayError):
    """krakend-cel's `request aborted by evaluator #<i>`: no status of its own, so a 500."""


@attrs.frozen
class Checks:
    """The compiled expressions of one phase, and the variables they read."""

    expressions: tuple[Expression, ...]
    variables: frozenset[str]

    @classmethod
    def of(cls, expressions: list[Expression]) -> Checks:
        variables = frozenset().union(*(e.variables for e in expressions))
        return cls(tuple(expressions), variables)

    def first_failure(self, activation: Mapping[str, Any]) -> int | None:
        for index, expression in enumerate(self.expressions):
            if not expression.evaluate(activation):
                return index
        return None


def compile_phases(texts: list[str], where: str) -> tuple[Checks, Checks, Checks] | None:
    """The request, response and token checks (krakend-cel `ParsePre`/`ParsePost`/`ParseJWT`:
    an expression is in each phase whose key its text contains); None when one does not
    compile (krakend-cel then runs none)."""
    compiled: list[Expression] = []
    for text in texts:
        try:
            compiled.append(compile_expression(text))
        except ExpressionError as exc:  # only without `check`, which refuses it
            LOGGER.warning("%s[CEL] Error parsing the definitions: %s", where, exc)
            return None
    return (
        Checks.of([e for e in compiled if PRE in e.text]),
        Checks.of([e for e in compiled if POST in e.text]),
        Checks.of([e for e in compiled if JWT in e.text]),
    )


# (method, path, params, header (name, value) pairs, query pairs) as lura's proxy.Request has them
RequestParts = tuple[str, str, dict[str, str], list[tuple[str, str]], list[tuple[str, str]]]
RequestView = Callable[[Request], RequestParts]


class CELProxy:
    """The request checks, the call, the response checks (krakend-cel `newProxy`)."""

    __slots__ = ("_name", "_next", "_now", "_post", "_pre", "_view")

    def __init__(
        self, next_proxy: ProxyFunction, pre: Checks, post: Checks, view: RequestView, name: str
    ) -> None:
        self._next = next_proxy
        self._pre = pre
        self._post = post
        self._view = view
        self._name = name
        # krakend-cel formats `now` for every request; only when an expression reads it here
        self._now = "now" in pre.variables or "now" in post.variables

    async def __call__(self, request: Request) -> Response:
        now = go_now() if self._now else ""
        pre = self._pre
        if pre.expressions:
            failed = pre.first_failure(self._request_activation(request, now))
            if failed is not None:
                LOGGER.info("%s[pre] Evaluator #%d failed", self._name, failed)
                raise CELRejection(f"request aborted by evaluator #{failed}")
        response = await self._next(request)
        post = self._post
        if not post.expressions or response.error is not None:
            return response
        failed = post.first_failure(_response_activation(response, post.variables, now))
        if failed is not None:
            response.close()
            LOGGER.info("%s[post] Evaluator #%d failed", self._name, failed)
            raise CELRejection(f"request aborted by evaluator #{failed}")
        return response

    def _request_activation(self, request: Request, now: str) -> dict[str, Any]:
        wanted = self._pre.variables
        method, path, params, headers, query = self._view(request)
        activation: dict[str, Any] = {}
        if "now" in wanted:
            activation["now"] = to_cel(now)
        if "req_method" in wanted:
            activation["req_method"] = to_cel(method)
        if "req_path" in wanted:
            activation["req_path"] = to_cel(path)
        if "req_params" in wanted:
            activation["req_params"] = string_map(params.items())
        if "req_headers" in wanted:
            activation["req_headers"] = list_map(headers)
        if "req_querystring" in wanted:
            activation["req_querystring"] = list_map(query)
        return activation


def _response_activation(response: Response, wanted: frozenset[str], now: str) -> dict[str, Any]:
    activation: dict[str, Any] = {}
    stream = response.stream
    if "now" in wanted:
        activation["now"] = to_cel(now)
    if "resp_completed" in wanted:
        activation["resp_completed"] = to_cel(response.is_complete)
    if "resp_metadata_status" in wanted:
        # lura keeps the status (and headers) only for `no-op` backends (NoOpHTTPResponseParser)
        activation["resp_metadata_status"] = to_cel(stream.status if stream is not None else 0)
    if "resp_metadata_headers" in wanted:
        headers = stream.headers if stream is not None else []
        activation["resp_metadata_headers"] = list_map(
            (canonical_header(n).decode("latin-1"), v.decode("latin-1")) for n, v in headers
        )
    if "resp_data" in wanted:
        activation["resp_data"] = lazy_cel(response.data or {})
    return activation


def _capitalized(params: Mapping[str, str]) -> dict[str, str]:
    """lura's `proxy.Request.Params` keys: the first letter upper-cased."""
    return {placeholder_key(k): v for k, v in params.items()}


def _header_items(
    headers: Headers, spellings: Mapping[bytes, tuple[str, ...]] | None
) -> list[tuple[str, str]]:
    """(name, value) pairs keyed as lura's header map: the `input_headers` spellings, the
    gateway's own headers (X-Forwarded-For, User-Agent, ...) by their canonical names."""
    items: list[tuple[str, str]] = []
    for name, value in headers:
        text = value.decode("latin-1")
        canonical = canonical_header(name)
        written = spellings.get(canonical) if spellings is not None else None
        if written:
            items.extend((spelling, text) for spelling in written)
        else:
            items.append((canonical.decode("latin-1"), text))
    return items


def endpoint_view(spellings: Mapping[bytes, tuple[str, ...]] | None = None) -> RequestView:
    def view(request: Request) -> RequestParts:
        # lura router/gin NewRequest: the client's method and URL path, the filtered
        # headers and query
        params = _capitalized(request.params)
        headers = _header_items(request.headers, spellings)
        return request.method, request.path, params, headers, request.query

    return view


def backend_view(
    call: BackendCall, spellings: Mapping[bytes, tuple[str, ...]] | None = None
) -> RequestView:
    def view(request: Request) -> RequestParts:
        # lura's request builder ran first: the backend's method and url_pattern (its own
        # query included) with the params in; the backend-level header/query filters too.
        headers = request.headers
        if call.input_headers is not None:
            headers = filter_headers(headers, call.input_headers)
        query = request.query
        if call.input_query_strings is not None:
            query = filter_query(query, call.input_query_strings)
        path = call.url.fill(request.params)
        params = _capitalized(request.params)
        return call.method, path, params, _header_items(headers, spellings), query

    return view


def token_rejecter(checks: Checks, name: str) -> Callable[[Mapping[str, Any]], bool]:
    """krakend-cel's `Rejecter.Reject`: True (a 401) when a `JWT` check fails."""

    def reject(claims: Mapping[str, Any]) -> bool:
        activation = {"JWT": lazy_cel(claims)}
        if "now" in checks.variables:
            activation["now"] = to_cel(go_now())
        failed = checks.first_failure(activation)
        if failed is None:
            return False
        LOGGER.info("%s Rejecter #%d failed", name, failed)
        return True

    return reject
