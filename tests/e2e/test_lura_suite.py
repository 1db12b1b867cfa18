"""lura's own integration suite (`test/integration_test.go` + `test/lura.json`, reference §8.4).

Same endpoints (with lura.json's long namespace names), same router options as
`TestKrakenD_ginRouter` (trusted loopback proxies, `x-forwarded-for` as the client-IP header,
`return_error_msg`), same requests and expectations. Adaptations:

* lura's twelve `httptest` servers are the `/lura/bN/...` routes of `backend_app.py`; each answers
  as if mounted at `/`, so every url_pattern gets a `/lura/bN` prefix and the bodies are unchanged.
* lura compares bodies byte for byte. Bodies that hold the headers a backend saw depend on Go's
  client (`Accept-Encoding: gzip`) and on the version string (`KrakenD Version undefined` there,
  `trio-gateway/<version>` here): those are compared as parsed JSON, plus a check that the bytes are
  Go's `json.Marshal` layout. All other bodies are compared byte for byte.
* lura checks headers with `strings.Contains`; here Content-Type is the exact
  `application/json; charset=utf-8` and `X-Krakend` is matched by a regex.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import StartGateway
from tests.e2e.test_krakend_specs import (
    ABSENT,
    UA,
    X_KRAKEND,
    Case,
    JSONEq,
    Raw,
    params,
    run_case,
)

SERVICE = {
    "cache_ttl": "3600s",
    "timeout": "3s",
    "extra_config": {
        "github_com/luraproject/lura/router/gin": {
            "trusted_proxies": ["127.0.0.1/32", "::1"],
            "remote_ip_headers": ["x-forwarded-for"],
            "forwarded_by_client_ip": True,
            "return_error_msg": True,
        }
    },
}
PROXY = "github.com/devopsfaith/krakend/proxy"
HTTP = "github.com/devopsfaith/krakend/http"
SEQUENTIAL = {PROXY: {"sequential": True}}

DEFAULT = {
    "content-type": "application/json; charset=utf-8",
    "x-krakend-completed": "true",
    "x-krakend": X_KRAKEND,
}
INCOMPLETE = {**DEFAULT, "x-krakend-completed": "false", "cache-control": ABSENT}
GATEWAY_HEADERS = {"User-Agent": [UA], "X-Forwarded-Host": ["$gw_host"]}
USER = b'{"email":"some@email.com","name":"a"}'
STATIC = {"strategy": "errored", "data": {"foo": 42, "bar": "foobar"}}


def backend(name: str, url: str = "/", **options: Any) -> dict[str, Any]:
    """A backend of lura.json on lura's server `name` (b1..b12)."""
    return {"url_pattern": f"/lura/{name}{url}", **options}


