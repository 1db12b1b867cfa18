"""The session's gorender (Go's text/template + Sprig) for the differential tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.config.gotemplate.gorender_support import GO, GoRenderer, build_gorender


@pytest.fixture(scope="session")
def gorender(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GoRenderer]:
    if GO is None:
        pytest.skip("`go` is not on PATH (.ci/run installs golang-go and Sprig when it can)")
    try:
        renderer = build_gorender(tmp_path_factory.mktemp("gorender"))
    except RuntimeError as error:
        pytest.fail(str(error))
    yield renderer
    renderer.close()
