"""The circuit breaker: gobreaker's state machine with KrakenD's settings (reference §5)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import attrs
import pytest
import trio
import trio.testing

from trio_gateway.errors import BackendError, BackendUnavailable
from trio_gateway.qos.circuit_breaker import (
    BreakerStatistics,
    CircuitBreaker,
    CircuitBreakerConfig,
    CircuitBreakerProxy,
    CircuitOpen,
    State,
)
from trio_gateway.types import Request, Response

OPEN = "circuit breaker is open"
TOO_MANY = "too many requests"
CLOSED_, OPEN_, HALF = State.CLOSED, State.OPEN, State.HALF_OPEN

# --- a tiny script language for the breaker: one tuple per step -------------------------------
# ("send", t, call)           before_call(t) must admit; remember the call's generation
# ("ok" | "fail" | "abandon", t, call)   report the outcome of a sent call
# ("OK" | "FAIL", t, None)    a whole call at t: send and report at once
# ("reject", t, message)      before_call(t) must raise CircuitOpen(message)
# ("state", t, state)         current_state(t)
# ("failures", t, n)          statistics(t).consecutive_failures
Step = tuple[str, float, object]


def play(breaker: CircuitBreaker, steps: Sequence[Step]) -> None:
    calls: dict[object, int] = {}
    for number, (op, now, arg) in enumerate(steps):
        where = f"step {number}: {(op, now, arg)}"
        if op == "send":
            calls[arg] = breaker.before_call(now)
        elif op in ("ok", "fail", "abandon"):
            report = {"ok": breaker.on_success, "fail": breaker.on_failure}.get(
                op, breaker.on_abandon
            )
            report(now, generation=calls.pop(arg))
        elif op in ("OK", "FAIL"):
            generation = breaker.before_call(now)
            report = breaker.on_success if op == "OK" else breaker.on_failure
            report(now, generation=generation)
        elif op == "reject":
            with pytest.raises(CircuitOpen) as caught:
                breaker.before_call(now)
            assert str(caught.value) == arg, where
        elif op == "state":
            assert breaker.current_state(now) is arg, where
        elif op == "failures":
            assert breaker.statistics(now).consecutive_failures == arg, where
        else:  # pragma: no cover - a typo in a table
            raise AssertionError(f"unknown op {op!r}")


def fails(*times: float) -> list[Step]:
    return [("FAIL", t, None) for t in times]


SCENARIOS: dict[str, tuple[dict[str, float], list[Step]]] = {
    "stays closed at max_errors failures": (
        {"max_errors": 2},
        [*fails(0, 1), ("state", 2, CLOSED_), ("failures", 2, 2), ("OK", 3, None)],
    ),
    "opens on the (max_errors+1)-th consecutive failure": (
        {"max_errors": 2},
        [*fails(0, 1, 2), ("state", 2, OPEN_), ("reject", 3, OPEN)],
    ),
    "max_errors 0 opens on the first failure": (
        {"max_errors": 0},
        [*fails(0), ("state", 0, OPEN_)],
    ),
    "a success resets the consecutive failures": (
        {"max_errors": 2},
        [
            *fails(0, 1),
            ("OK", 2, None),
            *fails(3, 4),
            ("state", 4, CLOSED_),
            ("failures", 4, 2),
            *fails(5),
            ("state", 5, OPEN_),
        ],
    ),
    "open rejects until strictly after the timeout": (
        {"timeout": 10},
        [*fails(0), ("reject", 5, OPEN), ("reject", 10, OPEN), ("state", 10.5, HALF)],
    ),
    "timeout 0 means 60 s": (
        {"timeout": 0},
        [*fails(0), ("reject", 59, OPEN), ("reject", 60, OPEN), ("state", 60.5, HALF)],
    ),
    "a negative timeout means 60 s": (
        {"timeout": -5},
        [*fails(0), ("reject", 30, OPEN), ("state", 60, OPEN_), ("state", 61, HALF)],
    ),
    "half-open probe success closes": (
        {"timeout": 10},
        [
            *fails(0),
            ("OK", 11, None),
            ("state", 11, CLOSED_),
            ("failures", 11, 0),
            ("OK", 12, None),
            *fails(13),
            ("state", 13, OPEN_),
        ],
    ),
    "half-open probe failure reopens with a fresh timeout": (
        {"timeout": 10},
        [*fails(0, 11), ("state", 11, OPEN_), ("reject", 21, OPEN), ("state", 21.5, HALF)],
    ),
    "half-open lets exactly one probe out": (
        {"timeout": 10},
        [
            *fails(0),
            ("send", 11, "probe"),
            ("reject", 11.5, TOO_MANY),
            ("reject", 12, TOO_MANY),
            ("ok", 13, "probe"),
            ("state", 13, CLOSED_),
            ("OK", 13, None),
        ],
    ),
    "interval resets the closed counts": (
        {"max_errors": 1, "interval": 30},
        [
            *fails(0, 31),
            ("state", 31, CLOSED_),
            ("failures", 31, 1),
            *fails(32),
            ("state", 32, OPEN_),
        ],
    ),
    "interval resets only strictly after it elapsed": (
        {"max_errors": 1, "interval": 30},
        [*fails(0, 30), ("state", 30, OPEN_)],
    ),
    "interval 0 never resets": (
        {"max_errors": 1, "interval": 0},
        [*fails(0, 10_000), ("state", 10_000, OPEN_)],
    ),
    "abandon in closed counts nothing and resets nothing": (
        {"max_errors": 1},
        [
            *fails(0),
            ("send", 1, "a"),
            ("abandon", 2, "a"),
            ("failures", 2, 1),
            ("state", 2, CLOSED_),
            *fails(3),
            ("state", 3, OPEN_),
        ],
    ),
    "abandon releases the half-open probe slot": (
        {"timeout": 10},
        [
            *fails(0),
            ("send", 11, "p"),
            ("reject", 11, TOO_MANY),
            ("abandon", 12, "p"),
            ("state", 12, HALF),
            ("send", 13, "q"),
            ("ok", 14, "q"),
            ("state", 14, CLOSED_),
        ],
    ),
    "a stale success cannot close a half-open breaker": (
        {"timeout": 10},
        [
            ("send", 0, "slow"),
            *fails(1),
            ("send", 12, "probe"),
            ("ok", 13, "slow"),
            ("state", 13, HALF),
            ("reject", 13, TOO_MANY),
            ("fail", 14, "probe"),
            ("state", 14, OPEN_),
        ],
    ),
    "a stale abandon cannot free the probe slot": (
        {"timeout": 10},
        [
            ("send", 0, "slow"),
            *fails(1),
            ("send", 12, "probe"),
            ("abandon", 13, "slow"),
            ("reject", 13, TOO_MANY),
        ],
    ),
    "a failure from before an interval reset is ignored": (
        {"max_errors": 0, "interval": 30},
        [("send", 0, "slow"), ("OK", 31, None), ("fail", 32, "slow"), ("state", 32, CLOSED_)],
    ),
    "a negative max_errors never trips (Go's uint32 wrap)": (
        {"max_errors": -1},
        [*fails(*range(50)), ("state", 50, CLOSED_), ("failures", 50, 50)],
    ),
}


@pytest.mark.parametrize("settings, steps", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_transitions(settings: dict[str, float], steps: list[Step]) -> None:
    breaker = CircuitBreaker(
        interval=settings.get("interval", 0),
        timeout=settings.get("timeout", 10),
        max_errors=int(settings.get("max_errors", 0)),
    )
    play(breaker, steps)


def test_explicit_start_anchors_the_first_interval() -> None:
    anchored = CircuitBreaker(max_errors=1, interval=30, now=0)
    play(anchored, [*fails(20, 31), ("state", 31, CLOSED_)])  # counts reset at 31 > 0 + 30
    lazy = CircuitBreaker(max_errors=1, interval=30)
    play(lazy, [*fails(20, 31), ("state", 31, OPEN_)])  # first interval runs 20..50


def test_state_property_does_not_look_at_the_clock() -> None:
    breaker = CircuitBreaker(timeout=10)
    play(breaker, fails(0))
    before = breaker.state  # the timeout has passed, but nobody looked yet
    looked = breaker.current_state(11)
    assert (before, looked, breaker.state) == (State.OPEN, State.HALF_OPEN, State.HALF_OPEN)


def test_outcomes_without_generation_apply_to_the_current_one() -> None:
    breaker = CircuitBreaker(max_errors=0, timeout=10)
    breaker.before_call(0)
    breaker.on_failure(0)
    assert breaker.current_state(0) is State.OPEN
    breaker.on_success(1)  # nothing to settle while open (gobreaker's switch skips OPEN)
    stats = breaker.statistics(1)
    assert (stats.state, stats.consecutive_successes, stats.total_successes) == (State.OPEN, 0, 1)


def test_circuit_open_is_a_backend_error() -> None:
    breaker = CircuitBreaker()
    play(breaker, fails(0))
    with pytest.raises(BackendError) as caught:
        breaker.before_call(1)
    assert isinstance(caught.value, CircuitOpen)
    assert caught.value.status_hint == 500
    assert caught.value.message == OPEN


LOG = "[CB] Circuit breaker named 'users' went from '{}' to '{}'"


def test_state_changes_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="trio_gateway.qos.circuit_breaker")
    breaker = CircuitBreaker(name="users", timeout=10, interval=5, log_status_change=True)
    play(breaker, [*fails(0), ("state", 11, HALF), *fails(11), ("OK", 22, None), ("OK", 40, None)])
    assert [r.getMessage() for r in caplog.records] == [
        LOG.format("closed", "open"),
        LOG.format("open", "half-open"),
        LOG.format("half-open", "open"),
        LOG.format("open", "half-open"),
        LOG.format("half-open", "closed"),
    ]  # the interval reset at 40 is no state change: no line
    assert {r.levelno for r in caplog.records} == {logging.WARNING}
    assert {r.name for r in caplog.records} == {"trio_gateway.qos.circuit_breaker"}


def test_nothing_is_logged_without_log_status_change(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="trio_gateway.qos.circuit_breaker")
    breaker = CircuitBreaker(name="users", timeout=10)
    play(breaker, [*fails(0), ("OK", 11, None), ("state", 11, CLOSED_)])
    assert caplog.records == []


def test_statistics_snapshot() -> None:
    breaker = CircuitBreaker(name="users", max_errors=1, timeout=10)
    assert breaker.statistics(0) == BreakerStatistics(
        name="users",
        state=State.CLOSED,
        consecutive_failures=0,
        consecutive_successes=0,
        total_requests=0,
        total_failures=0,
        total_successes=0,
        total_abandoned=0,
        rejected=0,
        last_change=None,
    )
    play(breaker, [("OK", 1, None), ("send", 2, "a"), ("abandon", 2, "a"), *fails(3, 4)])
    play(breaker, [("reject", 5, OPEN), ("reject", 6, OPEN)])
    snapshot = breaker.statistics(7)
    assert snapshot == BreakerStatistics(
        name="users",
        state=State.OPEN,
        consecutive_failures=0,  # a new generation began when the breaker opened
        consecutive_successes=0,
        total_requests=4,
        total_failures=2,
        total_successes=1,
        total_abandoned=1,
        rejected=2,
        last_change=4,
    )
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        snapshot.rejected = 0  # type: ignore[misc]
    play(breaker, [("OK", 15, None)])
    assert snapshot.state is State.OPEN and snapshot.total_requests == 4  # a snapshot stays put
    later = breaker.statistics(15)
    assert (later.state, later.last_change, later.consecutive_successes) == (State.CLOSED, 15, 0)


def test_statistics_apply_a_due_timeout() -> None:
    breaker = CircuitBreaker(timeout=10)
    play(breaker, fails(0))
    snapshot = breaker.statistics(10.5)
    assert (snapshot.state, snapshot.last_change) == (State.HALF_OPEN, 10.5)


def test_from_config_zero_config_installs_nothing() -> None:
    assert CircuitBreaker.from_config(CircuitBreakerConfig()) is None


@pytest.mark.parametrize(
    "config",
    [
        CircuitBreakerConfig(interval=60),
        CircuitBreakerConfig(timeout=10),
        CircuitBreakerConfig(max_errors=3),
        CircuitBreakerConfig(name="users"),
        CircuitBreakerConfig(log_status_change=True),
    ],
)
def test_from_config_any_non_zero_field_installs_a_breaker(config: CircuitBreakerConfig) -> None:
    breaker = CircuitBreaker.from_config(config)
    assert breaker is not None
    assert breaker.statistics(0).name == config.name
    trips_at = config.max_errors + 1
    play(breaker, [*fails(*range(trips_at)), ("state", trips_at, OPEN_)])


def test_from_config_passes_the_settings(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="trio_gateway.qos.circuit_breaker")
    config = CircuitBreakerConfig(interval=30, timeout=5, max_errors=1, log_status_change=True)
    breaker = CircuitBreaker.from_config(config, now=0)
    assert breaker is not None
    play(breaker, [*fails(20, 31), ("failures", 31, 1), *fails(32), ("state", 32, OPEN_)])
    play(breaker, [("reject", 37, OPEN), ("state", 37.5, HALF)])
    assert caplog.records[0].getMessage() == (
        "[CB] Circuit breaker named '' went from 'closed' to 'open'"
    )


# --- the proxy layer, on trio's virtual clock --------------------------------------------------


@attrs.define
class FakeBackend:
    outcome: str = "fail"  # ok | fail | bug | hang | hang-in-nursery
    delay: float = 0.0
    calls: int = 0

    async def __call__(self, request: Request) -> Response:
        self.calls += 1
        await trio.sleep(self.delay)
        if self.outcome == "ok":
            return Response(data={"path": request.path})
        if self.outcome == "bug":
            raise RuntimeError("a bug, not a GatewayError")
        if self.outcome == "hang":
            await trio.sleep_forever()
        if self.outcome == "hang-in-nursery":
            async with trio.open_nursery() as nursery:
                nursery.start_soon(trio.sleep_forever)
                await trio.sleep_forever()
        raise BackendUnavailable("connection refused")


REQUEST = Request(method="GET", path="/users", params={}, query=[], headers=[])


def make_proxy(
    backend: FakeBackend, *, max_errors: int, timeout: int = 0
) -> tuple[CircuitBreakerProxy, CircuitBreaker]:
    breaker = CircuitBreaker(max_errors=max_errors, timeout=timeout)
    return CircuitBreakerProxy(backend, breaker), breaker


async def test_open_breaker_does_not_call_the_backend(
    autojump_clock: trio.testing.MockClock,
) -> None:
    backend = FakeBackend()
    proxy, breaker = make_proxy(backend, max_errors=1, timeout=10)
    for _ in range(2):
        with pytest.raises(BackendUnavailable):
            await proxy(REQUEST)
    for _ in range(3):
        with pytest.raises(CircuitOpen, match=OPEN):
            await proxy(REQUEST)
    assert backend.calls == 2
    assert breaker.statistics(trio.current_time()).rejected == 3


async def test_success_passes_the_response_through(
    autojump_clock: trio.testing.MockClock,
) -> None:
    proxy, breaker = make_proxy(FakeBackend(outcome="ok"), max_errors=0)
    response = await proxy(REQUEST)
    assert response.data == {"path": "/users"}
    assert breaker.statistics(trio.current_time()).consecutive_successes == 1


async def test_recovers_after_the_timeout_through_one_probe(
    autojump_clock: trio.testing.MockClock,
) -> None:
    backend = FakeBackend()
    proxy, breaker = make_proxy(backend, max_errors=0, timeout=10)
    with pytest.raises(BackendUnavailable):
        await proxy(REQUEST)
    await trio.sleep(10.5)
    backend.outcome, backend.delay = "ok", 1.0
    answers: list[Response] = []

    async def probe() -> None:
        answers.append(await proxy(REQUEST))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(probe)
        await trio.sleep(0.5)  # the probe is inside the backend now
        with pytest.raises(CircuitOpen, match=TOO_MANY):
            await proxy(REQUEST)
    assert len(answers) == 1 and backend.calls == 2
    assert breaker.current_state(trio.current_time()) is State.CLOSED
    await proxy(REQUEST)
    assert backend.calls == 3


async def test_explicitly_cancelled_call_is_abandoned_not_failed(
    autojump_clock: trio.testing.MockClock,
) -> None:
    backend = FakeBackend(outcome="hang")
    proxy, breaker = make_proxy(backend, max_errors=0, timeout=10)
    async with trio.open_nursery() as nursery:  # the client went away / a sibling won
        nursery.start_soon(proxy, REQUEST)
        await trio.sleep(1)
        nursery.cancel_scope.cancel()
    stats = breaker.statistics(trio.current_time())
    assert (stats.state, stats.total_abandoned, stats.total_failures) == (State.CLOSED, 1, 0)
    backend.outcome = "fail"
    with pytest.raises(BackendUnavailable):
        await proxy(REQUEST)
    assert breaker.current_state(trio.current_time()) is State.OPEN


async def test_cancelled_probe_frees_the_slot(autojump_clock: trio.testing.MockClock) -> None:
    backend = FakeBackend()
    proxy, breaker = make_proxy(backend, max_errors=0, timeout=10)
    with pytest.raises(BackendUnavailable):
        await proxy(REQUEST)
    await trio.sleep(11)
    backend.outcome = "hang"
    with trio.CancelScope() as scope:
        scope.cancel()
        await proxy(REQUEST)  # admitted, then cancelled at the backend's first checkpoint
    assert scope.cancelled_caught and backend.calls == 2
    backend.outcome = "ok"
    await proxy(REQUEST)
    assert backend.calls == 3
    assert breaker.current_state(trio.current_time()) is State.CLOSED


@pytest.mark.parametrize("outcome", ["hang", "hang-in-nursery"])
async def test_deadline_counts_as_a_failure(
    autojump_clock: trio.testing.MockClock, outcome: str
) -> None:
    # Go: the backend's context deadline gives `context deadline exceeded`, which gobreaker
    # counts (only context.Canceled is excluded).
    backend = FakeBackend(outcome=outcome)
    proxy, breaker = make_proxy(backend, max_errors=0, timeout=10)
    with trio.move_on_after(2) as scope:
        await proxy(REQUEST)
    assert scope.cancelled_caught  # the Cancelled was re-raised, not swallowed
    stats = breaker.statistics(trio.current_time())
    assert (stats.state, stats.total_failures, stats.total_abandoned) == (State.OPEN, 1, 0)


async def test_bugs_count_as_failures_and_propagate(
    autojump_clock: trio.testing.MockClock,
) -> None:
    backend = FakeBackend(outcome="bug")
    proxy, breaker = make_proxy(backend, max_errors=0)
    with pytest.raises(RuntimeError, match="a bug"):
        await proxy(REQUEST)
    assert breaker.current_state(trio.current_time()) is State.OPEN
