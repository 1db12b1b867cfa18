"""`qos/circuit-breaker` (backend): sony/gobreaker v2's state machine, as KrakenD configures it.

Rule 1: every state change is a row of `_TRANSITIONS` and goes through `CircuitBreaker._fire`.

Theory of operation. A breaker lives in *generations*: each state change, and in CLOSED each
elapsed `interval`, starts a new one with zeroed counts. `before_call` returns the generation a
call was admitted in, and a result reported for an older generation is ignored, so a slow call
sent before the trip can neither close a half-open breaker nor free its probe slot. Time is
always passed in (`now`, trio's clock): OPEN becomes HALF_OPEN lazily, the first time the
breaker is looked at strictly more than `timeout` seconds after it opened (gobreaker's
`expiry.Before(now)`). KrakenD's settings: `ReadyToTrip` is `ConsecutiveFailures > max_errors`,
`MaxRequests` is 1 (one half-open probe), and only `context.Canceled` is excluded from counting.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs
import trio

from trio_gateway.errors import BackendError
from trio_gateway.namespace import Layer, Level, Namespace, Observed, Slot
from trio_gateway.types import ProxyFunction, Request, Response

__all__ = ["BreakerStatistics", "CircuitBreaker", "CircuitBreakerProxy", "CircuitOpen", "State"]

if TYPE_CHECKING:
    from trio_gateway.plan import EndpointPlan
    from trio_gateway.proxy.backend import BackendCall

LOGGER = logging.getLogger(__name__)

# gobreaker's defaultTimeout: KrakenD passes `timeout: 0` through, so 0 means one minute open.
DEFAULT_TIMEOUT: Final = 60.0
# KrakenD leaves MaxRequests at 0, which gobreaker turns into 1: one probe at a time.
_MAX_PROBES: Final = 1
# KrakenD compares with `uint32(cfg.MaxErrors)`: a negative max_errors wraps and never trips.
_UINT32: Final = 1 << 32
_OPEN_MESSAGE: Final = "circuit breaker is open"  # gobreaker.ErrOpenState
_TOO_MANY_MESSAGE: Final = "too many requests"  # gobreaker.ErrTooManyRequests
# krakend-circuitbreaker's OnStateChange, logged at WARNING when `log_status_change`.
_LOG_LINE: Final = "[CB] Circuit breaker named '%s' went from '%s' to '%s'"


class CircuitOpen(BackendError):
    """The breaker refused the call without sending it: `circuit breaker is open`, or
    `too many requests` when a half-open breaker already has its probe out. A plain backend
    error for the client (500), as in KrakenD."""


class State(enum.Enum):
    """A breaker's state; the values are gobreaker's `State.String()`, used in the log line."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class _Event(enum.Enum):
    TRIP = enum.auto()  # a CLOSED failure that makes consecutive failures exceed max_errors
    TIMEOUT = enum.auto()  # OPEN for more than `timeout` seconds, noticed at the next look
    SUCCESS = enum.auto()  # a call of this generation succeeded
    FAILURE = enum.auto()  # a call of this generation failed (below the threshold in CLOSED)


# state -> event -> next state; a missing entry means "no state change". The CLOSED interval
# reset is not here: it renews the generation without changing state (and logs nothing).
_TRANSITIONS: Final[Mapping[State, Mapping[_Event, State]]] = {
    State.CLOSED: {_Event.TRIP: State.OPEN},
    State.OPEN: {_Event.TIMEOUT: State.HALF_OPEN},
    State.HALF_OPEN: {_Event.SUCCESS: State.CLOSED, _Event.FAILURE: State.OPEN},
}


@attrs.frozen(kw_only=True)
class BreakerStatistics:
    """A snapshot of one breaker, from `CircuitBreaker.statistics`."""

    name: str
    """The configured `name` ("" when unset), as in the log line."""
    state: State
    """The state at the time of the snapshot (OPEN already turned HALF_OPEN if due)."""
    consecutive_failures: int
    """Failures in a row in the current generation: the breaker trips when above max_errors."""
    consecutive_successes: int
    """Successes in a row in the current generation."""
    total_requests: int
    """Calls let through since the breaker was built."""
    total_failures: int
    """Failures reported since the breaker was built, stale generations included."""
    total_successes: int
    """Successes reported since the breaker was built, stale generations included."""
    total_abandoned: int
    """Calls reported abandoned (cancelled, not by a deadline): neither success nor failure."""
    rejected: int
    """Calls refused with `CircuitOpen` since the breaker was built."""
    last_change: float | None
    """Time of the last state change, or None if the breaker has always been CLOSED."""


