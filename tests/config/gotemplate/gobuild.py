"""Build one of the Go programs beside the differential tests (gorender, gofc) with Debian's
Go and Sprig (golang-go, golang-github-masterminds-sprig-dev: GOPATH mode, no network)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

GO = shutil.which("go")
HERE = Path(__file__).parent
SKIP_WITHOUT_GO = pytest.mark.skipif(
    GO is None, reason="`go` is not on PATH (.ci/run installs golang-go and Sprig when it can)"
)


def build(program: str, into: Path) -> Path:
    """`go build` tests/config/gotemplate/PROGRAM into the folder `into`; fails the test with
    Go's output when it cannot be built."""
    assert GO is not None
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": os.environ.get("GOPATH", "/usr/share/gocode"),
        "GOCACHE": str(into / "cache"),
        "GOFLAGS": "",
    }
    binary = into / program
    built = subprocess.run(
        [GO, "build", "-o", str(binary), "."],
        cwd=HERE / program,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if built.returncode != 0:
        pytest.fail(
            f"cannot build {program} (Sprig is golang-github-masterminds-sprig-dev):\n"
            + built.stderr
        )
    return binary
