"""KrakenD's audit rule set: ids, severities and messages as krakend-audit's `ruleSet`
(github.com/krakend/krakend-audit audit.go), in its order, each with its predicate (`rules.py`)."""

from __future__ import annotations

from collections.abc import Collection

import attrs

import trio_gateway.config.audit.rules as r
from trio_gateway.config.model import ServiceConfig

__all__ = ["RULES", "SEVERITIES", "Recommendation", "Rule", "audit"]

CRITICAL, HIGH, MEDIUM, LOW = "CRITICAL", "HIGH", "MEDIUM", "LOW"
# `krakend audit -s` default: every severity (krakend-cobra root.go severitiesToInclude).
SEVERITIES = (CRITICAL, HIGH, MEDIUM, LOW)


@attrs.frozen
class Recommendation:
    """One finding, as krakend-audit's `Recommendation` (`rule`, `severity`, `message`)."""

    rule: str
    severity: str
    message: str


@attrs.frozen
class Rule:
    recommendation: Recommendation
    applies: r.Predicate


def _rule(rule_id: str, severity: str, message: str, applies: r.Predicate) -> Rule:
    return Rule(Recommendation(rule_id, severity, message), applies)


_DOCS = "https://www.krakend.io/docs/enterprise"
_OTEL = "https://www.krakend.io/docs/telemetry/opentelemetry/ to upgrade to OpenTelemetry"


def _plugin(name: str, url: str) -> str:
    return f"Avoid using deprecated plugin {name}. Please visit {_DOCS}{url} to upgrade to {{}}."


_VIRTUALHOST = "/service-settings/virtual-hosts/#upgrading-from-the-old-plugin-before-v24"
_STATIC = "/endpoints/serve-static-content/#upgrading-from-the-old-plugin-before-v24"
_WILDCARD = "/endpoints/wildcard/#upgrading-from-the-old-wildcard-plugin-before-v23"
_MIGRATION = "#migration-from-old-plugin"
_NEW_OPTIONS = "the new options"

