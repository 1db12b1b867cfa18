"""The `trio-gateway` command: run, check, audit, schema, demo, version."""

from __future__ import annotations

import argparse
import errno
import functools
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


def _indent(text: str) -> str:
    """`check -i`: KrakenD prefixes its text dump; ours is JSON, so only whitespace keeps it so."""
    if text.strip(" \t"):
        raise argparse.ArgumentTypeError("the indentation must be spaces and tabs only")
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trio-gateway",
        description="A KrakenD-compatible API gateway on trio and hypercorn.",
    )
    parser.add_argument("--version", action="version", version=f"trio-gateway {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="serve a configuration")
    run.add_argument("-c", "--config", help=_CONFIG_HELP)
    run.add_argument("-p", "--port", type=_port, help="override the configured port")
    run.add_argument("-d", "--debug", action="store_true", help="enable the /__debug/ endpoint")
    run.add_argument(
        "-w",
        "--workers",
        type=_workers,
        default=1,
        help="worker processes, each with its own SO_REUSEPORT socket (default 1; auto: one per "
        "core this process may run on)",
    )
    run.add_argument(
        "--log-level",
        type=_log_level,
        help="DEBUG, INFO, WARNING, ERROR, CRITICAL (default: telemetry/logging level, else INFO)",
    )
    run.add_argument(
        "--watch",
        action="store_true",
        help="reload the configuration when its file changes (as on SIGHUP)",
    )

    check = commands.add_parser(
        "check",
        aliases=["validate"],
        help="validate a configuration",
        description="Validate a configuration (flags as in `krakend check`: -tlc FILE works). "
        "Exit code: 0 valid, 1 errors (or warnings with --strict), 2 usage.",
    )
    check.add_argument("-c", "--config", help=_CONFIG_HELP)
    check.add_argument(
        "-d",
        "--debug",
        action="count",
        default=0,
        help="print the effective configuration (defaults filled in) as JSON, alone on stdout",
    )
    check.add_argument(
        "-i",
        "--indent",
        type=_indent,
        help="indentation of the -d dump, per level (default: two spaces; e.g. -i $'\\t')",
    )
    check.add_argument(
        "-t",
        "--test-gin-routes",
        action="store_true",
        help="print the routes the gateway would register (method and path)",
    )
    check.add_argument(
        "-l", "--lint", action="store_true", help="also validate the file against the JSON Schema"
    )
    check.add_argument(
        "-n",
        "--lint-no-network",
        action="store_true",
        help="as --lint (the schema is bundled: no network either way)",
    )
    check.add_argument(
        "-s", "--lint-schema", metavar="FILE", help="also validate the file against this schema"
    )
    check.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="text (default), json (one object on stdout) or github (workflow annotations)",
    )
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument(
        "--list-namespaces",
        action="store_true",
        help="list every extra_config namespace and what trio-gateway does with it",
    )

    _add_audit(commands)

    demo = commands.add_parser("demo", help="serve the demo config with its demo backends")
    demo.add_argument("-p", "--port", type=_port, default=8080, help="gateway port (default 8080)")
    demo.add_argument("--log-level", type=_log_level)

    commands.add_parser(
        "schema", help="print the JSON Schema of the configuration (for editors: `$schema`)"
    )
    commands.add_parser("version", help="print the version")
    return parser


_CONFIG_HELP = (
    "path to krakend.json (or .yaml/.toml); default: ./krakend.json, then "
    "/etc/krakend/krakend.json, as KrakenD's image"
)


