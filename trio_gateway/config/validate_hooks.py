"""`check` for `extra_config."modifier/python"`: every import path must name a callable.

The modules are imported here, as `run` would import them: a hook module with import-time side
effects runs them during `check` too. An import error is reported in one line (its type and
message), never with a traceback.
"""

from __future__ import annotations

from trio_gateway.config.model import EndpointConfig, ExtraConfig
from trio_gateway.config.validate_extra import Path, Report
from trio_gateway.modifier.python import HookLoadError, load_hook

__all__ = ["check_hooks"]

_NAMESPACE = "modifier/python"


def _check(extra: ExtraConfig, path: Path, report: Report) -> None:
    hooks = extra.python_hooks
    if hooks is None:
        return
    where = (*path, "extra_config", _NAMESPACE)
    if not hooks.request and not hooks.response:
        report.warning(where, "no `request` nor `response` hook: nothing to run (ignored)")
        return
    for field, import_path in (("request", hooks.request), ("response", hooks.response)):
        if not import_path:
            continue
        try:
            load_hook(import_path)
        except HookLoadError as exc:
            report.error((*where, field), str(exc))


def check_hooks(
    endpoint: EndpointConfig, path: Path, report: Report, *, noop: bool = False
) -> None:
    """Check the hooks of `endpoint` (at `path`) and of each of its backends. `noop`: the
    endpoint's (possibly inherited) output encoding is `no-op`, whose stream no hook sees."""
    _check(endpoint.extra_config, path, report)
    hooked = [endpoint.extra_config, *(b.extra_config for b in endpoint.backend)]
    if noop and any(extra.python_hooks is not None for extra in hooked):
        report.warning(
            path,
            "Python hooks do not run on a no-op endpoint (its answer is streamed through "
            "untouched): they are ignored here",
        )
    for index, backend in enumerate(endpoint.backend):
        _check(backend.extra_config, (*path, "backend", index), report)
