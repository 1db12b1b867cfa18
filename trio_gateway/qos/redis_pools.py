"""`redis` (service): KrakenD Enterprise's named Redis connections, shared by the components
that keep state in Redis (here `qos/ratelimit/router/redis`).

The shape is EE's (krakend-schema `v2.13/redis.json`): `connection_pools[]` (one Redis server
each) and `clusters[]`, each with a unique `name` the components refer to by `connection_name`.
EE's client is go-redis; ours is coredis (anyio, so it runs under trio). What a pool can honour
is honoured, the rest is refused by `check` rather than silently dropped:

* `address` (`host:port`): the TCP location; no port is an error (go-redis cannot dial it);
* `db`, `user_name`, `password`, `client_name`: SELECT / AUTH / CLIENT SETNAME on connect;
* `dial_timeout` (5s): the connect timeout;
* `pool_size` (10), `max_active_conns`: the most connections (the smaller when both are set);
* `pool_timeout`: how long a check may wait for a free connection (default 4 s, go-redis's);
* `conn_max_idle_time` (30m): idle connections close after it (whole seconds; <= 0: never);
* `max_retries` (3; -1 none), `min_retry_backoff` (8ms), `max_retry_backoff` (512ms): retries of a
  failed command with exponential backoff and jitter, within the check's deadline;
* `tls`: a TLS connection, with `client_tls`'s keys (transport/tls.py); others are refused;
* `opentelemetry`: accepted and ignored, with a warning (no Redis telemetry here);
* `min_idle_conns`, `max_idle_conns`, `conn_max_life_time`: refused when set (coredis has no
  such knob);
* `clusters[]` (`addresses`, `max_redirects` (3), and the pool keys but `db`): a Redis Cluster
  (coredis's RedisCluster, which discovers the slots from any member); `pool_size` is per node,
  as go-redis's.

Lifecycle: `RedisPools` is made at startup (no connection yet); the ASGI lifespan task enters it
(`async with pools:`) after building the stacks and leaves it at shutdown, so connections live
exactly as long as the server and nothing is global (two apps in one process share nothing).
A component that runs before the pools are open, while a cluster cannot be reached, or without a
lifespan, sees no client (`client()` is None) and applies its failure policy.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import trio

from trio_gateway.config.model import Seconds
from trio_gateway.namespace import Level, Namespace, Where
from trio_gateway.transport.tls import backend_ssl_context

if TYPE_CHECKING:
    from types import TracebackType

    import coredis

    from trio_gateway.config.diagnostics import Report

__all__ = [
    "NAMESPACE",
    "ClusterConfig",
    "ConnectionPoolConfig",
    "RedisConfig",
    "RedisPools",
    "check_connection_name",
    "release",
    "split_address",
]

LOGGER = logging.getLogger(__name__)

# go-redis's PoolTimeout default: ReadTimeout (3 s) + 1 s.
DEFAULT_POOL_TIMEOUT = 4.0
_DEFAULT_POOL_SIZE = 10  # go-redis: 0 means 10 per CPU; EE's schema says "maps to its default 10"
_TLS_KEYS = frozenset(
    {
        "allow_insecure_connections",
        "ca_certs",
        "client_certs",
        "disable_system_ca_pool",
        "min_version",
        "max_version",
    }
)


@attrs.frozen(kw_only=True)
class _CommonPoolConfig:
    name: str = ""
    client_name: str = ""
    user_name: str = ""
    password: str = ""
    dial_timeout: Seconds | None = None  # default 5 s
    pool_size: int = 0  # 0 = 10
    max_active_conns: int = 0  # 0 = no limit beyond pool_size
    pool_timeout: Seconds | None = None  # default 4 s (go-redis: ReadTimeout + 1 s)
    conn_max_idle_time: Seconds | None = None  # default 30 min; <= 0 never closes
    max_retries: int = 3  # -1 = never retry
    min_retry_backoff: Seconds | None = None  # default 8 ms
    max_retry_backoff: Seconds | None = None  # default 512 ms
    tls: Mapping[str, Any] | None = None  # `client_tls`'s keys
    opentelemetry: Mapping[str, Any] | None = None  # accepted, ignored
    # Not honoured by coredis: refused when set.
    min_idle_conns: int = 0
    max_idle_conns: int = 0
    conn_max_life_time: Seconds | None = None


@attrs.frozen(kw_only=True)
class ConnectionPoolConfig(_CommonPoolConfig):
    """One `connection_pools[]` entry: a pool of connections to one Redis server."""

    address: str = ""  # host:port
    db: int = 0


@attrs.frozen(kw_only=True)
class ClusterConfig(_CommonPoolConfig):
    """One `clusters[]` entry: the members of a Redis Cluster (any one is enough to start)."""

    addresses: tuple[str, ...] = ()
    max_redirects: int = 3


@attrs.frozen(kw_only=True)
class RedisConfig:
    """`extra_config.redis` (service): the named Redis connections."""

    NAMESPACE: ClassVar[str] = "redis"

    connection_pools: tuple[ConnectionPoolConfig, ...] = ()
    clusters: tuple[ClusterConfig, ...] = ()

    def pool(self, name: str) -> ConnectionPoolConfig | None:
        return next((p for p in self.connection_pools if p.name == name), None)

    def cluster(self, name: str) -> ClusterConfig | None:
        return next((c for c in self.clusters if c.name == name), None)


def split_address(address: str) -> tuple[str, int] | None:
    """`host:port` or `[v6]:port` as (host, port); None when it is not that."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        return None  # an IPv6 address needs its brackets (Go's net.SplitHostPort)
    return host, int(port)


