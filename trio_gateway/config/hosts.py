"""Backend host sanitization, exactly as KrakenD's `SafeCleanHost` (lura `config/uri.go`).

KrakenD runs an unanchored regex over the host with `FindAllStringSubmatch` and requires exactly one
match; the host is then rebuilt from the match groups (scheme defaulting to `http://`, trailing `/`
dropped). Whatever text lies outside the single match is silently discarded, and anything that
yields a second match (a path, an upper-case scheme, user-info, a one-digit port) is rejected. We
reproduce that rather than "fix" it, so that a config accepted here is accepted by KrakenD and
resolves to the same URL.
"""

from __future__ import annotations

import re

__all__ = ["clean_host"]

# Go's regexp is ASCII-only for these classes; re.ASCII keeps Python from widening them.
_HOST_PATTERN = re.compile(r"(https?://)?([a-zA-Z0-9\._\-]+)(:[0-9]{2,6})?/?", re.ASCII)


def clean_host(host: str) -> str:
    """Return the sanitized host (`localhost:8080` -> `http://localhost:8080`).

    Raises:
        ValueError: `host <h> not valid: invalid host`, KrakenD's message, when the pattern does not
            match exactly once.
    """
    matches = list(_HOST_PATTERN.finditer(host))
    if len(matches) != 1:
        raise ValueError(f"host {host} not valid: invalid host")
    scheme, name, port = matches[0].group(1, 2, 3)
    return str(scheme or "http://") + str(name) + str(port or "")
