"""The pure pieces of serving/http1.py, and its refusal to serve on unchecked sources."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.serving import http1
from trio_gateway.serving.limits import DEFAULT_HEADER_TIMEOUT, EdgeLimits


def _count(chunks: list[bytes]) -> tuple[int, bool]:
    tail = b""
    total = 0
    done = False
    for chunk in chunks:
        if done:
            break
        lines, done, tail = http1.count_head_lines(tail, chunk)
        total += lines
    return total, done


_head = st.lists(
    st.sampled_from([b"a: b\r\n", b"x-long: " + b"v" * 40 + b"\r\n", b"c:d\n"]), max_size=30
).map(lambda lines: b"GET / HTTP/1.1\r\n" + b"".join(lines))


@settings(max_examples=200, deadline=None)
@given(head=_head, body=st.binary(max_size=60), cuts=st.lists(st.integers(0, 2000), max_size=8))
def test_counting_in_any_chunks_counts_the_head_alone(
    head: bytes, body: bytes, cuts: list[int]
) -> None:
    data = head + b"\r\n" + body.replace(b"\n", b"")  # a body of many lines is not counted
    data += b"\n\n\n"
    expected = head.count(b"\n") + 1  # + the empty line
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert _count([c for c in chunks if c]) == (expected, True)


def test_an_unfinished_head_is_counted_so_far() -> None:
    assert _count([b"GET / HTTP/1.1\r\na: b\r\n", b"c: d\r"]) == (2, False)
    # The empty line split across reads (`\r\n` | `\r\n`) is still the end.
    assert _count([b"GET / HTTP/1.1\r\n", b"\r\nBODY\n\n"]) == (2, True)


def _request(version: bytes, *headers: tuple[bytes, bytes], method: bytes = b"POST") -> h11.Request:
    return h11.Request(
        method=method,
        target=b"*" if method == b"PRI" else b"/",
        headers=[(b"host", b"x"), *headers] if version != b"1.0" else list(headers),
        http_version=version,
    )


@pytest.mark.parametrize(
    ("request_", "use_h2c", "status"),
    [
        (_request(b"1.1", (b"content-length", b"5")), False, None),
        (_request(b"1.1", (b"transfer-encoding", b"chunked")), False, None),
        (
            _request(b"1.1", (b"content-length", b"5"), (b"transfer-encoding", b"chunked")),
            False,
            400,
        ),
        (
            _request(b"1.1", (b"transfer-encoding", b"chunked"), (b"content-length", b"0")),
            True,
            400,
        ),
        (_request(b"1.0", (b"transfer-encoding", b"chunked")), False, 400),
        (_request(b"1.0", (b"content-length", b"2")), False, None),
        (_request(b"2.0", method=b"PRI"), False, 505),
        (_request(b"2.0", method=b"PRI"), True, None),  # hypercorn switches to HTTP/2
        (_request(b"2.0", method=b"GET"), True, 505),
        (_request(b"3.0", method=b"GET"), False, 505),
    ],
)
def test_framing_problems(request_: h11.Request, use_h2c: bool, status: int | None) -> None:
    assert http1.framing_problem(request_, use_h2c) == status


def test_limits_follow_go() -> None:
    assert EdgeLimits().head_timeout == DEFAULT_HEADER_TIMEOUT
    assert EdgeLimits(read_timeout=3.0).head_timeout == 3.0  # Go's readHeaderTimeout()
    assert EdgeLimits(read_timeout=3.0, read_header_timeout=1.0).head_timeout == 1.0


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRIO_GATEWAY_")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_installed_releases_are_the_checked_ones() -> None:
    done = _run(
        """
        from trio_gateway.serving import http1
        print(http1.differing())
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_unchecked_sources_refuse_to_serve_even_with_the_tuning_off() -> None:
    done = _run(
        """
        import trio
        from trio_gateway.serving import http1, hypercorn
        http1.CHECKED.clear()
        for attempt in range(2):  # not only the first call: every call refuses
            try:
                hypercorn.apply()
            except http1.EdgeRulesUnavailable as exc:
                print("refused:", exc)
        from hypercorn.protocol import h11 as h11_protocol
        print("stock handle:", h11_protocol.H11Protocol.handle.__module__)
        """,
        TRIO_GATEWAY_HYPERCORN_TUNING="0",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len([line for line in lines if line.startswith("refused: hypercorn ")]) == 2
    assert "refusing to serve without them" in lines[0]
    assert lines[-1] == "stock handle: hypercorn.protocol.h11"


def test_the_rules_are_installed_with_the_tuning_off() -> None:
    done = _run(
        """
        from trio_gateway.serving import http1, hypercorn
        assert hypercorn.apply() is False  # no tuning
        from hypercorn.protocol import h11 as h11_protocol
        print(http1.installed(), h11_protocol.H11Protocol.handle is http1._handle)
        """,
        TRIO_GATEWAY_HYPERCORN_TUNING="0",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


def test_a_bad_header_count_setting_is_named() -> None:
    from trio_gateway.config import load_config_data
    from trio_gateway.plan import compile_plan

    plan = compile_plan(load_config_data({"version": 3, "endpoints": []}).config)
    os.environ["TRIO_GATEWAY_MAX_HEADER_COUNT"] = "many"
    try:
        with pytest.raises(ValueError, match="TRIO_GATEWAY_MAX_HEADER_COUNT='many'"):
            EdgeLimits.from_plan(plan)
        os.environ["TRIO_GATEWAY_MAX_HEADER_COUNT"] = "7"
        assert EdgeLimits.from_plan(plan).max_header_count == 7
    finally:
        del os.environ["TRIO_GATEWAY_MAX_HEADER_COUNT"]


class _TaskGroup:
    def __init__(self, closed: bool) -> None:
        self.closed = closed
        self.spawned: list[object] = []

    def spawn(self, func: object, *args: object) -> None:
        if self.closed:
            raise RuntimeError("Nursery is closed to new arrivals")
        self.spawned.append(func)


class _Protocol:
    def __init__(self, closed: bool) -> None:
        self.task_group = _TaskGroup(closed)
        self.config = object()


def test_the_longest_waiting_live_connection_is_shed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http1, "_WAITING", {})
    monkeypatch.setattr(http1, "_budget", 2)
    stale = http1._Connection(_Protocol(closed=True), EdgeLimits())  # its server was cancelled
    live = [http1._Connection(_Protocol(closed=False), EdgeLimits()) for _ in range(3)]
    for state in (stale, *live):
        http1._wait_on_client(state)
    # Over the budget twice: the stale one is dropped without a word, then the oldest live one.
    assert list(http1._WAITING) == live[1:]
    assert stale.protocol.task_group.spawned == []
    assert live[0].protocol.task_group.spawned == [http1._shed]
    assert all(not s.protocol.task_group.spawned for s in live[1:])
