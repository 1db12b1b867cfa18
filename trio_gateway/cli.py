"""The `trio-gateway` command: run, check, demo, schema, version."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import platform
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import trio

from trio_gateway._version import __version__
from trio_gateway.serving.load import load_plan, setup_logging

if TYPE_CHECKING:
    from trio_gateway.plan import GatewayPlan

__all__ = ["main"]

LOGGER = logging.getLogger("trio_gateway")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trio-gateway",
        description="A KrakenD-compatible API gateway on trio and hypercorn.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="serve a configuration")
    run.add_argument("-c", "--config", required=True, help="path to krakend.json (or .yaml/.toml)")
    run.add_argument("-p", "--port", type=int, help="override the configured port")
    run.add_argument("-d", "--debug", action="store_true", help="enable the /__debug/ endpoint")
    run.add_argument(
        "-w",
        "--workers",
        type=int,
        default=1,
        help="worker processes, each with its own SO_REUSEPORT socket (default 1)",
    )
    run.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ERROR")

    check = commands.add_parser("check", aliases=["validate"], help="validate a configuration")
    check.add_argument("-c", "--config", help="path to krakend.json (or .yaml/.toml)")
    check.add_argument(
        "-d", "--debug", action="store_true", help="print the parsed config with defaults"
    )
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument(
        "--list-namespaces",
        action="store_true",
        help="list every extra_config namespace and what trio-gateway does with it",
    )

    demo = commands.add_parser("demo", help="serve the demo config with its demo backends")
    demo.add_argument("-p", "--port", type=int, default=8080, help="gateway port (default 8080)")
    demo.add_argument("--log-level", default="INFO")

    commands.add_parser(
        "schema", help="print the JSON Schema of the configuration (for editors: `$schema`)"
    )
    commands.add_parser("version", help="print the version")
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    from trio_gateway.serving.server import run
    from trio_gateway.serving.workers import run_workers

    setup_logging(args.log_level)
    plan = load_plan(args.config, debug=args.debug, port=args.port)
    if plan is None:
        return 1
    if args.workers > 1:
        return run_workers(
            args.config,
            workers=args.workers,
            host=plan.listen_ip or "0.0.0.0",
            port=plan.port,
            debug=args.debug,
            log_level=args.log_level,
        )
    return _serving(run, plan)


def _cmd_check(args: argparse.Namespace) -> int:
    from trio_gateway.config.check import list_namespaces, run_check

    if args.list_namespaces:
        list_namespaces(sys.stdout)
        return 0
    if not args.config:
        print("trio-gateway check: error: -c/--config is required", file=sys.stderr)
        return 2
    return run_check(
        args.config,
        strict=args.strict,
        dump=args.debug,
        out=sys.stdout,
        err=sys.stderr,
        env=os.environ,
    )


def _cmd_demo(args: argparse.Namespace) -> int:
    from trio_gateway.demo import DEMO_CONFIG
    from trio_gateway.demo.run import run_demo

    setup_logging(args.log_level)
    plan = load_plan(str(DEMO_CONFIG), port=args.port)
    if plan is None:
        return 1
    return _serving(lambda p: trio.run(run_demo, p), plan)


def _serving(serve: Callable[[GatewayPlan], None], plan: GatewayPlan) -> int:
    """Serve until stopped; a problem that stops the whole gateway is one line and exit 1,
    never a traceback (that goes to DEBUG)."""
    try:
        serve(plan)
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        return 130
    except Exception as exc:
        LOGGER.debug("the gateway stopped", exc_info=exc)
        print(f"ERROR: {_reason(exc, plan)}", file=sys.stderr)
        return 1
    return 0


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside nested exception groups (trio's nurseries wrap what they raise)."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def _reason(exc: BaseException, plan: GatewayPlan) -> str:
    """What stopped the gateway, in one line."""
    first = _leaves(exc)[0]
    if isinstance(first, OSError) and first.errno in (errno.EADDRINUSE, errno.EACCES):
        where = f"{plan.listen_ip or '0.0.0.0'}:{plan.port}"
        return f"cannot listen on {where}: {first.strerror.lower() if first.strerror else first}"
    if isinstance(first, OSError) and first.filename:
        return f"cannot read {first.filename}: {first.strerror or first}"
    text = str(first) or type(first).__name__
    return f"the gateway stopped: {type(first).__name__}: {text}"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "version":
        print(f"trio-gateway {__version__}")
        print(f"Python {platform.python_version()}, trio {trio.__version__}")
        return 0
    if args.command == "run":
        return _cmd_run(args)
    if args.command in ("check", "validate"):
        return _cmd_check(args)
    if args.command == "schema":
        from trio_gateway.config.schema import schema_text

        sys.stdout.write(schema_text())
        return 0
    return _cmd_demo(args)


if __name__ == "__main__":
    sys.exit(main())
