"""The session's gorender (Go's text/template + Sprig) for the differential tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.config.gotemplate.gobuild import GO, build
from tests.config.gotemplate.gorender_support import GoRenderer


@pytest.fixture(scope="session")
def gorender(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoRenderer]:
    if GO is None:
        pytest.skip("`go` is not on PATH (.ci/run installs golang-go and Sprig when it can)")
    renderer = GoRenderer(build("gorender", tmp_path_factory.mktemp("gorender")))
    yield renderer
    renderer.close()