def _check_common(entry: _CommonPoolConfig, path: tuple[Any, ...], report: Report) -> None:
    if not entry.name:
        report.error((*path, "name"), "a Redis connection needs a name (components refer to it)")
    for key in ("min_idle_conns", "max_idle_conns"):
        if getattr(entry, key):
            report.error(
                (*path, key),
                f"{key} is not supported by trio-gateway's Redis client (coredis)",
                "remove it: connections open on demand and stay open while used",
            )
    if entry.conn_max_life_time is not None and entry.conn_max_life_time > 0:
        report.error(
            (*path, "conn_max_life_time"),
            "conn_max_life_time is not supported by trio-gateway's Redis client (coredis)",
            "remove it, or use conn_max_idle_time",
        )
    for key in ("pool_size", "max_active_conns"):
        if getattr(entry, key) < 0:
            report.error((*path, key), f"{key} must not be negative")
    if entry.max_retries < -1:
        report.error((*path, "max_retries"), "max_retries must be -1 (no retry) or more")
    if entry.tls is not None:
        unknown = sorted(set(entry.tls) - _TLS_KEYS)
        for key in unknown:
            if key.startswith(("@", "$", "_", "#")):
                continue
            report.error(
                (*path, "tls", key),
                f"tls.{key} is not supported for Redis connections",
                "supported: " + ", ".join(sorted(_TLS_KEYS)),
            )
        if entry.tls.get("allow_insecure_connections") is True:
            report.warning(
                (*path, "tls", "allow_insecure_connections"),
                "the Redis server's certificate is not verified",
            )
    if entry.opentelemetry:
        report.warning((*path, "opentelemetry"), "ignored: trio-gateway reports no Redis telemetry")


def check(config: RedisConfig, where: Where, report: Report) -> None:
    seen: dict[str, tuple[Any, ...]] = {}
    entries: list[tuple[_CommonPoolConfig, tuple[Any, ...]]] = [
        *((p, (*where.path, "connection_pools", i)) for i, p in enumerate(config.connection_pools)),
        *((c, (*where.path, "clusters", i)) for i, c in enumerate(config.clusters)),
    ]
    for entry, path in entries:
        _check_common(entry, path, report)
        if entry.name and entry.name in seen:
            report.error(
                (*path, "name"),
                f"the Redis connection name {entry.name!r} is declared twice",
                "pool and cluster names share one namespace: make each unique",
            )
        seen.setdefault(entry.name, path)
    for index, pool in enumerate(config.connection_pools):
        path = (*where.path, "connection_pools", index)
        if split_address(pool.address) is None:
            report.error(
                (*path, "address"),
                f"address {pool.address!r} is not host:port",
                "write it as host:port, e.g. 127.0.0.1:6379 or [::1]:6379",
            )
        if pool.db < 0:
            report.error((*path, "db"), "db must not be negative")
    for index, cluster in enumerate(config.clusters):
        path = (*where.path, "clusters", index)
        if not cluster.addresses:
            report.error((*path, "addresses"), "a cluster needs the addresses of its members")
        for i, address in enumerate(cluster.addresses):
            if split_address(address) is None:
                report.error(
                    (*path, "addresses", i),
                    f"address {address!r} is not host:port",
                    "write it as host:port, e.g. 127.0.0.1:6379 or [::1]:6379",
                )
        if cluster.max_redirects < 0:
            report.error((*path, "max_redirects"), "max_redirects must not be negative")


NAMESPACE = Namespace(
    name="redis",
    levels=frozenset({Level.SERVICE}),
    config=RedisConfig,
    check=check,
)


