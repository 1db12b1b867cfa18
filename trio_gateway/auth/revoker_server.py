"""The revocation API of `auth/revoker`: an HTTP listener on the configured `port`, in place of
KrakenD's unauthenticated Go `net/rpc` server (bloomfilter `rpc/server/server.go`, whose
`BloomfilterRPC.Add` / `.Check` take a list of elements).

Every request needs `Authorization: Bearer <TRIO_GATEWAY_REVOKER_SECRET>` (compared in constant
time), else 401 with `WWW-Authenticate: Bearer`. Two routes, both `POST` with a JSON body:

* `/revoke`: adds to the filter, answers `{"added": <count>}`; 503 with the same body and an
  `error` when a shared (Redis) filter could not be written (the elements are then revoked in
  the receiving process only: send them again);
* `/check`: answers `{"checks": [<bool>, ...]}`, one per element, in order (rpc.go `Check`).

The body is either an object of claims, `{"jti": "abc"}` or `{"sub": ["a", "b"]}` (each key must
be one of `token_keys`; each value a string or a list of strings), whose elements are KrakenD's
`"<key>-<value>"`; or a list of such element strings as KrakenD's RPC client sends them,
`["jti-abc"]`. Anything else is a 400 with a JSON `error`; bodies over 1 MiB are a 413; other
methods a 405, other paths a 404.

As the `/__stats` listener (telemetry/stats_server.py): hypercorn's trio worker in the
gateway's background nursery, port + worker index under `run --workers N`, and a port that
cannot be bound is logged while the gateway serves on (bloomfilter's `server.New` drops the
error of its `Serve` goroutine).
"""

from __future__ import annotations

import hmac
import json
import logging
import socket
from typing import TYPE_CHECKING, Any, Final

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve

from trio_gateway.auth.revoker import LOG_PREFIX, SECRET_ENV, element
from trio_gateway.types import answer_lifespan

if TYPE_CHECKING:
    from trio_gateway.auth.revoker import Revoker

__all__ = ["MAX_BODY", "RevokerApp", "parse_elements", "serve_revoker"]

LOGGER = logging.getLogger(__name__)

MAX_BODY: Final = 1 << 20
_JSON: Final = b"application/json; charset=utf-8"
_ROUTES: Final = ("/revoke", "/check")


class BadRequest(ValueError):
    """A body that is not a list of elements or an object of token claims."""


def parse_elements(body: bytes, token_keys: tuple[str, ...]) -> list[bytes]:
    """The filter elements a request body names (module docstring), or BadRequest."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from None
    if isinstance(data, list):
        if not all(isinstance(item, str) for item in data):
            raise BadRequest('a list body holds element strings, such as ["jti-abc"]')
        return [item.encode("utf-8", "surrogatepass") for item in data]
    if not isinstance(data, dict):
        raise BadRequest('the body is an object of claims ({"jti": "abc"}) or a list of elements')
    elements: list[bytes] = []
    for key, value in data.items():
        if key not in token_keys:
            raise BadRequest(
                f"{key!r} is not one of the token_keys ({', '.join(token_keys) or 'none'}): "
                "a token is never checked for it"
            )
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in values):
            raise BadRequest(f"{key!r}: a claim value is a string or a list of strings")
        elements.extend(element(key, item) for item in values)
    return elements


class RevokerApp:
    """The ASGI app of the revocation listener."""

    def __init__(self, revoker: Revoker) -> None:
        self._revoker = revoker
        self._secret = revoker.secret.encode("utf-8")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await answer_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path not in _ROUTES:
            await _send(send, 404, {"error": "not found: POST /revoke or POST /check"})
            return
        if not self._authorized(scope["headers"]):
            await _send(send, 401, {"error": "unauthorized"}, [(b"www-authenticate", b"Bearer")])
            return
        if method != "POST":
            await _send(send, 405, {"error": "method not allowed"}, [(b"allow", b"POST")])
            return
        body = await _read(receive)
        if body is None:
            await _send(send, 413, {"error": f"the body is larger than {MAX_BODY} bytes"})
            return
        try:
            elements = parse_elements(body, self._revoker.token_keys)
        except BadRequest as exc:
            await _send(send, 400, {"error": str(exc)})
            return
        if path == "/revoke":
            if await self._revoker.add(elements):
                await _send(send, 200, {"added": len(elements)})
            else:
                message = "the shared (Redis) filter could not be written: revoked here only"
                await _send(send, 503, {"added": len(elements), "error": message})
        else:
            await _send(send, 200, {"checks": await self._revoker.check(elements)})

    def _authorized(self, headers: list[tuple[bytes, bytes]]) -> bool:
        for name, value in headers:
            if name == b"authorization":
                scheme, _, token = value.partition(b" ")
                return (
                    bool(self._secret)
                    and scheme.lower() == b"bearer"
                    and hmac.compare_digest(token.strip(), self._secret)
                )
        return False


async def _read(receive: Any) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(
    send: Any, status: int, payload: object, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", _JSON), (b"content-length", b"%d" % len(body))]
    headers.extend(extra or ())
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Started:
    """hypercorn's task status: records where the API listens, then passes it on."""

    def __init__(self, task_status: trio.TaskStatus[None], revoker: Revoker) -> None:
        self.task_status = task_status
        self.revoker = revoker

    def started(self, value: Any = None) -> None:
        self.revoker.urls = list(value or ())
        if value:
            LOGGER.info("%s revocation API on %s", LOG_PREFIX, ", ".join(value))
        self.task_status.started()


async def serve_revoker(
    revoker: Revoker, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
) -> None:
    """Serve the revocation API until cancelled (started once listening, or once it failed)."""
    if not revoker.secret:
        LOGGER.error("%s no revocation API: %s is not set", LOG_PREFIX, SECRET_ENV)
        task_status.started()
        return
    host = revoker.config.host or "0.0.0.0"  # Go's ":port": every interface
    port = revoker.config.port or 0
    if port:
        port += revoker.worker_index
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except BaseException:
            sock.close()
            raise
    except OSError as exc:
        LOGGER.error("%s cannot listen on %s: %s", LOG_PREFIX, address, exc)
        task_status.started()
        return
    config = HypercornConfig()
    config.bind = [f"fd://{sock.detach()}"]  # hypercorn owns (and closes) it from here
    config.accesslog = None
    config.errorlog = LOGGER
    config.include_server_header = False
    await hypercorn_serve(
        RevokerApp(revoker),  # type: ignore[arg-type]
        config,
        mode="asgi",
        task_status=_Started(task_status, revoker),
    )
