"""`auth/client-credentials`: the backend's HTTP client authenticates with an OAuth 2.0 client
credentials token (krakend-oauth2-clientcredentials on golang.org/x/oauth2/clientcredentials).

As x/oauth2 does it: the token is fetched on the first call, kept until 10 s before it expires
(`expiryDelta`; a token without `expires_in` never expires), and fetched again by one caller
while the others wait (`ReuseTokenSource`'s mutex: no stampede). The request is a form POST of
`grant_type=client_credentials`, `scope` (the comma-separated `scopes`, joined by spaces) and
`endpoint_params`; the client authenticates with HTTP Basic first and, when the server refuses,
with `client_id`/`client_secret` in the body, and remembers which worked (`AuthStyleAutoDetect`).
Every backend request then carries `Authorization: Bearer <token>` (the token's type,
canonicalised), replacing the client's own. A token that cannot be had fails the backend call,
as the Go client's error does.

It sits under the HTTP cache (krakend-ce `backend_factory.go`: the cache's transport wraps the
OAuth client's), so a cached answer needs no token.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qs, quote_plus, urlencode

import attrs
import orjson
import trio

from trio_gateway.errors import BackendUnavailable
from trio_gateway.namespace import Layer, Level, Namespace, Slot, Where

if TYPE_CHECKING:
    import httpx

    from trio_gateway.config.diagnostics import Report
    from trio_gateway.proxy.backend import BackendCall, BackendClient
    from trio_gateway.transport import BackendResponse, Origin
    from trio_gateway.types import BodyStream, Headers

__all__ = ["WRAPPER", "ClientCredentialsConfig", "TokenSource"]

LOGGER = logging.getLogger(__name__)

# x/oauth2 token.go: a token is treated as expired this long before it is.
EXPIRY_DELTA = 10.0
# x/oauth2 has no timeout of its own (http.DefaultClient); the backend's timeout bounds the
# call, and this bounds a token server that accepts and never answers outside one.
TOKEN_TIMEOUT = 10.0


@attrs.frozen(kw_only=True)
class ClientCredentialsConfig:
    """`extra_config."auth/client-credentials"` (backend level)."""

    NAMESPACE: ClassVar[str] = "auth/client-credentials"

    client_id: str = ""
    client_secret: str = ""
    token_url: str = ""
    # one string, comma-separated, as krakend-oauth2-clientcredentials reads it
    scopes: str = ""
    endpoint_params: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    is_disabled: bool = False

    def form(self) -> dict[str, list[str]]:
        """The token request's form (clientcredentials.go `Token`)."""
        # strings.Split("", ",") is [""]: KrakenD always sends a `scope`, empty without scopes
        values: dict[str, list[str]] = {
            "grant_type": ["client_credentials"],
            "scope": [" ".join(self.scopes.split(","))],
        }
        for key, given in self.endpoint_params.items():
            values[key] = list(given)  # check refuses overwriting anything but grant_type
        return values


@attrs.frozen
class Token:
    header: bytes  # b"Bearer abc"
    expires_at: float | None  # monotonic; None: never

    def valid(self, now: float) -> bool:
        return self.expires_at is None or now < self.expires_at - EXPIRY_DELTA


class TokenError(BackendUnavailable):
    """The token could not be had: the backend call fails with x/oauth2's message."""


def _retrieve_error(status: int, reason: str, body: bytes) -> str:
    """x/oauth2's RetrieveError text: the RFC 6749 error fields when the body has them."""
    try:
        fields = orjson.loads(body)
    except orjson.JSONDecodeError:
        fields = None
    if isinstance(fields, dict) and isinstance(fields.get("error"), str) and fields["error"]:
        text = "oauth2: " + orjson.dumps(fields["error"]).decode()
        for key in ("error_description", "error_uri"):
            if isinstance(fields.get(key), str) and fields[key]:
                text += " " + orjson.dumps(fields[key]).decode()
        return text
    return f"oauth2: cannot fetch token: {status} {reason}\nResponse: " + body[:1000].decode(
        "utf-8", "replace"
    )


def _token_type(raw: str) -> str:
    # x/oauth2 Token.Type()
    lowered = raw.lower()
    if lowered in ("", "bearer"):
        return "Bearer"
    if lowered == "mac":
        return "MAC"
    if lowered == "basic":
        return "Basic"
    return raw


