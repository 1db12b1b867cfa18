"""The shipped demo: a config (`demo.json`, also at `configs/demo.json`) and its backends."""

from __future__ import annotations

from pathlib import Path

from trio_gateway.demo.backends import DEMO_PORTS, demo_backend_app

__all__ = ["DEMO_CONFIG", "DEMO_PORTS", "demo_backend_app"]

DEMO_CONFIG = Path(__file__).with_name("demo.json")
