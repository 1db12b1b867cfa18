"""`validation/cel`: CEL checks on the request, the response and the token (krakend-cel).

The value is a list of `{"check_expr": "<CEL>"}` (`mod_expr` is accepted and unused, as in
krakend-cel). Where it runs (krakend-ce `proxy_factory.go`, `backend_factory.go`,
`executor.go`):

* endpoint level: in the proxy pipe, inside `lua-proxy`, outside the JSON-schema check; the
  request-phase expressions before it, the response-phase ones on the merged response;
* backend level: around one backend's call, inside the circuit breaker and the rate limit
  (so a rejection counts as that backend's failure);
* token phase (`JWT`): inside `auth/validator`, after the token's signature and claims, before
  its roles and scopes (krakend-jose's rejecter): a false expression is a **401**, empty body.

A false expression, a non-boolean result or an evaluation error stops the request with the error
`request aborted by evaluator #<i>` (i counts within the phase): a **500**, the text as body only
under `router.return_error_msg` (fixtures `cel-1`/`cel-2`). At backend level in a merge, the
backend is dropped like any failed backend: the others answer, `X-Krakend-Completed: false`
(fixtures `cel-3`/`cel-4`). When the call itself failed, or a merge is partial, the response
phase does not run (krakend-cel returns the error first).

The variables, phases and functions are in `cel_engine.py`. An expression KrakenD cannot parse
disables the whole namespace there (a warning, then served without it); `check` reports it at its
JSON path and `run` refuses it (fail closed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from trio_gateway.config.diagnostics import Report
from trio_gateway.errors import GatewayError
from trio_gateway.namespace import Layer, Level, Namespace, Slot, Where
from trio_gateway.proxy.request import (
    canonical_header,
    filter_headers,
    filter_query,
    placeholder_key,
)
from trio_gateway.types import ProxyFunction, Request, Response
from trio_gateway.validation.cel_engine import (
    REQUEST_VARS,
    RESPONSE_VARS,
    Expression,
    ExpressionError,
    compile_expression,
    go_now,
    list_map,
    string_map,
    to_cel,
)

if TYPE_CHECKING:
    from trio_gateway.plan import EndpointPlan
    from trio_gateway.proxy.backend import BackendCall

__all__ = [
    "BACKEND_LAYER",
    "ENDPOINT_LAYER",
    "NAMESPACE",
    "CELConfig",
    "CELProxy",
    "CELRejection",
    "Checks",
    "jwt_rejecter",
]

LOGGER = logging.getLogger(__name__)

# krakend-cel internal/cel.go: an expression's phase is the key its text contains.
PRE, POST, JWT = "req", "resp", "JWT"
_DEFINITION_KEYS = frozenset({"check_expr", "mod_expr"})


class CELConfig:
    """`extra_config."validation/cel"` (endpoint, backend): the list as written."""

    NAMESPACE: ClassVar[str] = "validation/cel"
    JSON_SCHEMA: ClassVar[dict[str, Any]] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"check_expr": {"type": "string"}, "mod_expr": {"type": "string"}},
        },
    }

    __slots__ = ("definitions",)

    def __init__(self, definitions: Any) -> None:
        self.definitions = definitions

    @classmethod
    def from_json(cls, value: Any) -> CELConfig:
        """Any JSON is accepted here; `check` says what krakend-cel would not read."""
        return cls(value)

    def expressions(self) -> list[str]:
        """The `check_expr` texts, in order (what krakend-cel decodes; others are skipped)."""
        if not isinstance(self.definitions, list):
            return []
        return [
            d["check_expr"]
            for d in self.definitions
            if isinstance(d, Mapping) and isinstance(d.get("check_expr"), str) and d["check_expr"]
        ]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CELConfig) and other.definitions == self.definitions

    def __hash__(self) -> int:
        return hash(repr(self.definitions))

    def __repr__(self) -> str:
        return f"CELConfig({self.definitions!r})"


def check(config: CELConfig, where: Where, report: Report) -> None:
    definitions = config.definitions
    if not isinstance(definitions, list):
        report.error(
            where.path,
            'validation/cel is a list of {"check_expr": "..."} objects',
            "KrakenD cannot decode anything else and then runs no CEL at all",
        )
        return
    has_validator = (
        where.endpoint is not None and "auth/validator" in where.endpoint.extra_config.raw
    )
    for index, definition in enumerate(definitions):
        path = (*where.path, index)
        if not isinstance(definition, Mapping):
            report.error(path, 'each entry is an object {"check_expr": "..."}')
            continue
        for key in definition:
            if key not in _DEFINITION_KEYS and not str(key).startswith(("@", "$", "_", "#")):
                report.warning((*path, key), f"unknown key {key!r} (ignored)")
        text = definition.get("check_expr")
        if text is None or text == "":
            report.warning(path, "no check_expr: krakend-cel skips this entry")
            continue
        if not isinstance(text, str):
            report.error((*path, "check_expr"), "check_expr must be a string")
            continue
        try:
            expression = compile_expression(text)
        except ExpressionError as exc:
            report.error(
                (*path, "check_expr"),
                str(exc),
                "KrakenD disables validation/cel for this "
                + ("backend" if where.level is Level.BACKEND else "endpoint")
                + " and serves without it; trio-gateway refuses it",
            )
            continue
        _check_phases(expression, path, where, has_validator, report)


def _check_phases(
    expression: Expression, path: Any, where: Where, has_validator: bool, report: Report
) -> None:
    text = expression.text
    phases = [p for p in (PRE, POST, JWT) if p in text]
    at = (*path, "check_expr")
    if not phases:
        report.warning(
            at,
            "never evaluated: krakend-cel runs an expression in the phase whose key its text"
            " contains (`req`, `resp`, `JWT`)",
        )
        return
    if JWT in phases and (where.level is Level.BACKEND or not has_validator):
        report.warning(
            at,
            "`JWT` expressions run only at endpoint level with auth/validator",
        )
    bound = {PRE: REQUEST_VARS, POST: RESPONSE_VARS, JWT: frozenset({"JWT"})}
    for phase in phases:
        if phase == JWT and (where.level is Level.BACKEND or not has_validator):
            continue
        unbound = expression.variables - bound[phase] - {"now"}
        if unbound:
            report.warning(
                at,
                f"runs in the `{phase}` phase (its text contains `{phase}`), where "
                f"{', '.join(sorted(unbound))} is not bound: every request is rejected",
            )


NAMESPACE = Namespace(
    name="validation/cel",
    levels=frozenset({Level.ENDPOINT, Level.BACKEND}),
    config=CELConfig,
    aliases=("github.com/devopsfaith/krakend-cel",),
    check=check,
)


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


def _phases(config: CELConfig, where: str) -> tuple[Checks, Checks, Checks] | None:
    compiled: list[Expression] = []
    for text in config.expressions():
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


RequestView = Callable[[Request], tuple[str, str, dict[str, str], Any, Any]]


class CELProxy:
    """The request checks, the call, the response checks (krakend-cel `newProxy`)."""

    __slots__ = ("_name", "_next", "_post", "_pre", "_view")

    def __init__(
        self, next_proxy: ProxyFunction, pre: Checks, post: Checks, view: RequestView, name: str
    ) -> None:
        self._next = next_proxy
        self._pre = pre
        self._post = post
        self._view = view
        self._name = name

    async def __call__(self, request: Request) -> Response:
        now = go_now()
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
            activation["req_headers"] = list_map(
                (name.decode("latin-1"), value.decode("latin-1")) for name, value in headers
            )
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
        activation["resp_data"] = to_cel(response.data or {})
    return activation


def _capitalized(params: Mapping[str, str]) -> dict[str, str]:
    """lura's `proxy.Request.Params` keys: the first letter upper-cased."""
    return {placeholder_key(k): v for k, v in params.items()}


