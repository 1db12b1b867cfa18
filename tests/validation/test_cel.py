"""`validation/cel`: expressions, phases, activations, `check` (krakend-cel's rules)."""

from __future__ import annotations

import contextlib
import datetime
import json
from typing import Any

import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.config import ConfigError, load_config_data
from trio_gateway.errors import BackendError
from trio_gateway.types import Request, Response
from trio_gateway.validation.cel import CELConfig
from trio_gateway.validation.cel_engine import (
    ExpressionError,
    compile_expression,
    go_now,
    list_map,
    string_map,
    to_cel,
)
from trio_gateway.validation.cel_proxy import CELProxy, CELRejection, Checks, endpoint_view

ACTIVATION = {
    "req_method": to_cel("GET"),
    "req_path": to_cel("/users/7"),
    "req_params": string_map([("Id", "7")]),
    "req_headers": list_map([("X-Header", "a"), ("X-Header", "b")]),
    "req_querystring": list_map([("q", "1")]),
    "JWT": to_cel({"sub": "u1", "roles": ["a", "b"], "exp": 1700000000, "n": 1.5}),
    "resp_data": to_cel({"foo": 42, "items": [{"id": 1}], "none": None}),
    "resp_completed": to_cel(True),
    "resp_metadata_status": to_cel(0),
    "now": to_cel("2026-12-03T08:00:00.5Z"),
}

# (expression, result) with every variable bound
RESULTS = [
    ("req_method == 'GET'", True),
    ("req_path.startsWith('/users/')", True),
    ("int(req_params.Id) % 7 == 0", True),
    ("req_headers['X-Header'] == ['a', 'b']", True),
    ("'b' in req_headers['X-Header']", True),
    ("req_querystring.q[0] == '1'", True),
    ("size(JWT.roles) > 1 && JWT.sub == 'u1'", True),
    ("JWT.exp > 1600000000", True),
    ("JWT.n > 1.0", True),
    ("resp_data.foo == 42 && resp_completed", True),
    ("resp_data.items.exists(i, i.id == 1)", True),
    ("resp_data.items.all(i, i.id > 5)", False),
    ("has(resp_data.foo) && !has(resp_data.bar)", True),
    ("resp_metadata_status == 0", True),
    ("timestamp(now) > timestamp('2026-01-01T00:00:00Z')", True),
    ("timestamp(now).getHours() == 8", True),
    ("timestamp(now) + duration('1h') > timestamp(now)", True),
    ("req_method.matches('^G')", True),
    ("req_method == 'POST'", False),
    # evaluation errors and non-booleans reject (krakend-cel evalChecks)
    ("int(req_path) > 0", False),
    ("req_headers['Missing'] == ['x']", False),
    ("1 / 0 == 1", False),
    ("req_method", False),
    ("resp_data.foo", False),
    ("req_method == 1", False),  # cel-go's checker would skip it; here it fails closed
]


@pytest.mark.parametrize(("text", "result"), RESULTS)
def test_evaluation(text: str, result: bool) -> None:
    assert compile_expression(text).evaluate(ACTIVATION) is result


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no expression"),
        ("1 +", "error parsing the expression"),
        ("req_method ==", "error parsing the expression"),
        ("request_method == 'GET'", "undeclared reference to 'request_method'"),
        ("lowerAscii(req_method) == 'get'", "undeclared function 'lowerAscii'"),
        ("req_method.lowerAscii() == 'get'", "undeclared function 'lowerAscii'"),
    ],
)
def test_compile_errors(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        compile_expression(text)


def test_macro_variables_are_not_free() -> None:
    expression = compile_expression("resp_data.items.exists(item, item.id == 1)")
    assert expression.variables == {"resp_data"}


def test_go_now() -> None:
    utc = datetime.UTC
    assert go_now(datetime.datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=utc)) == (
        "2026-01-02T03:04:05.12Z"
    )
    assert go_now(datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=utc)) == "2026-01-02T03:04:05Z"
    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    moment = datetime.datetime(2026, 1, 2, 3, 4, 5, 1000, tzinfo=plus2)
    assert go_now(moment).endswith(("Z", "+00:00")) or "T" in go_now(moment)


