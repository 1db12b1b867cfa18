"""Semantic checks shared by every level: durations, the `proxy` namespace, sequential placeholders.

Split from `validate.py` to keep each module to one job: `validate.py` walks service -> endpoints ->
backends; this module holds the checks of the values found along the way (see its Rule 2 for why
some of these are errors although KrakenD accepts them).
"""

from __future__ import annotations

import re
from typing import Any

from trio_gateway.config.converter import duration_fields
from trio_gateway.config.diagnostics import Path, PathSegment, Report, did_you_mean
from trio_gateway.config.durations import format_duration
from trio_gateway.config.model import (
    BackendConfig,
    EndpointConfig,
    FlatmapOperation,
)

__all__ = [
    "FLATMAP_TYPES",
    "STATIC_STRATEGIES",
    "Report",
    "check_backend_proxy",
    "check_endpoint_proxy",
    "negative_durations",
    "sequential_placeholder",
]

FLATMAP_TYPES = ("move", "del", "append")
STATIC_STRATEGIES = ("always", "success", "complete", "errored", "incomplete")
_PROXY: tuple[PathSegment, ...] = ("extra_config", "proxy")
_SEQUENTIAL = re.compile(r"resp(\d+)_", re.ASCII)


def negative_durations(obj: Any, path: Path, report: Report) -> None:
    """Report every negative `Seconds` field of an attrs instance (not recursive)."""
    for name in duration_fields(type(obj)):
        value = getattr(obj, name)
        if value is not None and value < 0:
            report.error(
                (*path, name), f"negative duration {format_duration(value)} is not allowed"
            )


def check_endpoint_proxy(endpoint: EndpointConfig, path: Path, report: Report) -> bool:
    """Check the endpoint's `proxy` namespace; return whether the endpoint is sequential."""
    proxy = endpoint.extra_config.proxy
    sequential = endpoint.sequential_start or (proxy is not None and proxy.sequential)
    if sequential and len(endpoint.backend) < 2:
        if proxy is not None and proxy.sequential:
            where: Path = (*path, *_PROXY, "sequential")
        else:
            where = (*path, "sequential_start")
        report.warning(where, "sequential has no effect with fewer than 2 backends")
    if proxy is None:
        return sequential
    base = (*path, *_PROXY)
    negative_durations(proxy, base, report)
    _check_flatmap(proxy.flatmap_filter, (*base, "flatmap_filter"), report)
    active = sum(1 for b in endpoint.backend if not b.is_shadow)
    if proxy.flatmap_filter and active < 2:
        report.warning(
            (*base, "flatmap_filter"),
            "ignored: KrakenD applies an endpoint flatmap_filter only with more than one backend",
            "move it to the backend's extra_config.proxy",
        )
    if proxy.static is not None and proxy.static.strategy not in STATIC_STRATEGIES:
        close = did_you_mean(proxy.static.strategy, STATIC_STRATEGIES)
        report.warning(
            (*base, "static", "strategy"),
            f'unknown static strategy "{proxy.static.strategy}": KrakenD falls back to "always"',
            f'did you mean "{close}"?' if close else None,
        )
    return sequential


def check_backend_proxy(backend: BackendConfig, path: Path, report: Report) -> None:
    """Check the backend's `proxy` namespace."""
    proxy = backend.extra_config.proxy
    if proxy is None:
        return
    base = (*path, *_PROXY)
    negative_durations(proxy, base, report)
    _check_flatmap(proxy.flatmap_filter, (*base, "flatmap_filter"), report)
    if proxy.flatmap_filter:
        for key in ("allow", "deny", "mapping"):
            if getattr(backend, key):
                report.warning(
                    (*path, key), "ignored: flatmap_filter replaces allow, deny and mapping"
                )


def _check_flatmap(ops: tuple[FlatmapOperation, ...], path: Path, report: Report) -> None:
    for index, op in enumerate(ops):
        if op.type not in FLATMAP_TYPES:
            close = did_you_mean(op.type, FLATMAP_TYPES)
            report.error(
                (*path, index, "type"),
                f'unknown flatmap operation type "{op.type}": KrakenD skips it silently',
                f'did you mean "{close}"?' if close else "valid types are move, del and append",
            )
        elif op.type in ("move", "append") and len(op.args) < 2:
            report.error(
                (*path, index, "args"),
                f'flatmap "{op.type}" needs 2 arguments, got {len(op.args)}: KrakenD panics on '
                "every request (500)",
            )
        elif op.type == "del" and not op.args:
            report.warning((*path, index, "args"), 'flatmap "del" without arguments does nothing')


def sequential_placeholder(
    name: str, index: int, sequential: bool, path: Path, report: Report
) -> None:
    """Warn about a `{respN_field}` placeholder that can never be replaced."""
    match = _SEQUENTIAL.match(name)
    if match is None:
        return  # a {JWT.claim} placeholder
    step = int(match.group(1))
    if not sequential:
        report.warning(
            path,
            f"placeholder {{{name}}} only gets a value in a sequential endpoint "
            "(extra_config.proxy.sequential: true); KrakenD leaves it as is",
        )
    elif step >= index:
        report.warning(
            path,
            f"placeholder {{{name}}} refers to backend {step}, which has not answered when "
            f"backend {index} is called; KrakenD leaves it as is",
        )
