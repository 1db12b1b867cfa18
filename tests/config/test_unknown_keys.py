"""Unknown keys and namespaces: warnings with did-you-mean, v2 names, case-only mismatches."""

from __future__ import annotations

from typing import Any

import pytest

from trio_gateway.config import load_config_data
from trio_gateway.config.unknown_keys import unknown_key_diagnostics

REFUSED = (
    "refused, because serving without it would protect less, or send requests elsewhere, than"
    " this configuration asks (hint: remove it, or set TRIO_GATEWAY_ALLOW_UNENFORCED={n} to"
    " serve without it (docs/configuration.md))"
)


def be(**keys: Any) -> dict[str, Any]:
    return {"url_pattern": "/x", **keys}


def config(backend: dict[str, Any] | None = None, **endpoint: Any) -> dict[str, Any]:
    ep = {"endpoint": "/x", "backend": [backend or be()], **endpoint}
    return {"version": 3, "host": ["http://svc:8000"], "endpoints": [ep]}


def report(data: dict[str, Any]) -> list[str]:
    return [str(d) for d in unknown_key_diagnostics(data)]


CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("clean", config(), []),
    (
        "backend typo",
        config(be(url_patern="/y")),
        [
            "warning: $.endpoints[0].backend[0].url_patern: unknown key `url_patern` (ignored)"
            " (hint: did you mean `url_pattern`?)"
        ],
    ),
    (
        "endpoint typo without a close key",
        config(zzzzzz=1),
        ["warning: $.endpoints[0].zzzzzz: unknown key `zzzzzz` (ignored)"],
    ),
    (
        "service typo",
        {**config(), "timeuot": "2s"},
        ["warning: $.timeuot: unknown key `timeuot` (ignored) (hint: did you mean `timeout`?)"],
    ),
    (
        "comments",
        {**config(be(**{"@note": 1, "_x": 2})), "#c": 1, "$comment": 2},
        [],
    ),
    (
        "v2 whitelist",
        config(be(whitelist=["a"], blacklist=["b"])),
        [
            "warning: $.endpoints[0].backend[0].whitelist: `whitelist` is a KrakenD v2 key,"
            " ignored by KrakenD v3 (ignored) (hint: use `allow`)",
            "warning: $.endpoints[0].backend[0].blacklist: `blacklist` is a KrakenD v2 key,"
            " ignored by KrakenD v3 (ignored) (hint: use `deny`)",
        ],
    ),
    (
        "v2 endpoint keys",
        config(querystring_params=["q"], headers_to_pass=["X"]),
        [
            "warning: $.endpoints[0].querystring_params: `querystring_params` is a KrakenD v2"
            " key, ignored by KrakenD v3 (ignored) (hint: use `input_query_strings`)",
            "warning: $.endpoints[0].headers_to_pass: `headers_to_pass` is a KrakenD v2 key,"
            " ignored by KrakenD v3 (ignored) (hint: use `input_headers`)",
        ],
    ),
    (
        "case-only mismatch",
        config({"URL_Pattern": "/y"}),
        [
            "error: $.endpoints[0].backend[0].URL_Pattern: key `URL_Pattern` differs from"
            " `url_pattern` only by case: KrakenD matches keys case-insensitively and would use"
            " it, trio-gateway does not (hint: rename it to `url_pattern`)"
        ],
    ),
    (
        "case-only mismatch next to the exact key",
        config({"url_pattern": "/x", "Url_Pattern": "/y"}),
        [
            "warning: $.endpoints[0].backend[0].Url_Pattern: unknown key `Url_Pattern` (ignored)"
            " (hint: did you mean `url_pattern`?)"
        ],
    ),
    (
        "tls keys",
        {**config(), "tls": {"public_key": "a", "privte_key": "b"}},
        [
            "warning: $.tls.privte_key: unknown key `privte_key` (ignored) (hint: did you mean"
            " `private_key`?)"
        ],
    ),
    (
        "not implemented namespace",
        config(extra_config={"plugin/req-resp-modifier": {}}),
        [
            'error: $.endpoints[0].extra_config["plugin/req-resp-modifier"]: namespace'
            " `plugin/req-resp-modifier` is not implemented yet by trio-gateway: "
            + REFUSED.format(n="plugin/req-resp-modifier")
        ],
    ),
    (
        # every not-implemented harmless namespace left is Enterprise only (or an async agent's)
        "harmless not implemented namespace",
        {"version": 3, "extra_config": {"documentation/openapi": {}}},
        [
            'warning: $.extra_config["documentation/openapi"]: namespace'
            " `documentation/openapi` is KrakenD Enterprise only, not supported by trio-gateway"
            " (ignored)"
        ],
    ),
    (
        "not implemented namespace by its legacy name",
        config(
            be(extra_config={"github.com/devopsfaith/krakend/transport/http/client/executor": {}})
        ),
        [
            "error: $.endpoints[0].backend[0].extra_config"
            '["github.com/devopsfaith/krakend/transport/http/client/executor"]: namespace'
            " `plugin/http-client` is not implemented yet by trio-gateway: "
            + REFUSED.format(n="plugin/http-client")
        ],
    ),
    (
        "python hooks: unknown key",
        config(extra_config={"modifier/python": {"requets": ""}}),
        [
            'warning: $.endpoints[0].extra_config["modifier/python"].requets: unknown key'
            " `requets` (ignored) (hint: did you mean `request`?)"
        ],
    ),
    (
        "python hooks at service level",
        {"version": 3, "extra_config": {"modifier/python": {}}},
        [
            'warning: $.extra_config["modifier/python"]: namespace `modifier/python` is not read'
            " at service level, only at: backend, endpoint (ignored)"
        ],
    ),
    (
        "unknown namespace",
        config(extra_config={"qos/ratelimit/routr": {}}),
        [
            'warning: $.endpoints[0].extra_config["qos/ratelimit/routr"]: unknown namespace'
            " `qos/ratelimit/routr` (ignored) (hint: did you mean `qos/ratelimit/router`?)"
        ],
    ),
    (
        "v2 namespace",
        config(extra_config={"github.com/devopsfaith/krakend-ratelimit/juju/router": {}}),
        [
            "warning: $.endpoints[0].extra_config"
            '["github.com/devopsfaith/krakend-ratelimit/juju/router"]:'
            " `github.com/devopsfaith/krakend-ratelimit/juju/router` is a KrakenD v2 namespace,"
            " ignored by KrakenD v3 (ignored) (hint: use `qos/ratelimit/router`)"
        ],
    ),
    (
        "enterprise namespace",
        config(extra_config={"auth/gcp": {}}),
        [
            'error: $.endpoints[0].extra_config["auth/gcp"]: namespace `auth/gcp` is'
            " KrakenD Enterprise only, not supported by trio-gateway: "
            + REFUSED.format(n="auth/gcp")
        ],
    ),
    (
        "namespace at the wrong level",
        config(extra_config={"router": {"return_error_msg": True}}),
        [
            "warning: $.endpoints[0].extra_config.router: namespace `router` is not read at"
            " endpoint level, only at: service (ignored)"
        ],
    ),
    (
        "both spellings",
        config(extra_config={"proxy": {}, "github.com/devopsfaith/krakend/proxy": {}}),
        [
            'warning: $.endpoints[0].extra_config["github.com/devopsfaith/krakend/proxy"]: both'
            " `proxy` and its legacy name `github.com/devopsfaith/krakend/proxy` are set:"
            " `github.com/devopsfaith/krakend/proxy` is ignored"
        ],
    ),
    (
        "router key typo",
        {**config(), "extra_config": {"router": {"return_error_mgs": True}}},
        [
            "warning: $.extra_config.router.return_error_mgs: unknown key `return_error_mgs`"
            " (ignored) (hint: did you mean `return_error_msg`?)"
        ],
    ),
    (
        "enterprise router key",
        {**config(), "extra_config": {"router": {"disable_gzip": True}}},
        [
            "warning: $.extra_config.router.disable_gzip: `disable_gzip` is a KrakenD Enterprise"
            " option, not supported by trio-gateway (ignored)"
        ],
    ),
    (
        "proxy key at the wrong level",
        config(
            be(extra_config={"proxy": {"sequential": True}}),
            extra_config={"proxy": {"shadow": True}},
        ),
        [
            "warning: $.endpoints[0].extra_config.proxy.shadow: `shadow` is read only at backend"
            " level (ignored at endpoint level)",
            "warning: $.endpoints[0].backend[0].extra_config.proxy.sequential: `sequential` is"
            " read only at endpoint level (ignored at backend level)",
        ],
    ),
    (
        "static and flatmap keys",
        config(
            be(extra_config={"proxy": {"flatmap_filter": [{"type": "del", "arg": ["a"]}]}}),
            extra_config={"proxy": {"static": {"strategy": "always", "dat": {}}}},
        ),
        [
            "warning: $.endpoints[0].extra_config.proxy.static.dat: unknown key `dat` (ignored)"
            " (hint: did you mean `data`?)",
            "warning: $.endpoints[0].backend[0].extra_config.proxy.flatmap_filter[0].arg: unknown"
            " key `arg` (ignored) (hint: did you mean `args`?)",
        ],
    ),
    (
        "backend/http typo",
        config(be(extra_config={"backend/http": {"return_error_cod": True}})),
        [
            'warning: $.endpoints[0].backend[0].extra_config["backend/http"].return_error_cod:'
            " unknown key `return_error_cod` (ignored) (hint: did you mean `return_error_code`?)"
        ],
    ),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_unknown(data: dict[str, Any], expected: list[str]) -> None:
    assert report(data) == expected