def _request(**changes: Any) -> Request:
    fields: dict[str, Any] = {
        "method": "GET",
        "path": "/u/7",
        "params": {"id": "7"},
        "query": [],
        "headers": [(b"X-Header", b"a")],
    }
    fields.update(changes)
    return Request(**fields)


def _proxy(texts: list[str], answer: Any) -> CELProxy:
    expressions = [compile_expression(t) for t in texts]

    async def backend(request: Request) -> Response:
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]

    return CELProxy(
        backend,
        Checks.of([e for e in expressions if "req" in e.text]),
        Checks.of([e for e in expressions if "resp" in e.text]),
        endpoint_view(),
        "[test]",
    )


async def test_the_phases_and_the_index_within_each() -> None:
    ok = Response(data={"foo": 1})
    proxy = _proxy(["req_params.Id == '7'", "resp_data.foo == 1", "req_method == 'GET'"], ok)
    assert await proxy(_request()) is ok
    with pytest.raises(CELRejection, match="evaluator #1"):  # the second request-phase check
        await proxy(_request(method="POST"))
    with pytest.raises(CELRejection, match="evaluator #0"):  # the first response-phase check
        await _proxy(["resp_data.foo == 2"], ok)(_request())
    # a failed call or a partial merge: its error goes on, the response phase does not run
    with pytest.raises(BackendError):
        await _proxy(["resp_data.foo == 2"], BackendError("down"))(_request())
    partial = Response(data={"foo": 1}, is_complete=False, error=BackendError("one failed"))
    assert await _proxy(["resp_data.foo == 2"], partial)(_request()) is partial
    assert CELRejection("x").status_hint == 500


_EXPRESSIONS = st.sampled_from(
    [
        "req_headers['X-A'][0] == 'x'",
        "int(req_params.Id) > 3",
        "req_querystring.q.exists(v, v.startsWith('a'))",
        "size(req_path) < 10",
        "double(req_params.Id) >= 1.5",
        "timestamp(req_params.Id) > timestamp(now)",
        "duration(req_params.Id) > duration('1s')",
        "req_params.Id.matches('^[0-9]+$')",
    ]
)


@given(
    _EXPRESSIONS,
    st.text(max_size=12),
    st.lists(st.tuples(st.sampled_from(["X-A", "x-a", "q"]), st.text(max_size=6)), max_size=4),
)
@settings(max_examples=300, deadline=None)
def test_random_inputs_never_raise(text: str, value: str, pairs: list[tuple[str, str]]) -> None:
    proxy = _proxy([text], Response(data={}))
    request = _request(params={"id": value}, headers=[(k.encode(), v.encode()) for k, v in pairs])
    request.query = pairs

    async def run() -> None:
        with contextlib.suppress(CELRejection):
            await proxy(request)

    trio.run(run)


# ---- check ---------------------------------------------------------------------------------


def _config(value: Any, *, backend: bool = False, validator: str = "") -> dict[str, Any]:
    endpoint: dict[str, Any] = {"endpoint": "/v/{id}", "backend": [{"url_pattern": "/{id}"}]}
    if backend:
        endpoint["backend"][0]["extra_config"] = {"validation/cel": value}
    else:
        endpoint["extra_config"] = {"validation/cel": value}
    if validator:
        endpoint.setdefault("extra_config", {})["auth/validator"] = {
            "alg": "HS256",
            "jwk_local_path": validator,
        }
    return {"version": 3, "host": ["http://127.0.0.1:8080"], "endpoints": [endpoint]}


_AT = '$.endpoints[0].extra_config["validation/cel"]'
_AT_BACKEND = '$.endpoints[0].backend[0].extra_config["validation/cel"]'


