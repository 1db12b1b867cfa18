"""`run_check` (the `check` command) and `effective_config` (`check -d`)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from trio_gateway.config import load_config_data
from trio_gateway.config.check import run_check
from trio_gateway.config.dump import effective_config

FIXTURES = Path(__file__).parent / "fixtures"


def check(
    path: Path, *, strict: bool = False, dump: bool = False, **options: Any
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_check(str(path), strict=strict, dump=dump, out=out, err=err, env={}, **options)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, data: dict[str, Any], name: str = "krakend.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


WITH_WARNING = {
    "version": 3,
    "host": ["http://a:8000"],
    "endpoints": [{"endpoint": "/x", "backend": [{"url_pattern": "/x", "timeout": "1s"}]}],
}
WARNING = (
    "warning: $.endpoints[0].backend[0].timeout: ignored: KrakenD always uses the endpoint's value"
)
WARNING_AT = "12:11"  # where `timeout` is in `write(tmp_path, WITH_WARNING)`


def test_a_good_config_prints_one_ok_line() -> None:
    path = FIXTURES / "krakend.json"
    code, out, err = check(path)
    assert code == 0
    assert out == f"OK: {path}: 4 endpoint(s), 7 backend(s)\n"
    assert err == ""


def test_warnings_are_printed_before_ok(tmp_path: Path) -> None:
    path = write(tmp_path, WITH_WARNING)
    code, out, err = check(path)
    assert code == 0
    assert err == f"{path}:{WARNING_AT}: {WARNING}\n"
    assert out == f"OK: {path}: 1 endpoint(s), 1 backend(s)\n"


def test_strict_turns_warnings_into_errors(tmp_path: Path) -> None:
    path = write(tmp_path, WITH_WARNING)
    code, out, err = check(path, strict=True)
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        f"{path}:{WARNING_AT}: error: " + WARNING.removeprefix("warning: "),
        "1 error(s), 0 warning(s)",
    ]


def test_a_bad_config_prints_every_problem_and_a_summary(tmp_path: Path) -> None:
    data = {**WITH_WARNING, "version": 2, "port": "eighty"}
    path = write(tmp_path, data)
    code, out, err = check(path)
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        f'{path}:17:3: error: $.port: expected an integer, got string "eighty"',
        f"{path}:2:3: error: $.version: unsupported version: 2 (want: 3)",
        f"{path}:{WARNING_AT}: {WARNING}",
        "2 error(s), 1 warning(s)",
    ]


def test_strict_on_a_bad_config_counts_warnings_as_errors(tmp_path: Path) -> None:
    code, _, err = check(write(tmp_path, {**WITH_WARNING, "version": 2}), strict=True)
    assert code == 1
    assert err.splitlines()[-1] == "2 error(s), 0 warning(s)"
    assert not any(" warning: " in line for line in err.splitlines())


def test_a_missing_file_fails(tmp_path: Path) -> None:
    path = tmp_path / "missing.json"
    code, out, err = check(path)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"error: {path}: cannot read the configuration file: No such file or directory",
        "1 error(s), 0 warning(s)",
    ]


def test_dump_prints_only_the_effective_config_on_out_and_ok_on_err() -> None:
    path = FIXTURES / "krakend.json"
    code, out, err = check(path, dump=True)
    assert code == 0
    assert err == f"OK: {path}: 4 endpoint(s), 7 backend(s)\n"
    dumped = json.loads(out)
    assert dumped["$schema"] == "https://www.krakend.io/schema/v2.13/krakend.json"
    products = dumped["endpoints"][0]
    assert products["timeout"] == "1.5s"
    assert products["concurrent_calls"] == 2
    # the endpoint's values, which KrakenD imposes on its backends: shown there only
    assert not any("timeout" in b or "concurrent_calls" in b for b in products["backend"])
    assert products["backend"][0]["host"] == ["http://catalog.internal:8000"]
    orders = dumped["endpoints"][1]
    assert orders["backend"][0]["host"] == ["http://orders.internal:9000"]  # sanitized
    assert orders["backend"][0]["method"] == "POST"
    assert dumped["endpoints"][2]["extra_config"] == {
        "proxy": {"sequential": True, "sequential_propagated_params": ["resp0_cart"]}
    }


def test_effective_config_fills_krakend_defaults() -> None:
    data = {
        "version": 3,
        "host": ["localhost:8000"],
        "cache_ttl": "1m",
        "endpoints": [
            {"endpoint": "users", "method": "post", "backend": [{"url_pattern": "u"}]},
            {
                "endpoint": "/raw",
                "output_encoding": "no-op",
                "timeout": "500ms",
                "backend": [{"host": ["HTTP://X"], "disable_host_sanitize": True}],
            },
        ],
    }
    dumped = effective_config(load_config_data(data).config)
    assert dumped["port"] == 8080
    assert dumped["timeout"] == "2s"
    assert dumped["cache_ttl"] == "1m0s"
    assert dumped["output_encoding"] == "json"
    assert dumped["max_idle_connections_per_host"] == 250
    assert dumped["host"] == ["http://localhost:8000"]
    users, raw = dumped["endpoints"]
    assert (users["endpoint"], users["method"], users["timeout"]) == ("/users", "POST", "2s")
    assert (users["cache_ttl"], users["output_encoding"], users["concurrent_calls"]) == (
        "1m0s",
        "json",
        1,
    )
    backend = users["backend"][0]
    assert backend["url_pattern"] == "/u"
    assert backend["method"] == "POST"
    assert backend["host"] == ["http://localhost:8000"]
    assert backend["encoding"] == "json"
    assert backend["sd_scheme"] == "http"
    assert "timeout" not in backend and "concurrent_calls" not in backend
    raw_backend = raw["backend"][0]
    assert raw_backend["encoding"] == "no-op"
    assert raw_backend["host"] == ["HTTP://X"]  # disable_host_sanitize: verbatim
    assert raw_backend["url_pattern"] == "/"


def test_effective_config_keeps_written_values() -> None:
    data = {
        "version": 3,
        "port": 9000,
        "timeout": "3s",
        "max_idle_connections_per_host": 10,
        "output_encoding": "xml",
        "host": ["http://a:80"],
        "endpoints": [{"endpoint": "/x", "backend": [{"url_pattern": "/x", "encoding": "rss"}]}],
    }
    dumped = effective_config(load_config_data(data).config)
    assert (dumped["port"], dumped["timeout"], dumped["max_idle_connections_per_host"]) == (
        9000,
        "3s",
        10,
    )
    endpoint = dumped["endpoints"][0]
    assert (endpoint["output_encoding"], endpoint["timeout"]) == ("xml", "3s")
    assert endpoint["backend"][0]["encoding"] == "rss"


def big_config(count: int) -> dict[str, Any]:
    endpoints = []
    for index in range(count):
        backends = [
            {
                "host": [f"http://h{index}:8000"],
                "url_pattern": f"/items/{{id}}/{index}",
                "allow": ["a", "b"],
                "extra_config": {"backend/http": {"return_error_code": True}},
            },
            {"url_pattern": "/other/{id}", "mapping": {"a": "b"}},
        ]
        endpoints.append(
            {
                "endpoint": f"/svc{index % 50}/items/{{id}}/sub{index}",
                "method": ("GET", "POST")[index % 2],
                "extra_config": {"proxy": {"flatmap_filter": [{"type": "del", "args": ["a"]}]}},
                "backend": backends,
            }
        )
    return {"version": 3, "host": ["http://default:80"], "endpoints": endpoints}


@pytest.mark.parametrize("dump", [False, True])
def test_checking_1000_endpoints(tmp_path: Path, dump: bool) -> None:
    # How long it takes is measured in docs/performance.md, not asserted here (shared machines).
    path = write(tmp_path, big_config(1000))
    code, out, err = check(path, dump=dump)
    assert code == 0
    assert (err if dump else out).endswith("1000 endpoint(s), 2000 backend(s)\n")
