"""The open-file limit of a serving process, raised as Go raises it for every program.

Each client connection is a file descriptor. Since Go 1.19 the runtime raises the soft
`RLIMIT_NOFILE` to the hard limit at startup (`os/rlimit.go`), so KrakenD runs with the hard
limit (often 2^20 in containers and under systemd); a Python process keeps the soft one (often
1,024), and 1,200 slow clients then take every descriptor: new clients wait in the kernel's
accept queue until one is freed. The limit a child process inherits is left as it was, as Go
leaves it (Go restores it for `os/exec` children).
"""

from __future__ import annotations

import logging

__all__ = ["raise_open_file_limit"]

LOGGER = logging.getLogger(__name__)

# When the hard limit is unlimited, Linux still caps descriptors at fs.nr_open (2^20 by default).
_UNLIMITED_TARGET = 1 << 20


def raise_open_file_limit() -> tuple[int, int] | None:
    """Raise the soft limit to the hard one; (before, after), or None when nothing changed."""
    try:
        import resource
    except ImportError:  # not POSIX
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = _UNLIMITED_TARGET if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft >= target:
        return None
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:
        LOGGER.debug("open-file limit left at %d: %s", soft, exc)
        return None
    LOGGER.info("open-file limit raised from %d to %d (the hard limit)", soft, target)
    return soft, target
