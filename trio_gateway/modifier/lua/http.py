"""`http_response.new(url[, method, body[, headers]])`: krakend-lua's HTTP client helper
(`decorator/http.go`), on the gateway's own backend client.

Design: scripts run in a worker thread (runtime.py), so the call goes back into trio with
`trio.from_thread.run` and is made by the gateway's `HTTPClient` (its pool, TLS settings and
redirect rules, as KrakenD's `http.DefaultClient` shares Go's transport). The event loop never
waits on the call, and the call runs under the cancel scopes of the task that started the thread:
at `modifier/lua-proxy` / `lua-backend` that is the endpoint's timeout (KrakenD passes the
request's context, which carries that deadline), so a call past the deadline is cancelled, not
left running. At router level (`modifier/lua-endpoint`) KrakenD's context (gin's) has no deadline;
we bound the call by the endpoint timeout there too (a hung server would otherwise hold a worker
thread for good).

As Go's client (`http.DefaultClient.Do` after `http.NewRequest`): the header table's string
values and the string forms of a nested table's items are added under the canonical name (other
value types are skipped); `User-Agent` is the gateway's unless the script set one (Go writes the
first value only); `Host` comes from the URL; `Accept-Encoding: gzip` is asked when the script did
not ask for an encoding (nor a `Range`, nor `HEAD`) and such a gzipped answer is gunzipped with
`Content-Encoding` and `Content-Length` taken off; redirects are followed (10 at most). The whole
body is read at once (Go reads it on `:body()`), within the backend body limit.
"""

from __future__ import annotations

from typing import Any

import attrs
import trio

from trio_gateway._version import __version__
from trio_gateway.encoding.gunzip import GunzipTooLarge, gunzip, is_gzip
from trio_gateway.errors import GatewayError
from trio_gateway.transport import TransportError
from trio_gateway.transport.origin import split_url

__all__ = ["USER_AGENT", "HttpAnswer", "LuaHttp"]

# the gateway's own, as its backend calls send (plan.py `USER_AGENT`; KrakenD's is
# `KrakenD Version x`)
USER_AGENT = f"trio-gateway/{__version__}".encode()

NIL_POINTER = "runtime error: invalid memory address or nil pointer dereference"


@attrs.define(slots=True)
class HttpAnswer:
    """One `http_response` object's answer (`closed` after `:close()`, as Go's `R = nil`)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    closed: bool = False


def _canonical(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


class LuaHttp:
    """What a Lua state calls for `http_response.new`: one per layer, shared by its requests."""

    __slots__ = ("_client", "_timeout", "_user_agent")

    def __init__(self, client: Any, user_agent: bytes, timeout: float | None = None) -> None:
        self._client = client
        self._user_agent = user_agent
        # router level only: the endpoint timeout (the proxy levels run under it already)
        self._timeout = timeout

    def call(
        self, url: str, method: str, body: bytes, headers: list[tuple[str, str]]
    ) -> HttpAnswer | str:
        """From the Lua worker thread: the answer, or the error text the script fails with."""
        try:
            return trio.from_thread.run(self._fetch, url, method, body, headers)
        except trio.Cancelled:
            # the request's deadline or the client going away (Go: `context canceled`); the
            # layer checks for the cancellation as soon as the thread is back
            return f'{method.title()} "{url}": context canceled'
        except trio.RunFinishedError:
            return f'{method.title()} "{url}": gateway stopping'

    async def _fetch(
        self, url: str, method: str, body: bytes, headers: list[tuple[str, str]]
    ) -> HttpAnswer | str:
        with trio.move_on_after(self._timeout if self._timeout is not None else float("inf")):
            return await self._exchange(url, method, body, headers)
        return f'{method.title()} "{url}": context deadline exceeded'

    async def _exchange(
        self, url: str, method: str, body: bytes, headers: list[tuple[str, str]]
    ) -> HttpAnswer | str:
        # Go's NewRequest: an empty method is GET; the wire wants a token
        method = method or "GET"
        try:
            origin, target = split_url(url)
        except ValueError as exc:
            return f'{method.title()} "{url}": {exc}'
        wire: list[tuple[bytes, bytes]] = []
        names: set[str] = set()
        for name, value in headers:
            canonical = _canonical(name)
            if canonical in ("Host", "Content-Length"):  # Go takes both from the request itself
                continue
            if canonical == "User-Agent" and "User-Agent" in names:
                continue  # Go's request writer sends the first User-Agent only
            names.add(canonical)
            wire.append((canonical.lower().encode("latin-1"), value.encode("latin-1")))
        if "User-Agent" not in names:
            wire.append((b"user-agent", self._user_agent))
        asked_gzip = not ({"Accept-Encoding", "Range"} & names) and method != "HEAD"
        if asked_gzip:
            wire.append((b"accept-encoding", b"gzip"))
        try:
            answer = await self._client.request(
                origin, method.encode("latin-1"), target, wire, body
            )
        except TransportError as exc:
            return str(exc)  # names the method and URL, as Go's *url.Error
        except (GatewayError, ValueError) as exc:
            return f'{method.title()} "{url}": {exc}'
        got = list(answer.headers)
        data = answer.body
        encoding = next((v for k, v in got if k == b"content-encoding"), None)
        if asked_gzip and is_gzip(encoding):
            try:
                data = gunzip(data)
            except (GunzipTooLarge, GatewayError, ValueError) as exc:
                return f'{method.title()} "{url}": {exc}'
            got = [(k, v) for k, v in got if k not in (b"content-encoding", b"content-length")]
        return HttpAnswer(answer.status, got, data)
