"""`check` rules for the service's own TLS block: KrakenD fails at start on one without keys.

(The security namespaces' checks live in their modules: `auth/validator.py`, `auth/signing.py`,
`security/bot_detector.py`.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trio_gateway.config.diagnostics import Report

__all__ = ["check_server_tls"]


def check_server_tls(tls: Mapping[str, Any] | None, report: Report) -> None:
    """KrakenD fails at start on a `tls` block without keys (unless `disabled`)."""
    if not tls or tls.get("disabled") is True:
        return
    keys = tls.get("keys") or [{}]
    first = keys[0] if isinstance(keys, list) and keys and isinstance(keys[0], dict) else {}
    if not (tls.get("public_key") or first.get("public_key")):
        report.error(("tls",), "public key not defined", "set tls.public_key (a PEM certificate)")
    if not (tls.get("private_key") or first.get("private_key")):
        report.error(("tls",), "private key not defined", "set tls.private_key (a PEM key)")
