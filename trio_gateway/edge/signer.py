"""`auth/signer` endpoints: the backend's answer with `keys_to_sign` turned into JWTs.

The endpoint guards (`auth/validator` among them) run first, as for any endpoint: KrakenD nests
the signer inside the validator.

As KrakenD's `TokenSigner`, it replaces the usual rendering: a proxy error (or no response) is a
400 with an empty body; otherwise the data, signed, as JSON with status 200 and without the
X-Krakend-Completed and Cache-Control headers (spec `jwt_4`). While the signing key cannot be had,
401 with an empty body and no backend call (krakend-jose `erroredHandler`; `JWTSigner.ready`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import trio

import trio_gateway.auth as auth

if TYPE_CHECKING:
    from trio_gateway.auth.signer import JWTSigner
from trio_gateway.edge.endpoint import EdgeOptions, EndpointHandler
from trio_gateway.edge.responses import ASGISend, send_response
from trio_gateway.encoding.render import JSON_CONTENT_TYPE, Renderer, dumps_go
from trio_gateway.plan import EndpointPlan
from trio_gateway.proxy.deadline import call_within
from trio_gateway.stack import EndpointStack
from trio_gateway.types import Request

__all__ = ["SignerHandler"]

LOGGER = logging.getLogger(__name__)


class SignerHandler(EndpointHandler):
    """Serves an endpoint with `auth/signer`."""

    __slots__ = ("_signer",)

    def __init__(self, plan: EndpointPlan, stack: EndpointStack, options: EdgeOptions) -> None:
        super().__init__(plan, stack, options)
        self._signer: JWTSigner = stack.responder

    async def _serve(self, request: Request, send: ASGISend, render: Renderer) -> None:
        # krakend-jose: a signer without its key is `erroredHandler` (401, no backend call)
        started = trio.current_time()
        if not await self._signer.ready(self._plan.timeout):
            await send_response(send, 401, [])
            return
        timeout = self._plan.timeout - (trio.current_time() - started)  # one endpoint deadline
        response, error = await call_within(self._proxy, request, timeout)
        if error is not None:
            LOGGER.info("%s: %s", self._plan.name, error)
        if response is None or response.data is None:
            await send_response(send, 400, [])
            return
        try:
            data = await self._signer.sign(response.data)
        except auth.SignerError as exc:  # krakend-jose `TokenSigner`: one ERROR line, 400
            LOGGER.error("[ENDPOINT: %s][JWTSigner] Signing fields: %s", self._plan.path, exc)
            await send_response(send, 400, [])
            return
        except Exception:  # a signing failure is the operator's key problem: log it, 400
            LOGGER.exception("%s: signing failed", self._plan.name)
            await send_response(send, 400, [])
            return
        headers = [
            (b"x-krakend", self._options.version_header),
            (b"content-type", JSON_CONTENT_TYPE),
        ]
        await send_response(send, 200, headers, dumps_go(data))
