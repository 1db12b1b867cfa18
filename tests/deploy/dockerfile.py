"""The instructions of a Dockerfile, as Docker reads them (continuations joined, comments and
blank lines dropped): enough to test ours without a container runtime."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import attrs


@attrs.frozen
class Instruction:
    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        """The JSON array of `CMD ["a", "b"]`; a shell-form instruction is split as sh would."""
        text = self.arguments.strip()
        if text.startswith("["):
            value = json.loads(text)
            assert isinstance(value, list) and all(isinstance(v, str) for v in value)
            return value
        return shlex.split(text)


def parse(path: Path) -> list[Instruction]:
    instructions: list[Instruction] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "a continuation runs off the end of the file"
    return instructions


def only(instructions: list[Instruction], keyword: str) -> Instruction:
    """The last `keyword` instruction (the one Docker uses for CMD, ENTRYPOINT, WORKDIR...)."""
    found = [i for i in instructions if i.keyword == keyword]
    assert found, f"no {keyword} in the Dockerfile"
    return found[-1]
