"""Every semantic rule: exact message, severity and JSON path (table-driven)."""

from __future__ import annotations

from typing import Any

import pytest

from trio_gateway.config import ConfigError, load_config_data

HOST_HINT = (
    "a host is [http://|https://]name[:port] with a lower-case scheme, no path, no user-info"
)


def be(url: str = "/x", **keys: Any) -> dict[str, Any]:
    return {"url_pattern": url, **keys}


def ep(path: str = "/x", *backends: dict[str, Any], **keys: Any) -> dict[str, Any]:
    return {"endpoint": path, "backend": list(backends) or [be()], **keys}


def config(*endpoints: dict[str, Any], **service: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"version": 3, "host": ["http://svc:8000"], **service}
    data["endpoints"] = list(endpoints) or [ep()]
    return data


def proxy(**keys: Any) -> dict[str, Any]:
    return {"proxy": keys}


def report(data: dict[str, Any]) -> list[str]:
    """All diagnostics of a config, errors first, as printed by `check`."""
    try:
        loaded = load_config_data(data)
    except ConfigError as exc:
        return [str(d) for d in exc.diagnostics]
    return [str(d) for d in loaded.warnings]


CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("valid", config(), []),
    ("version", config(version=2), ["error: $.version: unsupported version: 2 (want: 3)"]),
    ("listen_ip ipv6", config(listen_ip="::1"), []),
    ("listen_ip ipv4", config(listen_ip="127.0.0.1"), []),
    (
        "listen_ip invalid",
        config(listen_ip="256.0.0.1"),
        ["error: $.listen_ip: invalid ip address 256.0.0.1"],
    ),
    (
        "listen_ip zone",
        config(listen_ip="fe80::1%eth0"),
        ["error: $.listen_ip: invalid ip address fe80::1%eth0"],
    ),
    ("port", config(port=70000), ["error: $.port: port 70000 out of range (0-65535)"]),
    (
        "trusted proxies",
        config(extra_config={"router": {"trusted_proxies": ["10.0.0.0/8", "::1", "-1"]}}),
        [
            "error: $.extra_config.router.trusted_proxies[2]: trusted proxy '-1' is not an IP"
            ' address or a CIDR (hint: write an address such as "10.0.0.1" or a network such as'
            ' "10.0.0.0/8")'
        ],
    ),
    (
        "service host",
        config(host=["http://a.com/api"]),
        [f"error: $.host[0]: host http://a.com/api not valid: invalid host (hint: {HOST_HINT})"],
    ),
    (
        "backend host",
        config(ep("/x", be(host=["http://ok:80", "HTTP://a.com"]))),
        [
            "error: $.endpoints[0].backend[0].host[1]: host HTTP://a.com not valid: invalid host"
            f" (hint: {HOST_HINT})"
        ],
    ),
    (
        "backend host not sanitized",
        config(ep("/x", be(host=["HTTP://a.com/x"], disable_host_sanitize=True))),
        [],
    ),
    (
        "reserved path",
        config(ep("/api/__health")),
        [
            'error: $.endpoints[0].endpoint: invalid endpoint path "/api/__health": paths ending'
            " in /__debug, /__echo or /__health are reserved"
        ],
    ),
    (
        "star in the middle",
        config(ep("/a*b")),
        [
            'error: $.endpoints[0].endpoint: invalid endpoint path "/a*b": "*" is only allowed as'
            " the last character, and wildcards are not supported"
        ],
    ),
    (
        "trailing wildcard",
        config(ep("/files/*")),
        [
            'error: $.endpoints[0].endpoint: invalid endpoint path "/files/*": wildcard routes'
            " are not supported (KrakenD CE panics registering an unnamed wildcard)"
        ],
    ),
    (
        "no backends",
        config({"endpoint": "orders", "method": "post", "backend": []}),
        ["error: $.endpoints[0].backend: the 'POST /orders' endpoint has 0 backends defined"],
    ),
    (
        "no-op with two backends",
        config(ep("/x", be("/a"), be("/b"), output_encoding="no-op")),
        [
            "error: $.endpoints[0].output_encoding: can not use NoOp encoding with more than one"
            " backends connected to the same endpoint"
        ],
    ),
    (
        "inherited no-op with two backends",
        config(ep("/x", be("/a"), be("/b")), output_encoding="no-op"),
        [
            "error: $.endpoints[0]: can not use NoOp encoding with more than one backends"
            " connected to the same endpoint (hint: no-op is inherited from $.output_encoding)"
        ],
    ),
    (
        "undefined placeholder, close match",
        config(ep("/users/{user_id}", be("/u/{user_id}"), be("/v/{usr_id}"))),
        [
            "error: $.endpoints[0].backend[1].url_pattern: undefined placeholder {usr_id}: not an"
            " endpoint parameter (hint: did you mean {user_id}?)"
        ],
    ),
    (
        "undefined placeholder, no close match",
        config(ep("/users/{id}/{kind}", be("/u/{zzz}"))),
        [
            "error: $.endpoints[0].backend[0].url_pattern: undefined placeholder {zzz}: not an"
            " endpoint parameter (hint: the endpoint declares {id}, {kind})"
        ],
    ),
    (
        "undefined placeholder, no params",
        config(ep("/users", be("/u?x={q}"))),
        [
            "error: $.endpoints[0].backend[0].url_pattern: undefined placeholder {q}: not an"
            " endpoint parameter (hint: the endpoint declares no parameters)"
        ],
    ),
    (
        "placeholder inside a segment in strict REST mode",
        config(ep("/file.{ext}", be("/f.{ext}"))),
        [
            "error: $.endpoints[0].backend[0].url_pattern: undefined placeholder {ext}: not an"
            " endpoint parameter (hint: {ext} is not a parameter of the endpoint in strict REST"
            " mode (it must be a whole path segment); move it to its own segment or set"
            " disable_rest: true)"
        ],
    ),
    (
        "placeholder inside a segment, disable_rest",
        config(ep("/file.{ext}", be("/f.{ext}")), disable_rest=True),
        [],
    ),
    (
        "resp0 without a field",
        config(ep("/x", be("/a"), be("/b/{resp0}"), extra_config=proxy(sequential=True))),
        [
            "error: $.endpoints[0].backend[1].url_pattern: undefined placeholder {resp0}: not an"
            " endpoint parameter (hint: sequential placeholders name a field: {resp0_field})"
        ],
    ),
    ("JWT placeholder", config(ep("/x", be("/u/{JWT.sub}"))), []),
    (
        "sequential placeholder outside a sequential endpoint",
        config(ep("/x", be("/a"), be("/b/{resp0_id}"))),
        [
            "warning: $.endpoints[0].backend[1].url_pattern: placeholder {resp0_id} only gets a"
            " value in a sequential endpoint (extra_config.proxy.sequential: true); KrakenD"
            " leaves it as is"
        ],
    ),
    (
        "sequential placeholder pointing forward",
        config(ep("/x", be("/a/{resp1_id}"), be("/b"), extra_config=proxy(sequential=True))),
        [
            "warning: $.endpoints[0].backend[0].url_pattern: placeholder {resp1_id} refers to"
            " backend 1, which has not answered when backend 0 is called; KrakenD leaves it as is"
        ],
    ),
    (
        "sequential with one backend",
        config(ep("/x", extra_config=proxy(sequential=True))),
        [
            "warning: $.endpoints[0].extra_config.proxy.sequential: sequential has no effect with"
            " fewer than 2 backends"
        ],
    ),
    ("lower-case method", config(ep("/x", method="get")), []),
    (
        "unsupported method",
        config(ep("/x", method="HEAD")),
        [
            'error: $.endpoints[0].method: unsupported method "HEAD": KrakenD silently drops'
            " endpoints whose method is not GET, POST, PUT, PATCH or DELETE, so this route would"
            " never answer"
        ],
    ),
    (
        "duplicate route",
        config(ep("/users/{id}"), ep("/other"), ep("users/{id}", method="get")),
        [
            "error: $.endpoints[2].endpoint: duplicate route GET /users/{id}: already defined by"
            " $.endpoints[0].endpoint (hint: each method + path pair may appear only once (KrakenD"
            " panics at start-up))"
        ],
    ),
    ("same path, other method", config(ep("/users"), ep("/users", method="POST")), []),
    ("trailing slash is another route", config(ep("/users"), ep("/users/")), []),
    ("static and param siblings", config(ep("/user/me"), ep("/user/{id}")), []),
    ("same param name deeper", config(ep("/user/{id}"), ep("/user/{id}/posts")), []),
    (
        "conflicting param names",
        config(ep("/user/{userid}", be("/u/{userid}")), ep("/user/{iduser}/some")),
        [
            "error: $.endpoints[1].endpoint: route GET /user/{iduser}/some conflicts with GET"
            " /user/{userid} ($.endpoints[0].endpoint): parameters {iduser} and {userid} sit at"
            " the same position, which gin rejects at start-up (hint: use the same parameter name"
            " {userid} in both paths)"
        ],
    ),
    (
        "conflicting param names, other method",
        config(ep("/user/{userid}"), ep("/user/{iduser}/some", method="PUT")),
        [],
    ),
    (
        "two params in one segment",
        config(ep("/a/{x}-{y}", be("/{x}/{y}")), disable_rest=True),
        [
            "error: $.endpoints[0].endpoint: route GET /a/{x}-{y} has two parameters in one path"
            " segment: gin allows only one wildcard per segment (KrakenD panics at start-up)"
            " (hint: split the parameters into separate segments)"
        ],
    ),
    (
        "health path",
        config(ep("/health"), extra_config={"router": {"health_path": "/health"}}),
        [
            "error: $.endpoints[0].endpoint: duplicate route GET /health: already defined by the"
            " health endpoint ($.extra_config.router.health_path) (hint: each method + path pair"
            " may appear only once (KrakenD panics at start-up))"
        ],
    ),
    (
        "health disabled",
        config(
            ep("/health"),
            extra_config={"router": {"health_path": "/health", "disable_health": True}},
        ),
        [],
    ),
    ("health path, other method", config(ep("/__health2", method="POST")), []),
    (
        "health path without a slash",
        config(extra_config={"router": {"health_path": "health"}}),
        [
            'error: $.extra_config.router.health_path: health_path "health" must begin with "/"'
            " (gin panics at start-up)"
        ],
    ),
    (
        "param with a suffix",
        config(ep("/x/{id}.json", be("/x/{id}"))),
        [
            'warning: $.endpoints[0].endpoint: parameter {id} is followed by ".json" in the same'
            ' segment: gin names the parameter "id.json", so {id} never gets a value (hint: make'
            " {id} a whole path segment)"
        ],
    ),
    (
        "backend timeout and concurrent_calls",
        config(ep("/x", be(timeout="1s", concurrent_calls=3))),
        [
            "warning: $.endpoints[0].backend[0].timeout: ignored: KrakenD always uses the"
            " endpoint's value",
            "warning: $.endpoints[0].backend[0].concurrent_calls: ignored: KrakenD always uses"
            " the endpoint's value",
        ],
    ),
    (
        "negative concurrent_calls",
        config(ep("/x", be(concurrent_calls=-1), concurrent_calls=-2)),
        [
            "error: $.endpoints[0].concurrent_calls: concurrent_calls must not be negative",
            "error: $.endpoints[0].backend[0].concurrent_calls: concurrent_calls must not be"
            " negative",
            "warning: $.endpoints[0].backend[0].concurrent_calls: ignored: KrakenD always uses"
            " the endpoint's value",
        ],
    ),
    (
        "negative durations",
        config(
            ep("/x", be(extra_config=proxy(shadow_timeout="-5ms")), cache_ttl="-1m"),
            timeout="-1.5s",
        ),
        [
            "error: $.timeout: negative duration -1.5s is not allowed",
            "error: $.endpoints[0].cache_ttl: negative duration -1m0s is not allowed",
            "error: $.endpoints[0].backend[0].extra_config.proxy.shadow_timeout: negative"
            " duration -5ms is not allowed",
        ],
    ),
    (
        "unknown encoding",
        config(ep("/x", be(encoding="jsn"))),
        [
            'warning: $.endpoints[0].backend[0].encoding: unknown encoding "jsn": KrakenD falls'
            ' back to json (hint: did you mean "json"?)'
        ],
    ),
    ("encoding is case-insensitive", config(ep("/x", be(encoding="XML"))), []),
    (
        "unknown output_encoding",
        config(ep("/x", output_encoding="JSON"), output_encoding="html"),
        [
            'warning: $.output_encoding: unknown output_encoding "html": KrakenD falls back to'
            " json",
            'warning: $.endpoints[0].output_encoding: unknown output_encoding "JSON": KrakenD'
            ' falls back to json (hint: did you mean "json"?)',
        ],
    ),
    (
        "no-op output overrides the backend encoding",
        config(ep("/x", be(encoding="json"), output_encoding="no-op")),
        [
            "warning: $.endpoints[0].backend[0].encoding: ignored: the endpoint output_encoding"
            ' is no-op, so KrakenD decodes this backend as no-op, not "json"'
        ],
    ),
    (
        "unknown static strategy",
        config(ep("/x", extra_config=proxy(static={"strategy": "on-error", "data": {}}))),
        [
            "warning: $.endpoints[0].extra_config.proxy.static.strategy: unknown static strategy"
            ' "on-error": KrakenD falls back to "always" (hint: did you mean "errored"?)'
        ],
    ),
    (
        "unknown flatmap type",
        config(
            ep("/x", be(extra_config=proxy(flatmap_filter=[{"type": "mov", "args": ["a", "b"]}])))
        ),
        [
            "error: $.endpoints[0].backend[0].extra_config.proxy.flatmap_filter[0].type: unknown"
            ' flatmap operation type "mov": KrakenD skips it silently (hint: did you mean "move"?)'
        ],
    ),
    (
        "flatmap move with one argument",
        config(
            ep(
                "/x",
                be("/a"),
                be("/b"),
                extra_config=proxy(
                    flatmap_filter=[
                        {"type": "del", "args": ["a"]},
                        {"type": "append", "args": ["a"]},
                    ]
                ),
            )
        ),
        [
            'error: $.endpoints[0].extra_config.proxy.flatmap_filter[1].args: flatmap "append"'
            " needs 2 arguments, got 1: KrakenD panics on every request (500)"
        ],
    ),
    (
        "flatmap del without arguments",
        config(ep("/x", be(extra_config=proxy(flatmap_filter=[{"type": "del"}])))),
        [
            "warning: $.endpoints[0].backend[0].extra_config.proxy.flatmap_filter[0].args:"
            ' flatmap "del" without arguments does nothing'
        ],
    ),
    (
        "endpoint flatmap with one backend",
        config(ep("/x", extra_config=proxy(flatmap_filter=[{"type": "del", "args": ["a"]}]))),
        [
            "warning: $.endpoints[0].extra_config.proxy.flatmap_filter: ignored: KrakenD applies"
            " an endpoint flatmap_filter only with more than one backend (hint: move it to the"
            " backend's extra_config.proxy)"
        ],
    ),
    (
        "backend flatmap replaces allow",
        config(
            ep(
                "/x",
                be(
                    allow=["a"], extra_config=proxy(flatmap_filter=[{"type": "del", "args": ["b"]}])
                ),
            )
        ),
        [
            "warning: $.endpoints[0].backend[0].allow: ignored: flatmap_filter replaces allow,"
            " deny and mapping"
        ],
    ),
    (
        "allow and deny",
        config(ep("/x", be(allow=["a"], deny=["b"]))),
        [
            "warning: $.endpoints[0].backend[0].deny: ignored: KrakenD ignores deny when allow is"
            " not empty"
        ],
    ),
    (
        "no host anywhere",
        {"version": 3, "endpoints": [ep("/x", be(), be(host=["http://b:80"]))]},
        [
            "warning: $.endpoints[0].backend[0].host: no host for this backend and none at service"
            ' level: every request would fail with "no hosts available"'
        ],
    ),
    (
        "only shadow backends",
        config(ep("/x", be(extra_config=proxy(shadow=True)))),
        [
            "error: $.endpoints[0].backend: every backend of this endpoint is a shadow backend:"
            " KrakenD answers every request with 500"
        ],
    ),
    (
        "async agents and plugins",
        config(async_agent=[{"name": "a"}], plugin={"folder": "/p", "pattern": ".so"}),
        [
            "warning: $.async_agent: async agents are not implemented yet by trio-gateway"
            " (ignored)",
            "warning: $.plugin: Go plugins are not supported by trio-gateway (ignored)",
        ],
    ),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(data: dict[str, Any], expected: list[str]) -> None:
    assert report(data) == expected


def test_warnings_alone_do_not_fail_loading() -> None:
    loaded = load_config_data(config(ep("/x", be(timeout="1s"))))
    assert [w.severity for w in loaded.warnings] == ["warning"]
    assert loaded.config.endpoints[0].backend[0].timeout == 1.0
