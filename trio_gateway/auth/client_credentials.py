"""`auth/client-credentials`: the backend's HTTP client authenticates with an OAuth 2.0 client
credentials token (krakend-oauth2-clientcredentials on golang.org/x/oauth2/clientcredentials).

As x/oauth2 does it: the token is fetched on the first call, kept until 10 s before it expires
(`expiryDelta`; a token without `expires_in` never expires), and fetched again by one caller
while the others wait (`ReuseTokenSource`'s mutex: no stampede). The request is a form POST of
`grant_type=client_credentials`, `scope` (the comma-separated `scopes`, joined by spaces) and
`endpoint_params`; the client authenticates with HTTP Basic first and, when the server refuses,
with `client_id`/`client_secret` in the body, and remembers which worked (`AuthStyleAutoDetect`).
Every backend request then carries `Authorization: Bearer <token>` (the token's type,
canonicalised), replacing the client's own. A token that cannot be had fails the backend call
(oauth2.Transport's RoundTrip error becomes the request executor's error in lura), so the
endpoint answers as for a backend that cannot be reached; its text is Go's
`Get "<backend url>": oauth2: ...`. A 200 token answer carrying an RFC 6749 `error` is an error
too, as x/oauth2 has it.

Where we differ on purpose: Go's http.Client re-runs oauth2.Transport on every redirect hop, so
KrakenD sends the token on to whatever host a backend redirects to; here the token is added once
and the transport's redirect rules drop `Authorization` when a hop leaves the host.

It sits under the HTTP cache (krakend-ce `backend_factory.go`: the cache's transport wraps the
OAuth client's), so a cached answer needs no token.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import aclosing, asynccontextmanager
from typing import TYPE_CHECKING, Any, ClassVar, cast
from urllib.parse import parse_qs, quote_plus, urlencode

import attrs
import orjson
import trio

from trio_gateway.namespace import Layer, Level, Namespace, Slot, Where
from trio_gateway.transport.errors import TransportError

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


class TokenError(TransportError):
    """The token could not be had: oauth2.Transport's RoundTrip fails, so the backend call
    fails as for a backend that cannot be reached (lura: the request executor's error; the
    client sees what a failed backend gets). Its text is Go's `url.Error` around x/oauth2's."""


# x/oauth2 internal/token.go reads at most this much of a token response.
MAX_TOKEN_BODY = 1 << 20
_MAX_INT32 = 2**31 - 1
_ATOI = re.compile(r"[+-]?[0-9]+\Z")
_JSON_INT = re.compile(r"-?(0|[1-9][0-9]*)\Z")
_HEADER_CTL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


@attrs.frozen
class TokenAnswer:
    """What internal/token.go reads from a token response (both its encodings)."""

    access_token: str = ""
    token_type: str = ""
    expires_in: int = 0  # 0: the token never expires
    error: str = ""
    error_description: str = ""
    error_uri: str = ""


def _retrieve_error(status: int, reason: str, body: bytes, answer: TokenAnswer | None) -> str:
    """x/oauth2's RetrieveError text: the RFC 6749 error fields when the body has them."""
    if answer is not None and answer.error:
        text = "oauth2: " + orjson.dumps(answer.error).decode()  # Go's %q, close enough
        for extra in (answer.error_description, answer.error_uri):
            if extra:
                text += " " + orjson.dumps(extra).decode()
        return text
    return f"oauth2: cannot fetch token: {status} {reason}\nResponse: " + body.decode(
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


_JSON_FIELDS = (
    "access_token",
    "token_type",
    "expires_in",
    "error",
    "error_description",
    "error_uri",
    "refresh_token",
)


def _json_expiry(value: Any) -> int:
    """`expirationTime.UnmarshalJSON`: null is 0, a number or a quoted number (PayPal) must be
    an integer (json.Number.Int64), clamped to int32."""
    if value is None:
        return 0
    if isinstance(value, str):
        if not _JSON_INT.match(value):  # a JSON number literal, then Int64
            raise ValueError(f"expires_in {value!r} is not an integer")
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise ValueError(f"expires_in {value!r} is not an integer")
    if not -(2**63) <= number < 2**63:  # json.Number.Int64 fails past int64
        raise ValueError(f"expires_in {value!r} is out of range")
    return min(number, _MAX_INT32)


def parse_token_answer(content_type: str, body: bytes) -> TokenAnswer:
    """Read a token response as internal/token.go `doTokenRoundTrip` does.

    Raises:
        ValueError: the body does not parse as its content type says (Go's `cannot parse`).
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in ("application/x-www-form-urlencoded", "text/plain"):
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        first = {key: values[0] for key, values in form.items()}
        expires = first.get("expires_in", "")
        # strconv.Atoi; anything else (or out of range) is 0: never expires
        seconds = int(expires) if _ATOI.match(expires) and abs(int(expires)) < 2**63 else 0
        return TokenAnswer(
            access_token=first.get("access_token", ""),
            token_type=first.get("token_type", ""),
            expires_in=seconds,
            error=first.get("error", ""),
            error_description=first.get("error_description", ""),
            error_uri=first.get("error_uri", ""),
        )
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(str(exc)) from None
    if data is None:  # json.Unmarshal of null into a struct: nothing set
        return TokenAnswer()
    if not isinstance(data, dict):
        raise ValueError("cannot unmarshal into Go value of type internal.tokenJSON")
    fields: dict[str, Any] = {}
    for key, value in data.items():
        # encoding/json: an exact key first, else a case-insensitive one; the last one wins
        name = key if key in _JSON_FIELDS else key.lower()
        if name in _JSON_FIELDS:
            fields[name] = value
    for name in ("access_token", "token_type", "error", "error_description", "error_uri"):
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"cannot unmarshal {type(value).__name__} into {name} (string)")
    return TokenAnswer(
        access_token=fields.get("access_token") or "",
        token_type=fields.get("token_type") or "",
        expires_in=_json_expiry(fields.get("expires_in")),
        error=fields.get("error") or "",
        error_description=fields.get("error_description") or "",
        error_uri=fields.get("error_uri") or "",
    )


class TokenSource:
    """One backend's token: fetched once, kept until it expires, refreshed by one caller."""

    def __init__(
        self,
        config: ClientCredentialsConfig,
        http: Any,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._http = http  # () -> httpx.AsyncClient, made on first use (BuildContext.httpx)
        self._clock = clock
        self._token: Token | None = None
        self._lock = trio.Lock()
        self._in_params: bool | None = None  # the auth style that worked; None: not known yet
        self.fetches = 0  # token requests sent (both probes of the auto-detection count)

    async def header(self) -> bytes:
        token = self._token
        if token is not None and token.valid(self._clock()):
            return token.header
        # ReuseTokenSource: one mutex, so concurrent callers wait for one fetch; an error is
        # not kept, so each waiter then tries itself
        async with self._lock:
            token = self._token  # another caller may have fetched it meanwhile
            if token is None or not token.valid(self._clock()):
                # ReuseTokenSource hands a just-fetched token out even when already "expired"
                token = self._token = await self._fetch()
        return token.header

    async def _fetch(self) -> Token:
        if self._in_params is not None:
            return await self._retrieve(in_params=self._in_params)
        # AuthStyleAutoDetect (internal/token.go RetrieveToken): HTTP Basic first; on any error
        # the same request with the credentials in the body, whose error is then the one
        # returned; the style that worked is remembered
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
        self.fetches += 1
        post = f'Post "{config.token_url}"'
        try:
            with trio.fail_after(TOKEN_TIMEOUT):
                async with client.stream(
                    "POST", config.token_url, content=body, headers=headers
                ) as answer:
                    received = bytearray()
                    # decoded, as Go's transport gunzips; io.LimitReader: the rest unread
                    # an async generator (typed as an iterator): closed when cut short
                    stream = cast("AsyncGenerator[bytes, None]", answer.aiter_bytes())
                    async with aclosing(stream) as chunks:
                        async for chunk in chunks:
                            received += chunk
                            if len(received) >= MAX_TOKEN_BODY:
                                break
                    content = bytes(received[:MAX_TOKEN_BODY])
        except trio.TooSlowError:
            raise TokenError(f"oauth2: cannot fetch token: {post}: timeout") from None
        except Exception as exc:  # httpx's transport errors: the call fails, not the gateway
            LOGGER.debug("token request failed", exc_info=True)
            raise TokenError(f"oauth2: cannot fetch token: {post}: {exc}") from None
        status, reason = answer.status_code, answer.reason_phrase
        failed = not 200 <= status <= 299
        try:
            parsed = parse_token_answer(answer.headers.get("content-type", ""), content)
        except ValueError as exc:
            if failed:
                raise TokenError(_retrieve_error(status, reason, content, None)) from None
            is_form = answer.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "text/plain")
            )
            what = "response" if is_form else "json"
            raise TokenError(f"oauth2: cannot parse {what}: {exc}") from None
        # RFC 6749 5.2 says 400, but some servers answer 200 with an `error`
        if failed or parsed.error:
            raise TokenError(_retrieve_error(status, reason, content, parsed))
        if not parsed.access_token:
            raise TokenError("oauth2: server response missing access_token")
        expires_at = None if parsed.expires_in == 0 else self._clock() + parsed.expires_in
        header = f"{_token_type(parsed.token_type)} {parsed.access_token}".encode()
        if _HEADER_CTL.search(header):
            # net/http refuses to send it (httpguts.ValidHeaderFieldValue): every call fails
            raise TokenError('net/http: invalid header field value for "Authorization"')
        return Token(header, expires_at)


def _authorized(headers: Headers, value: bytes) -> Headers:
    kept = [(n, v) for n, v in headers if n.lower() != b"authorization"]
    kept.append((b"Authorization", value))
    return kept


class ClientCredentialsClient:
    """The backend client with the token on every request (oauth2.Transport)."""

    def __init__(self, client: BackendClient, tokens: TokenSource) -> None:
        self._client = client
        self.tokens = tokens

    async def _header(self, origin: Origin, method: bytes, target: bytes) -> bytes:
        try:
            return await self.tokens.header()
        except TokenError as exc:
            # http.Client.Do wraps the RoundTrip error in a url.Error: `Get "<url>": oauth2: ...`
            raise TokenError(
                exc.message,
                method=method.decode("latin-1"),
                url=origin.base_url + target.decode("latin-1"),
            ) from None

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
        authorized = _authorized(headers, await self._header(origin, method, target))
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
        authorized = _authorized(headers, await self._header(origin, method, target))
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
    client: BackendClient, call: BackendCall, plan: Any, context: Any
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
