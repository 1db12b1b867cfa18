"""Every `extra_config` namespace name trio-gateway knows: canonical names, legacy aliases,
levels and status, from the registry of implemented ones (`trio_gateway/stack.py`) and the table
of the others (`known.py`).

KrakenD CE accepts every namespace under its v3 name (`qos/circuit-breaker`) and under its legacy
long name (`github.com/devopsfaith/krakend-circuitbreaker/gobreaker`); lura's
`ExtraConfig.Normalize` folds the two together (krakend-components.md §1.1). Here the *short* v3
name is canonical: aliases are renamed to it, and `ExtraConfig.raw` is keyed by it.

Status of each namespace in trio-gateway:

* `implemented`: structured into its module's config class and honoured at run time;
* `not-implemented`: a KrakenD CE namespace trio-gateway does not implement yet;
* `enterprise`: KrakenD Enterprise only.

An unimplemented namespace that would protect the backends or change where requests go is
refused (`known.fail_closed`); the others are warned about. Any other key is an unknown namespace
(`check` warns, with a did-you-mean). Keys starting with `@`, `$`, `_` or `#` are comments,
everywhere, and are skipped silently (KrakenD's schema allows them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trio_gateway.config.known import KNOWN, V2_NAMESPACES, Known, Status
from trio_gateway.namespace import Level
from trio_gateway.stack import REGISTRY

__all__ = [
    "ALIASES",
    "IMPLEMENTED",
    "NAMESPACES",
    "V2_NAMESPACES",
    "Known",
    "Level",
    "Status",
    "canonical_name",
    "is_comment_key",
    "lookup",
]


def _table() -> dict[str, Known]:
    table: dict[str, Known] = {}
    for ns in REGISTRY:
        table[ns.name] = Known(
            name=ns.name, levels=ns.levels, status=Status.IMPLEMENTED, aliases=ns.aliases
        )
    for known in KNOWN:
        if known.name in table:
            raise ValueError(f"{known.name} is implemented and also listed in config/known.py")
        table[known.name] = known
    return table


NAMESPACES: Mapping[str, Known] = _table()
ALIASES: Mapping[str, str] = {alias: ns.name for ns in NAMESPACES.values() for alias in ns.aliases}
# canonical name -> the class it is structured into
IMPLEMENTED: Mapping[str, type[Any]] = {ns.name: ns.config for ns in REGISTRY}

_COMMENT_PREFIXES = ("@", "$", "_", "#")


def is_comment_key(key: str) -> bool:
    """Whether `key` is a comment (`@comment`, `$note`, `_x`, `#x`), ignored everywhere."""
    return key.startswith(_COMMENT_PREFIXES)


def canonical_name(key: str) -> str:
    """Return the canonical name of a namespace key (aliases renamed, anything else unchanged)."""
    return ALIASES.get(key, key)


def lookup(key: str) -> Known | None:
    """Return the known namespace for `key` (canonical name or alias), or None if unknown."""
    return NAMESPACES.get(canonical_name(key))
