"""modifier/martian: any JSON under any modifier name is parsed into modifiers or into errors at
JSON paths (never an exception), and what parses runs on any request without a Python error."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.modifier.martian import parse
from trio_gateway.modifier.martian.message import GoRequest, GoResponse, MartianError
from trio_gateway.modifier.martian.parse import BUILDERS

_KEYS = sorted(
    {
        "name",
        "value",
        "names",
        "from",
        "to",
        "header",
        "regex",
        "modifier",
        "else",
        "scope",
        "modifiers",
        "aggregateErrors",
        "priority",
        "body",
        "contentType",
        "path",
        "domain",
        "expires",
        "secure",
        "httpOnly",
        "maxAge",
        "scheme",
        "host",
        "query",
        "port",
        "defaultForScheme",
        "remove",
        "headerName",
        "statusCode",
    }
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["request", "response", "aGk=", "2025-04-12T23:20:50Z", "X-A", "/p", "a=1"]),
)


def _modifier(children: Any) -> Any:
    return st.dictionaries(st.sampled_from(sorted(BUILDERS)), children, min_size=1, max_size=1)


_JSON = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(_KEYS), children, max_size=5),
        _modifier(st.dictionaries(st.sampled_from(_KEYS), children, max_size=5)),
    ),
    max_leaves=12,
)
_BLOCK = _modifier(st.dictionaries(st.sampled_from(_KEYS), _JSON, max_size=6))


@settings(max_examples=400, deadline=None)
@given(block=_BLOCK, target=st.sampled_from([b"/", b"/a%20b?x=1&y", b"/p?", b"/q?a=%zz;b"]))
def test_any_block_parses_or_errors_and_runs(block: dict[str, Any], target: bytes) -> None:
    result, issues = parse(block)
    if result is None:
        assert issues.errors
        for path, message, _ in issues.errors:
            assert isinstance(path, tuple) and message
        return
    request = GoRequest(
        method=b"GET",
        scheme="http",
        host="127.0.0.1:8080",
        target=target,
        header=[(b"cookie", b"a=1"), (b"range", b"bytes=0-1")],
        body=b"",
    )
    try:
        if result.request is not None:
            result.request.modify_request(request)
        if result.response is not None:
            response = GoResponse(
                status=200,
                reason=b"OK",
                header=[(b"set-cookie", b"a=1")],
                body=b"{}",
                request=request,
            )
            result.response.modify_response(response)
    except MartianError:
        pass  # a modifier's own error: the call fails with it, as in KrakenD
