"""How a span context follows a request through trio tasks (telemetry/otel_carrier.py)."""

from __future__ import annotations

import trio

from trio_gateway.telemetry.otel_carrier import Carrier


async def test_child_tasks_find_their_parents_context_and_nothing_leaks() -> None:
    carrier = Carrier()
    outer, inner = object(), object()
    seen: list[object | None] = []

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
    assert carrier.current() is None


async def test_a_sibling_entered_in_the_parent_task_is_not_the_others_parent() -> None:
    # proxy/merge.py runs the last backend in the merge's own task, after starting the others:
    # the span its stage sets there must not become the parent of the other backends.
    carrier = Carrier()
    proxy, sibling = object(), object()
    found: list[object | None] = []
    started = trio.Event()
    done = trio.Event()

    async def other_backend() -> None:
        started.set()
        await trio.lowlevel.checkpoint()
        found.append(carrier.current())
        done.set()

    token = carrier.enter(proxy)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(other_backend)
        last = carrier.enter(sibling)  # the last backend, in this task, before the others run
        await done.wait()  # the other backend runs while this one is still in flight
        assert carrier.current() is sibling
        carrier.exit(last)
    carrier.exit(token)
    assert started.is_set() and found == [proxy]


async def test_two_carriers_do_not_meet_and_a_failure_still_restores() -> None:
    first, second = Carrier(), Carrier()
    token = first.enter("a")
    assert second.current() is None
    try:
        inner = first.enter("b")
        try:
            raise ValueError("the layer's call failed")
        finally:
            first.exit(inner)
    except ValueError:
        pass
    assert first.current() == "a"
    first.exit(token)
    assert first.current() is None