RULES: tuple[Rule, ...] = (
    # Section 1: security
    _rule(
        "1.1.1",
        HIGH,
        "Implement more secure alternatives than Basic Auth to protect your data.",
        r.has_basic_auth,
    ),
    _rule(
        "1.1.2",
        MEDIUM,
        "Implement stateless authorization methods such as JWT to secure your endpoints as "
        "opposed to using API keys.",
        r.has_api_keys,
    ),
    _rule(
        "1.2.1",
        HIGH,
        "Prioritize using JWT for endpoint authorization to ensure security.",
        r.has_no_jwt,
    ),
    # Section 2: service level
    _rule(
        "2.1.1",
        HIGH,
        "Only allow secure connections (avoid insecure_connections).",
        r.has_insecure_connections,
    ),
    _rule("2.1.2", HIGH, "Enable TLS or use a terminator in front of KrakenD.", r.has_no_tls),
    _rule(
        "2.1.3",
        CRITICAL,
        "TLS is configured but its disable flag prevents from using it.",
        r.has_tls_disabled,
    ),
    _rule(
        "2.1.7", HIGH, "Enable HTTP security header checks (security/http).", r.has_no_http_secure
    ),
    _rule("2.1.8", HIGH, "Avoid clear text communication (h2c).", r.has_h2c),
    _rule(
        "2.1.9",
        LOW,
        "Establish secure connections in internal traffic (avoid insecure_connections internally)",
        r.has_backend_insecure_connections,
    ),
    _rule(
        "2.2.1", MEDIUM, "Hide the version banner in runtime.", r.has_no_obfuscated_version_header
    ),
    _rule("2.2.2", HIGH, "Enable CORS.", r.has_no_cors),
    _rule("2.2.3", HIGH, "Avoid passing all input headers to the backend.", r.has_headers_wildcard),
    _rule(
        "2.2.4",
        HIGH,
        "Avoid passing all input query strings to the backend.",
        r.has_query_string_wildcard,
    ),
    _rule(
        "2.2.5",
        LOW,
        "Avoid exposing gRPC server without services declared.",
        r.has_empty_grpc_server,
    ),
    _rule("2.3.1", MEDIUM, "Limit the amount of cacheable content.", r.has_unlimited_cache),
    # Section 3: traffic management
    _rule("3.1.1", LOW, "Enable a bot detector.", r.has_botdetector_disabled),
    _rule(
        "3.1.2",
        HIGH,
        "Implement a rate-limiting strategy and avoid having an All-You-Can-Eat API.",
        r.has_no_ratelimit,
    ),
    _rule("3.1.3", HIGH, "Protect your backends with a circuit breaker.", r.has_no_circuit_breaker),
    _rule(
        "3.3.1",
        LOW,
        "Set timeouts to below 3 seconds for improved performance.",
        r.timeout_above(3000),
    ),
    _rule(
        "3.3.2",
        MEDIUM,
        "Set timeouts to below 5 seconds for improved performance.",
        r.timeout_above(5000),
    ),
    _rule(
        "3.3.3",
        HIGH,
        "Set timeouts to below 30 seconds for improved performance.",
        r.timeout_above(30000),
    ),
    _rule(
        "3.3.4",
        CRITICAL,
        "Set timeouts to below 1 minute for improved performance.",
        r.timeout_above(60000),
    ),
    # Section 4: telemetry
    _rule(
        "4.1.1",
        MEDIUM,
        "Implement a telemetry system for collecting metrics for monitoring and troubleshooting.",
        r.has_no_metrics,
    ),
    _rule(
        "4.1.2",
        MEDIUM,
        "Give your configuration a name for easy identification in metric tracking.",
        r.has_telemetry_missing_name,
    ),
    _rule(
        "4.1.3",
        HIGH,
        "Avoid duplicating telemetry options to prevent system overload.",
        r.has_several_telemetry_components,
    ),
    _rule(
        "4.2.1",
        MEDIUM,
        "Implement a telemetry system for tracing for monitoring and troubleshooting.",
        r.has_no_tracing,
    ),
    _rule(
        "4.3.1",
        MEDIUM,
        "Use the improved logging component for better log parsing.",
        r.has_no_logging,
    ),
    # Section 5: endpoints
    _rule(
        "5.1.1",
        LOW,
        "Follow a RESTful endpoint structure for improved readability and maintainability.",
        r.has_restful_disabled,
    ),
    _rule("5.1.2", LOW, "Disable the /__debug/ endpoint for added security.", r.has_debug_enabled),
    _rule("5.1.3", LOW, "Disable the /__echo/ endpoint for added security.", r.has_echo_enabled),
    _rule(
        "5.1.4",
        LOW,
        "Declare explicit endpoints instead of using wildcards.",
        r.has_endpoint_wildcard,
    ),
    _rule(
        "5.1.5",
        MEDIUM,
        "Declare explicit endpoints instead of using /__catchall.",
        r.has_endpoint_catch_all,
    ),
    _rule(
        "5.1.6",
        MEDIUM,
        "Avoid using multiple write methods in endpoint definitions.",
        r.has_multiple_unsafe_methods,
    ),
    _rule("5.1.7", MEDIUM, "Avoid using sequential proxy.", r.has_sequential_proxy),
    _rule(
        "5.2.1",
        CRITICAL,
        "Ensure all endpoints have at least one backend for proper functionality.",
        r.has_endpoint_without_backends,
    ),
    _rule(
        "5.2.2",
        LOW,
        "Benefit from the backend for frontend pattern capabilities.",
        r.has_a_single_backend_per_endpoint,
    ),
    _rule(
        "5.2.3",
        LOW,
        "Avoid coupling clients by overusing no-op encoding.",
        r.has_all_endpoints_as_noop,
    ),
    # Section 6: async agents
    _rule(
        "6.1.1",
        LOW,
        "Ensure Async Agents do not start sequentially to avoid overloading the system "
        "(+10 agents).",
        r.has_sequential_start,
    ),
    # Section 7: deprecations. 7.1: plugins
    _rule(
        "7.1.1",
        HIGH,
        _plugin("virtualhost", _VIRTUALHOST).format("the new virtualhost"),
        r.server_plugin("virtualhost"),
    ),
    _rule(
        "7.1.2",
        HIGH,
        _plugin("static-filesystem", _STATIC).format("the new static-filesystem"),
        r.server_plugin("static-filesystem"),
    ),
    _rule(
        "7.1.3",
        HIGH,
        "Avoid using deprecated plugin basic-auth. Please move your configuration to the "
        "namespace auth/basic to use the new component. See: "
        f"{_DOCS}/authentication/basic-authentication/ .",
        r.server_plugin("basic-auth"),
    ),
    _rule(
        "7.1.4",
        HIGH,
        _plugin("wildcard", _WILDCARD).format("the new Wildcard"),
        r.server_plugin("wildcard"),
    ),
    _rule(
        "7.1.5",
        HIGH,
        _plugin("http-proxy", "/backends/http-proxy/" + _MIGRATION).format(_NEW_OPTIONS),
        r.client_plugin("http-proxy"),
    ),
    _rule(
        "7.1.6",
        HIGH,
        _plugin("static-filesystem", _STATIC).format("the new static-filesystem"),
        r.client_plugin("static-filesystem"),
    ),
    _rule(
        "7.1.7",
        HIGH,
        _plugin("no-redirect", "/backends/client-redirect/" + _MIGRATION).format(_NEW_OPTIONS),
        r.client_plugin("no-redirect"),
    ),
    _rule(
        "7.1.8",
        HIGH,
        _plugin("content-replacer", "/endpoints/content-replacer/" + _MIGRATION).format(
            _NEW_OPTIONS
        ),
        r.req_resp_plugin("content-replacer"),
    ),
    _rule(
        "7.1.9",
        HIGH,
        _plugin(
            "response-schema-validator", "/endpoints/response-schema-validator/" + _MIGRATION
        ).format(_NEW_OPTIONS),
        r.req_resp_plugin("response-schema-validator"),
    ),
    # 7.2: components
    _rule(
        "7.2.1",
        HIGH,
        f"Avoid using deprecated component telemetry/ganalytics. Please visit {_OTEL}",
        r.component("telemetry/ganalytics"),
    ),
    _rule(
        "7.2.2",
        HIGH,
        f"Avoid using deprecated component telemetry/instana. Please visit {_OTEL}",
        r.component("telemetry/instana"),
    ),
    _rule(
        "7.2.3",
        HIGH,
        "Avoid using deprecated component telemetry/opencensus. Please visit "
        "https://www.krakend.io/docs/telemetry/opencensus/#transition-from-opencensus to "
        "upgrade to OpenTelemetry",
        r.component("telemetry/opencensus"),
    ),
    _rule(
        "7.2.4",
        HIGH,
        "Avoid using deprecated component telemetry/influx. Please visit "
        "https://www.krakend.io/docs/telemetry/influxdb/ to upgrade to OpenTelemetry",
        r.component("telemetry/influx"),
    ),
    # 7.3: configuration fields
    _rule(
        "7.3.1",
        MEDIUM,
        "Avoid using 'private_key' and 'public_key' and use the 'keys' array.",
        r.has_deprecated_tls_keys,
    ),
)


def audit(
    config: ServiceConfig,
    *,
    ignore: Collection[str] = (),
    severities: Collection[str] = SEVERITIES,
) -> list[Recommendation]:
    """The recommendations that apply to `config`, in rule order, leaving out the rules whose
    id is in `ignore` and those whose severity is not in `severities` (krakend-audit `Audit`)."""
    return [
        rule.recommendation
        for rule in RULES
        if rule.recommendation.rule not in ignore
        and rule.recommendation.severity in severities
        and rule.applies(config)
    ]
