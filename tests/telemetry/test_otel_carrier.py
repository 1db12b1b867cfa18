"""How a span context follows a request through trio tasks (telemetry/otel_carrier.py)."""

from __future__ import annotations

import trio
import trio.lowlevel
from opentelemetry.context import Context

from trio_gateway.telemetry.otel_carrier import Carrier


async def test_child_tasks_find_their_parents_context_and_nothing_leaks() -> None:
    carrier = Carrier()
    outer, inner = Context({"k": 1}), Context({"k": 2})
    seen: list[Context | None] = []

    async def child() -> None:
        seen.append(carrier.current())
        async with trio.open_nursery() as grand:
            grand.start_soon(grandchild)

    async def grandchild() -> None:
        seen.append(carrier.current())

    token = carrier.enter(outer)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(child)
    nested = carrier.enter(inner)
    assert carrier.current() is inner
    carrier.exit(nested)
    assert carrier.current() is outer  # restored, not dropped
    carrier.exit(token)
    assert seen == [outer, outer]
    assert carrier.current() is None and len(carrier) == 0


async def test_a_context_bound_to_a_request_wins_over_the_task() -> None:
    # proxy/merge.py runs the last backend in the merge's own task: a sibling's backend span
    # entered there must not become the parent of the other backends.
    carrier = Carrier()
    proxy, sibling = Context({"s": "proxy"}), Context({"s": "sibling"})
    request, another = object(), object()
    found: list[Context | None] = []
    done = trio.Event()

    async def other_backend() -> None:
        found.append(carrier.for_request(request))
        found.append(carrier.for_request(another))  # another request: the task's context
        done.set()

    token = carrier.enter(proxy)
    carrier.bind(request, proxy)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(other_backend)
        last = carrier.enter(sibling)  # the last backend, in this task, before the others run
        await done.wait()  # the other backend runs while this one is still in flight
        carrier.exit(last)
    carrier.unbind(request)
    carrier.exit(token)
    assert found == [proxy, sibling]
    assert carrier.for_request(request) is None