def _endpoint_view(request: Request) -> tuple[str, str, dict[str, str], Any, Any]:
    # lura router/gin NewRequest: the client's method and URL path, the filtered headers/query
    return (
        request.method,
        request.path,
        _capitalized(request.params),
        request.headers,
        request.query,
    )


def _backend_view(call: BackendCall) -> RequestView:
    def view(request: Request) -> tuple[str, str, dict[str, str], Any, Any]:
        # lura's request builder ran first: the backend's method and url_pattern (its own
        # query included) with the params in; the backend-level header/query filters too.
        headers = request.headers
        if call.input_headers is not None:
            headers = filter_headers(headers, call.input_headers)
        query = request.query
        if call.input_query_strings is not None:
            query = filter_query(query, call.input_query_strings)
        path = call.url.fill(request.params)
        return call.method, path, _capitalized(request.params), headers, query

    return view


def build_endpoint_layer(next_proxy: ProxyFunction, plan: EndpointPlan, context: Any) -> Any:
    config = plan.extra.get(CELConfig)
    if config is None:
        return None
    name = f"[ENDPOINT: {plan.path}][CEL]"
    phases = _phases(config, f"[ENDPOINT: {plan.path}]")
    if phases is None or not (phases[0].expressions or phases[1].expressions):
        return None
    return CELProxy(next_proxy, phases[0], phases[1], _endpoint_view, name)


def build_backend_layer(
    next_proxy: ProxyFunction, call: BackendCall, plan: EndpointPlan, context: Any
) -> Any:
    config = call.extra.get(CELConfig)
    if config is None:
        return None
    name = f"[BACKEND: {call.url.pattern}][CEL]"
    phases = _phases(config, f"[BACKEND: {call.url.pattern}]")
    if phases is None or not (phases[0].expressions or phases[1].expressions):
        return None
    return CELProxy(next_proxy, phases[0], phases[1], _backend_view(call), name)


def jwt_rejecter(plan: EndpointPlan) -> Callable[[Mapping[str, Any]], bool] | None:
    """krakend-cel `NewRejecter`: the endpoint's `JWT` expressions, for auth/validator to run
    on a token's claims (True = reject, a 401); None when there are none."""
    config = plan.extra.get(CELConfig)
    if config is None:
        return None
    phases = _phases(config, f"[ENDPOINT: {plan.path}]")
    if phases is None or not phases[2].expressions:
        return None
    checks = phases[2]
    name = f"[ENDPOINT: {plan.path}][CEL]"

    def reject(claims: Mapping[str, Any]) -> bool:
        activation = {"JWT": to_cel(claims)}
        if "now" in checks.variables:
            activation["now"] = to_cel(go_now())
        failed = checks.first_failure(activation)
        if failed is None:
            return False
        LOGGER.info("%s Rejecter #%d failed", name, failed)
        return True

    return reject


ENDPOINT_LAYER = Layer(
    name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.ENDPOINT_LAYER, build=build_endpoint_layer
)
BACKEND_LAYER = Layer(
    name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.BACKEND_LAYER, build=build_backend_layer
)