def test_walker_tolerates_values_of_the_wrong_type() -> None:
    data = {"version": 3, "endpoints": ["x", {"backend": "y", "extra_config": [1]}], "tls": 1}
    assert report(data) == []


def test_unknown_keys_are_warnings_when_loading() -> None:
    loaded = load_config_data(config(be(url_patern="/y")))
    assert [d.severity for d in loaded.warnings] == ["warning"]


def test_a_key_that_differs_only_by_case_is_read_as_krakend_does() -> None:
    # mapstructure's MatchName is strings.EqualFold when the exact key is absent.
    data = config()
    data["endpoints"][0]["Method"] = "POST"
    loaded = load_config_data(data)
    assert loaded.config.endpoints[0].method == "POST"
    assert [str(d) for d in loaded.warnings] == [
        "warning: $.endpoints[0].Method: `Method` read as `method`: KrakenD matches keys"
        " case-insensitively (hint: rename it to `method`)"
    ]


def test_a_case_variant_next_to_the_exact_key_is_ignored_as_krakend_does() -> None:
    data = config()
    data["endpoints"][0]["Method"] = "POST"
    data["endpoints"][0]["method"] = "GET"
    loaded = load_config_data(data)
    assert loaded.config.endpoints[0].method == "GET"
    assert [d.path for d in loaded.warnings] == ["$.endpoints[0].Method"]
