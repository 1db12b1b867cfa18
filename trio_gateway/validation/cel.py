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

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from trio_gateway.config.diagnostics import Report
from trio_gateway.namespace import Layer, Level, Namespace, Slot, Where
from trio_gateway.types import ProxyFunction

if TYPE_CHECKING:
    from trio_gateway.plan import EndpointPlan
    from trio_gateway.proxy.backend import BackendCall
    from trio_gateway.validation.cel_engine import Expression

# celpy (and lark, its parser) take ~150 ms to import: `cel_engine` and `cel_proxy` are imported
# only when a configuration has a `validation/cel` block.

__all__ = ["BACKEND_LAYER", "ENDPOINT_LAYER", "NAMESPACE", "CELConfig", "jwt_rejecter"]

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
    from trio_gateway.validation.cel_engine import ExpressionError, compile_expression

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
    from trio_gateway.validation.cel_engine import REQUEST_VARS, RESPONSE_VARS

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


def build_endpoint_layer(next_proxy: ProxyFunction, plan: EndpointPlan, context: Any) -> Any:
    config = plan.extra.get(CELConfig)
    if config is None:
        return None
    from trio_gateway.validation.cel_proxy import CELProxy, compile_phases, endpoint_view

    name = f"[ENDPOINT: {plan.path}][CEL]"
    phases = compile_phases(config.expressions(), f"[ENDPOINT: {plan.path}]")
    if phases is None or not (phases[0].expressions or phases[1].expressions):
        return None
    view = endpoint_view(plan.headers.spellings)
    return CELProxy(next_proxy, phases[0], phases[1], view, name)


def build_backend_layer(
    next_proxy: ProxyFunction, call: BackendCall, plan: EndpointPlan, context: Any
) -> Any:
    config = call.extra.get(CELConfig)
    if config is None:
        return None
    from trio_gateway.validation.cel_proxy import CELProxy, backend_view, compile_phases

    name = f"[BACKEND: {call.url.pattern}][CEL]"
    phases = compile_phases(config.expressions(), f"[BACKEND: {call.url.pattern}]")
    if phases is None or not (phases[0].expressions or phases[1].expressions):
        return None
    view = backend_view(call, plan.headers.spellings)
    return CELProxy(next_proxy, phases[0], phases[1], view, name)


def jwt_rejecter(plan: EndpointPlan) -> Callable[[Mapping[str, Any]], bool] | None:
    """krakend-cel `NewRejecter`: the endpoint's `JWT` expressions, for auth/validator to run
    on a token's claims (True = reject, a 401); None when there are none."""
    config = plan.extra.get(CELConfig)
    if config is None:
        return None
    from trio_gateway.validation.cel_proxy import compile_phases, token_rejecter

    phases = compile_phases(config.expressions(), f"[ENDPOINT: {plan.path}]")
    if phases is None or not phases[2].expressions:
        return None
    return token_rejecter(phases[2], f"[ENDPOINT: {plan.path}][CEL]")


ENDPOINT_LAYER = Layer(
    name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.ENDPOINT_LAYER, build=build_endpoint_layer
)
BACKEND_LAYER = Layer(
    name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.BACKEND_LAYER, build=build_backend_layer
)
