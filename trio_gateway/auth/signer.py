"""`auth/signer`: turn objects of a backend response into signed JWTs (krakend-jose `jws.go`).

For each name in `keys_to_sign` whose value is a JSON object, the value becomes a JWS over the
object's JSON (Go encoding: sorted keys), signed with the JWK `kid` of the configured set, with
the protected header `{"alg", "kid", "typ"}`. `full: true` gives go-jose's flattened JSON
serialization (`{"payload","protected","signature"}`, as a string) instead of the compact form.
Other values are left as they are.

The key set is read once (KrakenD looks the key up at start): at `warm()` or on the first
request, retried (rate-limited, `auth/jwks.py`) while the key is missing. Until the key is there
the endpoint answers as krakend-jose's `erroredHandler` does for a signer it could not create
(`gin/jose.go` `TokenSigner`: the key lookup fails in `NewSigner`): 401, empty body, no backend
call (`ready()`), with one ERROR line per lookup attempt, not per request.
"""

from __future__ import annotations

import base64
import logging
import math
from collections.abc import Mapping
from typing import Any

import httpx
import orjson
import trio

from trio_gateway.auth.jwks import DEFAULT_COOLDOWN, KeySet, Spawner
from trio_gateway.auth.keys import ALGORITHMS, PreparedKey
from trio_gateway.auth.signing import JWTSignerConfig
from trio_gateway.encoding.render import dumps_go

__all__ = ["JWTSigner", "SignerError"]

LOGGER = logging.getLogger(__name__)


class SignerError(Exception):
    """Signing is impossible: no private key `kid` in the set, or an unencodable payload.

    KrakenD answers 401 with an empty body when the key is missing (see `JWTSigner.ready`) and
    400 with an empty body when a payload cannot be signed.
    """


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


class JWTSigner:
    """Signs the `keys_to_sign` of one endpoint's responses."""

    def __init__(self, config: JWTSignerConfig, keys: KeySet, endpoint: str = "") -> None:
        self._config = config
        self._keys = keys
        self._protected: tuple[PreparedKey, bytes] | None = None
        # krakend-jose's log prefix
        self._prefix = f"[ENDPOINT: {endpoint}][JWTSigner]" if endpoint else "[JWTSigner]"
        self._reported: tuple[str, int] | None = None  # the last problem logged, per attempt

    @classmethod
    def from_config(
        cls,
        config: JWTSignerConfig,
        *,
        http: httpx.AsyncClient | None = None,
        endpoint: str = "",
        spawner: Spawner | None = None,
    ) -> JWTSigner:
        """Build a signer.

        Raises:
            ValueError: unknown `alg`, an invalid key source (see `KeySet.from_config`), or a
                local JWK file without a private key `kid` usable for `alg`.
        """
        if config.alg not in ALGORITHMS:
            raise ValueError(f"unknown algorithm {config.alg!r}: one of {', '.join(ALGORITHMS)}")
        keys = KeySet.from_config(
            config,
            http=http,
            ttl=math.inf,
            cooldown=DEFAULT_COOLDOWN,
            for_signing=True,
            spawner=spawner,
        )
        signer = cls(config, keys, endpoint)
        if config.jwk_local_path:  # a local set is loaded already: fail at start, as KrakenD
            problem = signer._key_problem(keys.has_id(config.kid), keys.peek(config.kid))
            if problem:
                raise ValueError(f"jwk_local_path {config.jwk_local_path!r}: {problem}")
        return signer

    def _key_problem(self, present: bool, key: PreparedKey | None) -> str | None:
        kid, alg = self._config.kid, self._config.alg
        if not present:
            return f"no key with kid {kid!r}"
        if key is None:
            return f"key {kid!r} cannot be used for {alg}"
        if not key.can_sign:
            return f"key {kid!r} is a public key: signing needs the private key"
        return None

    async def warm(self) -> None:
        """Load the signing key now (at start-up) instead of on the first response."""
        try:
            await self._signing_key()
        except SignerError as exc:
            LOGGER.error("auth/signer: %s", exc)

    async def ready(self, key_wait: float) -> bool:
        """Whether the signing key is there, waiting at most `key_wait` seconds for the JWK set.

        False: the request must be answered 401 with an empty body (krakend-jose
        `erroredHandler`); the reason was logged (ERROR once per lookup attempt, else DEBUG).
        """
        if self._protected is not None:
            return True
        problem = f"the JWK set did not load within the endpoint timeout ({key_wait:g}s)"
        with trio.move_on_after(key_wait):
            try:
                await self._signing_key()
                return True
            except SignerError as exc:
                problem = str(exc)
        attempt = (problem, self._keys.statistics().downloads)
        log = LOGGER.debug if attempt == self._reported else LOGGER.error
        self._reported = attempt
        log("%s Unable to create the signer: %s", self._prefix, problem)
        return False

    async def aclose(self) -> None:
        """Close the httpx client the signer created for its JWK set, if any."""
        await self._keys.aclose()

    async def _signing_key(self) -> tuple[PreparedKey, bytes]:
        if self._protected is not None:
            return self._protected
        key = await self._keys.get(self._config.kid)
        if not self._keys.loaded:
            raise SignerError("the JWK set could not be loaded (see its download error)")
        problem = self._key_problem(self._keys.has_id(self._config.kid), key)
        if problem or key is None:
            raise SignerError(problem or "no key")
        header = {"alg": self._config.alg, "kid": key.key_id, "typ": self._config.typ or "JWT"}
        self._protected = (key, _b64(dumps_go(header)))
        return self._protected

    async def sign(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of `data` with each `keys_to_sign` object replaced by its signed token.

        Raises:
            SignerError: the key is unavailable or a value cannot be encoded as JSON.
        """
        out = dict(data)
        targets = [name for name in self._config.keys_to_sign if isinstance(out.get(name), dict)]
        if not targets:
            return out
        key, protected = await self._signing_key()
        for name in targets:
            try:
                payload = _b64(dumps_go(out[name]))
            except TypeError as exc:
                raise SignerError(f"{name}: cannot encode as JSON: {exc}") from None
            signature = _b64(key.sign(protected + b"." + payload))
            if self._config.full:
                serialized = {
                    "payload": payload.decode(),
                    "protected": protected.decode(),
                    "signature": signature.decode(),
                }
                out[name] = orjson.dumps(serialized).decode()
            else:
                out[name] = b".".join((protected, payload, signature)).decode()
        return out
