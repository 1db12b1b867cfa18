"""What an `extra_config` namespace is to trio-gateway, and what its layers look like.

A namespace is one module under its KrakenD family (`qos/circuit_breaker.py` for
`qos/circuit-breaker`) that declares a `Namespace`: its name and legacy aliases, the levels KrakenD
reads it at, the attrs class its JSON is structured into, and its `check`. The same module builds
what runs, as one `Layer` per place it takes in a request's stack; `trio_gateway/stack.py` lists
those layers in KrakenD's order, one line each, and the registry of implemented namespaces is the
union of the namespaces named there (lura's `proxy/factory.go` and krakend-ce's
`backend_factory.go` / `handler_factory.go` are the model: each component one package, one line in
a factory).

A layer's `build` returns None when its namespace is absent (lura's `EmptyMiddleware`): a
configuration that asks for nothing gets no layer and pays nothing per request.

This module sits at the bottom of the package: it imports only the configuration's core model and
the request types, so every namespace module can import it.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

import attrs
import trio

from trio_gateway.config.diagnostics import Path, Report
from trio_gateway.types import Headers

if TYPE_CHECKING:
    from trio_gateway.config.model import BackendConfig, EndpointConfig, ServiceConfig

__all__ = [
    "Admission",
    "EndpointGuard",
    "Layer",
    "Level",
    "Namespace",
    "NamespaceConfig",
    "Observed",
    "Registry",
    "RejectAll",
    "Rejection",
    "Resources",
    "ServiceGuard",
    "Slot",
    "Where",
    "reads_itself",
]


class Level(enum.Enum):
    """Where an `extra_config` object sits."""

    SERVICE = "service"
    ENDPOINT = "endpoint"
    BACKEND = "backend"
    ASYNC_AGENT = "async_agent"


class NamespaceConfig(Protocol):
    """A namespace's attrs config class: it knows the (canonical) name it is read from."""

    NAMESPACE: ClassVar[str]


def reads_itself(config_class: Any) -> bool:
    """Whether a namespace's config class reads its JSON itself (`from_json(value)`), because
    that JSON is not an object of options: `validation/cel` is a list, `validation/json-schema`
    the schema itself. The loader then hands it the value as written (no unknown-key warnings,
    no weak typing) and `JSON_SCHEMA` (a class attribute) describes it in the published schema."""
    return isinstance(config_class, type) and callable(getattr(config_class, "from_json", None))


@attrs.frozen(kw_only=True)
class Where:
    """Where a namespace's config was found, for its `check`: the JSON path of the namespace
    object itself, its level, and the objects around it."""

    path: Path
    level: Level
    service: ServiceConfig
    endpoint: EndpointConfig | None = None
    backend: BackendConfig | None = None

    @property
    def output_encoding(self) -> str:
        """The endpoint's output encoding, inherited from the service ("" outside endpoints)."""
        if self.endpoint is None:
            return ""
        return self.endpoint.output_encoding or self.service.output_encoding


C = TypeVar("C")
Check = Callable[[Any, Where, Report], None]


@attrs.frozen(kw_only=True)
class Namespace(Generic[C]):
    """One implemented namespace.

    Attributes:
        name: canonical (KrakenD v3 short) name, e.g. `qos/circuit-breaker`.
        levels: where KrakenD reads it; elsewhere `check` warns that it is ignored.
        config: the attrs class its JSON is structured into (strictly: see config/converter.py).
        aliases: legacy names KrakenD accepts for it (krakend-ce `cmd/krakend-ce/main.go`).
        check: semantic checks beyond the types, reporting at JSON paths under `Where.path`.
    """

    name: str
    levels: frozenset[Level]
    config: type[C]
    aliases: tuple[str, ...] = ()
    check: Check | None = None


class Slot(enum.Enum):
    """The places a layer can take in a request's stack (see stack.py for the order)."""

    SERVICE = "service"  # a background task as long as the app lives (stats listener, pushes)
    SERVICE_LAYER = "service layer"  # around everything the service serves (an ASGI wrapper)
    SERVICE_GUARD = "service guard"  # before routing, every request
    ENDPOINT_GUARD = "endpoint guard"  # after routing, before the body is read
    RESPONDER = "responder"  # replaces KrakenD's rendering of the endpoint's answer
    ENDPOINT_LAYER = "endpoint layer"  # around the merge of the backends
    BACKEND_LAYER = "backend layer"  # around one backend's call
    CLIENT_WRAPPER = "client wrapper"  # under the call, around the HTTP client


@attrs.frozen(kw_only=True)
class Layer:
    """One entry of a stack: what it is called in the docs, its namespace (None for KrakenD core
    behaviour that has no namespace of its own, such as `concurrent_calls`), its slot, and its
    build function, whose signature is the slot's (stack.py documents each)."""

    name: str
    namespace: Namespace[Any] | None
    slot: Slot
    build: Callable[..., Any]


@attrs.frozen
class Rejection:
    """A guard's answer instead of the endpoint's: the edge sends it as it is."""

    status: int
    headers: Headers = attrs.field(factory=list)
    body: bytes = b""


