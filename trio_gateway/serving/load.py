"""Loading what a serving process serves: read the config, print what is wrong, compile the plan.

One place for `trio-gateway run`, `demo` and each `--workers` process (which loads the file
itself, so that its plan is built in the process that serves it).
"""

from __future__ import annotations

import logging
import os
import sys

from trio_gateway.config import ConfigError, load_config
from trio_gateway.plan import GatewayPlan, compile_plan
from trio_gateway.telemetry.logging_setup import configure_logging

__all__ = ["load_plan", "setup_logging"]

LOGGER = logging.getLogger("trio_gateway")


def setup_logging(level: str | None, plan: GatewayPlan | None = None) -> None:
    """The process's logging: before the configuration is read (`plan` None: stderr at `level`,
    INFO by default), then from its `telemetry/logging` (`level`, when given, overrides its)."""
    configure_logging(plan.extra if plan is not None else None, level=level)


def load_plan(
    path: str, *, debug: bool = False, port: int | None = None, logged: bool = False
) -> GatewayPlan | None:
    """Load and compile a config, printing every problem; None when it is not valid.

    `logged`: report the problems as log records instead (a reload, in a running gateway,
    whose logging may go elsewhere than stderr)."""
    try:
        loaded = load_config(path, env=os.environ, for_serving=True)
    except ConfigError as exc:
        for diagnostic in exc.diagnostics:
            if logged:
                (LOGGER.error if diagnostic.is_error else LOGGER.warning)("%s", diagnostic)
            else:
                print(diagnostic, file=sys.stderr)
        if logged:
            LOGGER.error("ERROR parsing the configuration file: %s", path)
        else:
            print(f"ERROR parsing the configuration file: {path}", file=sys.stderr)
        return None
    for warning in loaded.warnings:
        LOGGER.warning("%s", warning)
    return compile_plan(loaded.config, debug=debug, port=port)
