"""hypercorn is tuned only when the gateway serves, and only where its code is the checked code.

Each case runs in a fresh interpreter: tuning is process-wide, and this test process may have
been tuned by other tests already.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

UNTOUCHED = """
from hypercorn.protocol import h11 as h11_protocol
from hypercorn.trio import task_group, tcp_server, worker_context

def untouched():
    return (
        tcp_server.TCPServer._read_data.__module__ == "hypercorn.trio.tcp_server"
        and tcp_server.TCPServer.protocol_send.__module__ == "hypercorn.trio.tcp_server"
        and tcp_server.TrioSingleTask is worker_context.TrioSingleTask
        and task_group.TaskGroup.spawn_app.__module__ == "hypercorn.trio.task_group"
        and h11_protocol.H11Protocol._send_h11_event.__module__ == "hypercorn.protocol.h11"
        and h11_protocol.H11Protocol.stream_send.__module__ == "hypercorn.protocol.h11"
    )
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-c", UNTOUCHED + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_importing_leaves_hypercorn_untouched() -> None:
    _run(
        """
        import trio_gateway
        import trio_gateway.config
        from trio_gateway.config import load_config
        from trio_gateway.serving import hypercorn as tuning
        assert untouched()
        assert not tuning.applied()
        """
    )


def test_installed_hypercorn_is_the_checked_code() -> None:
    # Fails after an upgrade of hypercorn or h11 until the tuning is checked against it: an
    # upgrade is a deliberate act (pyproject.toml pins the checked releases).
    _run(
        """
        from trio_gateway.serving import hypercorn as tuning
        for group in tuning.GROUPS:
            assert tuning.changed(group) == [], (group, tuning.changed(group))
        """
    )


def test_serving_tunes_every_group() -> None:
    _run(
        """
        import trio
        from trio_gateway.config import load_config_data
        from trio_gateway.plan import compile_plan
        from trio_gateway.serving import hypercorn as tuning
        from trio_gateway.serving.server import serve

        config = {"version": 3, "endpoints": [{"endpoint": "/e", "backend": [
            {"url_pattern": "/", "host": ["http://127.0.0.1:9000"]}]}]}
        plan = compile_plan(load_config_data(config).config, port=0)

        async def main():
            assert untouched()
            async with trio.open_nursery() as nursery:
                await nursery.start(
                    lambda task_status: serve(plan, host="127.0.0.1", task_status=task_status)
                )
                assert tuning.tuned() == frozenset(tuning.GROUPS)
                assert not untouched()
                nursery.cancel_scope.cancel()

        trio.run(main)
        """
    )


def test_the_hypercorn_entry_point_tunes_at_startup() -> None:
    _run(
        """
        import trio
        import trio_gateway
        from trio_gateway.serving import hypercorn as tuning

        async def main():
            assert untouched()
            to_app, inbox = trio.open_memory_channel(4)
            from_app, outbox = trio.open_memory_channel(4)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(trio_gateway.app, {"type": "lifespan"}, inbox.receive,
                                   from_app.send)
                await to_app.send({"type": "lifespan.startup"})
                assert (await outbox.receive())["type"] == "lifespan.startup.complete"
                assert tuning.tuned() == frozenset(tuning.GROUPS)
                nursery.cancel_scope.cancel()

        trio.run(main)
        """
    )


def test_a_changed_function_is_left_stock_with_a_warning() -> None:
    done = _run(
        """
        import logging
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
        from hypercorn.protocol import h11 as h11_protocol
        from trio_gateway.serving import hypercorn as tuning

        async def stream_send(self, event):  # "a new hypercorn release"
            return None

        h11_protocol.H11Protocol.stream_send = stream_send
        assert tuning.apply()
        assert h11_protocol.H11Protocol.stream_send is stream_send  # left as it was
        assert "response head in one write and one scan" not in tuning.tuned()
        assert "connection reads, writes and idle timer" in tuning.tuned()
        """
    )
    warnings = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1
    assert "response head in one write and one scan not tuned (runs stock)" in warnings[0]
    assert "hypercorn.protocol.h11:H11Protocol.stream_send" in warnings[0]
    assert "hypercorn 0." in warnings[0]


def test_switched_off_tunes_nothing() -> None:
    _run(
        """
        import os
        os.environ["TRIO_GATEWAY_HYPERCORN_TUNING"] = "0"
        from trio_gateway.serving import hypercorn as tuning
        assert not tuning.apply()
        assert untouched()
        """
    )
