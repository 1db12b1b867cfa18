"""How a request's span follows it through trio tasks, explicitly, and W3C headers in and out.

Go passes the span in the request's `context.Context`; krakend-otel's backend span is the child
of the proxy span because lura hands the same ctx to each backend goroutine. Python has
`contextvars`, and trio does copy them into child tasks: `nursery.start_soon` runs the child in
`contextvars.copy_context()` taken *when start_soon is called*, in the calling task (trio
`_core/_run.py` `spawn_impl`). That would carry a span into a merge's backend tasks, but only by
an accident of timing (a value set after the spawn never arrives, a value left set leaks to the
next request served by the same connection task), so it is not used here.

Instead the span context travels explicitly, two ways:

* with the `Request` object: the proxy stage binds its context to the request it passes on
  (`bind` / `unbind`), and every backend stage of the merge, in whatever task it runs, looks it
  up by that request (`for_request`). A parallel merge hands the same Request to each backend,
  and runs the last one in its own task (proxy/merge.py), so a lookup by task alone would find
  the sibling backend's span there;
* by trio task: each stage records the context it opened against the task it runs in
  (`enter` / `exit`), and a lookup walks from the current task up its parents
  (`task.parent_nursery.parent_task`), so the calls `concurrent_calls` runs in child tasks find
  their backend stage's span, and a request a Python hook rebuilt still finds its proxy span.

A shadow call runs in the lifespan's background nursery: it finds no span and starts a trace of
its own. Nothing is global: each gateway has its carrier, and an entry lives exactly as long as
its layer's call.
"""

from __future__ import annotations

from typing import Any

import trio

__all__ = ["Carrier"]


class Carrier:
    """The span context each trio task of a request is in, by task."""

    __slots__ = ("_by_request", "_by_task")

    def __init__(self) -> None:
        self._by_task: dict[trio.lowlevel.Task, Any] = {}
        self._by_request: dict[int, Any] = {}

    def bind(self, request: object, context: Any) -> None:
        """`context` is the parent of whatever handles `request` (until `unbind`)."""
        self._by_request[id(request)] = context

    def unbind(self, request: object) -> None:
        self._by_request.pop(id(request), None)

    def for_request(self, request: object) -> Any:
        """The context bound to `request`, else the current task's (`current`)."""
        found = self._by_request.get(id(request)) if self._by_request else None
        return found if found is not None else self.current()

    def current(self) -> Any:
        """The innermost context opened in this task or, failing that, in a parent task."""
        by_task = self._by_task
        if not by_task:
            return None
        task: trio.lowlevel.Task | None = trio.lowlevel.current_task()
        while task is not None:
            found = by_task.get(task)
            if found is not None:
                return found
            nursery = task.parent_nursery
            task = nursery.parent_task if nursery is not None else None
        return None

    def enter(self, context: Any) -> tuple[trio.lowlevel.Task, Any]:
        """Make `context` this task's; returns the token `exit` restores from."""
        task = trio.lowlevel.current_task()
        previous = self._by_task.get(task)
        self._by_task[task] = context
        return task, previous

    def exit(self, token: tuple[trio.lowlevel.Task, Any]) -> None:
        task, previous = token
        if previous is None:
            self._by_task.pop(task, None)
        else:
            self._by_task[task] = previous

    def __len__(self) -> int:
        return len(self._by_task)
