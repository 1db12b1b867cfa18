"""Fail closed: a namespace that would protect or redirect, and that trio-gateway cannot honour,
is refused by `check` and by `run` at its JSON path, unless the operator opts out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from trio_gateway import stack
from trio_gateway.cli import main
from trio_gateway.config import ConfigError, load_config_data
from trio_gateway.config.diagnostics import format_path
from trio_gateway.config.known import KNOWN, fail_closed
from trio_gateway.namespace import Level

REFUSED = sorted(k.name for k in KNOWN if k.fail_closed)
WARNED = sorted(k.name for k in KNOWN if not k.fail_closed)


def _where(name: str) -> tuple[dict[str, Any], str]:
    """A config with `name` at a level KrakenD reads it at, and the JSON path it is at."""
    levels = next(k.levels for k in KNOWN if k.name == name)
    backend: dict[str, Any] = {"url_pattern": "/", "host": ["http://127.0.0.1:8000"]}
    endpoint: dict[str, Any] = {"endpoint": "/e", "backend": [backend]}
    config: dict[str, Any] = {"version": 3, "endpoints": [endpoint]}
    if Level.ENDPOINT in levels:
        endpoint["extra_config"] = {name: {}}
        return config, format_path(("endpoints", 0, "extra_config", name))
    if Level.BACKEND in levels:
        backend["extra_config"] = {name: {}}
        return config, format_path(("endpoints", 0, "backend", 0, "extra_config", name))
    if Level.SERVICE in levels:
        config["extra_config"] = {name: {}}
        return config, format_path(("extra_config", name))
    config["async_agent"] = [{"name": "a", "extra_config": {name: {}}}]
    return config, "$.async_agent"


def test_the_classification() -> None:
    assert {"auth/gcp", "auth/ntlm", "plugin/req-resp-modifier"} <= set(REFUSED)
    assert {"qos/ratelimit/service", "backend/lambda"} <= set(REFUSED)
    assert {"documentation/openapi", "async/amqp"} <= set(WARNED)
    assert fail_closed("security/policies") and not fail_closed("telemetry/metrics")


@pytest.mark.parametrize("name", REFUSED)
def test_check_and_run_refuse(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRIO_GATEWAY_ALLOW_UNENFORCED", raising=False)
    config, where = _where(name)
    with pytest.raises(ConfigError) as caught:
        load_config_data(config)
    errors = [d for d in caught.value.diagnostics if d.is_error]
    assert [(d.path, d.code) for d in errors] == [(where, f"unenforced:{name}")]
    path = tmp_path / "krakend.json"
    path.write_text(json.dumps(config))
    for command in ("check", "run"):
        assert main([command, "-c", str(path)]) == 1
        err = capsys.readouterr().err
        assert f"error: {where}: namespace `{name}`" in err
        assert "refused" in err and "Traceback" not in err


@pytest.mark.parametrize("name", WARNED)
def test_harmless_ones_are_warnings(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIO_GATEWAY_ALLOW_UNENFORCED", raising=False)
    config, where = _where(name)
    loaded = load_config_data(config)
    # async agents are not run at all (one warning for the block); the rest name themselves
    assert any(d.path == where and not d.is_error for d in loaded.warnings)


def test_service_discovery_other_than_static_or_dns_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TRIO_GATEWAY_ALLOW_UNENFORCED", raising=False)
    # "dns-shared" is KrakenD EE's; "dns" is served (proxy/dnssrv.py)
    backend = {"url_pattern": "/", "host": ["api.service.consul"], "sd": "dns-shared"}
    config = {"version": 3, "endpoints": [{"endpoint": "/e", "backend": [backend]}]}
    with pytest.raises(ConfigError) as caught:
        load_config_data(config)
    [error] = [d for d in caught.value.diagnostics if d.is_error]
    assert error.path == "$.endpoints[0].backend[0].sd"
    assert 'service discovery "dns-shared"' in error.message
    backend["sd"] = "dns"
    load_config_data(config)  # served
    backend["sd"] = "static"
    load_config_data(config)  # the default, accepted
    loaded = load_config_data({**config}, allow_unenforced=["sd"])
    assert loaded.config.endpoints[0].backend[0].sd == "static"


def test_opting_out_serves_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    config, where = _where("plugin/req-resp-modifier")
    loaded = load_config_data(config, allow_unenforced=["plugin/req-resp-modifier"])
    [warning] = [d for d in loaded.warnings if d.path == where]
    assert warning.severity == "warning"
    assert "served WITHOUT it" in warning.message
    # by name, by `*`, or through the environment; another name does not help
    load_config_data(config, allow_unenforced=["*"])
    with pytest.raises(ConfigError):
        load_config_data(config, allow_unenforced=["auth/gcp"])
    monkeypatch.setenv("TRIO_GATEWAY_ALLOW_UNENFORCED", "auth/gcp, plugin/req-resp-modifier")
    load_config_data(config)


def test_run_exits_non_zero_without_a_traceback(tmp_path: Path) -> None:
    config, where = _where("auth/gcp")
    path = tmp_path / "krakend.json"
    path.write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if k != "TRIO_GATEWAY_ALLOW_UNENFORCED"}
    done = subprocess.run(
        [sys.executable, "-m", "trio_gateway", "run", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 1
    assert f"error: {where}: namespace `auth/gcp` is KrakenD Enterprise only" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Running on" not in done.stderr


async def test_the_hypercorn_entry_point_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # `hypercorn trio_gateway:app`: the config named by $TRIO_GATEWAY_CONFIG is loaded at
    # lifespan startup; a refused namespace fails the startup, with the diagnostic and no
    # traceback in the log.
    import trio

    from trio_gateway.edge.app import CONFIG_ENV, GatewayApp

    config, where = _where("plugin/req-resp-modifier")
    path = tmp_path / "krakend.json"
    path.write_text(json.dumps(config))
    monkeypatch.setenv(CONFIG_ENV, str(path))
    monkeypatch.delenv("TRIO_GATEWAY_ALLOW_UNENFORCED", raising=False)
    to_app, app_inbox = trio.open_memory_channel[dict[str, Any]](4)
    from_app, app_outbox = trio.open_memory_channel[dict[str, Any]](4)
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(GatewayApp(), {"type": "lifespan"}, app_inbox.receive, from_app.send)
            await to_app.send({"type": "lifespan.startup"})
            answer = await app_outbox.receive()
    assert answer["type"] == "lifespan.startup.failed"
    assert "not valid" in answer["message"]
    logged = [r for r in caplog.records if r.name == "trio_gateway.edge.app"]
    assert any(
        where in r.getMessage() and "plugin/req-resp-modifier" in r.getMessage() for r in logged
    )
    assert all(r.exc_info is None for r in logged if r.levelname != "DEBUG")


def test_list_namespaces(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--list-namespaces"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["qos/circuit-breaker"].endswith("implemented")
    assert lines["plugin/req-resp-modifier"].endswith("refused (fail closed: not implemented)")
    assert lines["validation/cel"].endswith("implemented")
    assert "KrakenD Enterprise only" in lines["auth/gcp"]
    assert lines["auth/api-keys"].endswith("implemented")
    assert lines["async/amqp"].endswith("ignored with a warning (not implemented)")
    assert lines["telemetry/opentelemetry"].endswith("implemented")
    assert set(lines) == {k.name for k in KNOWN} | set(stack.REGISTRY.names)
    assert main(["check"]) == 2  # without --list-namespaces, a file is needed