@pytest.mark.parametrize(
    ("value", "backend", "path", "message"),
    [
        ({"check_expr": "req_method == 'GET'"}, False, _AT, "is a list of"),
        (["req_method == 'GET'"], False, f"{_AT}[0]", "each entry is an object"),
        ([{"check_expr": 1}], False, f"{_AT}[0].check_expr", "must be a string"),
        ([{"check_expr": "req_method =="}], False, f"{_AT}[0].check_expr", "error parsing"),
        ([{"check_expr": "reqq == 1"}], True, f"{_AT_BACKEND}[0].check_expr", "undeclared"),
        ([{"check_expr": "f(req_path)"}], False, f"{_AT}[0].check_expr", "undeclared function"),
    ],
)
def test_check_errors(value: Any, backend: bool, path: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_data(_config(value, backend=backend))
    errors = [d for d in caught.value.diagnostics if d.is_error]
    assert any(d.path == path and message in d.message for d in errors), errors


@pytest.mark.parametrize(
    ("value", "backend", "message"),
    [
        ([{"check_expr": "1 == 1"}], False, "never evaluated"),
        ([{"check_expr": ""}], False, "krakend-cel skips this entry"),
        ([{"check_expr": "size(JWT.roles) > 0"}], False, "only at endpoint level"),
        ([{"check_expr": "size(JWT.roles) > 0"}], True, "only at endpoint level"),
        ([{"check_expr": "resp_data.a == req_params.Id"}], False, "is not bound"),
        ([{"check_expr": "req_method == 'GET'", "expr": 1}], False, "unknown key"),
    ],
)
def test_check_warnings(value: Any, backend: bool, message: str) -> None:
    loaded = load_config_data(_config(value, backend=backend))
    assert any(message in d.message for d in loaded.warnings), loaded.warnings


def test_valid_configs_load_as_written(tmp_path: Any) -> None:
    value = [{"check_expr": "req_method == 'GET'", "mod_expr": "x"}, {"@comment": "none"}]
    loaded = load_config_data(_config(value))
    config = loaded.config.endpoints[0].extra_config.get(CELConfig)
    assert config is not None and config.definitions == value
    assert config.expressions() == ["req_method == 'GET'"]
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{"kty": "oct", "kid": "k1", "k": "c2VjcmV0"}]}))
    jwt_ok = load_config_data(_config([{"check_expr": "JWT.sub != ''"}], validator=str(jwks)))
    assert not any("JWT" in d.message for d in jwt_ok.warnings)


def test_the_engines_are_imported_only_when_a_configuration_uses_them() -> None:
    import subprocess
    import sys

    code = (
        "import sys, trio_gateway.stack, trio_gateway.edge.app; "
        "print(sorted(m for m in ('celpy', 'lark', 'jsonschema', 'fastjsonschema')"
        " if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


_DOCS = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["a", "b", ""]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "items"]), inner, max_size=3)
    ),
    max_leaves=10,
).map(lambda v: {"items": v} if not isinstance(v, dict) else v)


@given(
    _DOCS,
    st.sampled_from(
        [
            "resp_data.a == 1",
            "has(resp_data.items) && size(resp_data.items) > 1",
            "resp_data.items[0] == resp_data.items[0]",
            "resp_data.items.exists(i, i == 'a')",
            "resp_data.items.all(i, i != null)",
            "'a' in resp_data.items",
            "resp_data.items + [1] == [1]",
            "resp_data == resp_data",
            "resp_data.items.map(i, i) == resp_data.items",
            "resp_data.items[-1] == 1",
            "'a' in resp_data && resp_data.b == resp_data.a",
            "resp_data.items.filter(i, i == 1) == [1]",
        ]
    ),
)
@settings(max_examples=400, deadline=None)
def test_lazy_conversion_reads_as_the_whole_document(doc: dict[str, Any], text: str) -> None:
    from trio_gateway.validation.cel_engine import lazy_cel

    expression = compile_expression(text)
    eager = expression.evaluate({"resp_data": to_cel(doc)})
    assert expression.evaluate({"resp_data": lazy_cel(doc)}) is eager
