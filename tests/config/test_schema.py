"""The editor schema (`config/schema.py`): generated from the model and the registry, shipped in
sync, accepting every valid configuration we ship, and `lint` locating what it rejects."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trio_gateway.cli import main
from trio_gateway.config import ConfigError, load_config, load_config_data
from trio_gateway.config.model import BackendConfig, EndpointConfig, ServiceConfig
from trio_gateway.config.parse import format_for, parse_text
from trio_gateway.config.schema import SCHEMA_FILE, generate_schema, lint, schema_text
from trio_gateway.config.schema_validator import validate
from trio_gateway.demo import DEMO_CONFIG
from trio_gateway.namespace import reads_itself
from trio_gateway.stack import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "config" / "fixtures"

VALID_FILES = [
    DEMO_CONFIG,
    *sorted((ROOT / "configs").glob("*.json")),
    *(
        path
        for path in sorted(FIXTURES.glob("*.*"))
        if path.name != "four_problems.json"  # invalid on purpose (test_load)
    ),
]


def _raw(path: Path) -> Any:
    return parse_text(path.read_text(), format_for(path.name), str(path))


def _base() -> dict[str, Any]:
    return {
        "version": 3,
        "endpoints": [
            {
                "endpoint": "/a",
                "backend": [{"host": ["http://127.0.0.1:8000"], "url_pattern": "/a"}],
            }
        ],
    }


def test_shipped_schema_is_generated_schema() -> None:
    shipped = SCHEMA_FILE.read_text(encoding="utf-8")
    assert json.loads(shipped) == generate_schema(), (
        "regenerate: trio-gateway schema > trio_gateway/schema/trio-gateway.schema.json"
    )
    assert shipped == schema_text()


@pytest.mark.parametrize("path", VALID_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_valid_configs_pass(path: Path) -> None:
    load_config(path, env={})  # valid for the loader...
    assert lint(_raw(path)) == []  # ...and for the schema


def test_demo_schema_points_at_the_shipped_file() -> None:
    for config in (DEMO_CONFIG, ROOT / "configs" / "demo.json"):
        reference = json.loads(config.read_text())["$schema"]
        # editors resolve a relative `$schema` against the path the file was opened at
        target = config.parent / reference
        assert target.read_text(encoding="utf-8") == SCHEMA_FILE.read_text(encoding="utf-8")


def test_every_model_key_is_in_the_schema() -> None:
    schema = generate_schema()
    root_keys = set(schema["properties"])
    expected = {"$schema" if f.name == "schema" else f.name for f in attrs.fields(ServiceConfig)}
    assert root_keys == expected
    assert schema["required"] == ["version"]
    definitions = schema["definitions"]
    assert set(definitions["EndpointConfig"]["properties"]) == {
        f.name for f in attrs.fields(EndpointConfig)
    }
    assert set(definitions["BackendConfig"]["properties"]) == {
        f.name for f in attrs.fields(BackendConfig)
    }
    for namespace in REGISTRY:
        if reads_itself(namespace.config):  # a JSON schema, a list: no keys of its own
            continue
        if namespace.name == "proxy":  # one definition per level, together every key
            properties = {
                **definitions["endpoint_proxy"]["properties"],
                **definitions["backend_proxy"]["properties"],
            }
        else:
            properties = definitions[namespace.config.__name__]["properties"]
        # a field whose JSON key is not its name (`TTL`, `global`) names it in its metadata
        assert set(properties) == {
            f.metadata.get("json_key", f.name) for f in attrs.fields(namespace.config)
        }


def test_namespaces_at_their_levels() -> None:
    definitions = generate_schema()["definitions"]
    service = definitions["service_extra_config"]["properties"]
    endpoint = definitions["endpoint_extra_config"]["properties"]
    backend = definitions["backend_extra_config"]["properties"]
    assert "modifier/python" in endpoint and "modifier/python" in backend
    assert "modifier/python" not in service
    assert "qos/ratelimit/router" in endpoint and "qos/ratelimit/router" not in backend
    assert "security/cors" in service
    # a legacy alias, and a known namespace trio-gateway does not implement
    assert "github_com/devopsfaith/krakend-cors" in service
    assert "refused" in backend["backend/lambda"]["description"]
    assert "ignored" in service["documentation/openapi"]["description"]


def test_types_defaults_and_descriptions() -> None:
    definitions = generate_schema()["definitions"]
    limit = definitions["RateLimitRouterConfig"]["properties"]
    assert limit["retry_after"]["type"] == "boolean"
    assert limit["retry_after"]["default"] is True
    assert limit["retry_after"]["description"].startswith("Beyond KrakenD: a Retry-After")
    assert limit["max_clients"] == {
        "description": "Beyond KrakenD: at most this many client buckets; past it the least "
        "recently used go.",
        "type": "integer",
        "default": 100_000,
    }
    assert limit["every"]["allOf"] == [{"$ref": "#/definitions/duration"}]
    assert limit["key"]["description"] == "key"  # no comment: the field's name
    validator = definitions["JWTValidatorConfig"]["properties"]
    assert validator["propagate_claims"]["items"] == {
        "type": "array",
        "items": [{"type": "string"}, {"type": "string"}],
        "minItems": 2,
        "maxItems": 2,
    }
    proxy = definitions["endpoint_proxy"]["properties"]
    # a section comment (`# endpoint level`) describes no field
    assert proxy["sequential"]["description"] == "sequential"
    assert proxy["static"]["allOf"] == [{"$ref": "#/definitions/StaticConfig"}]
    assert definitions["FlatmapOperation"]["required"] == ["type"]
    http = definitions["HTTPSecureConfig"]["properties"]
    assert http["ssl_proxy_headers"] == {
        "description": "ssl_proxy_headers",
        "type": "object",
        "additionalProperties": {"type": "string"},
        "default": {},
    }


def test_the_generated_schema_is_valid_draft_07() -> None:
    jsonschema.Draft7Validator.check_schema(generate_schema())


def test_problems_come_in_document_order_one_per_unknown_key() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "z": {"type": "integer"}},
        "additionalProperties": False,
    }
    problems = list(validate({"z": "x", "b": 1, "a": 2, "c": 3}, schema))
    assert [(p.path, p.kind) for p in problems] == [
        (("z",), "type"),
        (("b",), "unknown"),
        (("a",), "type"),
        (("c",), "unknown"),
    ]
    assert problems[1].known_keys == ("a", "z")


def test_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == generate_schema()


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    node: Any = data
    for segment in path[:-1]:
        node = node[segment]
    node[path[-1]] = value
    return data


EP = ("endpoints", 0)
BE = (*EP, "backend", 0)

# (where to write, what, the JSON path lint reports, a part of its message)
INVALID = [
    (("version",), 2, "$.version", "expected 3"),
    (("port",), "8080", "$.port", 'expected an integer, got string "8080"'),
    (("port",), 80.5, "$.port", "expected an integer"),
    (("port",), 70000, "$.port", "number 70000 is above 65535"),
    ((*EP, "method"), "FETCH", "$.endpoints[0].method", 'expected one of "GET", "POST"'),
    (("timeout",), "2 s", "$.timeout", 'string "2 s" is not a Go duration'),
    (("timeout",), 2, "$.timeout", "expected a string, got number 2"),
    ((*EP, "concurrent_calls"), True, "$.endpoints[0].concurrent_calls", "got boolean true"),
    ((*BE, "host"), "http://a", "$.endpoints[0].backend[0].host", "expected an array"),
    ((*BE, "host"), [1], "$.endpoints[0].backend[0].host[0]", "expected a string"),
    ((*BE, "url_patern"), "/a", "$.endpoints[0].backend[0].url_patern", "unknown key"),
    (
        (*EP, "extra_config"),
        {"qos/ratelimit/router": {"retry_after": "no"}},
        '$.endpoints[0].extra_config["qos/ratelimit/router"].retry_after',
        "expected a boolean",
    ),
    (
        (*EP, "extra_config"),
        {"qos/ratelimit/route": {}},
        '$.endpoints[0].extra_config["qos/ratelimit/route"]',
        "unknown key",
    ),
    (
        (*BE, "extra_config"),
        {"modifier/python": {"request": ["a:b"]}},
        '$.endpoints[0].backend[0].extra_config["modifier/python"].request',
        "expected a string",
    ),
    (
        (*EP, "extra_config"),
        {"auth/validator": {"alg": "RS256", "propagate_claims": [["sub"]]}},
        '$.endpoints[0].extra_config["auth/validator"].propagate_claims[0]',
        "at least 2 items",
    ),
    (
        (*EP, "extra_config"),
        {"proxy": {"flatmap_filter": [{"args": ["a"]}]}},
        "$.endpoints[0].extra_config.proxy.flatmap_filter[0]",
        "missing required key `type`",
    ),
    (
        (*EP, "extra_config"),
        {"proxy": {"flatmap_filter": [{"type": "mv", "args": ["a", "b"]}]}},
        "$.endpoints[0].extra_config.proxy.flatmap_filter[0].type",
        'expected one of "move", "del", "append", got string "mv"',
    ),
    (
        ("extra_config",),
        {"security/cors": {"max_age": "12"}},
        '$.extra_config["security/cors"].max_age',
        "is not a Go duration",
    ),
]


@pytest.mark.parametrize(("where", "value", "path", "message"), INVALID)
def test_lint_reports_at_the_path(
    where: tuple[Any, ...], value: Any, path: str, message: str
) -> None:
    data = _set(_base(), where, value)
    diagnostics = lint(data)
    assert [d.path for d in diagnostics] == [path]
    assert message in diagnostics[0].message
    assert diagnostics[0].severity == "warning"


@pytest.mark.parametrize(
    ("where", "hint"),
    [
        ((*BE, "url_patern"), "did you mean `url_pattern`?"),
        ((*BE, "whitelist"), "KrakenD v3 reads `allow`"),
        (
            (*EP, "extra_config", "github.com/devopsfaith/krakend-ratelimit/juju/router"),
            "KrakenD v3 reads `qos/ratelimit/router`",
        ),
    ],
)
def test_unknown_key_hint(where: tuple[Any, ...], hint: str) -> None:
    data = _base()
    data["endpoints"][0]["extra_config"] = {}
    (diagnostic,) = lint(_set(data, where, []))
    assert diagnostic.message.startswith("unknown key")
    assert diagnostic.hint == hint


def test_proxy_keys_by_level() -> None:
    data = _base()
    data["endpoints"][0]["extra_config"] = {"proxy": {"sequential": True, "shadow": True}}
    data["endpoints"][0]["backend"][0]["extra_config"] = {
        "proxy": {"shadow": True, "shadow_timeout": "1s", "sequential": True}
    }
    assert [d.path for d in lint(data)] == [  # in file order: the backends come first
        "$.endpoints[0].backend[0].extra_config.proxy.sequential",
        "$.endpoints[0].extra_config.proxy.shadow",
    ]


def test_tls_keys_are_listed() -> None:
    data = _base()
    data["tls"] = {"public_key": "a.pem", "private_key": "a.key", "min_versoin": "TLS13"}
    data["client_tls"] = {"allow_insecure_connections": True}
    data["plugin"] = {"folder": "./plugins/", "pattern": ".so"}
    (diagnostic,) = lint(data)
    assert diagnostic.path == "$.tls.min_versoin"
    assert diagnostic.hint == "did you mean `min_version`?"


def test_missing_endpoint_is_required() -> None:
    data = _base()
    del data["endpoints"][0]["endpoint"]
    assert [(d.path, d.message) for d in lint(data)] == [
        ("$.endpoints[0]", "missing required key `endpoint`")
    ]


def test_comments_aliases_and_known_namespaces_pass() -> None:
    data = _base()
    data["@comment"] = "anything"
    data["endpoints"][0]["_note"] = 1
    data["extra_config"] = {
        "github_com/devopsfaith/krakend-cors": {"allow_origins": ["*"], "#why": "x"},
        "telemetry/logging": {"level": "DEBUG"},
    }
    data["endpoints"][0]["extra_config"] = {
        "qos/ratelimit/router": {"max_rate": 10, "every": "1m30s", "retry_after": False},
    }
    assert lint(data) == []


@pytest.mark.parametrize("duration", ["0", "2s", "1.5h", "-1m30s", "150us", "3µs", ".5s"])
def test_go_durations_pass(duration: str) -> None:
    assert lint(_set(_base(), ("timeout",), duration)) == []


def test_four_problems_fixture_is_reported() -> None:
    data = copy.deepcopy(_raw(FIXTURES / "four_problems.json"))
    paths = [d.path for d in lint(data)]
    assert "$.port" in paths and "$.version" in paths


# ---- properties ------------------------------------------------------------------------------

SEEDS = [_raw(path) for path in VALID_FILES]
# Not null: the loader takes `null` as "not set", silently, as mapstructure does, but the schema
# (as KrakenD's) wants the value's type; a null is worth a squiggle in an editor. Not 0: a
# component that reads a duration with fmt.Sprintf("%v") takes 0 as "0", and the schema wants
# a string there too.
LEAF_VALUES = st.sampled_from(
    [True, False, 7, 3, -1, 1.5, "", "x", "2s", "8080", "true", [], ["a"], {}, {"a": 1}]
)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, Mapping):
        items: Iterator[tuple[Any, Any]] = iter(node.items())
    elif isinstance(node, list):
        items = iter(enumerate(node))
    else:
        return [path] if path else []
    return [p for key, value in items for p in _leaves(value, (*path, key))] or (
        [path] if path else []
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), data=st.data(), value=LEAF_VALUES)
def test_schema_is_no_stricter_than_a_silent_loader(seed: Any, data: Any, value: Any) -> None:
    """A value the loader takes without a word (no error, no warning) passes the schema too,
    and lint never fails, whatever the value."""
    config = copy.deepcopy(seed)
    where = data.draw(st.sampled_from(_leaves(config)))
    _set(config, where, value)
    diagnostics = lint(config)  # never raises
    try:
        loaded = load_config_data(config, allow_unenforced=())
    except ConfigError:
        return
    if not loaded.warnings:
        assert diagnostics == [], (where, value)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=20,
    )
)
def test_lint_takes_any_json(value: Any) -> None:
    for diagnostic in lint(value):
        assert diagnostic.path.startswith("$")
