"""`auth/revoker` (service): KrakenD's token revocation bloom filter (krakend/bloomfilter v2,
`krakend/krakend.go`), consulted by every `auth/validator` after a token's claims check.

Configuration (krakend-schema `v2.13/auth/revoker.json`, every field required): `N` (elements
kept), `P` (false-positive rate), `hash_name` (`default` | `optimal`), `TTL` (seconds between
rotations), `port` (where revocations are received), `token_keys` (the claims looked at). The
filter is bloom.py's, bit for bit KrakenD's. A token is rejected (401, the validator's empty
answer) when for any key of `token_keys` the claim is a string and `"<key>-<value>"` is in the
filter (krakend.go `RejectToken`: claims that are not strings are skipped). krakend-ce's
executor.go chains this rejecter before the CEL `JWT` expressions (stack.py `jwt_rejecter`).

Where trio-gateway differs, on purpose:

* revocations: KrakenD serves a Go `net/rpc` (gob) server on `port` with no authentication;
  here it is a small HTTP API on `port` (revoker_server.py) that requires a shared secret, the
  environment variable `TRIO_GATEWAY_REVOKER_SECRET`, as a Bearer token. Without the secret the
  configuration is refused (fail closed: an open revocation port lets anyone log users out);
* `host` (trio-gateway only, default every interface as Go's `:port`): where the API listens;
* `connection_name` (trio-gateway only): a pool of the service's `redis` block. Then the three
  filters are Redis bitsets (revoker_redis.py), so every worker of `run --workers N` and every
  replica sees a revocation at once; without it each process keeps its own filter, as KrakenD;
* the Enterprise Revoke Server keys (`revoke_server_*`) are refused: there is no Revoke Server.

Under `run --workers N` worker i listens on `port + i` (as `/__stats`): without Redis a
revocation must be sent to every worker's port; with Redis, to any one of them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs
import trio

from trio_gateway.auth.bloom import HASH_NAMES, RotatingFilter, optimal_k, optimal_m
from trio_gateway.namespace import Layer, Level, Namespace, Slot, Where
from trio_gateway.qos.redis_pools import check_connection_name

if TYPE_CHECKING:
    from trio_gateway.auth.revoker_redis import SharedFilter
    from trio_gateway.config.diagnostics import Report
    from trio_gateway.config.model import ExtraConfig

__all__ = [
    "NAMESPACE",
    "SECRET_ENV",
    "SERVICE",
    "Revoker",
    "RevokerConfig",
    "element",
    "jwt_rejecter",
]

LOGGER = logging.getLogger(__name__)
LOG_PREFIX: Final = "[SERVICE: Bloomfilter]"  # krakend.go's logPrefix

SECRET_ENV: Final = "TRIO_GATEWAY_REVOKER_SECRET"
_WORKER_INDEX_ENV: Final = "TRIO_GATEWAY_WORKER_INDEX"  # set by `run --workers N` (serving/)
_MIN_SECRET: Final = 16
# Redis strings hold at most 2^32 bits (SETBIT's offset limit).
_REDIS_MAX_BITS: Final = 1 << 32
_MEMORY_WARNING: Final = 1 << 30  # bytes, for the three in-process filters
_ENTERPRISE_KEYS: Final = (
    "revoke_server_api_key",
    "revoke_server_max_retries",
    "revoke_server_max_workers",
    "revoke_server_ping_interval",
    "revoke_server_ping_url",
)


@attrs.frozen(kw_only=True)
class RevokerConfig:
    """`extra_config."auth/revoker"` (service), as krakend.go's `Config` (rpc.Config + keys)."""

    NAMESPACE: ClassVar[str] = "auth/revoker"

    n: int | None = attrs.field(default=None, metadata={"json_key": "N"})  # elements kept
    p: float | None = attrs.field(default=None, metadata={"json_key": "P"})  # false positives
    hash_name: str | None = None  # "optimal" (one FNV-128) or "default" (MD5, CRC64, SHA1, FNV)
    ttl: int | None = attrs.field(default=None, metadata={"json_key": "TTL"})  # rotation, s
    port: int | None = None  # the revocation API's port (plus the worker index)
    token_keys: tuple[str, ...] | None = None  # the claims whose string values are checked
    # trio-gateway only (and, below, the Enterprise Revoke Server keys, refused)
    host: str = ""  # the revocation API's address; "" = every interface (Go's ":port")
    connection_name: str = ""  # a pool of the service's `redis`: the filter shared there
    revoke_server_api_key: Any = None  # Enterprise only: refused
    revoke_server_max_retries: Any = None  # Enterprise only: refused
    revoke_server_max_workers: Any = None  # Enterprise only: refused
    revoke_server_ping_interval: Any = None  # Enterprise only: refused
    revoke_server_ping_url: Any = None  # Enterprise only: refused

    def bits(self) -> int:
        """The bits of one filter (checked configuration)."""
        assert self.n is not None and self.p is not None
        return optimal_m(self.n, self.p)


