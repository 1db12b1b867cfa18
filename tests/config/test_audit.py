"""`trio-gateway audit`: KrakenD's audit rules (krakend-audit v0.9.3 audit.go / rules.go /
parser.go) and the command (krakend-cobra audit.go)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.cli import main
from trio_gateway.config import ConfigError, EndpointConfig, ServiceConfig, load_config_data
from trio_gateway.config.audit import RULES, SEVERITIES, audit
from trio_gateway.config.audit.command import render, run_audit
from trio_gateway.config.audit.rules import endpoint_timeout_ms

HOST = ["http://127.0.0.1:8000"]
# `check` (and so `audit`) wants the TLS files to be readable; KrakenD's audit never opens them.
PEM = __file__

# krakend-audit's ruleSet, in order (audit.go, v0.9.3).
KRAKEND_RULES = [
    ("1.1.1", "HIGH"), ("1.1.2", "MEDIUM"), ("1.2.1", "HIGH"),
    ("2.1.1", "HIGH"), ("2.1.2", "HIGH"), ("2.1.3", "CRITICAL"), ("2.1.7", "HIGH"),
    ("2.1.8", "HIGH"), ("2.1.9", "LOW"), ("2.2.1", "MEDIUM"), ("2.2.2", "HIGH"),
    ("2.2.3", "HIGH"), ("2.2.4", "HIGH"), ("2.2.5", "LOW"), ("2.3.1", "MEDIUM"),
    ("3.1.1", "LOW"), ("3.1.2", "HIGH"), ("3.1.3", "HIGH"), ("3.3.1", "LOW"),
    ("3.3.2", "MEDIUM"), ("3.3.3", "HIGH"), ("3.3.4", "CRITICAL"),
    ("4.1.1", "MEDIUM"), ("4.1.2", "MEDIUM"), ("4.1.3", "HIGH"), ("4.2.1", "MEDIUM"),
    ("4.3.1", "MEDIUM"),
    ("5.1.1", "LOW"), ("5.1.2", "LOW"), ("5.1.3", "LOW"), ("5.1.4", "LOW"), ("5.1.5", "MEDIUM"),
    ("5.1.6", "MEDIUM"), ("5.1.7", "MEDIUM"), ("5.2.1", "CRITICAL"), ("5.2.2", "LOW"),
    ("5.2.3", "LOW"),
    ("6.1.1", "LOW"),
    ("7.1.1", "HIGH"), ("7.1.2", "HIGH"), ("7.1.3", "HIGH"), ("7.1.4", "HIGH"), ("7.1.5", "HIGH"),
    ("7.1.6", "HIGH"), ("7.1.7", "HIGH"), ("7.1.8", "HIGH"), ("7.1.9", "HIGH"),
    ("7.2.1", "HIGH"), ("7.2.2", "HIGH"), ("7.2.3", "HIGH"), ("7.2.4", "HIGH"),
    ("7.3.1", "MEDIUM"),
]  # fmt: skip


def service(
    *,
    endpoint: dict[str, Any] | None = None,
    backend: dict[str, Any] | None = None,
    backends: list[dict[str, Any]] | None = None,
    endpoints: list[dict[str, Any]] | None = None,
    **root: Any,
) -> dict[str, Any]:
    """A valid configuration: one endpoint `/a` with one backend, changed as asked."""
    if backends is None:
        backends = [{"host": HOST, "url_pattern": "/a", **(backend or {})}]
    if endpoints is None:
        endpoints = [{"endpoint": "/a", "backend": backends, **(endpoint or {})}]
    return {"version": 3, "endpoints": endpoints, **root}


def loaded(data: dict[str, Any]) -> ServiceConfig:
    return load_config_data(data, allow_unenforced=["*"]).config


def ec(**namespaces: Any) -> dict[str, Any]:
    """An extra_config (`__` in a keyword stands for `/` in the namespace name)."""
    return {"extra_config": {name.replace("__", "/"): v for name, v in namespaces.items()}}


def sc(name: str, value: Any) -> dict[str, Any]:
    return {"extra_config": {name: value}}


def ep_ns(name: str, value: Any) -> dict[str, Any]:
    return service(endpoint={"extra_config": {name: value}})


def be_ns(name: str, value: Any) -> dict[str, Any]:
    return service(backend={"extra_config": {name: value}})


def post_backends(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"host": HOST, "url_pattern": f"/b{i}", "method": "POST", **extra} for i in range(n)]


# OTLP over HTTP: `check` refuses gRPC (not installed), and the audit reads either.
OTLP = {"name": "o", "use_http": True, "port": 4318}


def otel(exporters: dict[str, Any]) -> dict[str, Any]:
    return service(**sc("telemetry/opentelemetry", {"exporters": exporters}))


def server_plugin(name: Any) -> dict[str, Any]:
    return service(**sc("plugin/http-server", {"name": name}))


def agents(n: int, sequential: bool) -> dict[str, Any]:
    return service(sequential_start=sequential, async_agent=[{"name": f"a{i}"} for i in range(n)])


# (rule, a configuration it applies to, one it does not apply to); every configuration loads.
CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("1.1.1", server_plugin("basic-auth"), server_plugin("ip-filter")),
    # KrakenD's parser keeps nothing of auth/basic, so it never triggers 1.1.1 in CE.
    ("1.1.1", server_plugin(["x", "basic-auth"]), service(**sc("auth/basic", {}))),
    ("1.1.2", service(**sc("auth/api-keys", {"keys": [{"key": "k", "roles": ["a"]}]})), service()),
    ("1.2.1", service(), ep_ns("auth/validator", {"alg": "RS256", "jwk_url": "https://k/"})),
    # the legacy name is the same namespace (krakend-ce aliases + lura Normalize)
    ("1.2.1", service(), ep_ns("github.com/devopsfaith/krakend-jose/validator", {"alg": "RS256", "jwk_url": "https://k/"})),  # noqa: E501
    ("2.1.1", service(allow_insecure_connections=True), service()),
    ("2.1.1", service(client_tls={"allow_insecure_connections": True}), service(client_tls={})),
    ("2.1.2", service(), service(tls={"public_key": PEM, "private_key": PEM})),
    ("2.1.3", service(tls={"disabled": True}), service(tls={"public_key": PEM, "private_key": PEM, "disabled": False})),  # noqa: E501
    ("2.1.7", service(), service(**sc("security/http", {"frame_deny": True}))),
    ("2.1.7", service(), service(**sc("github_com/devopsfaith/krakend-httpsecure", {}))),
    ("2.1.8", service(use_h2c=True), service(use_h2c=False)),
    ("2.1.8", service(**sc("router", {"use_h2c": True})), service(**sc("router", {}))),
    (
        "2.1.9",
        be_ns("backend/http/client", {"client_tls": {"allow_insecure_connections": True}}),
        be_ns("backend/http/client", {"client_tls": {"allow_insecure_connections": False}}),
    ),
    ("2.2.1", service(), service(**sc("router", {"hide_version_header": True}))),
    ("2.2.1", service(**sc("router", {"hide_version_header": False})), service(**sc("router", {"hide_version_header": True}))),  # noqa: E501
    ("2.2.2", service(), service(**sc("security/cors", {"allow_origins": ["*"]}))),
    ("2.2.3", service(endpoint={"input_headers": ["*"]}), service(endpoint={"input_headers": ["X"]})),  # noqa: E501
    ("2.2.4", service(endpoint={"input_query_strings": ["*"]}), service(endpoint={"input_query_strings": ["q"]})),  # noqa: E501
    ("2.2.5", service(**sc("grpc", {"server": {}})), service(**sc("grpc", {"server": {"services": [{"name": "s"}]}}))),  # noqa: E501
    ("2.2.5", service(**sc("grpc", {"server": {"services": []}})), service(**sc("grpc", {}))),
    ("2.3.1", be_ns("qos/http-cache", {"max_items": 10}), be_ns("qos/http-cache", {"max_items": 10, "max_size": 1000})),  # noqa: E501
    ("2.3.1", be_ns("qos/http-cache", {}), service()),
    ("3.1.1", service(), service(**sc("security/bot-detector", {"deny": ["a"]}))),
    ("3.1.2", service(), service(**sc("qos/ratelimit/router", {"max_rate": 10}))),
    ("3.1.2", service(), ep_ns("qos/ratelimit/router", {"max_rate": 10})),
    ("3.1.2", service(), ep_ns("qos/ratelimit/proxy", {"max_rate": 10, "capacity": 10})),
    ("3.1.2", service(), be_ns("qos/ratelimit/proxy", {"max_rate": 10, "capacity": 10})),
    ("3.1.2", service(), service(**sc("qos/ratelimit/service", {"max_rate": 10}))),
    ("3.1.2", server_plugin("ip-filter"), server_plugin(["redis-ratelimit"])),
    ("3.1.3", service(), be_ns("qos/circuit-breaker", {"interval": 60, "timeout": 10, "max_errors": 1})),  # noqa: E501
    ("3.1.3", service(), ep_ns("qos/circuit-breaker", {"interval": 60, "timeout": 10, "max_errors": 1})),  # noqa: E501
    # endpoint timeouts after lura's Init: own, else the service's, else 2 s; strictly above
    ("3.3.1", service(timeout="3001ms"), service(timeout="3s")),
    ("3.3.1", service(endpoint={"timeout": "4s"}), service(timeout="10s", endpoint={"timeout": "1s"})),  # noqa: E501
    ("3.3.2", service(timeout="5001ms"), service(timeout="5s")),
    ("3.3.3", service(endpoint={"timeout": "31s"}), service(endpoint={"timeout": "30s"})),
    ("3.3.4", service(timeout="2m"), service(timeout="60s")),
    ("4.1.1", service(), service(**sc("telemetry/metrics", {}))),
    # OpenTelemetry does not count as metrics for 4.1.1 in krakend-audit
    ("4.1.1", otel({"prometheus": [{"name": "p"}]}), service(**sc("telemetry/opencensus", {}))),
    (
        "4.1.3",
        service(extra_config={"telemetry/metrics": {}, "telemetry/opencensus": {}}),
        service(**sc("telemetry/metrics", {})),
    ),
    ("4.1.3", otel({"otlp": [OTLP], "prometheus": [{"name": "p"}]}), otel({"otlp": [OTLP], "prometheus": [{"name": "p", "disable_metrics": True}]})),  # noqa: E501
    ("4.2.1", otel({"otlp": [{**OTLP, "disable_traces": True}]}), otel({"otlp": [OTLP]})),
    ("4.2.1", service(), service(**sc("telemetry/opencensus", {}))),
    ("4.3.1", service(), service(**sc("telemetry/logging", {"level": "INFO"}))),
    ("4.3.1", service(), service(**sc("telemetry/gelf", {"address": "127.0.0.1:12201"}))),
    ("5.1.1", service(disable_rest=True), service()),
    ("5.1.2", service(debug_endpoint=True), service()),
    ("5.1.3", service(echo_endpoint=True), service()),
    ("5.1.5", service(endpoint={"endpoint": "/__catchall"}), service()),
    ("5.1.6", service(backends=post_backends(2)), service(backends=post_backends(1))),
    # a GET backend with backend/grpc counts as unsafe (parser.go)
    (
        "5.1.6",
        service(endpoint={"method": "POST"}, backends=post_backends(2, method="")),
        service(backends=[*post_backends(1), {"host": HOST, "url_pattern": "/g"}]),
    ),
    (
        "5.1.6",
        service(backends=[*post_backends(1), {"host": HOST, "url_pattern": "/g", **ec(backend__grpc={})}]),  # noqa: E501
        service(backends=[*post_backends(1), {"host": HOST, "url_pattern": "/g"}]),
    ),
    ("5.1.7", ep_ns("proxy", {"sequential": True}), ep_ns("proxy", {"sequential": False})),
    ("5.2.2", service(), service(backends=[*post_backends(1), {"host": HOST, "url_pattern": "/c"}])),  # noqa: E501
    ("5.2.2", service(endpoints=[]), service(backends=post_backends(2))),
    ("5.2.3", service(output_encoding="no-op"), service()),
    ("5.2.3", service(endpoint={"output_encoding": "no-op"}), service(output_encoding="no-op", endpoint={"output_encoding": "json"})),  # noqa: E501
    ("6.1.1", agents(10, True), agents(9, True)),
    ("6.1.1", agents(10, True), agents(10, False)),
    ("7.1.1", server_plugin("virtualhost"), server_plugin("ip-filter")),
    ("7.1.2", server_plugin(["static-filesystem"]), server_plugin(["ip-filter"])),
    ("7.1.3", server_plugin("basic-auth"), service(**sc("auth/basic", {}))),
    ("7.1.4", server_plugin("wildcard"), server_plugin("virtualhost")),
    ("7.1.5", ep_ns("plugin/http-client", {"name": "http-proxy"}), ep_ns("plugin/http-client", {"name": "x"})),  # noqa: E501
    # krakend-audit looks for the client plugin at ENDPOINT level only
    ("7.1.5", ep_ns("plugin/http-client", {"name": "http-proxy"}), be_ns("plugin/http-client", {"name": "http-proxy"})),  # noqa: E501
    ("7.1.6", ep_ns("plugin/http-client", {"name": "static-filesystem"}), service()),
    ("7.1.7", ep_ns("plugin/http-client", {"name": "no-redirect"}), service()),
    ("7.1.8", ep_ns("plugin/req-resp-modifier", {"name": ["content-replacer"]}), ep_ns("plugin/req-resp-modifier", {"name": ["x"]})),  # noqa: E501
    # the name must be a list there (parser.go)
    ("7.1.9", be_ns("plugin/req-resp-modifier", {"name": ["response-schema-validator"]}), be_ns("plugin/req-resp-modifier", {"name": "response-schema-validator"})),  # noqa: E501
    ("7.2.1", service(**sc("telemetry/ganalytics", {})), service()),
    ("7.2.2", service(**sc("telemetry/instana", {})), service()),
    ("7.2.3", service(**sc("telemetry/opencensus", {})), service()),
    ("7.2.4", service(**sc("telemetry/influx", {})), service()),
    ("7.2.4", service(**sc("github_com/letgoapp/krakend-influx", {})), service()),
    ("7.3.1", service(tls={"public_key": PEM, "private_key": PEM}), service(tls={"keys": [{"public_key": PEM, "private_key": PEM}]})),  # noqa: E501
]  # fmt: skip

RULE = {rule.recommendation.rule: rule for rule in RULES}


def test_the_rule_set_is_krakends() -> None:
    assert [(r.recommendation.rule, r.recommendation.severity) for r in RULES] == KRAKEND_RULES
    assert RULE["2.1.3"].recommendation.message == (
        "TLS is configured but its disable flag prevents from using it."
    )
    assert RULE["7.1.3"].recommendation.message == (
        "Avoid using deprecated plugin basic-auth. Please move your configuration to the namespace"
        " auth/basic to use the new component. See: "
        "https://www.krakend.io/docs/enterprise/authentication/basic-authentication/ ."
    )
    assert RULE["7.1.6"].recommendation.message == RULE["7.1.2"].recommendation.message


@pytest.mark.parametrize(("rule_id", "applies", "passes"), CASES)
def test_rule(rule_id: str, applies: dict[str, Any], passes: dict[str, Any]) -> None:
    rule = RULE[rule_id]
    assert rule.applies(loaded(applies)) is True
    assert rule.applies(loaded(passes)) is False


def test_every_rule_has_a_case() -> None:
    tested = {case[0] for case in CASES} | {"4.1.2", "5.1.4", "5.2.1"}  # the three below
    assert tested == set(RULE)


def test_telemetry_name_is_never_reported() -> None:
    """4.1.2 is a TODO in krakend-audit (`return false`)."""
    assert RULE["4.1.2"].applies(loaded(service(name=""))) is False


def _with_endpoint(config: ServiceConfig, **changes: Any) -> ServiceConfig:
    return attrs.evolve(config, endpoints=(attrs.evolve(config.endpoints[0], **changes),))


def test_rules_of_configurations_the_loader_refuses() -> None:
    """`/x/*` (trio-gateway refuses wildcard routes) and an endpoint without backends (lura's
    Init refuses it too) never get past loading, but the rules are there for a model built in
    Python."""
    config = loaded(service())
    assert RULE["5.1.4"].applies(_with_endpoint(config, endpoint="/a/*")) is True
    assert RULE["5.1.4"].applies(config) is False
    assert RULE["5.2.1"].applies(_with_endpoint(config, backend=())) is True
    assert RULE["5.2.1"].applies(config) is False


def test_endpoint_timeout_truncates_to_milliseconds() -> None:
    config = loaded(service(endpoint={"timeout": "3000999us"}))
    assert endpoint_timeout_ms(config, config.endpoints[0]) == 3000
    assert RULE["3.3.1"].applies(config) is False
    assert endpoint_timeout_ms(loaded(service()), EndpointConfig(endpoint="/x")) == 2000


def test_audit_filters_ignored_rules_and_severities() -> None:
    config = loaded(service(debug_endpoint=True))
    every = [f.rule for f in audit(config)]
    assert "5.1.2" in every and "2.1.2" in every
    assert "5.1.2" not in [f.rule for f in audit(config, ignore={"5.1.2"})]
    assert {f.severity for f in audit(config, severities={"LOW"})} == {"LOW"}
    assert every == sorted(every, key=[r.recommendation.rule for r in RULES].index)


# the command


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "krakend.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run(path: Path | None, **options: Any) -> tuple[int, str]:
    err = io.StringIO()
    code = run_audit(str(path) if path else None, err=err, env={}, **options)
    return code, err.getvalue()


def test_text_output_is_krakends_default_template(tmp_path: Path) -> None:
    path = write(tmp_path, service(debug_endpoint=True))
    code, text = run(path, severities="LOW")
    assert code == 1
    assert "5.1.2\t[LOW]   \tDisable the /__debug/ endpoint for added security.\n" in text
    assert all(line.split("\t")[1] == "[LOW]   " for line in text.splitlines())


def test_json_output_is_marshal_of_the_result(tmp_path: Path) -> None:
    path = write(tmp_path, service(use_h2c=True))
    code, text = run(path, severities="CRITICAL,HIGH", ignore="1.2.1, 2.1.2", fmt="json")
    assert code == 1
    assert text.endswith("}\n") and '": ' not in text and '"},{"' in text  # Go's compact form
    data = json.loads(text)
    assert data["stats"] == {}
    rules = [f["rule"] for f in data["recommendations"]]
    assert "2.1.8" in rules and "1.2.1" not in rules and "2.1.2" not in rules
    assert data["recommendations"][0] == {
        "rule": rules[0],
        "severity": RULE[rules[0]].recommendation.severity,
        "message": RULE[rules[0]].recommendation.message,
    }
    same = run(path, severities="CRITICAL,HIGH", ignore="1.2.1,2.1.2", fmt="{{ marshal . }}")
    assert same == (code, text)


def test_json_of_nothing() -> None:
    assert render([], "json") == '{"recommendations":[],"stats":{}}\n'


def test_exit_zero_when_nothing_is_left(tmp_path: Path) -> None:
    path = write(tmp_path, service(timeout="1s"))
    assert run(path, severities="CRITICAL") == (0, "")


def test_ignore_file(tmp_path: Path) -> None:
    path = write(tmp_path, service(debug_endpoint=True))
    ignore = tmp_path / "ignore.txt"
    ignore.write_text("5.1.2\n\n 3.1.1 \n", encoding="utf-8")
    _, text = run(path, severities="LOW", ignore_file=str(ignore))
    assert "5.1.2" not in text and "3.1.1" not in text and "5.2.2" in text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"severities": "SEVERE"}, "ERROR: unknown severity SEVERE in -s/--severity"),
        ({"severities": " , "}, "ERROR: unknown severity none in -s/--severity"),
        (
            {"fmt": "{{ range .Recommendations }}{{.Rule}}{{ end }}"},
            "ERROR: unsupported -f/--format",
        ),
        ({"ignore_file": "/nonexistent/ignore.txt"}, "ERROR: cannot read the ignore file"),
    ],
)
def test_bad_flags_are_one_clear_line(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    code, text = run(write(tmp_path, service()), **options)
    assert code == 1
    assert text.startswith(message) and text.count("\n") == 1


def test_severities_in_any_case(tmp_path: Path) -> None:
    code, text = run(write(tmp_path, service(debug_endpoint=True)), severities="low")
    assert code == 1 and "[LOW]" in text


def test_config_is_required() -> None:
    code, text = run(None)
    assert code == 1
    assert text.startswith("Please, provide the path to the configuration file with --config")


def test_a_configuration_that_does_not_load(tmp_path: Path) -> None:
    path = write(tmp_path, service(endpoint={"backend": []}))
    code, text = run(path)
    assert code == 1
    assert text.startswith("ERROR parsing the configuration file:\n\terror: $.endpoints[0]")
    assert "Traceback" not in text


def test_unenforced_namespaces_do_not_stop_the_audit(tmp_path: Path) -> None:
    code, text = run(write(tmp_path, server_plugin("basic-auth")), severities="HIGH")
    assert code == 1 and "1.1.1\t[HIGH]" in text and "7.1.3\t[HIGH]" in text


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, service(echo_endpoint=True))
    assert main(["audit", "-c", str(path), "-s", "LOW", "-i", "3.1.1,5.2.2"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "5.1.3\t[LOW]   \tDisable the /__echo/ endpoint for added security.\n"
    assert main(["audit", "--config", str(path), "--severity", "CRITICAL", "--format", "json"]) == 0
    assert capsys.readouterr().err == '{"recommendations":[],"stats":{}}\n'


def test_colours_on_a_terminal() -> None:
    """krakend-cobra's `colored` template function, used when stderr is a terminal."""
    findings = [RULE[i].recommendation for i in ("3.3.1", "3.3.2", "3.3.3", "3.3.4")]
    lines = render(findings, "text", colour=True).splitlines()
    assert [line.split("\t")[1] for line in lines] == [
        "[\033[32;1mLOW\033[0m]   ",
        "[\033[33;1mMEDIUM\033[0m]   ",
        "[\033[31;1mHIGH\033[0m]   ",
        "[\033[41;1mCRITICAL\033[0m]   ",
    ]


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(-5, 5)
    | st.text(max_size=3)
    | st.sampled_from(["*", "basic-auth", "redis-ratelimit", "http-proxy", "content-replacer"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
_READ = [
    "plugin/http-server", "plugin/http-client", "plugin/req-resp-modifier", "router", "proxy",
    "grpc", "qos/http-cache", "backend/http/client", "telemetry/opentelemetry",
]  # fmt: skip
_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "name": _JSON,
        "exporters": st.dictionaries(st.sampled_from(["otlp", "prometheus"]), _JSON, max_size=2),
        "server": _JSON,
        "client_tls": _JSON,
        "use_h2c": _JSON,
        "hide_version_header": _JSON,
        "sequential": _JSON,
        "max_items": _JSON,
    },
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(st.sampled_from(_READ), _FIELDS | _JSON, max_size=4),
    st.sampled_from(["service", "endpoint", "backend"]),
)
def test_any_namespace_value_audits_without_crashing(extra: dict[str, Any], level: str) -> None:
    where = {
        "service": lambda: service(extra_config=extra),
        "endpoint": lambda: service(endpoint={"extra_config": extra}),
        "backend": lambda: service(backend={"extra_config": extra}),
    }
    try:
        config = loaded(where[level]())
    except ConfigError:
        return  # refused with a clear error: nothing to audit
    findings = audit(config)
    assert all(f.severity in SEVERITIES for f in findings)
