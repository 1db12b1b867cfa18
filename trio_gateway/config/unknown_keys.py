"""Unknown keys and namespaces: walk the raw data alongside the model and report what is ignored.

KrakenD ignores keys it does not know, so a typo (`url_patern`) silently changes behaviour. The
converter ignores them too (Rule 2 of `converter.py`); this walker reports each one as a warning
with the nearest known key, names the v3 key for KrakenD v2 names (`whitelist` -> `allow`), and
gives the status of every `extra_config` namespace (implemented, not implemented yet, Enterprise
only, unknown, or valid only at another level).

KrakenD's mapstructure decoder matches struct keys case-insensitively: at the service, endpoint and
backend levels `weak_typing.py` has already renamed such a key (`Endpoint` -> `endpoint`, with a
warning), so it is not unknown here. Inside `tls`, `client_tls` and `plugin`, which we keep as
objects, a key that differs from a known key only by case is an error: KrakenD would use it and we
would not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from trio_gateway.config.diagnostics import Diagnostic, PathSegment, did_you_mean, format_path
from trio_gateway.config.known import fail_closed
from trio_gateway.config.model import (
    BackendConfig,
    EndpointConfig,
    FlatmapOperation,
    ServiceConfig,
    StaticConfig,
)
from trio_gateway.config.namespaces import (
    ALIASES,
    IMPLEMENTED,
    NAMESPACES,
    V2_NAMESPACES,
    Level,
    Status,
    is_comment_key,
    lookup,
)
from trio_gateway.namespace import reads_itself

__all__ = ["NAMESPACE_KEYS", "V2_KEYS", "unknown_key_diagnostics"]

Path = tuple[PathSegment, ...]

# KrakenD v2 keys dropped in v3 (no mapstructure tag any more, so silently ignored there).
V2_KEYS: Mapping[str, str] = {
    "querystring_params": "input_query_strings",
    "headers_to_pass": "input_headers",
    "whitelist": "allow",
    "blacklist": "deny",
}


def _keys(cls: type) -> frozenset[str]:
    # a field whose JSON key cannot be its name (`TTL`, `global`) names it in its metadata
    names = (f.metadata.get("json_key", f.name) for f in attrs.fields(cls))
    return frozenset("$schema" if cls is ServiceConfig and n == "schema" else n for n in names)


_SERVICE = _keys(ServiceConfig)
_ENDPOINT = _keys(EndpointConfig)
_BACKEND = _keys(BackendConfig)
_TLS = frozenset(
    [
        "disabled",
        "public_key",
        "private_key",
        "keys",
        "ca_certs",
        "min_version",
        "max_version",
        "curve_preferences",
        "prefer_server_cipher_suites",
        "cipher_suites",
        "enable_mtls",
        "disable_system_ca_pool",
    ]
)
_CLIENT_TLS = frozenset(
    [
        "allow_insecure_connections",
        "ca_certs",
        "disable_system_ca_pool",
        "min_version",
        "max_version",
        "curve_preferences",
        "cipher_suites",
        "client_certs",
    ]
)
_PLUGIN = frozenset({"folder", "pattern"})
_PROXY_BY_LEVEL = {
    Level.ENDPOINT: frozenset(
        {"sequential", "sequential_propagated_params", "static", "flatmap_filter", "combiner"}
    ),
    Level.BACKEND: frozenset({"flatmap_filter", "shadow", "shadow_timeout"}),
}
# Every implemented namespace but `proxy`, whose keys depend on the level (walked separately).
# (A namespace that reads its JSON itself, such as a JSON schema, has no keys to check.)
NAMESPACE_KEYS = {
    name: _keys(cls)
    for name, cls in IMPLEMENTED.items()
    if name != "proxy" and not reads_itself(cls)
}
_ENTERPRISE_KEYS = {
    "router": frozenset({"decompress_gzip", "disable_gzip"}),
    "proxy": frozenset({"max_payload", "decompress_gzip"}),
}
_ALL_NAMESPACE_NAMES = (*NAMESPACES, *ALIASES)


@attrs.define(eq=False)
class _Walker:
    out: list[Diagnostic] = attrs.field(factory=list)

    def warn(self, path: Path, message: str, hint: str | None = None) -> None:
        self.out.append(Diagnostic("warning", format_path(path), message, hint))

    def keys(
        self, obj: Any, path: Path, known: frozenset[str], *, case_insensitive: bool = False
    ) -> None:
        """Report the keys of `obj` that are not in `known` (comments excepted)."""
        if not isinstance(obj, Mapping):
            return
        for key in obj:
            if not isinstance(key, str) or key in known or is_comment_key(key):
                continue
            self.unknown(obj, key, (*path, key), known, case_insensitive)

    def unknown(
        self, obj: Mapping[str, Any], key: str, path: Path, known: frozenset[str], ci: bool
    ) -> None:
        same = next((k for k in known if k.lower() == key.lower()), None)
        if ci and same is not None and same not in obj:
            self.out.append(
                Diagnostic(
                    "error",
                    format_path(path),
                    f"key `{key}` differs from `{same}` only by case: KrakenD matches keys "
                    "case-insensitively and would use it, trio-gateway does not",
                    f"rename it to `{same}`",
                )
            )
        elif key in V2_KEYS and V2_KEYS[key] in known:
            self.warn(
                path,
                f"`{key}` is a KrakenD v2 key, ignored by KrakenD v3 (ignored)",
                f"use `{V2_KEYS[key]}`",
            )
        else:
            close = did_you_mean(key, known)
            self.warn(
                path,
                f"unknown key `{key}` (ignored)",
                f"did you mean `{close}`?" if close else None,
            )

    def items(self, obj: Any, path: Path) -> Iterable[tuple[Path, Any]]:
        """Yield (path, item) for each element of a list (nothing if `obj` is not a list)."""
        if isinstance(obj, list | tuple):
            for index, item in enumerate(obj):
                yield (*path, index), item

    def service(self, data: Any) -> None:
        self.keys(data, (), _SERVICE, case_insensitive=True)
        if not isinstance(data, Mapping):
            return
        self.keys(data.get("tls"), ("tls",), _TLS, case_insensitive=True)
        self.keys(data.get("client_tls"), ("client_tls",), _CLIENT_TLS, case_insensitive=True)
        self.keys(data.get("plugin"), ("plugin",), _PLUGIN, case_insensitive=True)
        self.extra_config(data.get("extra_config"), ("extra_config",), Level.SERVICE)
        for path, endpoint in self.items(data.get("endpoints"), ("endpoints",)):
            self.endpoint(endpoint, path)

    def endpoint(self, data: Any, path: Path) -> None:
        self.keys(data, path, _ENDPOINT, case_insensitive=True)
        if not isinstance(data, Mapping):
            return
        self.extra_config(data.get("extra_config"), (*path, "extra_config"), Level.ENDPOINT)
        for backend_path, backend in self.items(data.get("backend"), (*path, "backend")):
            self.keys(backend, backend_path, _BACKEND, case_insensitive=True)
            if isinstance(backend, Mapping):
                extra = backend.get("extra_config")
                self.extra_config(extra, (*backend_path, "extra_config"), Level.BACKEND)

    def extra_config(self, data: Any, path: Path, level: Level) -> None:
        if not isinstance(data, Mapping):
            return
        for key, value in data.items():
            if isinstance(key, str) and not is_comment_key(key):
                self.namespace(data, key, value, (*path, key), level)

    def namespace(
        self, siblings: Mapping[str, Any], key: str, value: Any, path: Path, level: Level
    ) -> None:
        namespace = lookup(key)
        if namespace is None:
            if key in V2_NAMESPACES:
                self.warn(
                    path,
                    f"`{key}` is a KrakenD v2 namespace, ignored by KrakenD v3 (ignored)",
                    f"use `{V2_NAMESPACES[key]}`",
                )
            else:
                close = did_you_mean(key, _ALL_NAMESPACE_NAMES)
                hint = f"did you mean `{close}`?" if close else None
                self.warn(path, f"unknown namespace `{key}` (ignored)", hint)
            return
        name = namespace.name
        if name != key and name in siblings:
            self.warn(
                path, f"both `{name}` and its legacy name `{key}` are set: `{key}` is ignored"
            )
        elif namespace.status is Status.ENTERPRISE:
            self.unenforced(path, name, "is KrakenD Enterprise only, not supported by trio-gateway")
        elif level not in namespace.levels:
            where = ", ".join(sorted(lv.value for lv in namespace.levels))
            self.warn(
                path,
                f"namespace `{name}` is not read at {level.value} level, only at: {where} "
                "(ignored)",
            )
        elif namespace.status is Status.NOT_IMPLEMENTED:
            self.unenforced(path, name, "is not implemented yet by trio-gateway")
        elif name == "proxy":
            self.proxy(value, path, level)
        elif name in NAMESPACE_KEYS:
            self.namespace_keys(name, value, path, NAMESPACE_KEYS[name])

    def unenforced(self, path: Path, name: str, what: str) -> None:
        """A namespace trio-gateway cannot honour: refused when skipping it would weaken what the
        configuration asks for (fail closed, `known.fail_closed`), else ignored with a warning."""
        if not fail_closed(name):
            self.warn(path, f"namespace `{name}` {what} (ignored)")
            return
        self.out.append(
            Diagnostic(
                "error",
                format_path(path),
                f"namespace `{name}` {what}: refused, because serving without it would protect "
                "less, or send requests elsewhere, than this configuration asks",
                f"remove it, or set TRIO_GATEWAY_ALLOW_UNENFORCED={name} to serve without it "
                "(docs/configuration.md)",
                f"unenforced:{name}",
            )
        )

    def namespace_keys(self, name: str, value: Any, path: Path, known: frozenset[str]) -> None:
        if not isinstance(value, Mapping):
            return
        enterprise = _ENTERPRISE_KEYS.get(name, frozenset())
        for key in value:
            if not isinstance(key, str) or key in known or is_comment_key(key):
                continue
            if key in enterprise:
                self.warn(
                    (*path, key),
                    f"`{key}` is a KrakenD Enterprise option, not supported by trio-gateway "
                    "(ignored)",
                )
            else:
                self.unknown(value, key, (*path, key), known, False)

    def proxy(self, value: Any, path: Path, level: Level) -> None:
        known = _PROXY_BY_LEVEL[level]
        other = Level.BACKEND if level is Level.ENDPOINT else Level.ENDPOINT
        if not isinstance(value, Mapping):
            return
        for key in value:
            if isinstance(key, str) and key in _PROXY_BY_LEVEL[other] and key not in known:
                self.warn(
                    (*path, key),
                    f"`{key}` is read only at {other.value} level (ignored at {level.value} level)",
                )
        allowed = known | _PROXY_BY_LEVEL[other]
        self.namespace_keys("proxy", value, path, allowed)
        static = value.get("static")
        if level is Level.ENDPOINT:
            self.keys(static, (*path, "static"), _keys(StaticConfig))
        flatmap = value.get("flatmap_filter")
        for op_path, op in self.items(flatmap, (*path, "flatmap_filter")):
            self.keys(op, op_path, _keys(FlatmapOperation))


def unknown_key_diagnostics(data: Any) -> list[Diagnostic]:
    """Return a diagnostic for every ignored key or namespace of a raw (parsed) config."""
    walker = _Walker()
    walker.service(data)
    return walker.out
