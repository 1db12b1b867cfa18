"""The `modifier/lua-proxy` / `modifier/lua-backend` object (krakend-lua `config.go` `Parse`).

Keys: `sources` (files, run in order before `pre`), `pre` / `post` (inline code), `skip_next`,
`allow_open_libs`, `live` (re-read `sources` on every request) and `md5` (file -> hex digest).
KrakenD reads the files once at startup, unless `live`; a file it cannot read is logged and
skipped there, then every request fails with `lua: unable to load required source <file>`
(binder.go `WithConfig`). `check` reports that as an error instead, and an md5 mismatch too
(KrakenD then drops the whole Lua layer with a debug log: a silently missing layer is worse).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import ClassVar

import attrs

from trio_gateway.config.diagnostics import Report
from trio_gateway.namespace import Where

__all__ = ["LuaConfig", "SourceError", "check", "load_sources", "verify_md5"]

# Lua that needs what trio-gateway does not offer yet: refused at check time.
_UNSUPPORTED: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class LuaConfig:
    """Shared shape of the two namespaces."""

    NAMESPACE: ClassVar[str] = ""

    sources: tuple[str, ...] = ()
    md5: dict[str, str] = attrs.field(factory=dict)
    pre: str = ""
    post: str = ""
    live: bool = False
    allow_open_libs: bool = False
    skip_next: bool = False


class SourceError(Exception):
    """A source that cannot be read or does not match its md5 (the message says which)."""


def load_sources(config: LuaConfig) -> tuple[tuple[str, str], ...]:
    """(path, code) of each source, in order; raises `SourceError` (krakend-lua's messages)."""
    loaded = []
    for source in config.sources:
        try:
            code = Path(source).read_bytes()
        except OSError as exc:
            raise SourceError(
                f"lua: unable to load required source {source} ({exc.strerror or exc})"
            ) from exc
        loaded.append((source, code.decode("latin-1")))
    return tuple(loaded)


def verify_md5(config: LuaConfig, loaded: tuple[tuple[str, str], ...]) -> None:
    """krakend-lua's md5 rule: each listed file's digest must match (an unread file hashes as
    empty content, as `SourceLoader.Get` returns "")."""
    contents = dict(loaded)
    for source, expected in config.md5.items():
        data = contents.get(source)
        if data is None:
            try:
                raw = Path(source).read_bytes()
            except OSError:
                raw = b""
        else:
            raw = data.encode("latin-1")
        actual = hashlib.md5(raw, usedforsecurity=False).hexdigest()
        if actual != expected:
            raise SourceError(
                f"lua: wrong cheksum for source {source}. have: {actual}, want: {expected}"
            )


def check(config: LuaConfig, where: Where, report: Report, *, router: bool = False) -> None:
    """Sources readable, md5 matching, every script compiling (the error names the file and
    line, as KrakenD's `msg (file:Ln)`), no API trio-gateway does not offer yet."""
    from trio_gateway.modifier.lua.runtime import SourceMap, compile_error

    try:
        loaded = load_sources(config)
        verify_md5(config, loaded)
    except SourceError as exc:
        if config.live and not config.md5:
            # `live` reads the files on every request: one may appear later, KrakenD starts
            report.warning(where.path, f"{exc}: every request fails until it exists")
            loaded = ()
        else:
            report.error(where.path, str(exc))
            return
    if not (config.sources or config.pre or config.post):
        report.warning(where.path, "no `sources`, `pre` nor `post`: nothing to run")
    if loaded:
        joined = SourceMap(loaded)
        problem = compile_error(SourceMap.NAME, joined.code, joined)
        if problem is not None:
            report.error((*where.path, "sources"), problem)
    for key, name, code in (
        ("pre", "pre-script", config.pre),
        ("post", "post-script", config.post),
    ):
        problem = compile_error(name, code) if code else None
        if problem is not None:
            report.error((*where.path, key), problem)
    codes = [("pre", config.pre), ("post", config.post), *loaded]
    for name, code in codes:
        for word in _UNSUPPORTED:
            if word in code:
                report.error(
                    where.path,
                    f"{name}: `{word}` (an HTTP call from Lua) is not supported by trio-gateway "
                    "yet: the script would fail on every request",
                )
