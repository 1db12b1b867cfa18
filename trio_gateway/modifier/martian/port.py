"""martian's `port` package (v2.1.0).

`port.Modifier` (requests only) changes the port the request goes to: `port` sets it,
`defaultForScheme` writes 80 or 443 for http or https, `remove` takes it out (the scheme's
default then). Exactly one of the three must be given (`Must specify only one of port,
defaultForScheme or remove`). martian also puts the new host:port in a `Host` map entry, which
Go's transport never sends: the Host header stays the backend URL's. `port.Filter` runs its
`modifier` when the request URL's port (or its scheme's default) is `port`; it has no `else`.
"""

from __future__ import annotations

from typing import Any

from trio_gateway.config.diagnostics import Path
from trio_gateway.modifier.martian.message import (
    GoRequest,
    GoResponse,
    MartianError,
    go_split_host_port,
    join_host_port,
)
from trio_gateway.modifier.martian.parse import (
    Field,
    Issues,
    Result,
    child,
    fields,
    new_result,
    register,
)

__all__ = ["PortFilter", "PortModifier"]

_HOST = b"Host"
_DEFAULTS = {"http": 80, "https": 443}


def _atoi(text: str) -> int:
    body = text[1:] if text[:1] in ("+", "-") else text
    if not body.isdigit() or not body.isascii():
        raise MartianError(f'strconv.Atoi: parsing "{text}": invalid syntax')
    return int(text)


class PortModifier:
    """`port.Modifier`: one of `port`, `default_for_scheme`, `remove`."""

    __slots__ = ("default_for_scheme", "port", "remove")

    def __init__(self, port: int, default_for_scheme: bool, remove: bool) -> None:
        self.port, self.default_for_scheme, self.remove = port, default_for_scheme, remove

    def modify_request(self, request: GoRequest) -> None:
        host = request.host
        if ":" in host:
            host = go_split_host_port(host)[0]
        if self.remove:
            hostport = host
        elif self.default_for_scheme:
            port = _DEFAULTS.get(request.scheme)
            if port is None:
                return
            hostport = join_host_port(host, str(port))
        else:
            hostport = join_host_port(host, str(self.port))
        request.host = hostport
        request.set(_HOST, hostport.encode("latin-1"))


class PortFilter:
    """`port.Filter`."""

    __slots__ = ("port", "request_modifier", "response_modifier")

    def __init__(self, port: int, result: Result) -> None:
        self.port = port
        self.request_modifier = result.request
        self.response_modifier = result.response

    def _matches(self, request: GoRequest, *, response: bool) -> bool:
        default = _DEFAULTS.get(request.scheme, 0)
        if ":" in request.host:
            return _atoi(go_split_host_port(request.host)[1]) == self.port
        if response and self.port != default:
            # martian's ModifyResponse splits a host without a port, and fails
            go_split_host_port(request.host)
        return self.port == default

    # The port is read (and can fail) even when the branch is martian's noop.
    def modify_request(self, request: GoRequest) -> None:
        if self._matches(request, response=False) and self.request_modifier is not None:
            self.request_modifier.modify_request(request)

    def modify_response(self, response: GoResponse) -> None:
        if self._matches(response.request, response=True) and self.response_modifier is not None:
            self.response_modifier.modify_response(response)


@register("port.Modifier")
def _modifier(value: Any, path: Path, issues: Issues) -> Result | None:
    spec = {
        "port": Field.INT,
        "defaultForScheme": Field.BOOL,
        "remove": Field.BOOL,
        "scope": Field.SCOPE,
    }
    data = fields(value, path, issues, spec)
    if data is None:
        return None
    port = data.get("port", 0)
    default, remove = data.get("defaultForScheme", False), data.get("remove", False)
    if (port != 0) + default + remove != 1:
        issues.error(path, "Must specify only one of port, defaultForScheme or remove")
        return None
    if port and not 0 < port < 65536:
        issues.error((*path, "port"), f"port {port} is out of range: every request would fail")
        return None
    return new_result(PortModifier(port, default, remove), data, path, issues)


@register("port.Filter")
def _filter(value: Any, path: Path, issues: Issues) -> Result | None:
    spec = {"port": Field.INT, "modifier": Field.RAW, "scope": Field.SCOPE}
    data = fields(value, path, issues, spec)
    if data is None:
        return None
    then = child(data, "modifier", path, issues, required=True)
    if then is None or isinstance(then, bool):
        return None
    return new_result(PortFilter(data.get("port", 0), then), data, path, issues)
