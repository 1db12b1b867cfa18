"""`proxy.static`: data injected into the endpoint's response by strategy (reference §5.3).

The outermost proxy layer in lura: it sees the final `(response, error)` pair of the endpoint,
so `errored` also fires for a partial merge (whose error is set) and `success` does not.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from trio_gateway.errors import GatewayError
from trio_gateway.types import ProxyFunction, Request, Response

__all__ = ["STRATEGIES", "StaticProxy"]

# (response or None, error or None) -> inject?
Strategy = Callable[[Response | None, GatewayError | None], bool]

STRATEGIES: dict[str, Strategy] = {
    "always": lambda response, error: True,
    "success": lambda response, error: error is None,
    "complete": lambda response, error: (
        error is None and response is not None and response.is_complete
    ),
    "errored": lambda response, error: error is not None,
    "incomplete": lambda response, error: response is None or not response.is_complete,
}


class StaticProxy:
    """Wrap the endpoint's proxy and inject `data` when the strategy says so."""

    __slots__ = ("_data", "_next", "_strategy")

    def __init__(self, next_proxy: ProxyFunction, strategy: str, data: Mapping[str, Any]) -> None:
        self._next = next_proxy
        # lura falls back to "always" for a missing or unknown strategy (check warns about it).
        self._strategy = STRATEGIES.get(strategy, STRATEGIES["always"])
        self._data = dict(data)

    async def __call__(self, request: Request) -> Response:
        response: Response | None
        error: GatewayError | None
        try:
            response = await self._next(request)
        except GatewayError as exc:
            response, error = None, exc
        else:
            error = response.error
        if not self._strategy(response, error):
            if response is None:
                assert error is not None
                raise error
            return response
        if response is None:
            response = Response(data={}, is_complete=False, error=error)
        elif response.data is None:
            response.data = {}
        # Copies: the same static data serves every request, and later layers may change it.
        assert response.data is not None
        response.data.update(copy.deepcopy(self._data))
        return response
