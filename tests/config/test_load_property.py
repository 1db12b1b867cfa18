"""Property: whatever a configuration becomes, loading it returns or raises `ConfigError`.

Valid configurations (the shipped `configs/`, the demo, the fixtures here) are mutated the ways
real files go wrong and hostile files are built: values change type, keys disappear, random JSON
values appear, values nest deeply, values swap places, numbers grow past 64 bits, strings get
weird (lone surrogates, NUL, braces, placeholders). `load_config_data`, `load_config` (as JSON
and as YAML text) and `check -d` must then return, or fail with diagnostics only: no other
exception, no `internal error` diagnostic (a bug of ours), and no pathological time or memory
(each example under a generous alarm, the process' peak memory under a generous bound).
"""

from __future__ import annotations

import copy
import io
import json
import resource
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trio_gateway.config import ConfigError, load_config, load_config_data
from trio_gateway.config.check import run_check
from trio_gateway.config.parse import format_for, parse_text
from trio_gateway.config.plain import plain_data
from trio_gateway.plan import compile_plan

ROOT = Path(__file__).resolve().parents[2]
SEED_FILES = [
    *sorted((ROOT / "configs").glob("*.json")),
    ROOT / "trio_gateway" / "demo" / "demo.json",
    *sorted((ROOT / "tests" / "config" / "fixtures").glob("*.*")),
]
SECONDS_PER_EXAMPLE = 20  # a pathological blowup, not a slow machine
MAX_GROWTH_KIB = 1024 * 1024  # 1 GiB over the peak before the examples


def _seed(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return plain_data(parse_text(text, format_for(path.name), str(path)), str(path))


SEEDS = [_seed(path) for path in SEED_FILES]

WEIRD_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "\ud800",
        "a\udfffb",
        "\x00",
        "\n",
        "{",
        "}",
        "{a}",
        "/{id}/{id}",
        "{{.Resp0_x}}",
        "../../etc/passwd",
        "x" * 5000,
        "é",
        "\U0001f600",
        "1e999",
        "0x10",
        "017",
        "true",
        "null",
        "-1",
        "9" * 40,
        "1h1h1h",
        "http://",
        "[::1]:80",
        "*",
        "GET",
    ]
)
HUGE_NUMBERS = st.sampled_from(
    [2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30, 10**308, -(10**308), 1e308, -1e-308, 0.5, -0.0]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    WEIRD_STRINGS,
    HUGE_NUMBERS,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=10), WEIRD_STRINGS), children, max_size=4),
    ),
    max_leaves=12,
)
# Deeper than the bound (128) and than the parsers' recursion (YAML); the hostile-input tests
# go to 200,000 levels (this test's own json.dumps recurses too).
DEPTHS = st.sampled_from([2, 50, 127, 128, 129, 300, 600])
MUTATIONS = st.sampled_from(
    [
        "retype",
        "delete",
        "insert",
        "replace",
        "nest",
        "swap",
        "huge",
        "weird",
        "weird everywhere",
        "quote",
        "wrap",
    ]
)


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, value
    if len(path) >= 12:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, (*path, index))