def _parse_token(content_type: str, body: bytes) -> tuple[str, str, float | None]:
    """(access_token, token_type, expires_in) from a token response (internal/token.go)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in ("application/x-www-form-urlencoded", "text/plain"):
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        first = {k: v[0] for k, v in form.items()}
        expires = first.get("expires_in", "")
        return (
            first.get("access_token", ""),
            first.get("token_type", ""),
            float(expires) if expires.isdigit() else None,
        )
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise TokenError(f"oauth2: cannot parse json: {exc}") from None
    if not isinstance(data, dict):
        raise TokenError("oauth2: cannot parse json: not an object")
    raw_expiry: Any = data.get("expires_in")
    if isinstance(raw_expiry, str):  # json.Number takes a quoted number too
        try:
            raw_expiry = int(raw_expiry)
        except ValueError:
            raise TokenError(f"oauth2: cannot parse json: expires_in {raw_expiry!r}") from None
    # expirationTime: 0 (or absent) is "never"; a negative one is already expired
    seconds = (
        float(raw_expiry)
        if isinstance(raw_expiry, int | float) and not isinstance(raw_expiry, bool) and raw_expiry
        else None
    )
    token = data.get("access_token")
    kind_value = data.get("token_type")
    return (
        token if isinstance(token, str) else "",
        kind_value if isinstance(kind_value, str) else "",
        seconds,
    )


class TokenSource:
    """One backend's token: fetched once, kept until it expires, refreshed by one caller."""

    def __init__(self, config: ClientCredentialsConfig, http: Any) -> None:
        self._config = config
        self._http = http  # () -> httpx.AsyncClient, made on first use (BuildContext.httpx)
        self._token: Token | None = None
        self._lock = trio.Lock()
        self._in_params: bool | None = None  # the auth style that worked; None: not known yet
        self.fetches = 0

    async def header(self) -> bytes:
        token = self._token
        if token is not None and token.valid(time.monotonic()):
            return token.header
        async with self._lock:
            token = self._token  # another caller may have fetched it meanwhile
            if token is None or not token.valid(time.monotonic()):
                token = self._token = await self._fetch()
        return token.header

    async def _fetch(self) -> Token:
        self.fetches += 1
        if self._in_params is not None:
            return await self._retrieve(in_params=self._in_params)
        # AuthStyleAutoDetect (internal/token.go): HTTP Basic first; on any error the same
        # request with the credentials in the body, whose error is then the one returned
        try:
            token = await self._retrieve(in_params=False)
            self._in_params = False
        except TokenError:
            token = await self._retrieve(in_params=True)
            self._in_params = True
        return token

    async def _retrieve(self, *, in_params: bool) -> Token:
        config = self._config
        form = config.form()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if in_params:
            if config.client_id:
                form["client_id"] = [config.client_id]
            if config.client_secret:
                form["client_secret"] = [config.client_secret]
        else:
            # x/oauth2: SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
            pair = f"{quote_plus(config.client_id)}:{quote_plus(config.client_secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        body = urlencode(sorted(form.items()), doseq=True)  # url.Values.Encode sorts by key
        client: httpx.AsyncClient = self._http()
        try:
            with trio.fail_after(TOKEN_TIMEOUT):
                answer = await client.post(config.token_url, content=body, headers=headers)
        except trio.TooSlowError:
            raise TokenError(
                f'oauth2: cannot fetch token: Post "{config.token_url}": timeout'
            ) from None
        except Exception as exc:  # httpx's transport errors: the call fails, not the gateway
            raise TokenError(
                f'oauth2: cannot fetch token: Post "{config.token_url}": {exc}'
            ) from None
        if not 200 <= answer.status_code < 300:
            raise TokenError(
                _retrieve_error(answer.status_code, answer.reason_phrase, answer.content)
            )
        access, kind, expires_in = _parse_token(
            answer.headers.get("content-type", ""), answer.content
        )
        if not access:
            raise TokenError("oauth2: server response missing access_token")
        expires_at = None if expires_in is None else time.monotonic() + expires_in
        return Token(f"{_token_type(kind)} {access}".encode(), expires_at)


def _authorized(headers: Headers, value: bytes) -> Headers:
    kept = [(n, v) for n, v in headers if n.lower() != b"authorization"]
    kept.append((b"Authorization", value))
    return kept


class ClientCredentialsClient:
    """The backend client with the token on every request (oauth2.Transport)."""

    def __init__(self, client: BackendClient, tokens: TokenSource) -> None:
        self._client = client
        self.tokens = tokens

    async def request(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes = b"",
        *,
        follow_redirects: bool = True,
    ) -> BackendResponse:
        authorized = _authorized(headers, await self.tokens.header())
        return await self._client.request(
            origin, method, target, authorized, body, follow_redirects=follow_redirects
        )

    @asynccontextmanager
    async def stream(
        self,
        origin: Origin,
        method: bytes,
        target: bytes,
        headers: Headers,
        body: bytes = b"",
        *,
        follow_redirects: bool = True,
    ) -> AsyncIterator[BodyStream]:
        authorized = _authorized(headers, await self.tokens.header())
        async with self._client.stream(
            origin, method, target, authorized, body, follow_redirects=follow_redirects
        ) as stream:
            yield stream


def check(config: ClientCredentialsConfig, where: Where, report: Report) -> None:
    if config.is_disabled:
        return
    if not config.token_url:
        report.error(where.path, "token_url is required: where the client gets its token")
    elif not config.token_url.startswith(("http://", "https://")):
        report.error((*where.path, "token_url"), f"not an http(s) URL: {config.token_url!r}")
    if not config.client_id:
        report.error(where.path, "client_id is required")
    for key in config.endpoint_params:
        if key == "scope":
            # clientcredentials.go: `oauth2: cannot overwrite parameter %q` on every call
            report.error(
                (*where.path, "endpoint_params", key),
                f"cannot overwrite parameter {key!r} (x/oauth2 fails every token request)",
            )


def build_wrapper(
    client: BackendClient, call: BackendCall, context: Any
) -> ClientCredentialsClient | None:
    config = call.extra.get(ClientCredentialsConfig)
    if config is None or config.is_disabled:
        return None
    return ClientCredentialsClient(client, TokenSource(config, context.httpx))


NAMESPACE = Namespace(
    name="auth/client-credentials",
    levels=frozenset({Level.BACKEND}),
    config=ClientCredentialsConfig,
    aliases=("github.com/devopsfaith/krakend-oauth2-clientcredentials",),
    check=check,
)
WRAPPER = Layer(
    name=NAMESPACE.name, namespace=NAMESPACE, slot=Slot.CLIENT_WRAPPER, build=build_wrapper
)
