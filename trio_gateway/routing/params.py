"""Which path parameters (and `{JWT.claim}` values) may reach a backend URL.

Rule 1 (lura `router/gin/engine.go` `paramChecker`, on unless `router.disable_path_decoding`):
gin takes params from the *decoded* path, and a param is refused with 400 when Go's
`url.PathUnescape` fails on it (`error: invalid URL escape "%"` for `/p/100%25`), changes it
(`/p/%2541` -> `%41`), or it holds `?` or `#` (`error: encoded url params`).

Rule 2 (ours, not lura's): a value that is a dot segment, `.` or `..`, alone or with `;params`
(`..;` is `..` to Tomcat and Jetty), and with `\\` counted as a separator too (Windows
servers), is refused the same way: lura would put it in the backend path as it is, and the
backend would resolve it to a path the url_pattern never named.

KrakenD never checks claim values (krakend-jose `gin/jose.go` appends them to gin's params after
paramChecker ran, and lura's `GeneratePath` pastes them in raw), so a `sub` of `../../admin`
walks up the backend path. We refuse a claim value by the same two rules, each `/`-separated
part of it checked as one path param would be; a clean claim with `/` keeps KrakenD's
behaviour (more segments).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from trio_gateway.routing.gourl import EscapeError, unescape

__all__ = ["ENCODED_PARAMS", "PARAM_ERROR_CONTENT_TYPE", "bad_params", "bad_value"]

ENCODED_PARAMS = b"error: encoded url params"
# lura writes the text with no Content-Type; Go's server sniffs it as this.
PARAM_ERROR_CONTENT_TYPE = b"text/plain; charset=utf-8"

_DOT_SEGMENT = re.compile(r"(?:\A|[/\\])\.\.?(?:;[^/\\]*)?(?=[/\\]|\Z)")


def bad_value(value: str) -> bytes | None:
    """The 400 body for a value that must not reach a backend path, or None when it is safe."""
    raw = value.encode("utf-8", "surrogatepass")
    try:
        decoded = unescape(raw)
    except EscapeError as exc:
        return f"error: {exc}".encode()
    if decoded != raw or "?" in value or "#" in value or _DOT_SEGMENT.search(value):
        return ENCODED_PARAMS
    return None


def bad_params(params: Mapping[str, str]) -> bytes | None:
    """paramChecker over the params in path order: the first refused one's 400 body, or None."""
    for value in params.values():
        problem = bad_value(value)
        if problem is not None:
            return problem
    return None
