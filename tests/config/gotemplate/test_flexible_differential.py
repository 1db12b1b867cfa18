"""Flexible configurations rendered by KrakenD's renderer and by ours, byte for byte.

tests/config/gotemplate/gofc is krakend-flexibleconfig's `Parse` in a few lines of Go (Go
1.19's text/template, Sprig v3.2.3's GenericFuncMap, `marshal`, `include`, FC_SETTINGS and
FC_TEMPLATES read as template.go reads them). Each fixture tree under
tests/config/flexible_fixtures/go is rendered by both with the same environment; the texts must
be identical, and a template error must be Go's message (ours adds the file in front)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from trio_gateway.config.flexible_go import GoFlexibleConfigError, render_go
from trio_gateway.config.load import load_config_data

from .gobuild import SKIP_WITHOUT_GO, build

pytestmark = SKIP_WITHOUT_GO
TREES = Path(__file__).parent.parent / "flexible_fixtures" / "go"


@pytest.fixture(scope="module")
def gofc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build("gofc", tmp_path_factory.mktemp("gofc"))


def _dir(path: Path) -> Path | None:
    return path if path.is_dir() else None


def go_render(
    gofc: Path, entry: Path, settings: Path | None, env: dict[str, str]
) -> tuple[str, str]:
    tree = entry.parent
    args = [
        str(p) if p else "" for p in (settings, _dir(tree / "partials"), _dir(tree / "templates"))
    ]
    done = subprocess.run(
        [str(gofc), str(entry), *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout, done.stderr.strip().removeprefix("ERROR: ")


def our_render(entry: Path, settings: Path | None, env: dict[str, str]) -> str:
    tree = entry.parent
    return render_go(
        entry,
        settings_dir=settings,
        partials_dir=_dir(tree / "partials"),
        templates_dir=_dir(tree / "templates"),
        env=env,
    )


def cases() -> Iterator[tuple[str, str, dict[str, str]]]:
    for tree, settings in (
        ("community", "settings/dev"),
        ("community", "settings/prod"),
        ("functions", "settings"),
    ):
        yield tree, settings, {}
        yield (
            tree,
            settings,
            {"DEPLOY_ENV": "prod", "PORT": "9000", "USERS_HOSTS": "http://a,http://b"},
        )


@pytest.mark.parametrize(
    ("tree", "settings", "env"),
    list(cases()),
    ids=lambda v: str(v).replace("/", ".") if v else "noenv",
)
def test_fixture_trees_render_as_krakend_renders_them(
    gofc: Path, tree: str, settings: str, env: dict[str, str]
) -> None:
    entry = TREES / tree / "krakend.tmpl"
    want, error = go_render(gofc, entry, TREES / tree / settings, {"PATH": "/usr/bin:/bin", **env})
    assert not error, error
    got = our_render(entry, TREES / tree / settings, env)
    assert got == want
    # and the rendering is a configuration the gateway serves
    loaded = load_config_data(json.loads(got), source="krakend.json")
    assert loaded.config.endpoints


ERRORS = [
    "{{ .service.port.x }}",
    '{{ template "missing.tmpl" . }}',
    "{{ range .service }}{{ .nope }}{{ end }}",
    "{{ with .service.name }}{{ .nope }}{{ end }}",
    "{{ range $k, $v := .service }}{{ $v.nope }}{{ end }}",
    "{{ range $v := .service }}{{ $v.nope }}{{ end }}",
    "{{ $x := .service.name }}{{ $x.nope }}",
    '{{ define "t" }}{{ .nope }}{{ end }}{{ range .service }}{{ template "t" . }}{{ end }}',
    "{{ range $i, $v := .service }}{{ with $v }}{{ $i.x }}{{ end }}{{ end }}",
    "{{ include }}",
    "{{ marshal }}",
    "{{ if }}",
    '{{ .service.port | printf "%d" | upper | nosuchfunc }}',
    '{{ index .service "name" 3 }}',
    "line one\n  {{ end }}",
]


@pytest.mark.parametrize("source", ERRORS)
def test_template_errors_are_gos_message(gofc: Path, tmp_path: Path, source: str) -> None:
    (tmp_path / "settings").mkdir()
    (tmp_path / "settings" / "service.json").write_text('{"port": 8080, "name": "gw"}')
    entry = tmp_path / "krakend.tmpl"
    entry.write_text(source)
    _, want = go_render(gofc, entry, tmp_path / "settings", {"PATH": "/usr/bin:/bin"})
    assert want.startswith("template: krakend.tmpl:"), want
    with pytest.raises(GoFlexibleConfigError) as caught:
        our_render(entry, tmp_path / "settings", {})
    assert str(caught.value) == f"{entry}: {want}"