def _port(text: str) -> int:
    """A TCP port: 0 (any free one) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range (0-65535)")
    return port


def _workers(text: str) -> int:
    """A worker count, or `auto`: one per CPU this process may run on (its affinity, which a
    container's cpuset limits, not the machine's core count)."""
    if text == "auto":
        return max(1, len(os.sched_getaffinity(0)))
    try:
        workers = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a worker count: {text!r} (a number, or auto)"
        ) from None
    if workers < 1:
        raise argparse.ArgumentTypeError(f"at least one worker is needed, not {workers}")
    return workers


def _config(args: argparse.Namespace, command: str) -> str | None:
    """The configuration to read: `-c`, else where KrakenD's image keeps it; None (and one line
    on stderr) when there is none."""
    from trio_gateway.config.locate import NoConfigFound, locate_config

    try:
        return locate_config(args.config)
    except NoConfigFound as exc:
        print(f"trio-gateway {command}: error: {exc}", file=sys.stderr)
        return None


def _log_level(text: str) -> str:
    """A go-logging level name, as `telemetry/logging.level` takes it (any case)."""
    from trio_gateway.telemetry.gologging import LEVELS

    if text.upper() not in LEVELS:
        raise argparse.ArgumentTypeError(
            f"unknown log level {text!r} (DEBUG, INFO, WARNING, ERROR, CRITICAL)"
        )
    return text.upper()


def _add_audit(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`audit`, with `krakend audit`'s flags (krakend-cobra root.go)."""
    audit = commands.add_parser(
        "audit",
        help="audit a configuration against KrakenD's security recommendations",
        description="Report KrakenD's audit recommendations that apply (exit 1 if any).",
    )
    audit.add_argument("-c", "--config", help=_CONFIG_HELP)
    audit.add_argument(
        "-i", "--ignore", default="", help="rules to ignore (comma-separated ids, e.g. 1.1.1,2.2.2)"
    )
    audit.add_argument("-I", "--ignore-file", help="file listing rules to ignore, one a line")
    audit.add_argument(
        "-s",
        "--severity",
        default="CRITICAL,HIGH,MEDIUM,LOW",
        help="severities to include (comma-separated; default CRITICAL,HIGH,MEDIUM,LOW)",
    )
    audit.add_argument(
        "-f", "--format", help="text (default) or json; KrakenD's Go templates are not supported"
    )


def _cmd_audit(args: argparse.Namespace) -> int:
    from trio_gateway.config.audit.command import run_audit

    config = _config(args, "audit")
    if config is None:
        return 2
    return run_audit(
        config,
        ignore=args.ignore,
        ignore_file=args.ignore_file,
        severities=args.severity,
        fmt=args.format,
        err=sys.stderr,
        env=os.environ,
    )


def _cmd_run(args: argparse.Namespace) -> int:
    from trio_gateway.serving.server import run
    from trio_gateway.serving.shared_state import warn_per_process_state
    from trio_gateway.serving.workers import run_workers

    config = _config(args, "run")
    if config is None:
        return 2
    setup_logging(args.log_level)
    plan = load_plan(config, debug=args.debug, port=args.port)
    if plan is None:
        return 1
    setup_logging(args.log_level, plan)
    if args.workers > 1:  # each worker sets its logging up the same way, from the plan it loads
        warn_per_process_state(plan, args.workers)
        return run_workers(
            config,
            workers=args.workers,
            host=plan.listen_ip or "0.0.0.0",
            port=plan.port,
            debug=args.debug,
            log_level=args.log_level,
            watch=args.watch,
        )
    reloadable = functools.partial(
        run, config_path=args.config, debug=args.debug, port=args.port, watch=args.watch
    )
    return _serving(reloadable, plan)


def _cmd_check(args: argparse.Namespace) -> int:
    from trio_gateway.config.check import list_namespaces, run_check

    if args.list_namespaces:
        list_namespaces(sys.stdout)
        return 0
    config = _config(args, "check")
    if config is None:
        return 2
    return run_check(
        config,
        strict=args.strict,
        dump=args.debug > 0,
        indent=args.indent,
        out=sys.stdout,
        err=sys.stderr,
        env=os.environ,
        output=args.format,
        routes=args.test_gin_routes,
        lint=args.lint or args.lint_no_network,
        lint_schema=args.lint_schema,
    )


def _cmd_demo(args: argparse.Namespace) -> int:
    from trio_gateway.demo import DEMO_CONFIG
    from trio_gateway.demo.run import run_demo

    setup_logging(args.log_level)
    plan = load_plan(str(DEMO_CONFIG), port=args.port)
    if plan is None:
        return 1
    setup_logging(args.log_level, plan)
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
    if args.command == "audit":
        return _cmd_audit(args)
    if args.command == "schema":
        from trio_gateway.config.schema import schema_text

        sys.stdout.write(schema_text())
        return 0
    return _cmd_demo(args)


if __name__ == "__main__":
    sys.exit(main())
