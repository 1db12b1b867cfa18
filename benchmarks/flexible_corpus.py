"""Render a corpus of real flexible configurations with KrakenD's renderer and with ours.

For every flexible-configuration entry file found under each DIR (a `*.tmpl` outside any
`partials`/`templates` folder, or a `krakend*.json` holding `{{`), and every settings variant
next to it (each folder under a `settings` folder that holds `*.json`), this renders the file
with tests/config/gotemplate/gofc (Go's text/template + Sprig exactly as krakend-flexibleconfig
calls them) and with trio-gateway's `render_go`, compares the bytes, and then runs our `check`
on the text KrakenD rendered. Nothing is fetched: point it at checkouts you have.

    python benchmarks/flexible_corpus.py DIR... [--json]

Exit status 1 when any rendering differs from Go's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs

from trio_gateway.config.flexible_go import GoFlexibleConfigError, render_go

GOFC = Path(__file__).resolve().parent.parent / "tests" / "config" / "gotemplate" / "gofc"
SKIP_DIRS = {"partials", "templates", ".git", "node_modules"}
# The same environment for both renderers (`env` and `expandenv` read it).
ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/root", "ENV": "dev"}


@attrs.frozen
class Case:
    root: Path
    entry: Path
    settings: Path | None
    partials: Path | None
    templates: Path | None

    @property
    def name(self) -> str:
        variant = "" if self.settings is None else f" [{self.settings.relative_to(self.root)}]"
        return f"{self.root.name}/{self.entry.relative_to(self.root)}{variant}"


@attrs.frozen
class Result:
    case: str
    verdict: str  # identical | both-fail | differs | go-only | ours-only
    check: str  # ok | errors: ... | - (not checked)


def build_gofc(work: Path) -> Path:
    go = shutil.which("go")
    if go is None:
        sys.exit("`go` is not on PATH (Debian: golang-go golang-github-masterminds-sprig-dev)")
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": os.environ.get("GOPATH", "/usr/share/gocode"),
        "GOCACHE": str(work / "cache"),
    }
    binary = work / "gofc"
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=GOFC, env=env, check=True)
    return binary


def _first_dir(root: Path, name: str, suffix: str) -> Path | None:
    found = sorted(p for p in root.rglob(name) if p.is_dir() and any(p.glob("*" + suffix)))
    return found[0] if found else None


def _entries(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if not path.is_file() or SKIP_DIRS & set(path.relative_to(root).parts[:-1]):
            continue
        if path.suffix == ".tmpl" or (
            path.name.startswith("krakend")
            and path.suffix == ".json"
            and "{{" in path.read_text(encoding="utf-8", errors="replace")
        ):
            yield path


def discover(root: Path) -> Iterator[Case]:
    partials = _first_dir(root, "partials", "")
    templates = _first_dir(root, "templates", ".tmpl")
    found = sorted({p.parent for p in root.rglob("settings/**/*.json") if "settings" in p.parts})
    variants: list[Path | None] = [*found] if found else [None]
    for entry in _entries(root):
        for settings in variants:
            yield Case(root, entry, settings, partials, templates)


def render_with_go(gofc: Path, case: Case) -> tuple[str | None, str]:
    args = [str(p) if p is not None else "" for p in (case.settings, case.partials, case.templates)]
    done = subprocess.run(
        [str(gofc), str(case.entry), *args],
        cwd=case.root,
        env=ENV,
        capture_output=True,
        timeout=60,
    )
    if done.returncode != 0:
        return None, done.stderr.decode(errors="replace").strip()
    return done.stdout.decode("utf-8", errors="surrogateescape"), ""


def render_with_ours(case: Case) -> tuple[str | None, str]:
    cwd = Path.cwd()
    os.chdir(case.root)  # as KrakenD, an empty FC_PARTIALS reads `include`s from the cwd
    try:
        text = render_go(
            case.entry,
            settings_dir=case.settings,
            partials_dir=case.partials,
            templates_dir=case.templates,
            env=ENV,
        )
        return text, ""
    except GoFlexibleConfigError as exc:
        return None, str(exc)
    finally:
        os.chdir(cwd)


def check_rendered(text: str) -> str:
    """`trio-gateway check --format json` on KrakenD's rendering, as a user's CI would run it."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        done = subprocess.run(
            [sys.executable, "-m", "trio_gateway", "check", "--format", "json", "-c", file.name],
            capture_output=True,
            text=True,
            timeout=120,
        )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        return f"no JSON report (exit {done.returncode}): {done.stderr[-200:]!r}"
    if report.get("ok"):
        return "ok"
    return "errors: " + "; ".join(e["message"][:120] for e in report["errors"][:2])


def run_case(gofc: Path, case: Case) -> Result:
    theirs, their_error = render_with_go(gofc, case)
    ours, our_error = render_with_ours(case)
    if theirs is None and ours is None:
        verdict = "both-fail"
    elif theirs is None:
        verdict = "ours-only"
    elif ours is None:
        verdict = "go-only"
    else:
        verdict = "identical" if theirs == ours else "differs"
    checked = "-"
    if theirs is not None:
        checked = check_rendered(theirs)
    if verdict != "identical":
        checked += f" (go: {their_error[:160]!r}; ours: {our_error[:160]!r})"
    return Result(case.name, verdict, checked)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--json", action="store_true", help="one JSON object per case")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        gofc = build_gofc(Path(work))
        results = [
            run_case(gofc, case) for root in options.dirs for case in discover(root.resolve())
        ]
    for result in results:
        if options.json:
            print(json.dumps(attrs.asdict(result)))
        else:
            print(f"{result.verdict:10} {result.case}: check {result.check}")
    counts = {v: sum(r.verdict == v for r in results) for v in sorted({r.verdict for r in results})}
    accepted = sum(r.check == "ok" for r in results)
    print(
        f"{len(results)} renderings: "
        + ", ".join(f"{n} {v}" for v, n in counts.items())
        + f"; check accepts {accepted} of KrakenD's renderings",
        file=sys.stderr,
    )
    return 1 if counts.get("differs") or counts.get("go-only") or counts.get("ours-only") else 0


if __name__ == "__main__":
    sys.exit(main())
