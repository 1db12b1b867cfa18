"""A serving process raises its open-file limit to the hard one, as Go programs do."""

from __future__ import annotations

import resource
import subprocess
import sys


def _lowered() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))


def test_the_soft_limit_is_raised_to_the_hard_one() -> None:
    code = (
        "import resource\n"
        "from trio_gateway.serving.fdlimit import raise_open_file_limit\n"
        "print(raise_open_file_limit())\n"
        "print(raise_open_file_limit())\n"  # once raised, nothing left to do
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "print(soft == hard or hard == resource.RLIM_INFINITY)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        preexec_fn=_lowered,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    first, second, equal = done.stdout.splitlines()
    assert first.startswith("(256, ")
    assert second == "None"
    assert equal == "True"
