"""The `check` sessions shown in docs/configuration.md are what `check` prints.

Each block follows a `<!-- check-example: FIXTURE -->` marker (FIXTURE under tests/config/fixtures)
and starts with `$ [VAR=value ...] trio-gateway check -c krakend.json`: the fixture is copied to
`krakend.json` and checked with that environment; the rest of the block is the expected output
(stderr and stdout, in that order: text diagnostics and the summary go to stderr).
"""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pytest

from trio_gateway.config.check import run_check

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
_EXAMPLE = re.compile(r"<!-- check-example: (\S+).*?-->\n```\n(.*?)```", re.DOTALL)


def _examples() -> list[tuple[str, str]]:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    return _EXAMPLE.findall(text)


def test_the_documentation_has_check_examples() -> None:
    assert len(_examples()) >= 3


@pytest.mark.parametrize(("fixture", "block"), _examples(), ids=[f for f, _ in _examples()])
def test_a_documented_check_session_is_what_check_prints(
    fixture: str, block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command, *expected = block.splitlines()
    words = shlex.split(command.removeprefix("$ "))
    assignments = [w for w in words if re.match(r"[A-Z_]+=", w)]
    env = dict(word.split("=", 1) for word in assignments)
    assert words[len(assignments) :] == ["trio-gateway", "check", "-c", "krakend.json"]
    (tmp_path / "krakend.json").write_bytes((FIXTURES / fixture).read_bytes())
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    run_check("krakend.json", out=out, err=err, env=env)
    assert (err.getvalue() + out.getvalue()).splitlines() == expected
    for line in expected[:-1]:  # every diagnostic shows where it is
        assert re.match(r"krakend\.json:\d+:\d+: (error|warning): ", line), line