@attrs.define(slots=True)
class Admission:
    """One request as the endpoint guards see it. A guard may replace `headers` (the client's,
    as received) and `params` (the path parameters): the JWT validator adds propagated claims and
    `{JWT.claim}` values there, and what the last guard leaves is what the backends get."""

    scope: dict[str, Any]
    headers: Headers
    params: dict[str, str]
    # the service's client-IP rules (routing/clientip.py), applied only when a guard asks
    resolver: Any
    # The ASGI send everything after the guard writes through (later guards' rejections
    # included): a guard that observes the answer (the router metrics) replaces it, and adds
    # to `finishers`, called once the request is over, however it ended.
    send: Any = None
    finishers: list[Callable[[], None]] = attrs.field(factory=list)
    # The request body, for a guard that reads or replaces it before the endpoint does
    # (router-level Lua's `ctx:body()`): `receive` reads it (at most `max_body` bytes, 0 = no
    # limit); once `body` is set the edge serves the request with it instead of reading its own.
    receive: Any = None
    max_body: int = 0
    body: bytes | None = None

    def client_ip(self) -> str:
        """The client's IP as gin resolves it (trusted proxies, forwarded headers)."""
        client = self.scope.get("client")
        resolved: str = self.resolver.resolve(client[0] if client else "", self.scope["headers"])
        return resolved


class ServiceGuard(Protocol):
    """A guard that runs before routing (CORS, security headers, the service bot detector)."""

    @property
    def covers_health(self) -> bool:
        """Whether it also runs for the health endpoint (KrakenD registers `/__health` before
        `security/http` and the bot detector, but inside CORS)."""
        ...

    def admit(self, scope: dict[str, Any]) -> Rejection | None:
        """The answer to send instead of serving the request, or None to go on."""
        ...

    def response_headers(self, scope: dict[str, Any]) -> Headers:
        """Headers to add to whatever the gateway answers."""
        ...


class EndpointGuard(Protocol):
    """A guard that runs after routing, before the request body is read."""

    async def __call__(self, admission: Admission, /) -> Rejection | None: ...


class RejectAll:
    """The guard of an endpoint whose layer could not be built at startup (a JWK file that cannot
    be read, say): every request gets the same answer, and the rest of the gateway serves
    (krakend-jose's `erroredHandler`: 401)."""

    __slots__ = ("_rejection",)

    def __init__(self, rejection: Rejection) -> None:
        self._rejection = rejection

    async def __call__(self, admission: Admission) -> Rejection:
        return self._rejection


class Registry:
    """The implemented namespaces, by canonical name and by alias; frozen once built."""

    __slots__ = ("_aliases", "_by_class", "_by_name")

    def __init__(self, namespaces: Iterable[Namespace[Any]]) -> None:
        by_name: dict[str, Namespace[Any]] = {}
        for namespace in namespaces:
            known = by_name.get(namespace.name)
            if known is not None and known is not namespace:
                raise ValueError(f"namespace {namespace.name} is declared twice")
            by_name[namespace.name] = namespace
        self._by_name: Mapping[str, Namespace[Any]] = MappingProxyType(by_name)
        self._aliases: Mapping[str, str] = MappingProxyType(
            {alias: ns.name for ns in by_name.values() for alias in ns.aliases}
        )
        self._by_class: Mapping[type, Namespace[Any]] = MappingProxyType(
            {ns.config: ns for ns in by_name.values()}
        )

    @property
    def names(self) -> Mapping[str, Namespace[Any]]:
        return self._by_name

    @property
    def aliases(self) -> Mapping[str, str]:
        """Legacy name -> canonical name."""
        return self._aliases

    def get(self, name: str) -> Namespace[Any] | None:
        """The namespace for a canonical name or an alias, or None."""
        return self._by_name.get(self._aliases.get(name, name))

    def __iter__(self) -> Any:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)


@attrs.frozen(kw_only=True)
class Observed:
    """Statistics a layer keeps about its own decisions (rate limit rejections, breaker
    refusals, cache hits), offered to whoever reports them (telemetry) without the layer
    knowing who: `read()` returns the layer's snapshot and must be a plain read, safe from
    another thread (an exporter's). `source` is the object the numbers belong to (a cache
    shared by several backends is one source); `endpoint` / `backend` say where it sits."""

    kind: str  # the namespace, e.g. "qos/http-cache"
    read: Callable[[], Any]
    source: object
    endpoint: Any = None  # EndpointPlan
    backend: Any = None  # BackendCall; None for a store shared by several backends


class Resources:
    """What a gateway's namespaces make once and share across their layers (telemetry
    providers), what their layers observe, and what must be closed at shutdown. Filled while the
    stack is built, at startup; `aclose` runs once, at shutdown."""

    __slots__ = ("_closers", "_made", "observed", "tasks")

    def __init__(self) -> None:
        self._made: dict[object, Any] = {}
        self._closers: list[Callable[[], None]] = []
        self.observed: list[Observed] = []
        # what the made objects run while the services run (edge/app.py starts them in the
        # services' nursery, after the stack is built, and cancels them before `aclose`)
        self.tasks: list[Callable[[trio.TaskStatus[None]], Awaitable[None]]] = []

    def once(
        self,
        key: object,
        make: Callable[[], Any],
        close: Callable[[Any], None] | None = None,
        run: Callable[[Any, trio.TaskStatus[None]], Awaitable[None]] | None = None,
    ) -> Any:
        """The object made for `key`, made now (with `make`) if it is the first asking;
        `close(made)` is a blocking call, run in a thread at shutdown; `run(made, task_status)`
        a task of the services (started as `nursery.start` starts one)."""
        if key in self._made:
            return self._made[key]
        made = make()
        self._made[key] = made
        if close is not None:
            self._closers.append(functools.partial(close, made))
        if run is not None:
            self.tasks.append(functools.partial(run, made))
        return made

    def observe(self, observed: Observed) -> None:
        self.observed.append(observed)

    async def aclose(self) -> None:
        """Close everything, last made first; a failure is logged, the rest still closed."""
        closers, self._closers = self._closers, []
        for close in reversed(closers):
            try:
                await trio.to_thread.run_sync(close, abandon_on_cancel=True)
            except Exception:
                logging.getLogger(__name__).exception("closing %r failed", close)