class CircuitBreaker:
    """One backend's breaker. Not thread-safe; trio needs no lock (no method awaits)."""

    def __init__(
        self,
        *,
        name: str = "",
        interval: float = 0,
        timeout: float = 0,
        max_errors: int = 0,
        log_status_change: bool = False,
        now: float | None = None,
    ) -> None:
        """Build a breaker (`from_config` is the usual way in).

        Args:
            name: Used in the log line only.
            interval: Seconds after which CLOSED counts reset; <= 0 never resets.
            timeout: Seconds OPEN before HALF_OPEN; <= 0 means `DEFAULT_TIMEOUT`.
            max_errors: Trip on the (max_errors + 1)-th consecutive failure.
            log_status_change: Log every state change at WARNING.
            now: Start of the first interval; None starts it at the first look at the breaker.
        """
        self.name = name
        self._interval = max(float(interval), 0.0)
        self._timeout = float(timeout) if timeout > 0 else DEFAULT_TIMEOUT
        self._max_errors = max_errors % _UINT32
        self._log = log_status_change
        self._state = State.CLOSED
        self._generation = 0
        self._expiry: float | None = None  # CLOSED: next count reset; OPEN: half-open time
        self._last_change: float | None = None
        self._total_requests = self._total_failures = self._total_successes = 0
        self._total_abandoned = self._rejected = 0
        self._requests = self._exclusions = self._successes_in_row = self._failures_in_row = 0
        if now is not None:
            self._new_generation(now)

    @classmethod
    def from_config(
        cls, config: CircuitBreakerConfig, *, now: float | None = None
    ) -> CircuitBreaker | None:
        """The breaker for `config`, or None for the all-zero config (KrakenD installs nothing)."""
        if config == CircuitBreakerConfig():
            return None
        return cls(**attrs.asdict(config), now=now)

    @property
    def state(self) -> State:
        """The stored state, without looking at the clock: use `current_state(now)` for the
        state a call would meet (an OPEN breaker past its timeout is HALF_OPEN there)."""
        return self._state

    @property
    def rejected(self) -> int:
        """Calls refused so far: a plain read, safe from any thread (telemetry's exporters)."""
        return self._rejected

    def current_state(self, now: float) -> State:
        """The state at `now`, applying a due OPEN → HALF_OPEN change or CLOSED count reset."""
        if self._expiry is None:
            if self._state is State.CLOSED and self._interval:
                self._expiry = now + self._interval  # the first look starts the first interval
        elif now > self._expiry:
            if self._state is State.CLOSED:
                self._new_generation(now)
            else:
                self._fire(_Event.TIMEOUT, now)
        return self._state

    def before_call(self, now: float) -> int:
        """Admit one call, or raise.

        Returns:
            The generation to hand back to `on_success` / `on_failure` / `on_abandon`.

        Raises:
            CircuitOpen: OPEN ("circuit breaker is open"), or HALF_OPEN with the probe already
                out ("too many requests").
        """
        state = self.current_state(now)
        if state is State.OPEN:
            self._rejected += 1
            raise CircuitOpen(_OPEN_MESSAGE)
        if state is State.HALF_OPEN and self._requests - self._exclusions >= _MAX_PROBES:
            self._rejected += 1
            raise CircuitOpen(_TOO_MANY_MESSAGE)
        self._requests += 1
        self._total_requests += 1
        return self._generation

    def on_success(self, now: float, *, generation: int | None = None) -> None:
        """Report a call that succeeded; `generation` None means the current one."""
        self._total_successes += 1
        if self._settle(now, generation):
            self._successes_in_row += 1
            self._failures_in_row = 0
            self._fire(_Event.SUCCESS, now)

    def on_failure(self, now: float, *, generation: int | None = None) -> None:
        """Report a call that failed; `generation` None means the current one."""
        self._total_failures += 1
        if self._settle(now, generation):
            self._failures_in_row += 1
            self._successes_in_row = 0
            tripped = self._state is State.CLOSED and self._failures_in_row > self._max_errors
            self._fire(_Event.TRIP if tripped else _Event.FAILURE, now)

    def on_abandon(self, now: float, *, generation: int | None = None) -> None:
        """Report a call cancelled without a result: counts nothing, frees a half-open probe."""
        self._total_abandoned += 1
        if self._settle(now, generation):
            self._exclusions += 1

    def statistics(self, now: float) -> BreakerStatistics:
        """A frozen snapshot at `now` (which may apply a due state change, as `current_state`)."""
        return BreakerStatistics(
            name=self.name,
            state=self.current_state(now),
            consecutive_failures=self._failures_in_row,
            consecutive_successes=self._successes_in_row,
            total_requests=self._total_requests,
            total_failures=self._total_failures,
            total_successes=self._total_successes,
            total_abandoned=self._total_abandoned,
            rejected=self._rejected,
            last_change=self._last_change,
        )

    def _settle(self, now: float, generation: int | None) -> bool:
        # gobreaker's afterRequest: drop results of older generations; OPEN counts nothing.
        state = self.current_state(now)
        current = generation is None or generation == self._generation
        return current and state is not State.OPEN

    def _fire(self, event: _Event, now: float) -> None:
        new = _TRANSITIONS[self._state].get(event)
        if new is None:
            return
        old, self._state = self._state, new
        self._last_change = now
        self._new_generation(now)
        if self._log:
            LOGGER.warning(_LOG_LINE, self.name, old.value, new.value)

    def _new_generation(self, now: float) -> None:
        self._generation += 1
        self._requests = self._exclusions = self._successes_in_row = self._failures_in_row = 0
        if self._state is State.OPEN:
            self._expiry = now + self._timeout
        elif self._state is State.CLOSED and self._interval:
            self._expiry = now + self._interval
        else:
            self._expiry = None


