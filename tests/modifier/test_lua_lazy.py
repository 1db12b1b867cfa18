"""lupa (and a Lua VM) loads with the first Lua layer, not with the gateway: a configuration
without Lua does not pay for it in memory or startup."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

_PROGRAM = textwrap.dedent(
    """
    import sys, trio
    from trio_gateway.library import open_gateway

    extra = {EXTRA}
    config = {
        "version": 3,
        "endpoints": [
            {
                "endpoint": "/a",
                "backend": [{"host": ["http://127.0.0.1:59999"], "url_pattern": "/"}],
                "extra_config": extra,
            }
        ],
    }

    async def main():
        async with open_gateway(config) as gateway:
            await gateway.handle("GET", "/a")  # the backend is down: a Lua 'pre' still runs

    trio.run(main)
    print("lupa" in sys.modules)
    """
)


@pytest.mark.parametrize(
    ("extra", "loaded"),
    [
        ("{}", "False"),
        ('{"modifier/lua-proxy": {"pre": "local x = 1"}}', "True"),
    ],
)
def test_lupa_loads_only_for_a_configuration_with_lua(extra: str, loaded: str) -> None:
    program = _PROGRAM.replace("{EXTRA}", extra)
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == loaded
