"""`check` rule: every file a configuration names exists and can be read, reported at its path.

KrakenD finds these only when it starts (or, for a JWK file, when the endpoint is built: it then
answers 401 to every request of that endpoint). Found here, they fail in CI instead.

Two kinds, by what KrakenD does at start:
* the service's own TLS files (`tls`, `client_tls`): KrakenD cannot start, so neither does `run`;
* an endpoint's JWK files (`auth/validator`, `auth/signer`): KrakenD starts and that endpoint
  answers 401. `check` reports them as errors; `run` serves (the code `per-endpoint:` lets the
  loader downgrade them), logs one ERROR line for the endpoint, and answers 401 there.

Relative paths are relative to the working directory, as for KrakenD.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from trio_gateway.auth.signing import JWTSignerConfig
from trio_gateway.auth.validator import JWTValidatorConfig
from trio_gateway.config.diagnostics import Path, Report
from trio_gateway.config.model import ServiceConfig

__all__ = ["PER_ENDPOINT", "check_files", "unreadable"]

PER_ENDPOINT = "per-endpoint:"


def unreadable(path: str) -> str | None:
    """Why `path` cannot be read as a file (the OS's words), or None when it can."""
    try:
        with open(path, "rb"):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)
    except ValueError:  # a NUL byte: Go's open fails with EINVAL, and says so
        return "invalid argument (the path contains a NUL character)"


def check_files(service: ServiceConfig, report: Report) -> None:
    """Report every named file that cannot be read."""
    for where, path in _tls_files(service):
        _check(path, where, report, None)
    for index, endpoint in enumerate(service.endpoints):
        extra = endpoint.extra_config
        for config, name in (
            (extra.get(JWTValidatorConfig), "auth/validator"),
            (extra.get(JWTSignerConfig), "auth/signer"),
        ):
            if config is None:
                continue
            base: Path = ("endpoints", index, "extra_config", name)
            for key in ("jwk_local_path", "jwk_local_ca"):
                value = getattr(config, key)
                if value:
                    _check(value, (*base, key), report, f"{PER_ENDPOINT}{name}")


def _check(path: str, where: Path, report: Report, code: str | None) -> None:
    reason = unreadable(path)
    if reason is None:
        return
    if code is None:
        report.error(where, f"cannot read {path}: {reason}", "KrakenD cannot start without it")
    else:
        report.error(
            where,
            f"cannot read {path}: {reason}",
            "KrakenD starts and answers 401 to every request of this endpoint; so does `run`",
            code=code,
        )


def _tls_files(service: ServiceConfig) -> Iterator[tuple[Path, str]]:
    tls: Mapping[str, Any] = service.tls or {}
    if tls and tls.get("disabled") is not True:
        for key in ("public_key", "private_key"):
            if isinstance(tls.get(key), str) and tls[key]:
                yield ("tls", key), tls[key]
        for index, pair in enumerate(_list(tls.get("keys"))):
            for key in ("public_key", "private_key"):
                if isinstance(pair, Mapping) and isinstance(pair.get(key), str) and pair[key]:
                    yield ("tls", "keys", index, key), pair[key]
        for index, ca in enumerate(_list(tls.get("ca_certs"))):
            if isinstance(ca, str) and ca:
                yield ("tls", "ca_certs", index), ca
    client: Mapping[str, Any] = service.client_tls or {}
    for index, ca in enumerate(_list(client.get("ca_certs"))):
        if isinstance(ca, str) and ca:
            yield ("client_tls", "ca_certs", index), ca
    for index, pair in enumerate(_list(client.get("client_certs"))):
        for key in ("certificate", "private_key"):
            if isinstance(pair, Mapping) and isinstance(pair.get(key), str) and pair[key]:
                yield ("client_tls", "client_certs", index, key), pair[key]


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []
