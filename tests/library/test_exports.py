"""The public API of `trio_gateway`: sorted, complete, every name importable."""

from __future__ import annotations

import importlib
import types

import trio_gateway
import trio_gateway.library

EXPECTED = {
    "AggregateResult",
    "BackendConfig",
    "ConfigError",
    "ConfigSource",
    "Diagnostic",
    "EndpointConfig",
    "ExtraConfig",
    "Gateway",
    "GatewayApp",
    "GatewayError",
    "GatewayResponse",
    "LoadedConfig",
    "ProxyConfig",
    "Seconds",
    "ServiceConfig",
    "__version__",
    "aggregate",
    "app",
    "load_config",
    "load_config_data",
    "open_gateway",
    "validate_config",
}


def _public(module: types.ModuleType) -> set[str]:
    """Names bound in `module` that are not private and not submodules."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }


def test_all_is_sorted() -> None:
    assert trio_gateway.__all__ == sorted(trio_gateway.__all__)
    assert trio_gateway.library.__all__ == sorted(trio_gateway.library.__all__)


def test_all_is_the_documented_api() -> None:
    assert set(trio_gateway.__all__) == EXPECTED
    assert len(trio_gateway.__all__) == len(EXPECTED)


def test_all_is_complete() -> None:
    for module in (trio_gateway, trio_gateway.library):
        assert _public(module) <= set(module.__all__), module.__name__
    # the library's whole API is re-exported at the top, but `aggregate_config` (advanced)
    assert set(trio_gateway.library.__all__) - set(trio_gateway.__all__) == {"aggregate_config"}


def test_every_name_is_importable() -> None:
    fresh = importlib.import_module("trio_gateway")
    for name in fresh.__all__:
        namespace: dict[str, object] = {}
        exec(f"from trio_gateway import {name}", namespace)
        assert namespace[name] is getattr(fresh, name)
    for name in trio_gateway.library.__all__:
        assert getattr(trio_gateway.library, name) is not None


def test_app_and_version_kept() -> None:
    assert isinstance(trio_gateway.app, trio_gateway.GatewayApp)
    assert isinstance(trio_gateway.__version__, str) and trio_gateway.__version__
