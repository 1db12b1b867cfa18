"""Python hooks (`extra_config."modifier/python"`): trio-gateway's answer to KrakenD's Lua and Go
plugins. See `docs/hooks.md` for the user's side.

An endpoint or a backend names up to two callables by import path:

    "modifier/python": {"request": "pkg.mod:check_user", "response": "pkg.mod:add_field"}

`HookProxy` is the layer that runs them around the next proxy:

* the request hook gets a *copy* of the `Request` (its own headers list, params dict, query list)
  and changes it in place or returns a new `Request`; the copy is what the next proxy gets, so a
  change never leaks to sibling backends or to another request. Raising `Reject` answers at once
  with its status, body and headers, without calling the next proxy.
* the response hook gets the `Response` the next proxy produced (not run when it raised) and
  changes it in place or returns a new `Response`; it may also raise `Reject`.

A hook may be a plain function (run directly, in the request's task: it must be quick) or a
coroutine function (awaited, so it may do I/O with trio). A `GatewayError` raised by a hook
(`Reject` included) passes through unchanged; any other exception is logged with its traceback and
the endpoint's name and becomes a `HookError` (a bare 500 at the edge).

Nothing here exists at run time unless a config names a hook: the factory adds no layer otherwise.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from trio_gateway.config.diagnostics import Report
from trio_gateway.errors import GatewayError
from trio_gateway.headers import first_any_case
from trio_gateway.namespace import Layer, Level, Namespace, Slot, Where
from trio_gateway.types import Headers, ProxyFunction, Request, Response

__all__ = [
    "HookError",
    "HookLoadError",
    "HookProxy",
    "Reject",
    "build_hook_proxy",
    "copy_request",
    "del_header",
    "get_header",
    "load_hook",
    "set_header",
]

if TYPE_CHECKING:
    from trio_gateway.plan import EndpointPlan
    from trio_gateway.proxy.backend import BackendCall

LOGGER = logging.getLogger(__name__)

Hook = Callable[[Any], Any]
_TEXT_PLAIN = b"text/plain; charset=utf-8"


def _to_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


class Reject(GatewayError):
    """Raised by a hook to answer the client at once: `status`, `body` and `headers` are sent as
    they are (the body even without `router.return_error_msg`). A body without a `Content-Type`
    header is sent as `text/plain; charset=utf-8`.

    Raised by a backend-level hook, it is that backend's failure: it reaches the client only when
    the backend is the endpoint's only one (a merge treats it as any failed backend).
    """

    def __init__(
        self,
        status: int,
        body: bytes | str = b"",
        headers: Iterable[tuple[str | bytes, str | bytes]] = (),
    ) -> None:
        if not isinstance(status, int) or not 200 <= status <= 599:
            raise ValueError(f"Reject status must be an int in 200..599, not {status!r}")
        payload = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        if payload and status in (204, 304):
            raise ValueError(f"a {status} answer cannot have a body")
        super().__init__(f"rejected by a hook with {status}")
        self.status_hint = status
        self.body = payload
        self.headers: Headers = [(_to_bytes(k).lower(), _to_bytes(v)) for k, v in headers]
        if payload and not any(name == b"content-type" for name, _ in self.headers):
            self.headers.append((b"content-type", _TEXT_PLAIN))


class HookError(GatewayError):
    """A hook raised something other than a `GatewayError`, or returned something unexpected.

    The message names the hook only: the exception itself is in the log, never sent to a client.
    """

    status_hint = 500


class HookLoadError(Exception):
    """An import path that does not name a callable; the message says why, without traceback."""


def _split(path: str) -> tuple[str, str]:
    """`pkg.mod:attr.sub` -> ("pkg.mod", "attr.sub"); `pkg.mod.attr` -> ("pkg.mod", "attr")."""
    if ":" in path:
        module, _, attr = path.partition(":")
    else:
        module, _, attr = path.rpartition(".")
    parts = [*module.split("."), *attr.split(".")]
    if not module or not attr or not all(p.isidentifier() for p in parts):
        raise HookLoadError(
            f'invalid import path "{path}": want "package.module:function" '
            '(or "package.module.function")'
        )
    return module, attr


def load_hook(path: str) -> Hook:
    """Import the callable named by `path`, or raise `HookLoadError` saying what is wrong."""
    module_name, attr = _split(path)
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, or whatever the module raises while importing
        raise HookLoadError(
            f'cannot import module "{module_name}": {type(exc).__name__}: {exc}'
        ) from exc
    owner = module_name
    for name in attr.split("."):
        if not hasattr(obj, name):
            what = f'module "{owner}"' if owner == module_name else f'"{owner}"'
            raise HookLoadError(f'{what} has no attribute "{name}"')
        obj = getattr(obj, name)
        owner = f"{owner}:{name}" if owner == module_name else f"{owner}.{name}"
    if not callable(obj):
        raise HookLoadError(f'"{path}" is not callable (type {type(obj).__name__})')
    hook: Hook = obj
    return hook


def copy_request(request: Request) -> Request:
    """A copy whose mutable parts (params, query, headers) are the copy's own."""
    return Request(
        method=request.method,
        path=request.path,
        params=dict(request.params),
        query=list(request.query),
        headers=list(request.headers),
        body=request.body,
    )


def get_header(headers: Headers | None, name: str) -> str | None:
    """The first value of header `name` (any case), decoded as latin-1, or None."""
    value = first_any_case(headers or (), name.lower().encode("latin-1"))
    return None if value is None else value.decode("latin-1")


