"""The Go side of the differential tests: tests/config/gotemplate/gorender/main.go renders
with Go 1.19's text/template and sprig.TxtFuncMap() (Debian's
golang-github-masterminds-sprig-dev, Sprig v3.2.3), data decoded by encoding/json into
interface{} as KrakenD decodes its settings; conftest.py builds it once per session and feeds
it every case over one pipe."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from trio_gateway.config.flexible_go import _floats
from trio_gateway.config.gotemplate import Template, TemplateError
from trio_gateway.config.gotemplate.sprig import SPRIG

__all__ = ["GoRenderer", "check", "ours"]


class GoRenderer:
    def __init__(self, binary: Path) -> None:
        self.proc = subprocess.Popen(
            [str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def render(self, template: str, data: Any) -> tuple[str, str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"template": template, "data": data}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "gorender died"
        answer = json.loads(line)
        return answer["out"], answer["err"]

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


def ours(template: str, data: Any) -> tuple[str, str]:
    try:
        return Template("t", SPRIG).parse(template).execute(_floats(data)), ""
    except TemplateError as exc:
        return "", str(exc) or "error"


def check(gorender: GoRenderer, template: str, data: Any, same_error: bool = False) -> None:
    want_out, want_err = gorender.render(template, data)
    got_out, got_err = ours(template, data)
    if want_err:
        assert got_err, f"Go fails with {want_err!r}, we render {got_out!r}"
        if same_error:
            assert got_err == want_err
    else:
        assert not got_err, f"Go renders {want_out!r}, we fail with {got_err!r}"
        assert got_out == want_out