def check_connection_name(
    connection_name: str, connection_pool: str, where: Where, report: Report
) -> None:
    """A component's `connection_name` (or the deprecated `connection_pool`) must name a
    declared pool or cluster: a limit whose store is unknown cannot be enforced."""
    name = connection_name or connection_pool
    key = "connection_name" if connection_name else "connection_pool"
    if connection_name and connection_pool and connection_name != connection_pool:
        report.error(
            (*where.path, "connection_pool"),
            f"connection_pool {connection_pool!r} differs from connection_name {connection_name!r}",
            "connection_pool is the deprecated name of connection_name: keep one",
        )
    if not name:
        report.error(
            (*where.path, "connection_name"),
            "connection_name is required: the name of a pool in the service's `redis` block",
        )
        return
    redis = where.service.extra_config.get(RedisConfig)
    if redis is None or (redis.pool(name) is None and redis.cluster(name) is None):
        report.error(
            (*where.path, key),
            f"no Redis connection pool or cluster named {name!r}",
            "declare it in the service's extra_config.redis (connection_pools or clusters)",
        )


class _QuietCoredis(logging.Filter):
    """coredis logs each failed connection attempt with a traceback; the components that use a
    pool report the failures themselves (one warning per 10 s, qos/ratelimit_router_redis.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.CRITICAL


_QUIET = _QuietCoredis()


@functools.cache
def _connection_class(cluster: bool = False) -> type[Any]:
    from anyio import TASK_STATUS_IGNORED
    from coredis.connection import ClusterConnection, TCPConnection

    base: type[Any] = ClusterConnection if cluster else TCPConnection

    class Connection(base):  # type: ignore[misc]
        """coredis's TCP connection, closing its buffers when it ends: coredis makes them with
        the connection and closes them only after a successful connect, so each failed attempt
        (Redis down) would leave four unclosed memory streams to the garbage collector."""

        async def run(self, *, task_status: Any = TASK_STATUS_IGNORED) -> None:
            try:
                await super().run(task_status=task_status)
            finally:
                for name in (
                    "_write_buffer_in",
                    "_write_buffer_out",
                    "_push_message_buffer_in",
                    "_push_message_buffer_out",
                    "_streamed_message_buffer_in",
                    "_streamed_message_buffer_out",
                ):
                    stream = getattr(self, name, None)
                    if stream is not None:
                        stream.close()

    return Connection


def _retry_policy(entry: _CommonPoolConfig) -> Any:
    from coredis.exceptions import ConnectionError as RedisConnectionError
    from coredis.retry import ExponentialBackoffRetryPolicy, NoRetryPolicy

    if entry.max_retries == -1:
        return NoRetryPolicy()
    return ExponentialBackoffRetryPolicy(
        (RedisConnectionError, TimeoutError),
        retries=entry.max_retries,
        base_delay=0.008 if entry.min_retry_backoff is None else entry.min_retry_backoff,
        max_delay=0.512 if entry.max_retry_backoff is None else entry.max_retry_backoff,
        jitter=True,
    )


def _size(entry: _CommonPoolConfig) -> int:
    size = entry.pool_size or _DEFAULT_POOL_SIZE
    return min(size, entry.max_active_conns) if entry.max_active_conns > 0 else size


def _idle(entry: _CommonPoolConfig) -> int | None:
    idle = 1800.0 if entry.conn_max_idle_time is None else entry.conn_max_idle_time
    return int(idle) if idle > 0 else None


def _client(pool: ConnectionPoolConfig) -> coredis.Redis[bytes]:
    import coredis

    address = split_address(pool.address)
    assert address is not None, "check refuses it"
    logging.getLogger("coredis").addFilter(_QUIET)  # once: a filter is kept in a set-like list
    client: coredis.Redis[bytes] = coredis.Redis(
        address[0],
        address[1],
        pool.db,
        username=pool.user_name or None,
        password=pool.password or None,
        client_name=pool.client_name or None,
        connect_timeout=5.0 if pool.dial_timeout is None else pool.dial_timeout,
        pool_timeout=DEFAULT_POOL_TIMEOUT if pool.pool_timeout is None else pool.pool_timeout,
        max_connections=_size(pool),
        max_idle_time=_idle(pool),
        ssl_context=None if pool.tls is None else backend_ssl_context(pool.tls, False),
        ssl=pool.tls is not None,
        retry_policy=_retry_policy(pool),
        # One round trip per check: no version probe (EVALSHA is in every Redis since 2.6).
        verify_version=False,
    )
    client.connection_pool.connection_class = _connection_class()
    return client


def _cluster_client(cluster: ClusterConfig) -> coredis.RedisCluster[bytes]:
    import coredis
    from coredis.exceptions import ClusterDownError
    from coredis.retry import CompositeRetryPolicy, ConstantRetryPolicy

    nodes = [split_address(a) for a in cluster.addresses]
    logging.getLogger("coredis").addFilter(_QUIET)
    client: coredis.RedisCluster[bytes] = coredis.RedisCluster(
        startup_nodes=[{"host": n[0], "port": n[1]} for n in nodes if n is not None],
        username=cluster.user_name or None,
        password=cluster.password or None,
        connect_timeout=5.0 if cluster.dial_timeout is None else cluster.dial_timeout,
        pool_timeout=DEFAULT_POOL_TIMEOUT if cluster.pool_timeout is None else cluster.pool_timeout,
        # go-redis's ClusterOptions.PoolSize is per node
        max_connections=_size(cluster),
        max_connections_per_node=True,
        ssl_context=None if cluster.tls is None else backend_ssl_context(cluster.tls, False),
        ssl=cluster.tls is not None,
        retry_policy=CompositeRetryPolicy(
            ConstantRetryPolicy((ClusterDownError,), retries=2, delay=0.1), _retry_policy(cluster)
        ),
        verify_version=False,
    )
    pool = client.connection_pool
    pool.connection_class = _connection_class(cluster=True)
    if cluster.client_name:
        pool.connection_kwargs["client_name"] = cluster.client_name
    if _idle(cluster) is not None:
        pool.connection_kwargs["max_idle_time"] = _idle(cluster)
    # go-redis's MaxRedirects: MOVED/ASK hops followed per command (coredis counts attempts)
    client.MAX_RETRIES = max(1, cluster.max_redirects + 1)
    return client


def release(client: Any) -> None:
    """Close what coredis leaves open once a client is done: a cluster client's layout keeps a
    memory stream pair that nothing closes (a ResourceWarning at garbage collection)."""
    layout = getattr(client.connection_pool, "cluster_layout", None)
    for stream in getattr(layout, "_error_stream", None) or ():
        stream.close()


class RedisPools:
    """The service's Redis clients by name, kept open while the pools are entered (`async with`,
    by the lifespan task).

    Each client is kept by a task of its own: it enters the client (a cluster client discovers
    the cluster's layout there, which fails while the cluster is unreachable), publishes it, and
    when that fails tries again with a backoff (0.1 s doubling up to 5 s). A client is returned
    by `client()` only while it is open."""

    __slots__ = ("_live", "_logged", "_makers", "_nursery", "_stack")

    def __init__(self, config: RedisConfig | None = None) -> None:
        self._makers: dict[str, Callable[[], Any]] = {}
        self._live: dict[str, Any] = {}
        self._stack: AsyncExitStack | None = None
        self._nursery: trio.Nursery | None = None
        self._logged = -math.inf
        if config is not None:
            for pool in config.connection_pools:
                self._makers[pool.name] = functools.partial(_client, pool)
            for cluster in config.clusters:
                self._makers.setdefault(cluster.name, functools.partial(_cluster_client, cluster))

    def __bool__(self) -> bool:
        return bool(self._makers)

    def client(self, name: str) -> coredis.Redis[bytes] | coredis.RedisCluster[bytes] | None:
        """The open client `name`; None while it is not open (not yet, failing, or closed)."""
        return self._live.get(name)

    async def __aenter__(self) -> RedisPools:
        stack = AsyncExitStack()
        nursery = await stack.enter_async_context(trio.open_nursery())
        self._stack, self._nursery = stack, nursery
        for name, make in self._makers.items():
            await nursery.start(self._keep, name, make)
        if self._makers:
            LOGGER.info("redis: %d connection(s) configured", len(self._makers))
        return self

    async def _keep(
        self, name: str, make: Callable[[], Any], *, task_status: trio.TaskStatus[None]
    ) -> None:
        started = False
        delay = 0.1
        while True:
            client = make()
            try:
                async with client:
                    self._live[name] = client
                    if not started:
                        started = True
                        task_status.started()
                    await trio.sleep_forever()
            except Exception as exc:  # coredis's errors, OSError: try again later
                now = trio.current_time()
                if now - self._logged >= 10.0:
                    LOGGER.warning("redis: connection %r could not be opened: %s", name, exc)
                    self._logged = now
            finally:
                self._live.pop(name, None)
                release(client)
            if not started:
                started = True
                task_status.started()
            await trio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        nursery, self._nursery = self._nursery, None
        if nursery is not None:
            nursery.cancel_scope.cancel()  # each keeper leaves its client: connections close
        if stack is not None:
            await stack.aclose()
