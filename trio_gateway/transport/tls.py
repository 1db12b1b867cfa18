"""The TLS context for https backends, from the service's `client_tls` block (KrakenD's names).

`ca_certs` adds CAs (to the system's, unless `disable_system_ca_pool`); `allow_insecure_connections`
(here or at the service's top level) turns verification off — for tests only, `check` warns;
`client_certs` presents certificates to backends that require them; `min_version` /
`max_version` take KrakenD's names (`TLS12`, `TLS13`, …).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

__all__ = ["backend_ssl_context"]

_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}


def backend_ssl_context(
    client_tls: Mapping[str, Any] | None, allow_insecure: bool
) -> ssl.SSLContext | None:
    """None when nothing is configured: the client then uses the system's defaults."""
    config = client_tls or {}
    if not config and not allow_insecure:
        return None
    if config.get("disable_system_ca_pool") is True:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    else:
        context = ssl.create_default_context()
    for ca_file in config.get("ca_certs") or ():
        context.load_verify_locations(cafile=ca_file)
    for pair in config.get("client_certs") or ():
        context.load_cert_chain(pair["certificate"], pair["private_key"])
    if config.get("min_version") in _VERSIONS:
        context.minimum_version = _VERSIONS[config["min_version"]]
    if config.get("max_version") in _VERSIONS:
        context.maximum_version = _VERSIONS[config["max_version"]]
    if allow_insecure or config.get("allow_insecure_connections") is True:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
