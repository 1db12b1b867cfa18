"""What HTTP allows in a token (a method, a field name) and in a field value, checked fast.

Shared by the two places that write HTTP heads without h11's per-field checks: the backend
client's request heads (`transport/request.py`) and hypercorn's response heads
(`serving/hypercorn.py`).
"""

from __future__ import annotations

import re

__all__ = ["BAD_VALUE", "is_token"]

# RFC 9110 §5.1 token: what a method or a field name may contain.
_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
# Control characters other than tab cannot appear in a field value (RFC 9110 §5.5): CR and LF
# would let a value inject fields.
BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# Tokens already checked: a gateway sends the same few names over and over.
_VALID: set[bytes] = set()
_VALID_MAX = 4096


def is_token(token: bytes) -> bool:
    """Whether `token` is an RFC 9110 token (remembered once it was)."""
    if token in _VALID:
        return True
    if _TOKEN.fullmatch(token) is None:
        return False
    if len(_VALID) < _VALID_MAX:
        _VALID.add(token)
    return True