def check(config: RevokerConfig, where: Where, report: Report) -> None:
    path = where.path
    required = {
        "N": config.n,
        "P": config.p,
        "hash_name": config.hash_name,
        "TTL": config.ttl,
        "port": config.port,
        "token_keys": config.token_keys,
    }
    for key, value in required.items():
        if value is None:
            report.error((*path, key), f"{key} is required (KrakenD's schema requires every field)")
    if config.n is not None and config.n < 1:
        # Go: K divides by N (uint): 0 gives an infinite number of hash functions
        report.error((*path, "N"), "N must be at least 1: the number of elements to keep")
    if config.p is not None and not 0.0 < config.p < 1.0:
        report.error((*path, "P"), "P must be a probability between 0 and 1 (exclusive)")
    if config.hash_name is not None and config.hash_name not in HASH_NAMES:
        # hasher.go HashFactoryNames[name] is nil for another name: KrakenD panics
        report.error(
            (*path, "hash_name"),
            f"unknown hash_name {config.hash_name!r}",
            "one of: " + ", ".join(HASH_NAMES),
        )
    if config.ttl is not None and config.ttl < 1:
        # rotate.go time.NewTicker panics on a non-positive interval
        report.error((*path, "TTL"), "TTL must be at least 1 (seconds between rotations)")
    if config.port is not None and not 0 <= config.port <= 65535:
        report.error((*path, "port"), f"port {config.port} is not a TCP port")
    if config.token_keys is not None and not config.token_keys:
        report.warning((*path, "token_keys"), "no token_keys: no token can be revoked")
    for key in _ENTERPRISE_KEYS:
        if getattr(config, key) is not None:
            report.error(
                (*path, key),
                f"{key} configures KrakenD Enterprise's Revoke Server, which trio-gateway has not",
                "remove it: send revocations to the revoker's own HTTP API (docs/revoker.md)",
            )
    secret = os.environ.get(SECRET_ENV, "")
    if not secret:
        report.error(
            path,
            f"the revocation API needs a shared secret: set the environment variable {SECRET_ENV}",
            "KrakenD's revocation port has no authentication; trio-gateway's refuses to run open",
        )
    elif len(secret) < _MIN_SECRET:
        report.warning(path, f"{SECRET_ENV} is shorter than {_MIN_SECRET} characters")
    if config.connection_name:
        check_connection_name(config.connection_name, "", where, report)
    if (config.n or 0) >= 1 and config.p is not None and 0.0 < config.p < 1.0:
        m = config.bits()
        k = optimal_k(m, config.n or 1)
        if config.connection_name and m > _REDIS_MAX_BITS:
            report.error(
                (*path, "N"),
                f"N and P need {m} bits per filter; a Redis string holds at most 2^32",
                "lower N or raise P",
            )
        if 3 * m // 8 > _MEMORY_WARNING:  # kept in process also with Redis (the fallback)
            report.warning(
                (*path, "N"),
                f"N and P need {3 * m // 8 // (1 << 20)} MiB for the three filters, per process",
            )
        if k > 64:
            report.warning((*path, "P"), f"{k} hash positions per element: every check is slow")


