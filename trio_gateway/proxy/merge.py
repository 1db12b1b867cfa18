"""Calling several backends for one endpoint and combining their answers (reference §4.1).

Each backend call runs in its own task of one nursery, all under one `move_on_after` scope with 85 %
of the endpoint timeout, as lura's `parallelMerge` runs them all under one `context.WithTimeout`; a
slow backend gives a partial response, it never stalls the others. Answers are merged shallowly in
arrival order (a later arrival overwrites top-level keys), and the result is complete only if every
backend answered completely.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import trio

from trio_gateway.errors import BackendTimeout, GatewayError, MergeError
from trio_gateway.types import ProxyFunction, Request, Response

__all__ = ["ParallelMerge", "combine"]

LOGGER = logging.getLogger(__name__)

# lura: serviceTimeout = 85 * timeout / 100
MERGE_TIMEOUT_SHARE = 0.85


def combine(parts: Sequence[Response], expected: int, errors: Sequence[GatewayError]) -> Response:
    """lura's `combineData`: shallow merge in the given order; complete if all arrived whole."""
    merged: dict[str, Any] = {}
    complete = len(parts) == expected and not errors
    for part in parts:
        if part.data is None:
            complete = False
            continue
        if not part.is_complete:
            complete = False
        merged.update(part.data)
    return Response(
        data=merged, is_complete=complete, error=MergeError(list(errors)) if errors else None
    )


class ParallelMerge:
    """Fan a request out to every backend at once; return whatever arrived in time."""

    __slots__ = ("_backends", "_names", "_timeout")

    def __init__(
        self, backends: Sequence[ProxyFunction], names: Sequence[str], timeout: float
    ) -> None:
        self._backends = tuple(backends)
        self._names = tuple(names)
        self._timeout = timeout * MERGE_TIMEOUT_SHARE

    async def __call__(self, request: Request) -> Response:
        arrived: list[Response] = []
        errors: list[GatewayError] = []
        backends = self._backends
        finished = [False] * len(backends)

        async def call_one(index: int) -> None:
            try:
                arrived.append(await backends[index](request))
            except GatewayError as exc:
                LOGGER.debug("backend %s failed: %s", self._names[index], exc)
                errors.append(exc)
            finished[index] = True

        last = len(backends) - 1
        # One scope for every call (lura: one localCtx): one deadline to register, not one each.
        with trio.move_on_after(self._timeout) as scope:
            async with trio.open_nursery() as nursery:
                for index in range(last):
                    nursery.start_soon(call_one, index)
                # The last call runs in this task: one task spawn fewer, same concurrency.
                await call_one(last)
        if scope.cancelled_caught:
            errors += [BackendTimeout("context deadline exceeded") for done in finished if not done]
        if not arrived:
            raise MergeError(errors)
        return combine(arrived, len(backends), errors)