def del_header(headers: Headers, name: str) -> None:
    """Remove every header called `name` (any case), in place."""
    key = name.lower().encode("latin-1")
    headers[:] = [(k, v) for k, v in headers if k.lower() != key]


def set_header(headers: Headers, name: str, value: str) -> None:
    """Replace every header called `name` with one `name: value`, in place."""
    del_header(headers, name)
    headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))


class HookProxy:
    """Runs a request hook before, and a response hook after, the next proxy."""

    __slots__ = ("_next", "_request", "_request_path", "_response", "_response_path", "_where")

    def __init__(
        self,
        next_proxy: ProxyFunction,
        *,
        where: str,
        request: tuple[str, Hook] | None = None,
        response: tuple[str, Hook] | None = None,
    ) -> None:
        """`where` names the endpoint (and backend) in logs; hooks are (import path, callable)."""
        self._next = next_proxy
        self._where = where
        self._request_path = request[0] if request else ""
        self._request: Hook | None = request[1] if request else None
        self._response_path = response[0] if response else ""
        self._response: Hook | None = response[1] if response else None

    async def __call__(self, request: Request) -> Response:
        if self._request is not None:
            view = copy_request(request)
            outcome = await self._run(self._request, self._request_path, view)
            if outcome is None:
                request = view
            elif isinstance(outcome, Request):
                request = outcome
            else:
                raise self._bad_return(self._request_path, outcome, "Request")
        response = await self._next(request)
        if self._response is not None:
            outcome = await self._run(self._response, self._response_path, response)
            if isinstance(outcome, Response):
                response = outcome
            elif outcome is not None:
                raise self._bad_return(self._response_path, outcome, "Response")
        return response

    async def _run(self, hook: Hook, path: str, argument: Request | Response) -> Any:
        try:
            result = hook(argument)
            if inspect.isawaitable(result):
                result = await result
        except GatewayError:
            raise
        except Exception as exc:
            LOGGER.exception("hook %s failed on %s", path, self._where)
            raise HookError(f"hook {path} failed") from exc
        return result

    def _bad_return(self, path: str, outcome: object, expected: str) -> HookError:
        LOGGER.error(
            "hook %s failed on %s: returned %s, want None or a %s",
            path,
            self._where,
            type(outcome).__name__,
            expected,
        )
        return HookError(f"hook {path} failed")


def build_hook_proxy(
    next_proxy: ProxyFunction, config: PythonHookConfig | None, where: str
) -> ProxyFunction:
    """Wrap `next_proxy` in a `HookProxy` when `config` names a hook; else return it unchanged.

    Raises `HookLoadError` for an import path that `check` would have rejected.
    """
    if config is None or not (config.request or config.response):
        return next_proxy
    return HookProxy(
        next_proxy,
        where=where,
        request=(config.request, load_hook(config.request)) if config.request else None,
        response=(config.response, load_hook(config.response)) if config.response else None,
    )


@attrs.frozen(kw_only=True)
class PythonHookConfig:
    """`extra_config."modifier/python"` (endpoint, backend): Python callables by import path
    (`package.module:function`), run before (`request`) and after (`response`) the proxy.
    See `docs/hooks.md`."""

    NAMESPACE: ClassVar[str] = "modifier/python"

    request: str = ""
    response: str = ""


def check(config: PythonHookConfig, where: Where, report: Report) -> None:
    """Every import path must name a callable. The modules are imported here, as `run` would
    import them: a hook module with import-time side effects runs them during `check` too. An
    import error is reported in one line (its type and message), never with a traceback."""
    if not config.request and not config.response:
        report.warning(where.path, "no `request` nor `response` hook: nothing to run (ignored)")
        return
    if where.output_encoding == "no-op":
        report.warning(
            where.path,
            "Python hooks do not run on a no-op endpoint (its answer is streamed through "
            "untouched): they are ignored here",
        )
    for field, import_path in (("request", config.request), ("response", config.response)):
        if not import_path:
            continue
        try:
            load_hook(import_path)
        except HookLoadError as exc:
            report.error((*where.path, field), str(exc))


NAMESPACE = Namespace(
    name="modifier/python",
    levels=frozenset({Level.ENDPOINT, Level.BACKEND}),
    config=PythonHookConfig,
    check=check,
)


def build_endpoint_layer(
    next_proxy: ProxyFunction, plan: EndpointPlan, context: Any
) -> ProxyFunction | None:
    """Outermost at the endpoint: a request a hook rejects reaches no shadow backend."""
    config = plan.extra.get(PythonHookConfig)
    if config is None or plan.output_encoding == "no-op":
        return None
    return build_hook_proxy(next_proxy, config, plan.name)


def build_backend_layer(
    next_proxy: ProxyFunction, call: BackendCall, endpoint: EndpointPlan, context: Any
) -> ProxyFunction | None:
    """Outermost at the backend: a hook runs once per backend call (not once per hedged
    attempt), and its failures never count toward the circuit breaker or the rate limit."""
    config = call.extra.get(PythonHookConfig)
    if config is None or endpoint.output_encoding == "no-op":
        return None
    return build_hook_proxy(next_proxy, config, f"{endpoint.name} (backend {call.name})")


ENDPOINT_LAYER = Layer(
    name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.ENDPOINT_LAYER, build=build_endpoint_layer
)
BACKEND_LAYER = Layer(
    name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.BACKEND_LAYER, build=build_backend_layer
)
