"""krakend-ce's integration specs, CORE rows (reference §8.2, §8.3), against the real gateway.

Each case is one `tests/fixtures/specs/<name>.json` of krakend-ce together with the endpoints it
calls from `tests/fixtures/krakend.json` (same service settings: `cache_ttl` 3600s, `timeout` 3s,
`router.return_error_msg`, debug endpoint on as with `krakend run -d`). Adaptations (§8.1, §11.8):

* The backend is `backend_app.py` on a loopback port instead of KrakenD's mock on :8081. Its echo
  also reports `"method"`, and it does not drop `X-Forwarded-For` (the mock checks that it is a
  loopback address, then drops it): expected echo bodies list both.
* "KrakenD itself as a backend" (`http://127.0.0.1:8080/__debug`, `/unknown`) is a second gateway.
* The client sends what Go's default client sends (`User-Agent: Go-http-client/1.1`,
  `Accept-Encoding: gzip`, nothing else), so `input_headers: ["*"]` sees the same headers.
* Go artefacts seen by the echo backend (`Accept-Encoding` added by Go's transport, `Referer` on
  redirects, `Content-Length`) are not asserted; our User-Agent / X-Krakend carry
  `trio-gateway/<version>` (docs/compatibility.md), matched by a regex.
* Spec bodies given as strings are compared byte for byte when the bytes do not depend on those
  artefacts; echo bodies are compared as parsed JSON plus a check that the gateway wrote them as
  Go's `json.Marshal` does (sorted keys, compact).

Not ported: non-CORE rows (bot detector, CEL, CORS, JWT, Lua, JSON schema, RSS) and sequential_4,
whose only observable effect goes through a Lua script. sequential_3's Lua script only appends the
propagated `Resp0_first.foo` to the URL: it is ported with the equivalent url_pattern placeholder.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import StartGateway

# --- the harness (also used by test_lura_suite.py) ---------------------------------------------


class Re:
    """A value matched by a regular expression (the whole value), usable inside expected JSON."""

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.pattern.fullmatch(other) is not None

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"Re({self.pattern.pattern!r})"


UA = Re(r"trio-gateway/[^\s\"]+")  # our User-Agent to backends (KrakenD: "KrakenD Version <v>")
X_KRAKEND = Re(r"Version trio-gateway/\S+")  # KrakenD: "Version <v>"
ABSENT = None  # an expected header that must be missing (the specs' [""])

# What Go's http.DefaultClient sends (krakend-ce and lura harnesses), instead of httpx's defaults.
GO_CLIENT_HEADERS = {"User-Agent": "Go-http-client/1.1", "Accept-Encoding": "gzip"}
# Headers the echo backends see only because of Go's HTTP client (reference §11.8): ignored in
# echoed bodies unless a case expects them.
GO_ARTEFACTS = frozenset({"Accept-Encoding", "Referer", "Content-Length"})

Ctx = dict[str, str]  # template values: backend, gw, gw_host, self


def expand(value: Any, ctx: Ctx) -> Any:
    """Replace $backend, $gw_host, $self... in every string of a JSON-shaped value."""
    if isinstance(value, str):
        return string.Template(value).substitute(ctx)
    if isinstance(value, bytes):
        return string.Template(value.decode()).substitute(ctx).encode()
    if isinstance(value, Mapping):
        return {expand(k, ctx): expand(v, ctx) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [expand(v, ctx) for v in value]
    return value


def go_json(value: Any) -> bytes:
    """Go's json.Marshal of a decoded value: sorted keys, compact, HTML-safe."""
    out = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        out = out.replace(raw, escaped)
    for raw, escaped in (("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        out = out.replace(raw, escaped)
    return out.encode()


def _without_artefacts(actual: Any, expected: Any) -> Any:
    """Drop Go-only headers from echoed `headers` maps, unless the expectation lists them."""
    if not isinstance(actual, dict) or not isinstance(expected, dict):
        return actual
    result = {}
    for key, value in actual.items():
        want = expected.get(key)
        if key == "headers" and isinstance(value, dict) and isinstance(want, dict):
            value = {k: v for k, v in value.items() if k not in GO_ARTEFACTS or k in want}
        result[key] = _without_artefacts(value, want)
    return result


class Expect:
    def check(self, response: httpx.Response, ctx: Ctx) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Raw(Expect):
    """The body, byte for byte ($-templates expanded)."""

    body: bytes

    def check(self, response: httpx.Response, ctx: Ctx) -> None:
        assert response.content == expand(self.body, ctx)


@dataclass(frozen=True)
class JSONEq(Expect):
    """Parsed JSON deep-equal (Re values allowed); `go_order`: the bytes are Go's json.Marshal."""

    value: Any
    go_order: bool = True

    def check(self, response: httpx.Response, ctx: Ctx) -> None:
        expected = expand(self.value, ctx)
        actual = response.json()
        assert _without_artefacts(actual, expected) == expected
        if self.go_order:
            assert response.content == go_json(actual)


@dataclass(frozen=True)
class Pattern(Expect):
    """The body matches a regular expression ($-templates expanded, their values escaped)."""

    regex: str

    def check(self, response: httpx.Response, ctx: Ctx) -> None:
        escaped = {k: re.escape(v) for k, v in ctx.items()}
        regex = string.Template(self.regex).substitute(escaped)
        assert re.fullmatch(regex, response.text, re.DOTALL), (regex, response.text)


@dataclass(frozen=True)
class Satisfies(Expect):
    """A predicate on the decoded JSON body (the specs' JSON-schema checks)."""

    predicate: Callable[[Any], bool]

    def check(self, response: httpx.Response, ctx: Ctx) -> None:
        assert self.predicate(response.json()), response.text


HeaderWant = str | Re | list[str] | None


@dataclass(frozen=True)
class Case:
    name: str
    endpoints: tuple[dict[str, Any], ...]
    url: str
    method: str = "GET"
    req_headers: Mapping[str, str] = field(default_factory=dict)
    req_body: bytes | None = None
    status: int = 200
    headers: Mapping[str, HeaderWant] = field(default_factory=dict)
    body: Expect | None = None
    follow_redirects: bool = False  # the harnesses' Go client follows redirects
    needs_self: bool = False  # some backend is KrakenD itself ($self)
    extra: Callable[[httpx.Response, Ctx], None] | None = None


def check_headers(response: httpx.Response, wanted: Mapping[str, HeaderWant]) -> None:
    for name, want in wanted.items():
        values = response.headers.get_list(name)
        if want is None:
            assert values in ([], [""]), (name, values)
        elif isinstance(want, list):
            assert values == want, name
        else:
            assert values == [want], name


async def run_case(
    case: Case,
    *,
    service: Mapping[str, Any],
    backend_url: str,
    start_gateway: StartGateway,
    client: httpx.AsyncClient,
    self_service: Mapping[str, Any] | None = None,
) -> httpx.Response:
    ctx: Ctx = {"backend": backend_url}
    if case.needs_self:
        self_config = {"version": 3, "host": [backend_url], "endpoints": [], **(self_service or {})}
        ctx["self"] = await start_gateway(self_config)
    config = {"version": 3, "host": [backend_url], **service}
    config["endpoints"] = expand(list(case.endpoints), ctx)
    gw = await start_gateway(config)
    ctx["gw"] = gw
    ctx["gw_host"] = gw.removeprefix("http://")

    request = client.build_request(case.method, gw + case.url, content=case.req_body)
    for name in ("accept", "accept-encoding", "user-agent", "connection"):
        request.headers.pop(name, None)
    request.headers.update(GO_CLIENT_HEADERS)
    for name, value in case.req_headers.items():
        request.headers.pop(name, None)
        request.headers[name] = value
    response = await client.send(request, follow_redirects=case.follow_redirects)

    assert response.status_code == case.status, response.text
    check_headers(response, case.headers)
    if case.body is not None:
        case.body.check(response, ctx)
    if case.extra is not None:
        case.extra(response, ctx)
    return response


def params(cases: list[Case], marks: Mapping[str, pytest.MarkDecorator]) -> list[Any]:
    """pytest params named after the cases; `marks` (e.g. a strict xfail) by case name."""
    names = [c.name for c in cases]
    assert len(set(names)) == len(names), "duplicate case names"
    assert set(marks) <= set(names), set(marks) - set(names)
    return [
        pytest.param(c, id=c.name, marks=[marks[c.name]] if c.name in marks else []) for c in cases
    ]


# --- krakend-ce fixtures -----------------------------------------------------------------------

SERVICE = {
    "cache_ttl": "3600s",
    "timeout": "3s",
    "debug_endpoint": True,  # krakend run -d
    "extra_config": {"router": {"return_error_msg": True}},
}
SELF_SERVICE = {"debug_endpoint": True}

JSON_CT = "application/json; charset=utf-8"
COMPLETE = {
    "content-type": JSON_CT,
    "cache-control": "public, max-age=3600",
    "x-krakend-completed": "true",
    "x-krakend": X_KRAKEND,
}
INCOMPLETE = {**COMPLETE, "cache-control": ABSENT, "x-krakend-completed": "false"}
GATEWAY_HEADERS = {
    "User-Agent": [UA],
    "X-Forwarded-For": ["127.0.0.1"],
    "X-Forwarded-Host": ["$gw_host"],
}


def echo(
    path: str,
    query: dict[str, list[str]] | None = None,
    headers: dict[str, list[Any]] | None = None,
    method: str = "GET",
    **extra: Any,
) -> dict[str, Any]:
    """The body of the mock's /param_forwarding/ echo, as the gateway must relay it."""
    return {
        "foo": 42,
        "headers": {**GATEWAY_HEADERS, **(headers or {})},
        "method": method,
        "path": path,
        "query": query or {},
        **extra,
    }


EP_CRASH = {"endpoint": "/crash", "backend": [{"url_pattern": "/unknown"}]}
EP_STATIC = {
    "endpoint": "/static",
    "backend": [{"host": ["$self"], "url_pattern": "/__debug", "deny": ["message"]}],
    "extra_config": {
        "proxy": {"static": {"strategy": "always", "data": {"foo": 42, "bar": "foobar"}}}
    },
}
EP_REDIRECT = {
    "endpoint": "/redirect/{code}",
    "backend": [{"url_pattern": "/redirect/?status={code}"}],
}
EP_XML_BACKEND = {"url_pattern": "/xml", "encoding": "xml"}
EP_PARAM_SOME_GET = {
    "endpoint": "/param_forwarding/some/{foo}/{bar}",
    "input_headers": ["Authorization", "X-Y-Z"],
    "backend": [{"url_pattern": "/param_forwarding/{bar}?foo={foo}"}],
}
EP_PARAM_SOME_POST = {
    **EP_PARAM_SOME_GET,
    "method": "POST",
    "backend": [{"url_pattern": "/param_forwarding/{bar}?foo={foo}&dump_body=1"}],
}
EP_PARAM_ALL = {
    "endpoint": "/param_forwarding/all/{foo}/{bar}",
    "input_headers": ["*"],
    "backend": [{"url_pattern": "/param_forwarding/{bar}?foo={foo}"}],
}
EP_QUERY_ALL = {
    "endpoint": "/query_forwarding/all/{name}",
    "input_query_strings": ["*"],
    "backend": [{"url_pattern": "/param_forwarding/{name}"}],
}
EP_QUERY_SOME = {
    "endpoint": "/query_forwarding/some/{name}",
    "input_query_strings": ["a"],
    "backend": [{"url_pattern": "/param_forwarding/{name}"}],
}
SEQUENTIAL = {"proxy": {"sequential": True}}

XML_USER = (
    b'<user type="admin"><name>Elliot</name><social><facebook>https://facebook.com</facebook>'
    b"<twitter>https://twitter.com</twitter><youtube>https://youtube.com</youtube></social></user>"
)
STATIC_BODY = b'{"bar":"foobar","foo":42}'
PARAM_HEADERS = {"Authorization": "bearer 123456", "X-Y-Z": "true", "A-B-C": "ignore"}
PARAM_HEADERS_ODD_CASE = {"autHoriZatiOn": "bearer 123456", "x-y-Z": "true", "a-b-c": "ignore"}
FORWARDED_AUTH = {"Authorization": ["bearer 123456"], "X-Y-Z": ["true"]}


def _backend_30x(code: int) -> Case:
    return Case(
        f"backend_{code}",
        (EP_REDIRECT,),
        f"/redirect/{code}",
        headers=COMPLETE,
        body=JSONEq(echo("/param_forwarding/", {"status": [str(code)]})),
    )


def _redirected_once(response: httpx.Response, ctx: Ctx) -> None:
    assert [(r.status_code, r.headers["location"]) for r in response.history] == [(301, "/static")]


def _in_backend_key_order(response: httpx.Response, ctx: Ctx) -> None:
    # backend_app writes foo, headers, path, query, method: a re-encoding would sort them
    assert list(response.json()) == ["foo", "headers", "path", "query", "method"]


def _health_schema(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and {"agents", "now", "status"} <= body.keys()
        and isinstance(body["agents"], dict)
        and isinstance(body["now"], str)
        and body["status"] == "ok"
    )


def _static_schema(body: Any) -> bool:
    return (
        isinstance(body, dict) and type(body.get("foo")) is int and isinstance(body.get("bar"), str)
    )


CE_CASES = [
    *(_backend_30x(code) for code in (301, 302, 303, 307)),
    Case(
        "backend_404",
        (EP_CRASH,),
        "/crash",
        status=500,
        headers={
            "content-type": "text/plain; charset=utf-8",
            "cache-control": ABSENT,
            "x-krakend-completed": "false",
            "x-krakend": X_KRAKEND,
        },
        body=Raw(b"invalid status code 404 [GET /unknown]: $backend/unknown"),
    ),
    Case(
        "collection",
        (
            {
                "endpoint": "/combination/{id}",
                "backend": [
                    {
                        "url_pattern": "/collection/{id}",
                        "is_collection": True,
                        "mapping": {"collection": "posts"},
                    },
                    {"url_pattern": "/param_forwarding/{id}", "allow": ["foo"]},
                ],
            },
        ),
        "/combination/2",
        headers=COMPLETE,
        body=Raw(
            b'{"foo":42,"posts":['
            + b",".join(b'{"i":%d,"path":"/collection/2"}' % i for i in range(10))
            + b"]}"
        ),
    ),
    Case(
        "detail_error",
        (
            {
                "endpoint": "/detail_error",
                "backend": [
                    {
                        "url_pattern": "/param_forwarding/",
                        "extra_config": {"backend/http": {"return_error_details": "backend_a"}},
                    },
                    {
                        "url_pattern": "/",
                        "extra_config": {"backend/http": {"return_error_details": "backend_b"}},
                    },
                ],
            },
        ),
        "/detail_error",
        headers=INCOMPLETE,
        body=JSONEq(
            {
                "error_backend_b": {
                    "http_body": "404 page not found\n",
                    "http_body_encoding": "text/plain; charset=utf-8",
                    "http_status_code": 404,
                },
                **echo("/param_forwarding/"),
            },
            go_order=False,  # the error detail is a Go struct: its fields are not sorted
        ),
    ),
    Case(
        "flatmap_1",
        (
            {
                "endpoint": "/flatmap/{id}",
                "method": "GET",
                "backend": [
                    {
                        "url_pattern": "/collection/{id}",
                        "is_collection": True,
                        "extra_config": {
                            "proxy": {
                                "flatmap_filter": [
                                    {"type": "move", "args": ["collection", "paths"]},
                                    {"type": "del", "args": ["paths.*.i"]},
                                    {"type": "move", "args": ["paths.*.path", "paths.*.url"]},
                                ]
                            }
                        },
                    }
                ],
            },
        ),
        "/flatmap/2",
        headers=COMPLETE,
        body=Raw(b'{"paths":[' + b",".join([b'{"url":"/collection/2"}'] * 10) + b"]}"),
    ),
    Case(
        "integration_jsonschema",
        (EP_CRASH,),
        "/__health",
        headers={"content-type": JSON_CT, "x-krakend": ABSENT, "x-krakend-completed": ABSENT},
        body=Satisfies(_health_schema),
    ),
    Case(
        "integration_no_body",
        (EP_STATIC,),
        "/static",
        headers=COMPLETE,
        needs_self=True,
    ),
    Case(
        "integration_schema",
        (EP_STATIC,),
        "/static",
        headers=COMPLETE,
        body=Satisfies(_static_schema),
        needs_self=True,
    ),
    Case(
        "negotitate_json",
        ({"endpoint": "/negotiate", "output_encoding": "negotiate", "backend": [EP_XML_BACKEND]},),
        "/negotiate",
        req_headers={"Accept": "application/json; charset=utf-8"},
        headers=COMPLETE,
        body=Raw(
            b'{"user":{"-type":"admin","name":"Elliot","social":{"facebook":'
            b'"https://facebook.com","twitter":"https://twitter.com","youtube":'
            b'"https://youtube.com"}}}'
        ),
    ),
    Case(
        "negotitate_plain",
        ({"endpoint": "/negotiate", "output_encoding": "negotiate", "backend": [EP_XML_BACKEND]},),
        "/negotiate",
        req_headers={"Accept": "text/plain"},
        headers={**COMPLETE, "content-type": "application/yaml; charset=utf-8"},
        body=Raw(
            b"user:\n  -type: admin\n  name: Elliot\n  social:\n    facebook: https://facebook.com\n"
            b"    twitter: https://twitter.com\n    youtube: https://youtube.com\n"
        ),
    ),
    Case(
        "no-op_1",
        (
            {
                "endpoint": "/no-op/ok",
                "method": "POST",
                "output_encoding": "no-op",
                "backend": [{"encoding": "no-op", "url_pattern": "/param_forwarding/"}],
            },
        ),
        "/no-op/ok",
        method="POST",
        headers={
            "content-type": "application/json",
            "cache-control": ABSENT,
            "set-cookie": ["test1=test1", "test2=test2"],
            "x-krakend-completed": "false",
            "x-krakend": X_KRAKEND,
        },
        # passed through verbatim: the backend's key order ("method" last), not the gateway's
        body=JSONEq(echo("/param_forwarding/", method="POST"), go_order=False),
        extra=_in_backend_key_order,
    ),
    Case(
        "no-op_2",
        (
            {
                "endpoint": "/no-op/ko",
                "method": "POST",
                "output_encoding": "no-op",
                "backend": [{"encoding": "no-op", "host": ["$self"], "url_pattern": "/unknown"}],
            },
        ),
        "/no-op/ko",
        method="POST",
        status=404,
        headers={"content-type": "text/plain", "cache-control": ABSENT},
        body=Raw(b"404 page not found"),
        needs_self=True,
    ),
    Case(
        "param_forwarding_1",
        (EP_PARAM_SOME_GET, EP_PARAM_SOME_POST),
        "/param_forwarding/some/foo/bar?a=1&b=2",
        req_headers=PARAM_HEADERS,
        headers=COMPLETE,
        body=JSONEq(echo("/param_forwarding/bar", {"foo": ["foo"]}, FORWARDED_AUTH)),
    ),
    Case(
        "param_forwarding_2",
        (EP_PARAM_ALL,),
        "/param_forwarding/all/foo/bar?a=1&b=2",
        req_headers=PARAM_HEADERS,
        headers=COMPLETE,
        body=JSONEq(
            echo(
                "/param_forwarding/bar",
                {"foo": ["foo"]},
                {
                    "A-B-C": ["ignore"],
                    "Accept-Encoding": ["gzip"],  # the client's own, forwarded by "*"
                    "Authorization": ["bearer 123456"],
                    "User-Agent": ["Go-http-client/1.1"],
                    "X-Forwarded-Via": [UA],
                    "X-Y-Z": ["true"],
                },
            )
        ),
    ),
    Case(
        "param_forwarding_3",
        (EP_PARAM_SOME_GET, EP_PARAM_SOME_POST),
        "/param_forwarding/some/foo/bar?a=1&b=2",
        req_headers=PARAM_HEADERS_ODD_CASE,
        headers=COMPLETE,
        body=JSONEq(echo("/param_forwarding/bar", {"foo": ["foo"]}, FORWARDED_AUTH)),
    ),
    Case(
        "param_forwarding_4",
        (EP_PARAM_SOME_GET, EP_PARAM_SOME_POST),
        "/param_forwarding/some/foo/bar?a=1&b=2",
        method="POST",
        req_headers=PARAM_HEADERS_ODD_CASE,
        req_body=b'{"foo":"bar"}',
        headers=COMPLETE,
        body=JSONEq(
            echo(
                "/param_forwarding/bar",
                {"dump_body": ["1"], "foo": ["foo"]},
                FORWARDED_AUTH,
                method="POST",
                body='{"foo":"bar"}',
            )
        ),
    ),
    Case(
        "query_forwarding_1",
        (EP_QUERY_ALL,),
        "/query_forwarding/all/foo?a=1&b=2",
        req_headers={"X-Y-Z": "true"},
        headers=COMPLETE,
        body=JSONEq(echo("/param_forwarding/foo", {"a": ["1"], "b": ["2"]})),
    ),
    Case(
        "query_forwarding_2",
        (EP_QUERY_ALL,),
        "/query_forwarding/all/foo?a=1&b=2&b=3",
        headers=COMPLETE,
        body=JSONEq(echo("/param_forwarding/foo", {"a": ["1"], "b": ["2", "3"]})),
    ),
    Case(
        "query_forwarding_3",
        (EP_QUERY_SOME,),
        "/query_forwarding/some/foo?a=1&b=2&b=3",
        headers=COMPLETE,
        body=JSONEq(echo("/param_forwarding/foo", {"a": ["1"]})),
    ),
    Case(
        "router_404",
        (EP_CRASH,),
        "/unknown",
        status=404,
        headers={
            "content-type": "text/plain",
            "cache-control": ABSENT,
            "x-krakend-completed": "false",  # CE's defaultHandler (§7.3)
            "x-krakend": X_KRAKEND,
        },
        body=Raw(b"404 page not found"),
    ),
    Case(
        "router_405",
        (EP_CRASH,),
        "/crash",
        method="POST",
        status=405,
        headers={
            "content-type": "text/plain",
            "cache-control": ABSENT,
            "x-krakend-completed": "false",
            "x-krakend": X_KRAKEND,
            "allow": "GET",
        },
        body=Raw(b"405 method not allowed"),
    ),
    Case(
        "router_redirect",
        (EP_STATIC,),
        "/StAtic",
        headers=COMPLETE,
        body=Raw(STATIC_BODY),
        follow_redirects=True,
        needs_self=True,
        extra=_redirected_once,
    ),
    Case(
        "sequential_1",
        (
            {
                "endpoint": "/sequential/ok/{param}",
                "extra_config": SEQUENTIAL,
                "backend": [
                    {"url_pattern": "/param_forwarding/{param}", "allow": ["foo"]},
                    {"url_pattern": "/param_forwarding/{resp0_foo}"},
                ],
            },
        ),
        "/sequential/ok/foobar",
        headers=COMPLETE,
        body=JSONEq(echo("/param_forwarding/42")),
    ),
    Case(
        "sequential_2",
        (
            {
                "endpoint": "/sequential/incomplete/{param}",
                "extra_config": SEQUENTIAL,
                "backend": [
                    {"url_pattern": "/param_forwarding/{param}", "allow": ["foo"]},
                    {"url_pattern": "/{resp0_foo}"},
                ],
            },
        ),
        "/sequential/incomplete/foobar",
        headers=INCOMPLETE,
        body=Raw(b'{"foo":42}'),
    ),
    Case(
        "sequential_3",
        (
            {
                "endpoint": "/sequential/propagate",
                "extra_config": {
                    "proxy": {
                        "sequential": True,
                        "sequential_propagated_params": ["resp0_first.foo"],
                    }
                },
                "backend": [
                    {"url_pattern": "/param_forwarding/1", "group": "first", "allow": ["foo"]},
                    {
                        # the spec's Lua pre-script appends Resp0_first.foo to the URL
                        "url_pattern": "/param_forwarding/{resp0_first.foo}",
                        "group": "second",
                        "allow": ["path"],
                    },
                ],
            },
        ),
        "/sequential/propagate",
        headers=COMPLETE,
        body=Raw(b'{"first":{"foo":42},"second":{"path":"/param_forwarding/42"}}'),
    ),
    Case(
        "static", (EP_STATIC,), "/static", headers=COMPLETE, body=Raw(STATIC_BODY), needs_self=True
    ),
    Case(
        "timeout",
        (
            {
                "endpoint": "/timeout",
                "timeout": "100ms",
                "backend": [
                    {"url_pattern": "/param_forwarding/123", "group": "first"},
                    {"url_pattern": "/delayed/", "group": "second"},  # 200 ms
                ],
            },
        ),
        "/timeout",
        headers=INCOMPLETE,
        body=JSONEq({"first": echo("/param_forwarding/123")}),
    ),
    Case(
        "xml_1",
        ({"endpoint": "/xml/xml", "output_encoding": "xml", "backend": [EP_XML_BACKEND]},),
        "/xml/xml",
        headers={**COMPLETE, "content-type": "application/xml"},
        body=Raw(XML_USER),
    ),
    Case(
        "xml_2",
        (
            {
                "endpoint": "/xml/json",
                "output_encoding": "xml",
                "backend": [{"url_pattern": "/param_forwarding"}],  # 301 to /param_forwarding/
            },
        ),
        "/xml/json",
        headers={**COMPLETE, "content-type": "application/xml"},
        body=Pattern(
            r"<doc><foo>42</foo><headers>"
            r"(<Accept-Encoding>[^<]*</Accept-Encoding>)?(<Referer>[^<]*</Referer>)?"
            r"<User-Agent>trio-gateway/[^<]+</User-Agent>"
            r"<X-Forwarded-For>127\.0\.0\.1</X-Forwarded-For>"
            r"<X-Forwarded-Host>$gw_host</X-Forwarded-Host></headers>"
            r"<method>GET</method><path>/param_forwarding/</path><query/></doc>"
        ),
    ),
]

CE_MARKS: dict[str, pytest.MarkDecorator] = {}


@pytest.mark.parametrize("case", params(CE_CASES, CE_MARKS))
async def test_krakend_ce_spec(
    case: Case, backend_url: str, start_gateway: StartGateway, client: httpx.AsyncClient
) -> None:
    await run_case(
        case,
        service=SERVICE,
        self_service=SELF_SERVICE,
        backend_url=backend_url,
        start_gateway=start_gateway,
        client=client,
    )