def _set(root: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = root
    for segment in path[:-1]:
        node = node[segment]
    node[path[-1]] = value
    return root


def _retyped(value: Any) -> Any:
    """The same value as another JSON type, the ways files get it wrong."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return value[0] if value else {}
    if isinstance(value, dict):
        return list(value.values())
    return 0


def _strings_replaced(value: Any, weird: str) -> Any:
    """`value` with every string value in it replaced by `weird`: a NUL in every file path..."""
    if isinstance(value, str):
        return weird
    if isinstance(value, list):
        return [_strings_replaced(item, weird) for item in value]
    if isinstance(value, dict):
        return {key: _strings_replaced(item, weird) for key, item in value.items()}
    return value


def _mutate(data: st.DataObject, config: Any) -> Any:
    nodes = list(_nodes(config))
    path, value = data.draw(st.sampled_from(nodes), label="node")
    kind = data.draw(MUTATIONS, label="mutation")
    if kind == "delete" and path:
        parent = config
        for segment in path[:-1]:
            parent = parent[segment]
        del parent[path[-1]]
        return config
    if kind == "insert" and isinstance(value, dict):
        key = data.draw(st.one_of(st.text(max_size=12), WEIRD_STRINGS), label="key")
        value[key] = data.draw(JSON_VALUES, label="inserted")
        return config
    if kind == "insert" and isinstance(value, list):
        value.append(data.draw(JSON_VALUES, label="appended"))
        return config
    if kind == "nest":
        nested = value
        arrays = data.draw(st.booleans(), label="arrays")
        for _ in range(data.draw(DEPTHS, label="depth")):
            nested = [nested] if arrays else {"a": nested}
        return _set(config, path, nested)
    if kind == "swap":
        other_path, other = data.draw(st.sampled_from(nodes), label="other")
        if other_path[: len(path)] == path or path[: len(other_path)] == other_path:
            return _set(config, path, copy.deepcopy(other))
        config = _set(config, path, copy.deepcopy(other))
        return _set(config, other_path, copy.deepcopy(value))
    if kind == "huge":
        return _set(config, path, data.draw(HUGE_NUMBERS, label="number"))
    if kind == "weird":
        return _set(config, path, data.draw(WEIRD_STRINGS, label="string"))
    if kind == "weird everywhere":
        return _set(config, path, _strings_replaced(value, data.draw(WEIRD_STRINGS)))
    if kind == "quote":
        return _set(config, path, json.dumps(value))
    if kind == "wrap":
        return _set(config, path, {"value": value} if data.draw(st.booleans()) else [value])
    if kind == "retype":
        return _set(config, path, _retyped(value))
    return _set(config, path, data.draw(JSON_VALUES, label="replacement"))


class _TooSlow(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _TooSlow(f"an example took more than {SECONDS_PER_EXAMPLE} s")


def _no_internal_error(error: ConfigError) -> None:
    internal = [d for d in error.diagnostics if "internal error" in d.message]
    assert not internal, internal


def _load_all(config: Any, directory: Path) -> None:
    try:
        loaded = load_config_data(config, allow_unenforced=())
    except ConfigError as error:
        _no_internal_error(error)
    else:
        # What `run` does next: a file `check` accepts must compile (or fail as a ConfigError).
        try:
            compile_plan(loaded.config)
        except ConfigError as error:
            _no_internal_error(error)
    text = json.dumps(config)  # lone surrogates travel as \\ud800 escapes, as in a real file
    for name in ("krakend.json", "krakend.yaml"):
        path = directory / name
        path.write_text(text, encoding="utf-8")
        try:
            load_config(path, env={})
        except ConfigError as error:
            _no_internal_error(error)
    out, err = io.StringIO(), io.StringIO()
    code = run_check(
        str(directory / "krakend.json"), strict=False, dump=True, out=out, err=err, env={}
    )
    assert code in (0, 1)
    assert "internal error" not in err.getvalue()


@pytest.fixture(scope="module")
def baseline_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_a_mutated_config_loads_or_fails_with_diagnostics_only(
    data: st.DataObject, baseline_kib: int
) -> None:
    config = copy.deepcopy(data.draw(st.sampled_from(SEEDS), label="seed"))
    # A "nest" of 600 and a later "swap" deep-copy 1,200 frames down: the mutations themselves
    # (not the loader under test, which gets the default limit) need more than 1,000.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 5000))
    try:
        for _ in range(data.draw(st.integers(min_value=1, max_value=4), label="mutations")):
            config = _mutate(data, config)
    finally:
        sys.setrecursionlimit(limit)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS_PER_EXAMPLE)
    try:
        with tempfile.TemporaryDirectory() as directory:
            _load_all(config, Path(directory))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline_kib
    assert grown < MAX_GROWTH_KIB


def test_the_seeds_are_valid() -> None:
    # The mutations start from configurations that load (four_problems.json on purpose does not).
    for path in SEED_FILES:
        if path.name == "four_problems.json":
            continue
        load_config(path, env={})


@pytest.mark.parametrize("name", ["\u20ac", "\ufffd", "x-\u00e9"])
def test_an_input_header_name_beyond_latin_1_compiles_and_never_matches(name: str) -> None:
    """KrakenD accepts such a name (it matches no request header); `run` used to crash on it."""
    config = {
        "version": 3,
        "host": ["http://a:8000"],
        "endpoints": [
            {
                "endpoint": "/x",
                "input_headers": [name],
                "backend": [{"url_pattern": "/", "input_headers": [name]}],
            }
        ],
    }
    plan = compile_plan(load_config_data(config).config)
    assert plan.endpoints[0].path == "/x"