NAMESPACE = Namespace(
    name="auth/revoker",
    levels=frozenset({Level.SERVICE}),
    config=RevokerConfig,
    aliases=("github_com/devopsfaith/bloomfilter",),
    check=check,
)


def element(key: str, value: str) -> bytes:
    """krakend.go: the filter holds `key + "-" + value` for a claim `key` whose value is a
    string (Go converts the string's UTF-8 bytes)."""
    return (key + "-" + value).encode("utf-8", "surrogatepass")


class Revoker:
    """One gateway's revocation filter: in-process (KrakenD's) and, with `connection_name`,
    shared in Redis. `run` serves the revocation API."""

    def __init__(
        self,
        config: RevokerConfig,
        secret: str,
        *,
        shared: SharedFilter | None = None,
        worker_index: int = 0,
        clock: Callable[[], float] = time.monotonic,
        previous: Revoker | None = None,
    ) -> None:
        assert config.n is not None and config.p is not None and config.ttl is not None
        self.config = config
        self.secret = secret
        self.worker_index = worker_index
        self.token_keys: tuple[str, ...] = config.token_keys or ()
        self.local: RotatingFilter
        if previous is not None and previous.shape() == self.shape():
            # a reload that restarts the services keeps the revocations (KrakenD has no reload:
            # a restart forgets them; here a reload must not un-revoke a token)
            self.local = previous.local
        else:
            # rotate.go: a ticker from the start, every TTL
            self.local = RotatingFilter(
                config.n, config.p, config.hash_name or "", config.ttl, clock
            )
        self.shared = shared
        self.urls: list[str] = []  # where the API listens, once it does

    def shape(self) -> tuple[Any, ...]:
        """What the filter's bits depend on: a filter of the same shape can be adopted."""
        config = self.config
        return (config.n, config.p, config.hash_name, config.ttl)

    async def add(self, elements: list[bytes]) -> bool:
        """Revoke `elements`; False when a shared filter could not be written (they are revoked
        in this process only)."""
        for item in elements:
            self.local.add(item)
        if self.shared is None:
            return True
        return await self.shared.add(elements)

    async def check(self, elements: list[bytes]) -> list[bool]:
        if self.shared is not None:
            found = await self.shared.check(elements)
            if found is not None:
                return found
        return [self.local.check(item) for item in elements]

    def claim_elements(self, claims: Mapping[str, Any]) -> list[bytes]:
        """krakend.go `RejectToken`'s candidates: the string claims of `token_keys`."""
        return [
            element(key, value)
            for key in self.token_keys
            if isinstance(value := claims.get(key), str)
        ]

    def reject_local(self, claims: Mapping[str, Any]) -> bool:
        return any(self.local.check(item) for item in self.claim_elements(claims))

    async def reject(self, claims: Mapping[str, Any]) -> bool:
        elements = self.claim_elements(claims)
        return bool(elements) and any(await self.check(elements))

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        from trio_gateway.auth.revoker_server import serve_revoker

        await serve_revoker(self, task_status)


def jwt_rejecter(
    context: Any,
) -> Callable[[Mapping[str, Any]], bool | Awaitable[bool]] | None:
    """The revoker's part of krakend-ce executor.go's rejecter chain, or None without one. An
    in-process filter answers at once; a shared one needs a Redis round trip (awaitable)."""
    revoker: Revoker | None = context.components.get(NAMESPACE.name)
    if revoker is None or not revoker.token_keys:
        return None
    if revoker.shared is None:
        return revoker.reject_local
    return revoker.reject


def _service(extra: ExtraConfig, context: Any) -> Revoker | None:
    config = extra.get(RevokerConfig)
    if config is None:
        return None
    shared = None
    if config.connection_name:
        from trio_gateway.auth.revoker_redis import SharedFilter

        shared = SharedFilter(config, context.redis)
    previous = context.previous_components.get(NAMESPACE.name)
    return Revoker(
        config,
        os.environ.get(SECRET_ENV, ""),
        shared=shared,
        worker_index=int(os.environ.get(_WORKER_INDEX_ENV) or 0),
        previous=previous if isinstance(previous, Revoker) else None,
    )


SERVICE = Layer(name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.SERVICE, build=_service)
