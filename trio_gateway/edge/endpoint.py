"""Serving one matched endpoint: guards -> request -> proxy -> the answer, by KrakenD's rules.

What runs, in which order, is decided by `trio_gateway/stack.py` (the `EndpointStack` this
handler is given); this module only turns it into HTTP: a guard's `Rejection` is sent as it is,
the proxy runs under the endpoint timeout, and its answer is rendered by the output encoding, by
a responder (`auth/signer`), or streamed (`no-op`, edge/noop.py).

Rule 1 (reference §4.2): any response that exists is rendered with 200, even a partial one;
`X-Krakend-Completed: true` only when it is complete *and* has data, and `Cache-Control` only then.
An error with no response is 500 (or the backend's status with `return_error_code`), with the
error text as body only under `router.return_error_msg`.

Rule 2: the whole proxy call runs inside the endpoint timeout and inside a nursery that also
watches the client: a client that disconnects cancels every backend call of its request.
"""

from __future__ import annotations

import logging
from typing import Any

import trio

from trio_gateway.edge.responses import (
    TEXT_PLAIN_UTF8,
    ASGIReceive,
    ASGISend,
    BodyTooLarge,
    read_body,
    send_response,
)
from trio_gateway.encoding import get_renderer, negotiated_renderer
from trio_gateway.encoding.render import Renderer
from trio_gateway.errors import GatewayError
from trio_gateway.headers import first
from trio_gateway.modifier.python import Reject
from trio_gateway.namespace import Admission
from trio_gateway.plan import EndpointPlan
from trio_gateway.proxy.deadline import call_within
from trio_gateway.proxy.request import filter_query, parse_query
from trio_gateway.routing.params import bad_params
from trio_gateway.stack import EndpointStack
from trio_gateway.types import CANCEL_ON_DISCONNECT, Headers, Request, Response

__all__ = ["EdgeOptions", "EndpointHandler", "bad_params"]

LOGGER = logging.getLogger(__name__)


class EdgeOptions:
    """Service-level settings every endpoint handler reads."""

    __slots__ = ("client_ip", "max_body", "path_decoding", "return_error_msg", "version_header")

    def __init__(
        self,
        *,
        version_header: bytes,
        return_error_msg: bool,
        path_decoding: bool,
        client_ip: Any,
        max_body: int = 0,
    ) -> None:
        self.version_header = version_header
        self.return_error_msg = return_error_msg
        self.path_decoding = path_decoding
        self.client_ip = client_ip
        self.max_body = max_body


