"""modifier/martian in `check`: every problem martian's parser has is an error at its JSON path
(KrakenD logs it and calls the backend without the modifiers; trio-gateway refuses to serve)."""

from __future__ import annotations

from typing import Any

import pytest

from trio_gateway.config import load_config_data
from trio_gateway.config.diagnostics import ConfigError

NS = '$.endpoints[0].backend[0].extra_config["modifier/martian"]'


def config(block: Any, name: str = "modifier/martian") -> dict[str, Any]:
    backend = {
        "url_pattern": "/x",
        "host": ["http://127.0.0.1:8080"],
        "extra_config": {name: block},
    }
    return {"version": 3, "endpoints": [{"endpoint": "/x", "backend": [backend]}]}


def errors(block: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_data(config(block))
    return [f"{d.path}: {d.message}" for d in caught.value.errors]


def header(**keys: Any) -> dict[str, Any]:
    return {"header.Modifier": {"name": "X-A", "value": "1", **keys}}


ERROR_CASES: list[tuple[str, Any, str]] = [
    (
        "unknown modifier",
        {"header.Modifer": {}},
        f'{NS}["header.Modifer"]: parse: unknown modifier',
    ),
    ("two keys", {**header(), "@comment": "x"}, f"{NS}: parse: expected one modifier, received 2"),
    ("empty", {}, f"{NS}: parse: expected one modifier, received 0"),
    (
        "wrong type",
        {"header.Modifier": {"name": 5}},
        f'{NS}["header.Modifier"].name: json: cannot unmarshal the number 5 into a field of Go '
        "type string",
    ),
    (
        "bad scope",
        header(scope=["requests"]),
        f'{NS}["header.Modifier"].scope[0]: parse: invalid scope: requests not in',
    ),
    (
        "scope the modifier lacks",
        {"querystring.Modifier": {"name": "a", "scope": ["response"]}},
        f'{NS}["querystring.Modifier"].scope[0]: parse: invalid scope "response" for modifier',
    ),
    (
        "nested unknown modifier",
        {"fifo.Group": {"modifiers": [header(), {"header.Nope": {}}]}},
        f'{NS}["fifo.Group"].modifiers[1]["header.Nope"]: parse: unknown modifier',
    ),
    (
        "filter without modifier",
        {"header.Filter": {"name": "X", "value": "1"}},
        f'{NS}["header.Filter"].modifier: `modifier` is missing',
    ),
    (
        "else null",
        {"url.Filter": {"path": "/a", "modifier": header(), "else": None}},
        f'{NS}["url.Filter"].else: parse: expected one modifier, received 0',
    ),
    (
        "port with two settings",
        {"port.Modifier": {"port": 80, "remove": True}},
        f'{NS}["port.Modifier"]: Must specify only one of port, defaultForScheme or remove',
    ),
    (
        "fractional int",
        {"port.Modifier": {"port": 80.5}},
        f'{NS}["port.Modifier"].port: json: cannot unmarshal the number 80.5',
    ),
    (
        "bad base64",
        {"body.Modifier": {"body": "not base64!"}},
        f'{NS}["body.Modifier"].body: not standard base64',
    ),
    (
        "bad time",
        {"cookie.Modifier": {"name": "a", "expires": "tomorrow"}},
        f'{NS}["cookie.Modifier"].expires: parsing time',
    ),
    (
        "header name Go would refuse",
        {"header.Modifier": {"name": "X A", "value": "1"}},
        f"{NS}[\"header.Modifier\"].name: header name 'X A' is not an HTTP token",
    ),
    (
        "header value with a newline",
        {"header.Modifier": {"name": "X-A", "value": "1\r\nX-B: 2"}},
        f'{NS}["header.Modifier"].value: header value has a control character',
    ),
    (
        "regex RE2 lacks",
        {"url.RegexFilter": {"regex": "(?=a)", "modifier": header()}},
        f'{NS}["url.RegexFilter"].regex: regular expression',
    ),
    (
        "regex that does not compile",
        {"header.RegexFilter": {"header": "X", "regex": "(", "modifier": header()}},
        f'{NS}["header.RegexFilter"].regex: error parsing regexp',
    ),
    (
        "stash response scope alone",
        {"stash.Modifier": {"headerName": "X-U", "scope": ["response"]}},
        f'{NS}["stash.Modifier"].scope: to write header on a response',
    ),
    (
        "unsupported scheme",
        {"url.Modifier": {"scheme": "ftp"}},
        f'{NS}["url.Modifier"].scheme: unsupported protocol scheme "ftp"',
    ),
    ("static", {"static.Modifier": {"rootPath": "/"}}, f'{NS}["static.Modifier"]: static.Modifier'),
    ("not an object", "header.Modifier", f"{NS}"),
    (
        "priority entry not an object",
        {"priority.Group": {"modifiers": [1]}},
        f'{NS}["priority.Group"].modifiers[0]: json: cannot unmarshal the number 1',
    ),
    (
        "verifier without name",
        {"querystring.Verifier": {}},
        f'{NS}["querystring.Verifier"].name: no key provided to param verifier',
    ),
]


@pytest.mark.parametrize(
    ("block", "expected"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_errors_at_their_json_path(block: Any, expected: str) -> None:
    found = errors(block)
    assert any(line.startswith(expected) for line in found), found


def test_a_good_block_loads_with_warnings_for_unknown_keys() -> None:
    block = {
        "fifo.Group": {
            "scope": ["request", "response"],
            "aggregateErrors": True,
            "modifiers": [
                {"header.Modifier": {"scope": ["request"], "name": "X-Foo", "value": "bar"}},
                {"querystring.Modifier": {"name": "a", "value": "b", "vlaue": "c"}},
                {"header.Verifier": {"name": "X-Foo"}},
            ],
        }
    }
    loaded = load_config_data(config(block))
    warnings = [f"{d.path}: {d.message}" for d in loaded.warnings]
    assert any(
        w.startswith(f'{NS}["fifo.Group"].modifiers[1]["querystring.Modifier"].vlaue: unknown key')
        for w in warnings
    ), warnings
    assert any("header.Verifier changes nothing" in w for w in warnings), warnings
    # the modifier names are not reported as unknown keys of the namespace
    assert not any("unknown key `fifo.Group`" in w for w in warnings), warnings


def test_the_legacy_name_is_read_too() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_data(config({"nope.Modifier": {}}, "github.com/devopsfaith/krakend-martian"))
    assert "parse: unknown modifier: nope.Modifier" in str(caught.value)


def test_at_endpoint_level_it_is_not_read() -> None:
    data = config(header())
    backend = data["endpoints"][0]["backend"][0]
    data["endpoints"][0]["extra_config"] = backend.pop("extra_config")
    loaded = load_config_data(data)
    assert any("not read at endpoint level" in d.message for d in loaded.warnings)


def test_the_worked_example_of_the_docs_loads() -> None:
    import json
    import re
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "martian.md").read_text()
    endpoint = json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))  # type: ignore[union-attr]
    loaded = load_config_data({"version": 3, "endpoints": [endpoint]})
    assert not [d for d in loaded.warnings if "martian" in d.path]
