"""hypercorn is tuned only when the gateway serves, and only where its code is the checked code.

Each case runs in a fresh interpreter: tuning is process-wide, and this test process may have
been tuned by other tests already.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

# Run first in every interpreter: what hypercorn looks like before trio_gateway is imported.
PRELUDE = """
import h11
from hypercorn.protocol import h11 as h11_protocol
from hypercorn.trio import task_group, tcp_server, worker_context

REPLACED = [
    (tcp_server.TCPServer, "_read_data"),
    (tcp_server.TCPServer, "protocol_send"),
    (tcp_server, "TrioSingleTask"),
    (task_group.TaskGroup, "spawn_app"),
    (h11_protocol.H11Protocol, "_send_h11_event"),
    (h11_protocol.H11Protocol, "stream_send"),
    (h11._events._ResponseBase, "__init__"),
]

def snapshot():
    found = [vars(owner)[name] for owner, name in REPLACED]
    return [(id(f), f.__module__, getattr(f, "__code__", None)) for f in found]

STOCK = snapshot()

def untouched():
    return snapshot() == STOCK and tcp_server.TrioSingleTask is worker_context.TrioSingleTask

def tuned_everywhere():
    now = snapshot()
    return all(now[i] != STOCK[i] for i in range(6)) and now[6] == STOCK[6]

import logging
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    # Whatever this process was started with, the cases decide on the switches themselves.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIO_GATEWAY_")}
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def _warnings(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("WARNING")]


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


def test_library_use_without_a_server_leaves_hypercorn_untouched() -> None:
    _run(
        """
        import trio
        from trio_gateway import open_gateway

        async def main():
            async with open_gateway({"version": 3, "endpoints": []}) as gw:
                assert (await gw.handle("GET", "/__health")).status == 200
            assert untouched()

        trio.run(main)
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
        assert tuning.apply()
        assert tuning.tuned() == frozenset(tuning.GROUPS)
        """
    )


def test_serving_tunes_every_group() -> None:
    done = _run(
        """
        import trio
        from trio_gateway.config import load_config_data
        from trio_gateway.plan import compile_plan
        from trio_gateway.serving import hypercorn as tuning
        from trio_gateway.serving.server import serve

        plan = compile_plan(load_config_data({"version": 3, "endpoints": []}).config, port=0)

        async def main():
            assert untouched()
            async with trio.open_nursery() as nursery:
                await nursery.start(
                    lambda task_status: serve(plan, host="127.0.0.1", task_status=task_status)
                )
                assert tuning.tuned() == frozenset(tuning.GROUPS)
                assert tuned_everywhere()
                nursery.cancel_scope.cancel()

        trio.run(main)
        """
    )
    assert _warnings(done) == []


def test_gateway_serve_tunes() -> None:
    _run(
        """
        import httpx
        import trio
        from trio_gateway import open_gateway
        from trio_gateway.serving import hypercorn as tuning

        async def main():
            async with open_gateway({"version": 3, "endpoints": []}) as gw:
                async with trio.open_nursery() as nursery:
                    assert untouched()
                    urls = await nursery.start(
                        lambda task_status: gw.serve(port=0, task_status=task_status)
                    )
                    assert tuned_everywhere()
                    async with httpx.AsyncClient() as http:
                        assert (await http.get(urls[0] + "/__health")).status_code == 200
                    nursery.cancel_scope.cancel()

        trio.run(main)
        """
    )