class EndpointHandler:
    """Serves one endpoint; built once at startup from its plan and its stack."""

    __slots__ = ("_cache_control", "_guards", "_options", "_plan", "_proxy", "_render")

    def __init__(self, plan: EndpointPlan, stack: EndpointStack, options: EdgeOptions) -> None:
        self._plan = plan
        self._guards = stack.guards
        self._proxy = stack.proxy
        self._options = options
        # None for `negotiate`: the renderer is then chosen per request from Accept.
        self._render = (
            None if plan.output_encoding == "negotiate" else get_renderer(plan.output_encoding)
        )
        # lura truncates the TTL to whole seconds.
        self._cache_control = (
            b"public, max-age=%d" % int(plan.cache_ttl) if plan.cache_ttl else None
        )

    @property
    def plan(self) -> EndpointPlan:
        return self._plan

    def build_request(
        self,
        scope: dict[str, Any],
        params: dict[str, str],
        body: bytes,
        client_headers: list[tuple[bytes, bytes]] | None = None,
    ) -> Request:
        plan = self._plan
        if client_headers is None:
            client_headers = scope["headers"]
        client_ip = self._client_ip(scope, client_headers)
        host = first(client_headers, b"host") or b""
        query: list[tuple[str, str]] = []
        if plan.query_strings is None or plan.query_strings:
            query = filter_query(parse_query(scope["query_string"]), plan.query_strings)
        return Request(
            method=scope["method"],
            path=scope["path"],
            params=params,
            query=query,
            headers=plan.headers.build(client_headers, client_ip, host),
            body=body,
        )

    def _client_ip(self, scope: dict[str, Any], headers: Headers) -> str:
        client = scope.get("client")
        resolved: str = self._options.client_ip.resolve(client[0] if client else "", headers)
        return resolved

    async def __call__(
        self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend, params: dict[str, str]
    ) -> None:
        options = self._options
        if params and options.path_decoding:
            problem = bad_params(params)
            if problem is not None:
                await send_response(send, 400, [(b"content-type", TEXT_PLAIN_UTF8)], problem)
                return
        if not self._guards:
            await self._admitted(scope, receive, send, params, scope["headers"])
            return
        admission = Admission(
            scope,
            scope["headers"],
            params,
            options.client_ip,
            send,
            receive=receive,
            max_body=options.max_body,
        )
        try:
            for guard in self._guards:
                rejection = await guard(admission)
                if rejection is not None:
                    await send_response(
                        admission.send, rejection.status, rejection.headers, rejection.body
                    )
                    return
            await self._admitted(
                scope,
                receive,
                admission.send,
                admission.params,
                admission.headers,
                admission.body,
            )
        finally:
            for finish in admission.finishers:
                finish()

    async def _admitted(
        self,
        scope: dict[str, Any],
        receive: ASGIReceive,
        send: ASGISend,
        params: dict[str, str],
        client_headers: Headers,
        read: bytes | None = None,
    ) -> None:
        """The request past its guards: the body (`read`, when a guard read it already), the
        proxy, the answer."""
        options = self._options
        if read is not None:
            body = read
        else:
            try:
                body, disconnected = await read_body(receive, options.max_body)
            except BodyTooLarge:
                await send_response(send, 413, [])
                return
            if disconnected:
                return
        request = self.build_request(scope, params, body, client_headers)
        render = self._render or negotiated_renderer(scope["headers"])
        if CANCEL_ON_DISCONNECT in scope.get("extensions", ()):
            # The server cancels this task when the client leaves: no watcher needed.
            await self._serve(request, send, render)
            return
        client_gone = False

        async def watch_client() -> None:
            nonlocal client_gone
            while (await receive())["type"] != "http.disconnect":
                pass
            client_gone = True
            nursery.cancel_scope.cancel()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(watch_client)
            await self._serve(request, send, render)
            nursery.cancel_scope.cancel()
        if client_gone:
            LOGGER.debug("%s: client went away, backend calls cancelled", self._plan.name)

    async def _serve(self, request: Request, send: ASGISend, render: Renderer) -> None:
        """Run the proxy within the endpoint timeout and answer by KrakenD's rules."""
        response, error = await call_within(self._proxy, request, self._plan.timeout)
        await self._respond(send, response, error, render)

    async def _respond(
        self,
        send: ASGISend,
        response: Response | None,
        error: GatewayError | None,
        render: Renderer,
    ) -> None:
        options = self._options
        headers: Headers = [(b"x-krakend", options.version_header)]
        if response is None:
            assert error is not None
            LOGGER.info("%s: %s", self._plan.name, error)
            headers.append((b"x-krakend-completed", b"false"))
            body = b""
            if isinstance(error, Reject):  # a Python hook's answer: always sent as it is
                headers.extend(error.headers)
                body = error.body
            elif options.return_error_msg:
                body = str(error).encode("utf-8")
                error_type = error.content_type
                headers.append(
                    (
                        b"content-type",
                        error_type.encode("latin-1") if error_type else TEXT_PLAIN_UTF8,
                    )
                )
            await send_response(send, error.status_hint, headers, body)
            return
        if response.error is not None:
            LOGGER.info("%s: partial response: %s", self._plan.name, response.error)
        data = response.data
        if data and response.is_complete:
            headers.append((b"x-krakend-completed", b"true"))
            if self._cache_control is not None:
                headers.append((b"cache-control", self._cache_control))
        else:
            headers.append((b"x-krakend-completed", b"false"))
        if response.headers:
            headers.extend(response.headers)
        content_type, payload = render(data)
        headers.append((b"content-type", content_type))
        await send_response(send, 200, headers, payload)
