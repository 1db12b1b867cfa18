"""martian's `fifo.Group` and `priority.Group` (v2.1.0), and `status.*`.

`fifo.Group` runs its `modifiers` in order; the first error stops it, unless `aggregateErrors`,
which runs them all and fails with every error, one per line (martian's MultiError). Each child
runs in the scopes its own result has, within the group's `scope`.
`priority.Group` runs its `modifiers` (`{"priority": N, "modifier": {...}}`) highest priority
first; among equal priorities the one listed *later* runs first (martian inserts before an equal
one); the first error stops it.
`status.Modifier` (responses only) sets the status code: KrakenD then judges that status
(200 and 201 are successes). `status.Verifier` changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trio_gateway.config.diagnostics import Path
from trio_gateway.modifier.martian.message import GoRequest, GoResponse, MartianError
from trio_gateway.modifier.martian.parse import (
    Field,
    Issues,
    RequestModifier,
    ResponseModifier,
    Result,
    describe,
    fields,
    from_json,
    new_result,
    register,
)

__all__ = ["FifoGroup", "PriorityGroup", "StatusModifier"]


class FifoGroup:
    """`fifo.Group`."""

    __slots__ = ("aggregate", "requests", "responses")

    def __init__(
        self,
        requests: tuple[RequestModifier, ...],
        responses: tuple[ResponseModifier, ...],
        aggregate: bool,
    ) -> None:
        self.requests, self.responses, self.aggregate = requests, responses, aggregate

    def modify_request(self, request: GoRequest) -> None:
        self._each([m.modify_request for m in self.requests], request)

    def modify_response(self, response: GoResponse) -> None:
        self._each([m.modify_response for m in self.responses], response)

    def _each(self, modify: list[Callable[[Any], None]], message: Any) -> None:
        """Each modifier in order: the first error stops them, or with `aggregateErrors` every
        one runs and their errors are joined by newlines (martian's MultiError)."""
        if not self.aggregate:
            for one in modify:
                one(message)
            return
        errors: list[str] = []
        for one in modify:
            try:
                one(message)
            except MartianError as exc:
                errors.append(exc.message)
        if errors:
            raise MartianError("\n".join(errors))


class PriorityGroup(FifoGroup):
    """`priority.Group`: a fifo group of the children sorted at startup, never aggregating."""

    __slots__ = ()


class StatusModifier:
    """`status.Modifier`."""

    __slots__ = ("status",)

    def __init__(self, status: int) -> None:
        self.status = status

    def modify_response(self, response: GoResponse) -> None:
        response.status = self.status


class ResponseVerifier:
    """`status.Verifier`: changes nothing (KrakenD never reads what it verifies)."""

    __slots__ = ()

    def modify_response(self, response: GoResponse) -> None:
        return None


def _children(items: tuple[Any, ...], path: Path, issues: Issues) -> list[Result | None]:
    return [from_json(item, (*path, index), issues) for index, item in enumerate(items)]


@register("fifo.Group")
def _fifo(value: Any, path: Path, issues: Issues) -> Result | None:
    spec = {"modifiers": Field.RAW, "scope": Field.SCOPE, "aggregateErrors": Field.BOOL}
    data = fields(value, path, issues, spec)
    if data is None:
        return None
    items = data.get("modifiers")
    if items is not None and not isinstance(items, list):
        issues.error(
            (*path, "modifiers"),
            f"json: cannot unmarshal {describe(items)} into []json.RawMessage: `modifiers` is "
            "an array of modifiers",
        )
        return None
    results = _children(tuple(items or ()), (*path, "modifiers"), issues)
    if any(r is None for r in results):
        return None
    built = FifoGroup(
        tuple(r.request for r in results if r is not None and r.request is not None),
        tuple(r.response for r in results if r is not None and r.response is not None),
        data.get("aggregateErrors", False),
    )
    return new_result(built, data, path, issues)


@register("priority.Group")
def _priority(value: Any, path: Path, issues: Issues) -> Result | None:
    spec = {"modifiers": Field.RAW, "scope": Field.SCOPE}
    data = fields(value, path, issues, spec)
    if data is None:
        return None
    items = data.get("modifiers")
    if items is not None and not isinstance(items, list):
        issues.error(
            (*path, "modifiers"),
            f"json: cannot unmarshal {describe(items)} into []modifierJSON: `modifiers` is an "
            'array of {"priority": N, "modifier": {...}}',
        )
        return None
    entries: list[tuple[int, Result]] = []
    ok = True
    for index, item in enumerate(items or ()):
        where = (*path, "modifiers", index)
        entry = fields(item, where, issues, {"priority": Field.INT, "modifier": Field.RAW})
        if entry is None:
            ok = False
            continue
        if "modifier" not in entry:
            issues.error(
                (*where, "modifier"), "`modifier` is missing (parse: unexpected end of JSON input)"
            )
            ok = False
            continue
        result = from_json(entry["modifier"], (*where, "modifier"), issues)
        if result is None:
            ok = False
            continue
        entries.append((entry.get("priority", 0), result))
    if not ok:
        return None
    # AddRequestModifier inserts before the first one of lower or equal priority.
    ordered = [result for _, result in sorted(reversed(entries), key=lambda e: -e[0])]
    built = PriorityGroup(
        tuple(r.request for r in ordered if r.request is not None),
        tuple(r.response for r in ordered if r.response is not None),
        False,
    )
    return new_result(built, data, path, issues)


@register("status.Modifier")
def _status(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, {"statusCode": Field.INT, "scope": Field.SCOPE})
    if data is None:
        return None
    code = data.get("statusCode", 0)
    if not 100 <= code <= 999:
        issues.error(
            (*path, "statusCode"),
            f"status code {code} is not a three-digit HTTP status: KrakenD would fail or answer "
            "with it",
        )
        return None
    return new_result(StatusModifier(code), data, path, issues)


@register("status.Verifier")
def _status_verifier(value: Any, path: Path, issues: Issues) -> Result | None:
    data = fields(value, path, issues, {"statusCode": Field.INT, "scope": Field.SCOPE})
    if data is None:
        return None
    issues.warn(path, "status.Verifier changes nothing: KrakenD never reads what it verifies")
    return new_result(ResponseVerifier(), data, path, issues)