def endpoint(path: str, *backends: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {"endpoint": path, **options, "backend": list(backends)}


def b6_echo(path: str, query: dict[str, list[str]] | None = None, **headers: list[Any]) -> Any:
    """lura's b6: the headers (minus X-Forwarded-For), path and query it received."""
    return JSONEq({"headers": {**GATEWAY_HEADERS, **headers}, "path": path, "query": query or {}})


def b12_echo(url: str) -> dict[str, Any]:
    """lura's b12 after a POST of {"foo":"bar"} from a loopback client."""
    return {
        "body": '{"foo":"bar"}',
        "headers": {**GATEWAY_HEADERS, "X-Forwarded-For": ["127.0.0.1"]},
        "method": "POST",
        "url": url,
    }


POST_FORWARD = endpoint(
    "/param_forwarding/{first}/constant/{second}",
    backend("b1", "/{first}/{second}"),
    method="POST",
    input_headers=["Content-Type", "Authorization", "X-Y-Z"],
)
POST_HEADERS = {
    "Content-Type": "application/json",
    "Authorization": "bearer AuthorizationToken",
    "X-Y-Z": "x-y-z",
}
QS_OPTIONAL = endpoint(
    "/querystring-params-test/query-params",
    backend("b6", "/query-params"),
    input_query_strings=["a", "b"],
)
QS_MANDATORY = endpoint(
    "/querystring-params-test/url-params/{param}", backend("b6", "/url-params?p={param}")
)
QS_ALL = endpoint(
    "/querystring-params-test/all-params", backend("b6", "/all-params"), input_query_strings=["*"]
)
HEADERS_NONE = endpoint("/header-params-test/no-params", backend("b6", "/no-params"))
HEADERS_FILTER = endpoint(
    "/header-params-test/filter-params", backend("b6", "/filter-params"), input_headers=["X-Test-1"]
)
HEADERS_ALL = endpoint(
    "/header-params-test/all-params", backend("b6", "/all-params"), input_headers=["*"]
)


def error_status_code(n: int, *servers: str) -> dict[str, Any]:
    return endpoint(
        f"/error-status-code/{n}",
        *(backend(s, extra_config={HTTP: {"return_error_code": True}}) for s in servers),
    )


def flatmap(path: str, op: dict[str, Any]) -> dict[str, Any]:
    return endpoint(
        path,
        backend("b2", is_collection=True, extra_config={PROXY: {"flatmap_filter": [op]}}),
    )


LURA_CASES = [
    Case(
        "static",
        (endpoint("/static", backend("b4"), extra_config={PROXY: {"static": STATIC}}),),
        "/static",
        headers=INCOMPLETE,
        body=Raw(b'{"bar":"foobar","foo":42}'),
    ),
    Case(
        "param_forwarding",
        (POST_FORWARD,),
        "/param_forwarding/foo/constant/bar",
        method="POST",
        req_headers=POST_HEADERS,
        req_body=b'{"foo":"bar"}',
        headers=DEFAULT,
        body=Raw(b'{"path":"/foo/bar"}'),
    ),
    Case(
        "param_forwarding_2",
        (POST_FORWARD,),
        "/param_forwarding/foo/constant/foobar",
        method="POST",
        req_headers=POST_HEADERS,
        req_body=b'{"foo":"bar"}',
        headers=DEFAULT,
        body=Raw(b'{"path":"/foo/foobar"}'),
    ),
    Case(
        "timeout",
        (endpoint("/timeout", backend("b5"), backend("b3"), timeout="100ms"),),
        "/timeout",
        headers=INCOMPLETE,
        body=Raw(USER),
    ),
    Case(
        "partial_with_static",
        (
            endpoint(
                "/partial/static",
                backend("b4"),
                backend("b3"),
                extra_config={PROXY: {"static": {**STATIC, "strategy": "incomplete"}}},
            ),
        ),
        "/partial/static",
        headers=INCOMPLETE,
        body=Raw(b'{"bar":"foobar","email":"some@email.com","foo":42,"name":"a"}'),
    ),
    Case(
        "partial",
        (endpoint("/partial", backend("b4"), backend("b3")),),
        "/partial",
        headers=INCOMPLETE,
        body=Raw(USER),
    ),
    Case(
        "combination",
        (
            endpoint(
                "/combination",
                backend("b2", is_collection=True, mapping={"collection": "posts"}),
                backend("b3", mapping={"email": "personal_email"}),
            ),
        ),
        "/combination",
        headers=DEFAULT,
        body=Raw(
            b'{"name":"a","personal_email":"some@email.com","posts":[{"body":"some content",'
            b'"date":"123456789"},{"body":"some other content","date":"123496789"}]}'
        ),
    ),
    Case(
        "detail_error",
        (
            endpoint(
                "/detail_error",
                backend("b4", extra_config={HTTP: {"return_error_details": "backend_a"}}),
                backend("b3", extra_config={HTTP: {"return_error_details": "backend_b"}}),
            ),
        ),
        "/detail_error",
        headers=INCOMPLETE,
        # byte for byte: the error detail is a Go struct, its fields keep their declared order
        body=Raw(
            b'{"email":"some@email.com","error_backend_a":{"http_status_code":429,'
            b'"http_body":"sad panda\\n","http_body_encoding":"text/plain; charset=utf-8"},'
            b'"name":"a"}'
        ),
    ),
    Case(
        "querystring-params-no-params",
        (endpoint("/querystring-params-test/no-params", backend("b6", "/no-params")),),
        "/querystring-params-test/no-params?a=1&b=2&c=3",
        headers=DEFAULT,
        body=b6_echo("/no-params"),
    ),
    Case(
        "querystring-params-optional-query-params",
        (QS_OPTIONAL,),
        "/querystring-params-test/query-params?a=1&b=2&c=3",
        headers=DEFAULT,
        body=b6_echo("/query-params", {"a": ["1"], "b": ["2"]}),
    ),
    Case(
        "querystring-params-mandatory-query-params",
        (QS_MANDATORY,),
        "/querystring-params-test/url-params/some?a=1&b=2&c=3",
        headers=DEFAULT,
        body=b6_echo("/url-params", {"p": ["some"]}),
    ),
    Case(
        "querystring-params-all",
        (QS_ALL,),
        "/querystring-params-test/all-params?a=1&b=2&c=3",
        headers=DEFAULT,
        body=b6_echo("/all-params", {"a": ["1"], "b": ["2"], "c": ["3"]}),
    ),
    Case(
        "header-params-none",
        (HEADERS_NONE,),
        "/header-params-test/no-params",
        req_headers={"x-Test-1": "some", "X-TEST-2": "none"},
        headers=DEFAULT,
        body=b6_echo("/no-params"),
    ),
    Case(
        "header-params-filter",
        (HEADERS_FILTER,),
        "/header-params-test/filter-params",
        req_headers={"x-tESt-1": "some", "X-TEST-2": "none"},
        headers=DEFAULT,
        body=b6_echo("/filter-params", **{"X-Test-1": ["some"]}),
    ),
    Case(
        "header-params-all",
        (HEADERS_ALL,),
        "/header-params-test/all-params",
        req_headers={"x-Test-1": "some", "X-TEST-2": "none", "User-Agent": "KrakenD Test"},
        headers=DEFAULT,
        body=b6_echo(
            "/all-params",
            **{
                "Accept-Encoding": ["gzip"],  # the client's own, forwarded by "*"
                "User-Agent": ["KrakenD Test"],
                "X-Forwarded-Via": [UA],
                "X-Test-1": ["some"],
                "X-Test-2": ["none"],
            },
        ),
    ),
    Case(
        "sequential ok",
        (
            endpoint(
                "/sequential/ok/{param}",
                backend("b7", "/provider/{param}", group="first"),
                backend("b7", "/recipient/{resp0_first.random}", group="second"),
                extra_config=SEQUENTIAL,
            ),
        ),
        "/sequential/ok/foo",
        headers=DEFAULT,
        body=Raw(
            b'{"first":{"path":"/provider/foo","random":42},'
            b'"second":{"path":"/recipient/42","random":42}}'
        ),
    ),
    Case(
        "sequential ko first",
        (
            endpoint(
                "/sequential/ko/first/{param}",
                backend("b4", "/provider/{param}", allow=["random"]),
                backend("b7", "/recipient/{resp0_random}", allow=["path"]),
                extra_config=SEQUENTIAL,
            ),
        ),
        "/sequential/ko/first/foo",
        status=500,
        headers={"x-krakend-completed": "false", "x-krakend": X_KRAKEND, "cache-control": ABSENT},
    ),
    Case(
        "sequential ko last",
        (
            endpoint(
                "/sequential/ko/last/{param}",
                backend("b7", "/provider/{param}", allow=["random"]),
                backend("b4", "/recipient/{resp0_random}", allow=["path"]),
                extra_config=SEQUENTIAL,
            ),
        ),
        "/sequential/ko/last/foo",
        headers=INCOMPLETE,
        body=Raw(b'{"random":42}'),
    ),
    Case(
        "redirect",
        (endpoint("/redirect", backend("b8", "/ignore-me")),),
        "/redirect",
        headers=DEFAULT,
        body=Raw(b'{"path":"/","random":42}'),
    ),
    Case(
        "found",
        (endpoint("/found", backend("b9", "/ignore-me")),),
        "/found",
        headers=DEFAULT,
        body=Raw(b'{"path":"/","random":42}'),
    ),
    Case(
        "flatmap del",
        (flatmap("/flatmap/delete", {"type": "del", "args": ["collection.*.date"]}),),
        "/flatmap/delete",
        headers=DEFAULT,
        body=Raw(b'{"collection":[{"body":"some content"},{"body":"some other content"}]}'),
    ),
    Case(
        "flatmap rename",
        (
            flatmap(
                "/flatmap/rename",
                {"type": "move", "args": ["collection.*.date", "collection.*.created_at"]},
            ),
        ),
        "/flatmap/rename",
        headers=DEFAULT,
        body=Raw(
            b'{"collection":[{"body":"some content","created_at":"123456789"},'
            b'{"body":"some other content","created_at":"123496789"}]}'
        ),
    ),
    Case(
        "x-forwarded-for",
        (endpoint("/x-forwarded-for", backend("b11")),),
        "/x-forwarded-for",
        req_headers={"x-forwarded-for": "123.45.67.89"},
        headers=DEFAULT,
        body=JSONEq({"headers": {**GATEWAY_HEADERS, "X-Forwarded-For": ["123.45.67.89"]}}),
    ),
    Case(
        "sequence-accept",
        (
            endpoint(
                "/sequence-accept",
                backend("b3", method="GET"),
                backend("b3", method="PUT"),
                method="PUT",
                extra_config=SEQUENTIAL,
            ),
        ),
        "/sequence-accept",
        method="PUT",
        headers=DEFAULT,
        body=Raw(USER),  # not checked by lura: both steps answer b3's object
    ),
    Case(
        "error-status-code-1",
        (error_status_code(1, "b3"),),
        "/error-status-code/1",
        headers=DEFAULT,
        body=Raw(USER),  # lura checks only the status
    ),
    Case(
        "error-status-code-2",
        (error_status_code(2, "b4"),),
        "/error-status-code/2",
        status=429,
        # lura checks only the status; with return_error_msg the body and Content-Type are the
        # backend's (reference §4.3, §10.2)
        headers={
            "content-type": "text/plain; charset=utf-8",
            "x-krakend-completed": "false",
            "cache-control": ABSENT,
        },
        body=Raw(b"sad panda\n"),
    ),
    Case(
        "error-status-code-3",
        (error_status_code(3, "b3", "b4"),),
        "/error-status-code/3",
        headers=INCOMPLETE,
        body=Raw(USER),  # lura checks only the status
    ),
    Case(
        "multipost_parallel",
        (
            endpoint(
                "/multipost/parallel/{param}",
                backend("b12", "/provider/{param}", method="POST", group="first"),
                backend("b12", "/recipient/{param}", method="POST", group="second"),
                method="POST",
            ),
        ),
        "/multipost/parallel/foo",
        method="POST",
        req_body=b'{"foo":"bar"}',
        headers=DEFAULT,
        body=JSONEq({"first": b12_echo("/provider/foo"), "second": b12_echo("/recipient/foo")}),
    ),
    Case(
        "multipost_sequential",
        (
            endpoint(
                "/multipost/sequential/{param}",
                backend("b7", "/provider/{param}", method="GET", group="first"),
                backend("b12", "/recipient/{resp0_first.random}", method="POST", group="second"),
                backend("b12", "/recipient/{resp0_first.random}", method="POST", group="third"),
                method="POST",
                extra_config=SEQUENTIAL,
            ),
        ),
        "/multipost/sequential/foo",
        method="POST",
        req_body=b'{"foo":"bar"}',
        headers=DEFAULT,
        body=JSONEq(
            {
                "first": {"path": "/provider/foo", "random": 42},
                "second": b12_echo("/recipient/42"),
                "third": b12_echo("/recipient/42"),
            }
        ),
    ),
]

LURA_MARKS: dict[str, pytest.MarkDecorator] = {}


@pytest.mark.parametrize("case", params(LURA_CASES, LURA_MARKS))
async def test_lura_integration(
    case: Case, backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    await run_case(
        case,
        service=SERVICE,
        backend_url=backend_url,
        start_gateway=start_gateway,
        client=client,
    )