def _deadline_expired(exc: BaseException) -> bool:
    # Go tells a parent's cancel (context.Canceled, excluded) from a deadline (DeadlineExceeded,
    # a failure); trio ≥ 0.31 records which in `Cancelled.source`. Inner nurseries wrap Cancelled.
    if isinstance(exc, trio.Cancelled):
        return getattr(exc, "source", "unknown") == "deadline"
    if isinstance(exc, BaseExceptionGroup):
        return all(_deadline_expired(inner) for inner in exc.exceptions)
    return False


class CircuitBreakerProxy:
    """The backend layer: refuse calls the breaker refuses, report every outcome to it.

    Error handling:
        Any `Exception` from the next proxy is a failure (gobreaker also counts panics). A
        cancellation by an expired deadline is a failure too (Go's `context deadline
        exceeded`); any other cancellation (client gone, a concurrent sibling won) is abandoned:
        counted as nothing, probe slot freed. Everything is re-raised unchanged.
    """

    __slots__ = ("_breaker", "_next")

    def __init__(self, next_proxy: ProxyFunction, breaker: CircuitBreaker) -> None:
        self._next = next_proxy
        self._breaker = breaker

    async def __call__(self, request: Request) -> Response:
        breaker = self._breaker
        generation = breaker.before_call(trio.current_time())
        try:
            response = await self._next(request)
        except Exception:
            breaker.on_failure(trio.current_time(), generation=generation)
            raise
        except BaseException as exc:
            if _deadline_expired(exc):
                breaker.on_failure(trio.current_time(), generation=generation)
            else:
                breaker.on_abandon(trio.current_time(), generation=generation)
            raise
        else:
            breaker.on_success(trio.current_time(), generation=generation)
            return response


@attrs.frozen(kw_only=True)
class CircuitBreakerConfig:
    """`extra_config."qos/circuit-breaker"` (backend). Times are whole seconds, as in KrakenD."""

    NAMESPACE: ClassVar[str] = "qos/circuit-breaker"

    interval: int = 0
    timeout: int = 0  # 0 = gobreaker's default of 60 s
    max_errors: int = 0
    name: str = ""
    log_status_change: bool = False


NAMESPACE = Namespace(
    name="qos/circuit-breaker",
    levels=frozenset({Level.BACKEND}),
    config=CircuitBreakerConfig,
    aliases=("github.com/devopsfaith/krakend-circuitbreaker/gobreaker",),
)


def build_layer(
    next_proxy: ProxyFunction, call: BackendCall, endpoint: EndpointPlan, context: Any
) -> ProxyFunction | None:
    config = call.extra.get(CircuitBreakerConfig)
    breaker = None if config is None else CircuitBreaker.from_config(config)
    if breaker is None:
        return None
    resources = getattr(context, "resources", None)
    if resources is not None:  # its refusals, for telemetry (namespace.Observed)
        resources.observe(
            Observed(
                kind=NAMESPACE.name,
                read=lambda: breaker.rejected,
                source=breaker,
                endpoint=endpoint,
                backend=call,
            )
        )
    return CircuitBreakerProxy(next_proxy, breaker)


LAYER = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.BACKEND_LAYER, build=build_layer)
