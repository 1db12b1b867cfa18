"""`modifier/martian` (backend level): Google's martian modifiers on the backend request and
response, as krakend-martian applies them (docs/martian.md).

The namespace object is one martian modifier (`{"fifo.Group": {...}}`), parsed once at startup
into a tree of modifier objects (`parse.py` and one module per martian package); the client
wrapper (`client.py`) runs the tree's request side before the backend call and its response side
after it, before KrakenD's status check and decoding.

Registered, as in KrakenD (krakend-martian `martian.go` imports martian v2.1.0's body, cookie,
fifo, header, martianurl, port, priority, querystring, stash and status packages, and registers
its own `static.Modifier` and `header.Id`):
`header.Modifier`, `header.Append`, `header.Blacklist`, `header.Copy`, `header.Filter`,
`header.RegexFilter`, `header.Verifier`, `header.Id`, `querystring.Modifier`,
`querystring.Filter`, `querystring.Verifier`, `body.Modifier`, `cookie.Modifier`,
`cookie.Filter`, `url.Modifier`, `url.Filter`, `url.RegexFilter`, `url.Verifier`,
`port.Modifier`, `port.Filter`, `fifo.Group`, `priority.Group`, `stash.Modifier`,
`status.Modifier`, `status.Verifier`; `static.Modifier` (serving local files instead of the
backend) is refused.

Fail closed: where KrakenD logs a bad martian block and calls the backend without it,
`check` reports an error at the JSON path and `run` does not start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from trio_gateway.config.diagnostics import Path, Report
from trio_gateway.modifier.martian import body, cookie, groups, headers, port, querystring, url
from trio_gateway.modifier.martian.client import MartianClient
from trio_gateway.modifier.martian.parse import Issues, Result, from_json, register
from trio_gateway.namespace import Layer, Level, Namespace, Slot, Where

if TYPE_CHECKING:
    from trio_gateway.proxy.backend import BackendCall

__all__ = ["NAMESPACE", "WRAPPER", "MartianClient", "MartianConfig", "parse"]

_MODULES = (body, cookie, groups, headers, port, querystring, url)  # they register on import
_NAME = "modifier/martian"


@attrs.frozen
class MartianConfig:
    """`extra_config."modifier/martian"`: one martian modifier object (its keys are modifier
    names, not fields), kept as written for `check` and the build to parse."""

    NAMESPACE: ClassVar[str] = _NAME
    # What the published schema says of it (namespace.reads_itself); `check` reads the rest.
    JSON_SCHEMA: ClassVar[dict[str, Any]] = {
        "description": "One martian modifier (krakend-martian), keyed by its name.",
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
    }
    value: Any = None

    @classmethod
    def from_json(cls, value: Any) -> MartianConfig:
        """The block as written: martian's parser (`parse`) reads it."""
        return cls(value)


@register("static.Modifier")
def _static(value: Any, path: Path, issues: Issues) -> Result | None:
    issues.error(
        path,
        "static.Modifier (serve local files instead of calling the backend) is not supported by "
        "trio-gateway",
        "serve the files from a backend, or use the endpoint's static proxy data",
    )
    return None


def parse(value: Any, path: Path = ()) -> tuple[Result | None, Issues]:
    """The modifier tree of one `modifier/martian` object, and what was wrong with it."""
    issues = Issues()
    result = from_json(value, path, issues)
    return (None if issues.errors else result), issues


def _raw(where_extra: Any) -> Any:
    return where_extra.raw.get(_NAME) if where_extra is not None else None


def check(config: MartianConfig, where: Where, report: Report) -> None:
    """Every modifier, key and value of the block, as martian's parser would read them."""
    if where.backend is None:
        return
    _, issues = parse(config.value, where.path)
    for path, message, hint in issues.errors:
        report.error(path, message, hint)
    for path, message, hint in issues.warnings:
        report.warning(path, message, hint)


def build_wrapper(client: Any, call: BackendCall, plan: Any, context: Any) -> MartianClient | None:
    """krakend-martian's request executor around the backend's client."""
    raw = _raw(call.extra)
    if raw is None:
        return None
    result, issues = parse(raw)
    if result is None:
        # `check` refuses such a configuration before anything is built.
        path, message, _ = issues.errors[0]
        raise ValueError(f"modifier/martian {path}: {message}")
    request, response = result.request, result.response
    # A group with nothing for one side does nothing there: that side costs nothing then.
    if isinstance(request, groups.FifoGroup) and not request.requests:
        request = None
    if isinstance(response, groups.FifoGroup) and not response.responses:
        response = None
    if request is None and response is None:
        return None  # e.g. `"scope": []`: nothing runs
    return MartianClient(client, request, response)


NAMESPACE = Namespace(
    name=_NAME,
    levels=frozenset({Level.BACKEND}),
    config=MartianConfig,
    aliases=("github.com/devopsfaith/krakend-martian",),
    check=check,
)

WRAPPER = Layer(name=_NAME, namespace=NAMESPACE, slot=Slot.CLIENT_WRAPPER, build=build_wrapper)
