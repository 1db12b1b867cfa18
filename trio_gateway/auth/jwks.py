"""Where keys come from: a local JWK file (read once at start) or a JWK set URL (cached).

Rule 1 (an identity provider outage is not a gateway outage): a download replaces the key set
only when it succeeds. When it fails the failure is logged and the keys already held keep
verifying tokens (stale-if-error) until a later download succeeds.

Rule 2 (bounded downloads): one download at a time per set (concurrent requests wait for the same
one); a token naming an unknown key id triggers a download at most once per `cooldown` (KrakenD's
`failed_jwk_key_cooldown`, 10 s here when unset); a failed download is retried at most once per
`cooldown` too (once a second while no key was ever loaded). Random key ids therefore cannot turn
the gateway into a flood against the identity provider. A download gives up after 5 s.

Rule 2b (a hanging identity provider): given a background nursery (`Spawner`, the app's lifespan
nursery), downloads run there, not in the request that asked: a request that stops waiting (its
endpoint timeout, see `auth/jwt.py`) leaves the download running for the others, so N waiting
requests cost the identity provider one connection, and the back-off above starts when that one
download ends. Without one (an app driven without lifespan), the request downloads itself; if it
is cancelled, a request already waiting takes over, and the cancelled attempt counts as a failure
for the back-off. (go-auth0's `JWKClient.GetKey`, under KrakenD, downloads under a mutex with no
timeout and no back-off: every waiting request downloads again, in turn.)

Rule 3 (freshness): keys are fresh for `ttl` seconds after a successful download. `cache: true`
gives `cache_duration` (900 s by default); `cache: false`, which makes KrakenD download the set on
every request, gives `UNCACHED_TTL` (60 s) - see docs/security.md for why.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

import attrs
import httpx
import orjson
import trio

from trio_gateway._version import __version__
from trio_gateway.auth import tls
from trio_gateway.auth.keys import KeySetError, PreparedKey, parse_key_set
from trio_gateway.auth.signing import JWTSignerConfig
from trio_gateway.auth.validator import JWTValidatorConfig

__all__ = ["DEFAULT_COOLDOWN", "UNCACHED_TTL", "KeySet", "KeySetStatistics", "Spawner"]

LOGGER = logging.getLogger(__name__)

UNCACHED_TTL = 60.0
DEFAULT_COOLDOWN = 10.0
_EMPTY_RETRY = 1.0  # while no key was ever loaded: retry downloads this often, at most
_FETCH_TIMEOUT = 5.0
_MAX_BODY = 1 << 20
_CONTENT_TYPES = ("application/json", "application/jwk-set+json")  # go-auth0 jwk_client.go
_USER_AGENT = f"trio-gateway/{__version__}"


class Spawner(Protocol):
    """Where downloads run when they must outlive the request that started them (the app's
    `proxy.shadow.Background`): `spawn` returns False when there is no such place right now."""

    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> bool: ...


@attrs.frozen(kw_only=True)
class KeySetStatistics:
    downloads: int  # completed attempts, failed ones included
    failures: int
    keys: int  # ids held (usable or not)


def _safe_url(url: str) -> str:
    """The URL for logs: no credentials, no query string (either may hold a secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


class KeySet:
    """The keys of one JWK set, prepared for one algorithm."""

    def __init__(
        self,
        *,
        alg: str,
        strategy: str,
        url: str | None = None,
        http: httpx.AsyncClient | None = None,
        owns_http: bool = False,
        pins: tuple[bytes, ...] = (),
        ttl: float = UNCACHED_TTL,
        cooldown: float = DEFAULT_COOLDOWN,
        for_signing: bool = False,
        keys: dict[str, PreparedKey | None] | None = None,
        spawner: Spawner | None = None,
    ) -> None:
        self._alg = alg
        self._strategy = strategy
        self._url = url
        self._http = http
        self._owns_http = owns_http
        self._pins = pins
        self._ttl = ttl
        self._cooldown = cooldown
        self._for_signing = for_signing
        self._keys: dict[str, PreparedKey | None] = keys or {}
        self._loaded = keys is not None
        self._fresh_until = -math.inf
        self._last_attempt: float | None = None
        self._last_failed = False
        self._inflight: trio.Event | None = None
        self._completed = 0
        self._failures = 0
        self._background = False  # a `run()` task keeps the set fresh: requests never refresh
        self._spawner = spawner

    @classmethod
    def from_config(
        cls,
        config: JWTValidatorConfig | JWTSignerConfig,
        *,
        http: httpx.AsyncClient | None,
        strategy: str = "kid",
        ttl: float = UNCACHED_TTL,
        cooldown: float = DEFAULT_COOLDOWN,
        for_signing: bool = False,
        spawner: Spawner | None = None,
    ) -> KeySet:
        """Open the key source of an `auth/validator` or `auth/signer` block.

        Raises:
            ValueError: KrakenD would not start (or would answer 401 to everything) with this
                source: no source, http:// without `disable_jwk_security`, `secret_url`, an
                unreadable / invalid local file, a bad CA file or fingerprint.
        """
        if config.secret_url:
            raise ValueError(
                "secret_url (gocloud.dev encrypted JWK files) is not supported: decrypt the "
                "JWK set before start and use jwk_local_path"
            )
        if config.jwk_local_path:  # takes precedence over jwk_url, as in krakend-jose
            try:
                with open(config.jwk_local_path, "rb") as file:
                    document = orjson.loads(file.read())
                keys = parse_key_set(document, config.alg, strategy, for_signing=for_signing)
            except (OSError, orjson.JSONDecodeError, KeySetError) as exc:
                raise ValueError(f"jwk_local_path {config.jwk_local_path!r}: {exc}") from None
            return cls(alg=config.alg, strategy=strategy, keys=keys, for_signing=for_signing)
        url = config.jwk_url
        if not url:
            raise ValueError("a JWK source is required: set jwk_url or jwk_local_path")
        if not url.startswith("https://") and not config.disable_jwk_security:
            raise ValueError("jwk_url must be https:// unless disable_jwk_security is true")
        try:
            valid = url.startswith(("https://", "http://")) and bool(httpx.URL(url).host)
        except httpx.InvalidURL:
            valid = False
        if not valid:
            raise ValueError("jwk_url must be an http(s) URL")
        pins = tls.decode_fingerprints(config.jwk_fingerprints)
        owns = http is None or tls.needs_own_client(
            url,
            local_ca=config.jwk_local_ca,
            insecure=config.disable_jwk_security,
            pins=pins,
            ciphers=config.cipher_suites,
        )
        if owns:
            context = tls.ssl_context(
                local_ca=config.jwk_local_ca,
                insecure=config.disable_jwk_security,
                ciphers=config.cipher_suites,
            )
            http = httpx.AsyncClient(verify=context, timeout=_FETCH_TIMEOUT)
        return cls(
            alg=config.alg,
            strategy=strategy,
            url=url,
            http=http,
            owns_http=owns,
            pins=pins,
            ttl=ttl,
            cooldown=cooldown,
            for_signing=for_signing,
            spawner=spawner,
        )

    def statistics(self) -> KeySetStatistics:
        return KeySetStatistics(
            downloads=self._completed, failures=self._failures, keys=len(self._keys)
        )

    @property
    def loaded(self) -> bool:
        """Whether a set is held (read from the file, or downloaded once)."""
        return self._loaded

    def has_id(self, key_id: str) -> bool:
        """Whether the set names this id at all (a None key: present but of the wrong type)."""
        return key_id in self._keys

    def peek(self, key_id: str) -> PreparedKey | None:
        """The key held for an id right now, without downloading."""
        return self._keys.get(key_id)

    async def get(self, key_id: str) -> PreparedKey | None:
        """The key for an id, downloading the set first when Rules 2 and 3 allow it."""
        if self._url is None:
            return self._keys.get(key_id)
        if key_id in self._keys and self._loaded:
            now = trio.current_time()
            stale = now >= self._fresh_until and not self._background
            # stale-while-revalidate: with a spawner nobody waits; without, the others keep
            # using the stale key meanwhile
            if (
                stale
                and self._inflight is None
                and self._may_download(now)
                and self._start_in_background() is None
            ):
                await self.refresh()
            return self._keys.get(key_id)
        if self._inflight is not None or self._may_download(trio.current_time()):
            await self.refresh()
        return self._keys.get(key_id)

    def _may_download(self, now: float) -> bool:
        if self._last_attempt is None:
            return True
        since = now - self._last_attempt
        if not self._loaded:
            return since >= _EMPTY_RETRY
        if self._last_failed:
            return since >= self._cooldown
        return now >= self._fresh_until or since >= self._cooldown

    async def refresh(self) -> None:
        """Download the set once, or wait for the download already running (single flight).

        Cancelling the caller (its deadline) cancels only its wait when the download runs in the
        spawner's nursery (Rule 2b).
        """
        if self._url is None:
            return
        while (event := self._inflight) is not None:
            completed = self._completed
            await event.wait()
            if self._completed != completed:
                return
            # the downloading request was cancelled before finishing: take over
        event = self._start_in_background()
        if event is not None:
            await event.wait()
            return
        event = self._inflight = trio.Event()
        await self._download_and_signal(event)

    def _start_in_background(self) -> trio.Event | None:
        """Start a download in the spawner's nursery; None when there is none (or no URL)."""
        if self._url is None or self._spawner is None:
            return None
        event = trio.Event()
        if not self._spawner.spawn(self._download_and_signal, event):
            return None
        self._inflight = event  # set before the task runs: later callers wait for it
        return event

    async def _download_and_signal(self, event: trio.Event) -> None:
        try:
            await self._download_once()
        finally:
            if self._inflight is event:
                self._inflight = None
            event.set()

    async def _download_once(self) -> None:
        assert self._url is not None
        try:
            keys = await self._download(self._url)
        except trio.Cancelled:
            # The attempt still counts for the back-off: a request that gives up must not let
            # the next one start a new download at once (a tight loop against a hanging IdP).
            self._failed("cancelled: the request downloading it gave up", cancelled=True)
            raise
        except trio.TooSlowError:
            self._failed(f"no answer within {_FETCH_TIMEOUT:g} s")
            return
        except Exception as exc:  # whatever the IdP sends: logged in one line, never raised
            self._failed(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            LOGGER.debug("JWK set download failure", exc_info=exc)
            return
        self._keys = keys
        self._loaded = True
        self._last_failed = False
        self._fresh_until = trio.current_time() + self._ttl
        if not any(keys.values()):
            LOGGER.warning("JWK set %s: no key usable for %s", _safe_url(self._url), self._alg)
        self._last_attempt = trio.current_time()
        self._completed += 1

    def _failed(self, reason: str, *, cancelled: bool = False) -> None:
        assert self._url is not None
        self._last_failed = True
        self._last_attempt = trio.current_time()
        if not cancelled:  # a cancelled attempt is taken over by a request already waiting
            self._failures += 1
            self._completed += 1
        held = f"keeping {len(self._keys)} cached key id(s)" if self._loaded else "no keys yet"
        LOGGER.warning("JWK set %s: download failed (%s); %s", _safe_url(self._url), reason, held)

    async def _download(self, url: str) -> dict[str, PreparedKey | None]:
        assert self._http is not None
        headers = {"user-agent": _USER_AGENT, "accept": ", ".join(_CONTENT_TYPES)}
        body = bytearray()
        with trio.fail_after(_FETCH_TIMEOUT):
            async with self._http.stream(
                "GET", url, headers=headers, follow_redirects=True
            ) as response:
                if self._pins and not tls.pin_matches(response, self._pins):
                    raise KeySetError("the server's public key is not among jwk_fingerprints")
                if not response.is_success:
                    raise KeySetError(f"status {response.status_code}")
                content_type = response.headers.get("content-type", "").lower()
                if not content_type.startswith(_CONTENT_TYPES):
                    raise KeySetError(f"content type {content_type!r} is not JSON")
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > _MAX_BODY:
                        raise KeySetError(f"larger than {_MAX_BODY} bytes")
        return parse_key_set(
            orjson.loads(body), self._alg, self._strategy, for_signing=self._for_signing
        )

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Keep a URL's set fresh in the background, so requests never wait for a download.

        Downloads first (`task_status.started()` after that attempt, failed or not), then again
        shortly before the keys expire, or after `cooldown` when a download failed.
        """
        if self._url is None:
            task_status.started()
            return
        await self.refresh()
        task_status.started()
        self._background = True
        try:
            while True:
                assert self._last_attempt is not None
                if not self._loaded:
                    wake = self._last_attempt + _EMPTY_RETRY
                elif self._last_failed:
                    wake = self._last_attempt + self._cooldown
                else:
                    wake = self._fresh_until - min(5.0, self._ttl / 10)
                await trio.sleep_until(wake)
                await self.refresh()
        finally:
            self._background = False

    async def aclose(self) -> None:
        """Close the httpx client this set created (a shared one is left to its owner)."""
        if self._owns_http and self._http is not None:
            await self._http.aclose()
