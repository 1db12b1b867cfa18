"""`validation/json-schema`: the request body checked against a JSON schema before any backend
is called (krakend-jsonschema, KrakenD CE 2.13: `ProxyFactory`, in the proxy pipe inside the
endpoint CEL checks and outside the shadow backends, krakend-ce `proxy_factory.go`).

The namespace's value **is** the schema. KrakenD's answers, all **400**, with the text as the
body only under `router.return_error_msg` (text/plain; else an empty body):

* an empty body (any GET): `could not validate an empty body`;
* a body that is not one JSON value: Go's `json.Unmarshal` error (`invalid character 'x'
  looking for beginning of value`, `unexpected end of JSON input`, ...; json_body.py);
* a body the schema refuses: `jsonschema validation failed with '<schema URL>'` and one line per
  error (schema_errors.py).

A valid body reaches the backends byte for byte as the client sent it (the gateway re-sends the
bytes it read, bounded by the service's body limit: 413 past it).

Beyond KrakenD: `"x-detailed-errors": true` in the schema (a keyword JSON Schema ignores, and so
does KrakenD) answers the 400 with the errors even without `return_error_msg`, as JSON Schema's
"basic" output: `{"valid": false, "errors": [{"keywordLocation", "instanceLocation",
"error"}...]}`, `Content-Type: application/json`.

Differences on purpose: a schema KrakenD cannot compile (unknown type, bad `$ref`, unknown
`$schema`) makes KrakenD log an error and serve the endpoint **without** validation; `check`
reports it at its JSON path and `run` refuses to start (fail closed).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, ClassVar

from trio_gateway.config.diagnostics import Report
from trio_gateway.errors import ClientError, GatewayError
from trio_gateway.modifier.python import Reject
from trio_gateway.namespace import Layer, Level, Namespace, Slot, Where
from trio_gateway.types import ProxyFunction, Request, Response

if TYPE_CHECKING:
    from trio_gateway.plan import EndpointPlan
    from trio_gateway.validation.schema_engine import CompiledSchema

# jsonschema and fastjsonschema take ~100 ms to import: the engine is imported only when a
# configuration has a `validation/json-schema` block.

__all__ = [
    "LAYER",
    "NAMESPACE",
    "JSONSchemaConfig",
    "JSONSchemaProxy",
    "SchemaValidationError",
]

LOGGER = logging.getLogger(__name__)


class JSONSchemaConfig:
    """`extra_config."validation/json-schema"` (endpoint): the schema itself, as written."""

    NAMESPACE: ClassVar[str] = "validation/json-schema"
    JSON_SCHEMA: ClassVar[dict[str, Any]] = {"type": ["object", "boolean"]}

    __slots__ = ("schema",)

    def __init__(self, schema: Any) -> None:
        self.schema = schema

    @classmethod
    def from_json(cls, value: Any) -> JSONSchemaConfig:
        """Any JSON is accepted here; `check` says what KrakenD's library would refuse."""
        return cls(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JSONSchemaConfig) and other.schema == self.schema

    def __hash__(self) -> int:
        return hash(json.dumps(self.schema, sort_keys=True, default=str))

    def __repr__(self) -> str:
        return f"JSONSchemaConfig({self.schema!r})"


_NOT_SERVED = "KrakenD logs it and serves the endpoint without validation; trio-gateway refuses it"


def check(config: JSONSchemaConfig, where: Where, report: Report) -> None:
    from trio_gateway.validation.schema_engine import schema_problems

    for path, message in schema_problems(config.schema):
        report.error((*where.path, *path), message, _NOT_SERVED)
    endpoint = where.endpoint
    if endpoint is not None and endpoint.method.upper() in ("GET", "HEAD", "DELETE", "OPTIONS"):
        report.warning(
            where.path,
            f"a {endpoint.method.upper()} request usually has no body: KrakenD answers 400"
            ' ("could not validate an empty body") to every request without one',
        )


NAMESPACE = Namespace(
    name="validation/json-schema",
    levels=frozenset({Level.ENDPOINT}),
    config=JSONSchemaConfig,
    aliases=("github.com/devopsfaith/krakend-jsonschema",),
    check=check,
)


class SchemaValidationError(ClientError):
    """krakend-jsonschema's `validationError` / `malformedError`: 400, text as the body only
    under `return_error_msg`."""


class _Unusable(GatewayError):
    """A schema that did not compile when the gateway was started without `check`."""


class JSONSchemaProxy:
    """Checks the body, then calls the rest of the pipe with the request unchanged."""

    __slots__ = ("_next", "_schema")

    def __init__(self, next_proxy: ProxyFunction, schema: CompiledSchema) -> None:
        self._next = next_proxy
        self._schema = schema

    async def __call__(self, request: Request) -> Response:
        failure = self._schema.check(request.body)
        if failure is None:
            return await self._next(request)
        if self._schema.detailed:
            from trio_gateway.validation.schema_errors import basic_output

            body = json.dumps(basic_output(failure.items), ensure_ascii=False).encode()
            raise Reject(400, body, [(b"content-type", b"application/json")])
        raise SchemaValidationError(failure.text)


class _RefuseAll:
    __slots__ = ("_message",)

    def __init__(self, message: str) -> None:
        self._message = message

    async def __call__(self, request: Request) -> Response:
        raise _Unusable(self._message)


def build_layer(next_proxy: ProxyFunction, plan: EndpointPlan, context: Any) -> Any:
    config = plan.extra.get(JSONSchemaConfig)
    if config is None:
        return None
    from trio_gateway.validation.schema_engine import CompiledSchema

    try:
        compiled = CompiledSchema.compile(config.schema)
    except Exception as exc:  # only when started without `check`, which refuses it
        LOGGER.error("[ENDPOINT: %s][JSONSchema] Parsing the definition: %s", plan.path, exc)
        return _RefuseAll(f"invalid JSON schema: {exc}")
    return JSONSchemaProxy(next_proxy, compiled)


LAYER = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.ENDPOINT_LAYER, build=build_layer)
