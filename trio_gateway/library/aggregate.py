"""`aggregate`: ad-hoc backend calls with the gateway's building blocks, and no config file.

The backends become a one-endpoint `ServiceConfig`, checked as `trio-gateway check` would, compiled
by `compile_plan`, and served by the proxy stack `stack.build_endpoint` builds: the same merge,
sequential `{resp0_...}` chains, `group` / `allow` / `deny` / `mapping` / `target` / flatmap, and
the same timeouts (the endpoint's, with 85 % for the backends of a merge) as an HTTP request gets.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import cattrs

from trio_gateway.config.converter import CONVERTER, ValueProblem
from trio_gateway.config.diagnostics import ConfigError, Diagnostic
from trio_gateway.config.model import (
    BackendConfig,
    EndpointConfig,
    ExtraConfig,
    FlatmapOperation,
    ProxyConfig,
    Seconds,
    ServiceConfig,
)
from trio_gateway.config.structure_errors import structure_issues
from trio_gateway.config.unknown_keys import unknown_key_diagnostics
from trio_gateway.edge.app import make_client
from trio_gateway.errors import GatewayError, MergeError
from trio_gateway.library.config import validate_config
from trio_gateway.plan import compile_plan
from trio_gateway.proxy.deadline import call_within
from trio_gateway.proxy.request import filter_query
from trio_gateway.proxy.shadow import Background
from trio_gateway.stack import BuildContext, build_endpoint
from trio_gateway.transport import HTTPClient
from trio_gateway.types import Request

__all__ = ["AGGREGATE_PATH", "AggregateResult", "aggregate", "aggregate_config"]

LOGGER = logging.getLogger(__name__)

AGGREGATE_PATH = "/aggregate"
"""The path of the one endpoint `aggregate` builds (params follow as `/{name}` segments)."""

_SOURCE = "<aggregate>"


@attrs.frozen(kw_only=True)
class AggregateResult:
    """The merged answer of `aggregate`.

    Attributes:
        data: the merged document (None when no backend produced data).
        complete: True when every backend answered in time.
        errors: what went wrong (a `MergeError` is expanded into its backends' errors).
        status: the status the gateway would answer with: 200 when there is a response, else the
            error's (500 unless `backend/http.return_error_code` applies).
        headers: response headers a backend passed on (`no-op`, `return_error_code`), decoded.
    """

    data: dict[str, Any] | None
    complete: bool
    errors: tuple[GatewayError, ...] = ()
    status: int = 200
    headers: list[tuple[str, str]] = attrs.field(factory=list)


def aggregate_config(
    backends: Sequence[BackendConfig | Mapping[str, Any]],
    *,
    timeout: float = 2.0,
    sequential: bool = False,
    method: str = "GET",
    params: Iterable[str] = (),
    input_headers: Iterable[str] = (),
    input_query_strings: Iterable[str] = (),
    flatmap: Sequence[FlatmapOperation | Mapping[str, Any]] = (),
) -> ServiceConfig:
    """The one-endpoint configuration `aggregate` serves (checked, see `validate_config`).

    Dict backends are JSON-shaped, as in a `krakend.json` `backend` list.

    Raises:
        ConfigError: with the paths of the generated configuration (`$.endpoints[0].backend[i]`).
    """
    structured: list[BackendConfig] = []
    diagnostics: list[Diagnostic] = []
    for index, backend in enumerate(backends):
        if isinstance(backend, BackendConfig):
            structured.append(backend)
            continue
        prefix = f"$.endpoints[0].backend[{index}]"
        try:
            structured.append(CONVERTER.structure(backend, BackendConfig))
        except cattrs.BaseValidationError as exc:
            diagnostics += [_under(prefix, issue.diagnostic()) for issue in structure_issues(exc)]
        except ValueProblem as exc:
            diagnostics.append(Diagnostic("error", prefix, exc.message))
        else:
            wrapper = {"version": 3, "endpoints": [{"endpoint": "/", "backend": [backend]}]}
            diagnostics += unknown_key_diagnostics(wrapper)
    if not backends:
        diagnostics.append(Diagnostic("error", "$.endpoints[0].backend", "no backends to call"))
    if any(d.is_error for d in diagnostics):
        raise ConfigError(diagnostics, _SOURCE)
    for warning in diagnostics:
        LOGGER.warning("%s: %s", _SOURCE, warning)
    operations = tuple(
        op if isinstance(op, FlatmapOperation) else CONVERTER.structure(op, FlatmapOperation)
        for op in flatmap
    )
    proxy = ProxyConfig(sequential=sequential, flatmap_filter=operations)
    path = AGGREGATE_PATH + "".join(f"/{{{name}}}" for name in params)
    endpoint = EndpointConfig(
        endpoint=path,
        method=method.upper(),
        backend=tuple(structured),
        timeout=Seconds(timeout),
        input_headers=tuple(input_headers),
        input_query_strings=tuple(input_query_strings),
        extra_config=ExtraConfig(proxy=proxy),
    )
    service = ServiceConfig(version=3, timeout=Seconds(timeout), endpoints=(endpoint,))
    return validate_config(service, source=_SOURCE).config


async def aggregate(
    backends: Sequence[BackendConfig | Mapping[str, Any]],
    *,
    timeout: float = 2.0,  # noqa: ASYNC109 - the endpoint timeout (config), not a deadline
    sequential: bool = False,
    method: str = "GET",
    params: Mapping[str, str] | None = None,
    query: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    body: bytes = b"",
    flatmap: Sequence[FlatmapOperation | Mapping[str, Any]] = (),
    client: HTTPClient | None = None,
) -> AggregateResult:
    """Call `backends` as one endpoint would and return the merged answer.

    Args:
        backends: `BackendConfig`s or JSON-shaped dicts (`host`, `url_pattern`, `group`,
            `allow`, `mapping`, `target`, `extra_config`, ...).
        timeout: the endpoint timeout, in seconds.
        sequential: call the backends one after the other; backend N may use `{respM_field}`
            placeholders (M < N) filled from the earlier answers.
        method: the endpoint method (backends without a `method` use it).
        params: values for the `{name}` placeholders of the url_patterns.
        query: query parameters forwarded to the backends.
        headers: headers forwarded to the backends.
        body: the request body each backend gets a copy of.
        flatmap: an endpoint-level `flatmap_filter` (applied to a complete merge).
        client: a backend client to use (its pools are kept); by default one is made and closed.

    Raises:
        ConfigError: the backends do not make a valid endpoint.
    """
    params = dict(params or {})
    query_items = list(query.items() if isinstance(query, Mapping) else (query or ()))
    header_items = list(headers.items() if isinstance(headers, Mapping) else (headers or ()))
    service = aggregate_config(
        backends,
        timeout=timeout,
        sequential=sequential,
        method=method,
        params=params,
        input_headers=[name for name, _ in header_items],
        input_query_strings=[name for name, _ in query_items],
        flatmap=flatmap,
    )
    plan = compile_plan(service)
    endpoint = plan.endpoints[0]
    own_client = client is None
    http = make_client(plan) if client is None else client
    try:
        context = BuildContext(
            client=http, background=Background(), client_ip=plan.client_ip, httpx=_no_httpx
        )
        proxy = build_endpoint(endpoint, context).proxy
        client_headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in header_items
        ]
        request = Request(
            method=endpoint.method,
            path=AGGREGATE_PATH,
            params=params,
            query=filter_query(query_items, endpoint.query_strings),
            headers=endpoint.headers.build(client_headers, "127.0.0.1", b""),
            body=body,
        )
        response, error = await call_within(proxy, request, endpoint.timeout)
    finally:
        if own_client:
            http.close()
    if response is None:
        assert error is not None
        failure = error
        return AggregateResult(
            data=None, complete=False, errors=_expand(failure), status=failure.status_hint
        )
    return AggregateResult(
        data=response.data,
        complete=bool(response.data) and response.is_complete,
        errors=_expand(response.error) if response.error is not None else (),
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers or []],
    )


def _expand(error: GatewayError) -> tuple[GatewayError, ...]:
    if isinstance(error, MergeError):
        return error.errors
    return (error,)


def _under(prefix: str, diagnostic: Diagnostic) -> Diagnostic:
    """Re-root a diagnostic found in one backend under its place in the generated config."""
    return attrs.evolve(diagnostic, path=prefix + diagnostic.path.removeprefix("$"))


def _no_httpx() -> Any:
    # aggregate() takes backends only: no JWT block, so nothing fetches JWK sets.
    raise RuntimeError("aggregate() has no JWK client")