def test_the_hypercorn_entry_point_tunes_the_connections_it_serves() -> None:
    # What `hypercorn trio_gateway:app --worker-class trio` runs: the real hypercorn serve loop
    # and `trio_gateway.app` (on the shipped demo config). Its lifespan startup tunes hypercorn
    # before hypercorn listens, and the connections then run the tuned methods: the app task's
    # scope carries the cancel-on-disconnect extension that only the tuned spawn_app adds.
    done = _run(
        """
        import httpx
        import trio
        from hypercorn.config import Config
        from hypercorn.trio import serve

        import os

        import trio_gateway
        from trio_gateway.demo import DEMO_CONFIG
        from trio_gateway.serving import hypercorn as tuning
        from trio_gateway.types import CANCEL_ON_DISCONNECT

        os.environ["TRIO_GATEWAY_CONFIG"] = str(DEMO_CONFIG)
        assert untouched()
        extensions = []

        async def app(scope, receive, send):
            if scope["type"] == "http":
                extensions.append(set(scope.get("extensions", ())))
            await trio_gateway.app(scope, receive, send)

        async def main():
            config = Config()
            config.bind = ["127.0.0.1:0"]
            config.accesslog = None
            async with trio.open_nursery() as nursery:
                assert untouched()
                urls = await nursery.start(
                    lambda task_status: serve(app, config, mode="asgi", task_status=task_status)
                )
                assert tuning.tuned() == frozenset(tuning.GROUPS)
                assert tuned_everywhere()
                async with httpx.AsyncClient() as http:
                    for _ in range(2):  # a fresh connection, then the same one kept alive
                        response = await http.get(urls[0] + "/__health")
                        assert response.status_code == 200, response
                nursery.cancel_scope.cancel()
            assert len(extensions) == 2
            assert all(CANCEL_ON_DISCONNECT in found for found in extensions), extensions

        trio.run(main)
        """
    )
    assert _warnings(done) == []


def test_a_changed_function_is_left_stock_with_a_warning() -> None:
    done = _run(
        """
        from trio_gateway.serving import hypercorn as tuning

        async def stream_send(self, event):  # "a new hypercorn release"
            return None

        h11_protocol.H11Protocol.stream_send = stream_send
        assert tuning.apply()
        assert h11_protocol.H11Protocol.stream_send is stream_send  # left as it was
        assert snapshot()[4] == STOCK[4]  # _send_h11_event: its group is left stock whole
        assert tuning.tuned() == frozenset(tuning.GROUPS) - {
            "response head in one write and one scan"
        }
        assert tcp_server.TCPServer._read_data.__module__ == "trio_gateway.serving.hypercorn"
        assert tuning.apply()  # idempotent: nothing more, no second warning
        """
    )
    warnings = _warnings(done)
    assert len(warnings) == 1, warnings
    assert "response head in one write and one scan not tuned (runs stock)" in warnings[0]
    assert "hypercorn.protocol.h11:H11Protocol.stream_send" in warnings[0]
    assert "hypercorn 0." in warnings[0] and "h11 0." in warnings[0]
    assert "connection reads" not in warnings[0]


def test_a_changed_function_relied_on_leaves_its_group_stock() -> None:
    # Neither replaced: the groups rely on it (h11's `_parsed` path, where hypercorn queues
    # http.disconnect). Two groups left stock, still one WARNING naming both.
    done = _run(
        """
        from hypercorn.protocol import http_stream
        from trio_gateway.serving import hypercorn as tuning

        def __init__(self, *, headers, status_code, reason=b"", http_version=b"1.1", _parsed=False):
            raise AssertionError("another h11")

        async def handle(self, event):
            return None

        h11._events._ResponseBase.__init__ = __init__
        http_stream.HTTPStream.handle = handle
        assert tuning.apply()
        assert tuning.tuned() == {"connection reads, writes and idle timer"}
        now = snapshot()
        assert now[3:6] == STOCK[3:6]  # spawn_app, _send_h11_event, stream_send
        """
    )
    warnings = _warnings(done)
    assert len(warnings) == 1, warnings
    assert "app task cancelled on disconnect not tuned (runs stock)" in warnings[0]
    assert "hypercorn.protocol.http_stream:HTTPStream.handle" in warnings[0]
    assert "response head in one write and one scan not tuned (runs stock)" in warnings[0]
    assert "h11._events:_ResponseBase.__init__" in warnings[0]


def test_switched_off_tunes_nothing() -> None:
    done = _run(
        """
        import os
        os.environ["TRIO_GATEWAY_HYPERCORN_TUNING"] = "0"
        from trio_gateway.serving import hypercorn as tuning
        assert not tuning.apply()
        assert not tuning.apply()
        assert untouched()
        """
    )
    assert _warnings(done) == []
