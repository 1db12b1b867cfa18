"""Which configuration file to serve when none is named.

KrakenD's image runs `krakend run -c /etc/krakend/krakend.json` from `WORKDIR /etc/krakend`
(krakend-ce Dockerfile), and its users mount their file there or run from the folder that holds
it. So without `-c` (or `TRIO_GATEWAY_CONFIG` for `hypercorn trio_gateway:app`) the gateway
looks at `./krakend.json`, then `/etc/krakend/krakend.json`; it never falls back to the demo
silently: the demo runs only when asked (`trio-gateway demo`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["DEFAULT_PATHS", "NoConfigFound", "locate_config"]

DEFAULT_PATHS: tuple[str, ...] = ("krakend.json", "/etc/krakend/krakend.json")


class NoConfigFound(LookupError):
    """No configuration was named and none is where KrakenD's image keeps it."""

    def __init__(self, looked: Sequence[str], how: str) -> None:
        self.looked = tuple(looked)
        super().__init__(f"no configuration file: looked for {' and '.join(self.looked)}; {how}")


def locate_config(
    named: str | None,
    *,
    how: str = "pass one with -c FILE",
    candidates: Sequence[str] = DEFAULT_PATHS,
) -> str:
    """`named` when given (it is read, and its errors reported, by the loader), else the first
    of `candidates` that is a file.

    Raises:
        NoConfigFound: nothing named, and no candidate exists (`how` says how to name one).
    """
    if named:
        return named
    for candidate in candidates:
        if Path(candidate).is_file():
            return candidate
    raise NoConfigFound(candidates, how)
