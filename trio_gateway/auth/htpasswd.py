"""htpasswd credentials: reading the file, and checking a password against its hash.

Two of Apache's formats are understood: bcrypt (`$2y$`, `$2a$`, `$2b$`: the only one KrakenD
Enterprise's `auth/basic` documents, "You must store these credentials in bcrypt format"),
checked with the `bcrypt` package when it is installed, and `{SHA}` (base64 of the SHA-1 of
the password, `htpasswd -s`), checked with hashlib. Anything else (`$apr1$` MD5, crypt(3),
plain text) is refused when the configuration is checked, as is a bcrypt hash without the
package: a credential that cannot be verified must not start a gateway that would then refuse,
or worse accept, its user. Comparisons are constant-time (`hmac.compare_digest`; bcrypt's
`checkpw` is too).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "BCRYPT_PREFIXES",
    "HtpasswdError",
    "bcrypt_available",
    "parse_htpasswd",
    "unsupported_reason",
    "verify",
]

BCRYPT_PREFIXES = ("$2y$", "$2a$", "$2b$")
SHA_PREFIX = "{SHA}"


class HtpasswdError(ValueError):
    """The file cannot be read or holds a line that is not `user:hash`."""


def bcrypt_available() -> bool:
    return importlib.util.find_spec("bcrypt") is not None


def parse_htpasswd(path: str) -> dict[str, str]:
    """`user:hash` lines; blank lines and `#` comments skipped; a later user replaces an
    earlier one.

    Raises:
        HtpasswdError: the file cannot be read, or a line has no `:`.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HtpasswdError(f"cannot read {path}: {exc}") from None
    users: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, hashed = line.partition(":")
        if not sep or not user:
            raise HtpasswdError(f"{path}:{number}: not a `user:hash` line")
        users[user] = hashed
    return users


def unsupported_reason(hashed: str) -> str | None:
    """Why this hash cannot be checked here, or None when it can."""
    if hashed.startswith(BCRYPT_PREFIXES):
        if bcrypt_available():
            return None
        return "a bcrypt hash, and the `bcrypt` package is not installed"
    if hashed.startswith(SHA_PREFIX):
        try:
            raw = base64.b64decode(hashed[len(SHA_PREFIX) :], validate=True)
        except ValueError:
            return "a {SHA} hash that is not base64"
        return None if len(raw) == 20 else "a {SHA} hash that is not 20 bytes"
    if hashed.startswith("$apr1$"):
        return "an Apache MD5 ($apr1$) hash (use bcrypt: htpasswd -B)"
    return "not a bcrypt or {SHA} hash (use bcrypt: htpasswd -B)"


def verify(password: bytes, hashed: str) -> bool:
    """Whether the password matches (False for a hash `unsupported_reason` refuses)."""
    if hashed.startswith(SHA_PREFIX):
        try:
            expected = base64.b64decode(hashed[len(SHA_PREFIX) :], validate=True)
        except ValueError:
            return False
        return hmac.compare_digest(hashlib.sha1(password).digest(), expected)
    if hashed.startswith(BCRYPT_PREFIXES) and bcrypt_available():
        import bcrypt  # type: ignore[import-not-found,unused-ignore]  # optional

        try:
            return bool(bcrypt.checkpw(password, hashed.encode("ascii")))
        except ValueError:  # a malformed hash
            return False
    return False


def merged(*sources: Mapping[str, str]) -> dict[str, str]:
    """Later sources replace earlier ones user by user (inline `users` over the file)."""
    out: dict[str, str] = {}
    for source in sources:
        out.update(source)
    return out
