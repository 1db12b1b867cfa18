"""How a request's span follows it through trio tasks: a context variable of each gateway.

Go passes the span in the request's `context.Context`; krakend-otel's backend span is the child
of the proxy span because lura hands the same ctx to each backend goroutine. Python's
`contextvars` are the same thing for trio: `nursery.start_soon` runs the child in
`contextvars.copy_context()` taken when start_soon is called, in the calling task (trio
`_core/_run.py` `spawn_impl`), exactly as a goroutine gets the ctx it was started with. So:

* each stage sets its span as the current context for what it calls (`enter`) and restores the
  previous one when its call ends, however it ends (`exit`, from a `finally`): nothing outlives
  the layer's call, and the next request served by the same task starts from nothing;
* a parallel merge (proxy/merge.py) starts its backend tasks inside the proxy stage, so each
  copies the proxy span; the last backend runs in the merge's own task, and the span its stage
  sets there was set after the others were started: they never see it;
* `concurrent_calls` (proxy/concurrent.py) starts its attempts inside the backend stage, so they
  find the backend span, and a request a Python hook rebuilt still finds its proxy span;
* a shadow call is started inside the request and runs in the lifespan's background nursery:
  it keeps the proxy span as its parent, as lura's shadow proxy keeps the ctx's values
  (`newContextWrapper`) while dropping its cancellation.

Each gateway has its own variable: two gateways in one process (tests, the library) do not
meet. Setting and resetting a context variable is a C call, cheaper than any bookkeeping by
task (benchmarks/bench_telemetry.py).
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

__all__ = ["Carrier"]


class Carrier:
    """The span context current in each trio task of a gateway's requests."""

    __slots__ = ("_current",)

    def __init__(self) -> None:
        self._current: ContextVar[Any] = ContextVar("trio_gateway.otel.span", default=None)

    def current(self) -> Any:
        """The innermost context a stage of this task (or of the task that started it) set."""
        return self._current.get()

    def enter(self, context: Any) -> Token[Any]:
        """Make `context` current for what this task runs and starts; `exit` restores."""
        return self._current.set(context)

    def exit(self, token: Token[Any]) -> None:
        self._current.reset(token)
