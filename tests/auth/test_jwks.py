"""JWK sets from a URL: laziness, caching, single flight, outages, rate-limited refetches, TLS."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.auth.test_support import (
    JWKSServer,
    b64,
    bearer,
    config,
    ec_jwk,
    ec_key,
    mint,
    rsa_jwk,
    rsa_key,
    start_server,
)
from trio_gateway.auth import AuthRejection, Claims, JWTValidator
from trio_gateway.proxy.shadow import Background

URL = "https://idp.test/.well-known/jwks.json"


def mock_config(**fields: Any) -> Any:
    """A validator of URL served through the given (mock) client: no TLS options of its own."""
    return config(jwk_url=URL, disable_jwk_security=False, **fields)


def token(kid: str = "k1", name: str = "main") -> list[tuple[bytes, bytes]]:
    return bearer(mint("RS256", rsa_key(name), {"sub": kid}, kid=kid))


@pytest.fixture
async def server(nursery: trio.Nursery) -> JWKSServer:
    return await start_server(nursery, {"keys": [rsa_jwk("k1"), ec_jwk("e1")]})


async def test_rs256_and_es256_from_a_url_downloaded_once(server: JWKSServer) -> None:
    rs = JWTValidator.from_config(config(jwk_url=server.url))
    es = JWTValidator.from_config(config(jwk_url=server.url, alg="ES256"))
    assert server.hits == 0  # lazy
    for _ in range(5):
        assert isinstance(await rs.validate(token()), Claims)
    es_token = bearer(mint("ES256", ec_key(), {"sub": "e"}, kid="e1"))
    assert isinstance(await es.validate(es_token), Claims)
    assert server.hits == 2  # one per validator, then cached
    await rs.aclose()
    await es.aclose()


async def test_warm_downloads_before_the_first_request(server: JWKSServer) -> None:
    v = JWTValidator.from_config(config(jwk_url=server.url))
    await v.warm()
    assert server.hits == 1
    assert isinstance(await v.validate(token()), Claims)
    assert server.hits == 1
    assert v.statistics().downloads == 1 and v.statistics().keys == 2
    await v.aclose()


async def test_concurrent_first_requests_share_one_download(server: JWKSServer) -> None:
    server.delay = 0.2
    v = JWTValidator.from_config(config(jwk_url=server.url))
    outcomes: list[object] = []

    async def one() -> None:
        outcomes.append(await v.validate(token()))

    async with trio.open_nursery() as nursery:
        for _ in range(20):
            nursery.start_soon(one)
    assert server.hits == 1
    assert len(outcomes) == 20 and all(isinstance(o, Claims) for o in outcomes)
    await v.aclose()


async def test_outage_keeps_cached_keys(
    server: JWKSServer, caplog: pytest.LogCaptureFixture
) -> None:
    v = JWTValidator.from_config(config(jwk_url=server.url, failed_jwk_key_cooldown=1.0))
    await v.warm()
    server.stop()
    await trio.sleep(0.05)
    assert isinstance(await v.validate(token()), Claims)
    await trio.sleep(1.05)  # unknown kid after the cooldown: a download is tried, and fails
    unknown = token("k9")
    assert await v.validate(unknown) == AuthRejection(401, "unknown key id")
    assert v.statistics().failures == 1
    assert isinstance(await v.validate(token()), Claims)  # still served from the cache
    assert "download failed" in caplog.text and "keeping 2 cached key id(s)" in caplog.text
    assert unknown[1][1].decode().split(" ")[1] not in caplog.text
    await v.aclose()


async def test_unknown_kid_refetch_is_rate_limited(server: JWKSServer) -> None:
    v = JWTValidator.from_config(config(jwk_url=server.url, failed_jwk_key_cooldown=1.0))
    await v.warm()
    server.document = {"keys": [rsa_jwk("k1"), rsa_jwk("k2", "other")]}  # rotation
    for _ in range(50):
        assert (await v.validate(token("k2", "other"))).status == 401  # type: ignore[union-attr]
    assert server.hits == 1
    await trio.sleep(1.05)
    assert isinstance(await v.validate(token("k2", "other")), Claims)
    assert server.hits == 2
    await v.aclose()


async def test_default_cooldown_is_ten_seconds(autojump_clock: trio.testing.MockClock) -> None:
    calls, client = counting_client(lambda n: {"keys": [rsa_jwk("k1")]})
    v = JWTValidator.from_config(mock_config(), http=client)
    await v.warm()
    for _ in range(10):
        await v.validate(token("k2"))
        await trio.sleep(0.9)
    assert calls == [1]
    await trio.sleep(1.0)
    await v.validate(token("k2"))
    assert calls == [2]


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (200, b"text/plain", b'{"keys": []}'),
        (500, b"application/json", b'{"error": "boom"}'),
        (200, b"application/json", b'{"keys": []}'),
        (200, b"application/json", b"<html>"),
        (200, b"application/json", b'{"keys": [{"kty": "nope"}, 3]}'),
    ],
)
async def test_bad_jwk_set_responses_reject_and_count_failures(
    autojump_clock: trio.testing.MockClock, status: int, content_type: bytes, body: bytes
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"content-type": content_type.decode()}, content=body)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        v = JWTValidator.from_config(mock_config(), http=client)
        assert (await v.validate(token())).status == 401  # type: ignore[union-attr]
    assert v.statistics().downloads == 1
    # the last case is a valid set without a usable key: a download that succeeded
    assert v.statistics().failures == (0 if b"nope" in body else 1)


async def test_jwk_set_content_types(autojump_clock: trio.testing.MockClock) -> None:
    for content_type in ("application/jwk-set+json", "application/json; charset=utf-8"):
        document = {"keys": [rsa_jwk("k1")]}
        client = httpx.AsyncClient(
            transport=httpx.MockTransport(
                lambda r, ct=content_type, d=document: httpx.Response(
                    200, json=d, headers={"content-type": ct}
                )
            )
        )
        v = JWTValidator.from_config(mock_config(), http=client)
        assert isinstance(await v.validate(token()), Claims), content_type
        await client.aclose()


def counting_client(
    document: Callable[[int], Any], *, fail: Callable[[int], bool] = lambda n: False
) -> tuple[list[int], httpx.AsyncClient]:
    calls = [0]

    async def handler(request: httpx.Request) -> httpx.Response:
        calls[0] += 1
        assert request.headers["user-agent"].startswith("trio-gateway/")
        if fail(calls[0]):
            raise httpx.ConnectError("connection refused")
        return httpx.Response(200, json=document(calls[0]))

    return calls, httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_cache_duration_and_refresh(autojump_clock: trio.testing.MockClock) -> None:
    calls, client = counting_client(lambda n: {"keys": [rsa_jwk("k1")]})
    v = JWTValidator.from_config(mock_config(cache=True, cache_duration=120), http=client)
    await v.validate(token())
    await trio.sleep(119)
    await v.validate(token())
    assert calls == [1]
    await trio.sleep(2)
    assert isinstance(await v.validate(token()), Claims)
    assert calls == [2]


async def test_uncached_sets_are_kept_sixty_seconds(autojump_clock: trio.testing.MockClock) -> None:
    calls, client = counting_client(lambda n: {"keys": [rsa_jwk("k1")]})
    v = JWTValidator.from_config(mock_config(), http=client)
    await v.validate(token())
    await trio.sleep(59)
    await v.validate(token())
    assert calls == [1]
    await trio.sleep(2)
    await v.validate(token())
    assert calls == [2]


async def test_stale_keys_serve_while_the_idp_is_down(
    autojump_clock: trio.testing.MockClock,
) -> None:
    calls, client = counting_client(lambda n: {"keys": [rsa_jwk("k1")]}, fail=lambda n: n > 1)
    v = JWTValidator.from_config(mock_config(), http=client)
    await v.warm()
    await trio.sleep(61)
    assert isinstance(await v.validate(token()), Claims)  # expired, refresh failed: stale key
    assert calls == [2]
    await trio.sleep(5)
    assert isinstance(await v.validate(token()), Claims)
    assert calls == [2]  # a failed download is retried only after the cooldown
    await trio.sleep(6)
    assert isinstance(await v.validate(token()), Claims)
    assert calls == [3]


async def test_rotated_out_key_is_refused_after_refresh(
    autojump_clock: trio.testing.MockClock,
) -> None:
    calls, client = counting_client(
        lambda n: {"keys": [rsa_jwk("k1")]} if n == 1 else {"keys": [rsa_jwk("k2", "other")]}
    )
    v = JWTValidator.from_config(mock_config(), http=client)
    assert isinstance(await v.validate(token()), Claims)
    await trio.sleep(61)
    assert await v.validate(token()) == AuthRejection(401, "unknown key id")
    assert isinstance(await v.validate(token("k2", "other")), Claims)
    assert calls == [2]


async def test_no_keys_yet_retries_once_a_second(autojump_clock: trio.testing.MockClock) -> None:
    calls, client = counting_client(lambda n: {"keys": [rsa_jwk("k1")]}, fail=lambda n: n < 3)
    v = JWTValidator.from_config(mock_config(), http=client)
    for _ in range(5):
        assert (await v.validate(token())).status == 401  # type: ignore[union-attr]
    assert calls == [1]
    await trio.sleep(1)
    await v.validate(token())
    assert calls == [2]
    await trio.sleep(1)
    assert isinstance(await v.validate(token()), Claims)
    assert calls == [3]


async def test_cancelled_download_is_taken_over(autojump_clock: trio.testing.MockClock) -> None:
    calls = [0]

    async def handler(request: httpx.Request) -> httpx.Response:
        calls[0] += 1
        await trio.sleep(2)
        return httpx.Response(200, json={"keys": [rsa_jwk("k1")]})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    v = JWTValidator.from_config(mock_config(), http=client)
    results: list[object] = []

    async def impatient() -> None:
        with trio.move_on_after(1):
            results.append(await v.validate(token()))

    async def patient() -> None:
        await trio.sleep(0.5)
        results.append(await v.validate(token()))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(impatient)
        nursery.start_soon(patient)
    assert len(results) == 1 and isinstance(results[0], Claims)
    assert calls == [2]


async def test_run_refreshes_in_the_background(autojump_clock: trio.testing.MockClock) -> None:
    calls, client = counting_client(lambda n: {"keys": [rsa_jwk("k1")]})
    v = JWTValidator.from_config(mock_config(cache=True, cache_duration=100), http=client)
    async with trio.open_nursery() as nursery:
        await nursery.start(v.run)
        assert calls == [1]
        await trio.sleep(96)
        assert calls == [2]  # refreshed 5 s before expiry
        start = calls[0]
        for _ in range(30):
            assert isinstance(await v.validate(token()), Claims)
            await trio.sleep(10)
        assert calls[0] - start == 3  # only the refresher downloads
        nursery.cancel_scope.cancel()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


async def tls_server(nursery: trio.Nursery, ca: trustme.CA, tmp_path: Path) -> JWKSServer:
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    return await start_server(
        nursery,
        {"keys": [rsa_jwk("k1")]},
        certfile=str(tmp_path / "cert.pem"),
        keyfile=str(tmp_path / "key.pem"),
    )


def leaf_pin(server_cert_path: Path) -> str:
    certificate = x509.load_pem_x509_certificate(server_cert_path.read_bytes())
    spki = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return b64(hashlib.sha256(spki).digest())


async def test_https_with_jwk_local_ca_and_pins(
    nursery: trio.Nursery, ca: trustme.CA, tmp_path: Path
) -> None:
    server = await tls_server(nursery, ca, tmp_path)
    url = server.url.replace("http://", "https://")
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    shared = httpx.AsyncClient()
    plain = JWTValidator.from_config(config(jwk_url=url, disable_jwk_security=False), http=shared)
    assert (await plain.validate(token())).status == 401  # type: ignore[union-attr]
    trusted = JWTValidator.from_config(
        config(jwk_url=url, disable_jwk_security=False, jwk_local_ca=str(tmp_path / "ca.pem")),
        http=shared,
    )
    assert isinstance(await trusted.validate(token()), Claims)
    insecure = JWTValidator.from_config(config(jwk_url=url), http=shared)
    assert isinstance(await insecure.validate(token()), Claims)
    pin = leaf_pin(tmp_path / "cert.pem")
    pinned = JWTValidator.from_config(config(jwk_url=url, jwk_fingerprints=(pin,)), http=shared)
    assert isinstance(await pinned.validate(token()), Claims)
    wrong = JWTValidator.from_config(config(jwk_url=url, jwk_fingerprints=(b64(b"0" * 32),)))
    assert (await wrong.validate(token())).status == 401  # type: ignore[union-attr]
    # the unverified handshake sent no request; the mispinned answer was read but not trusted
    assert server.hits == 4
    for v in (plain, trusted, insecure, pinned, wrong):
        await v.aclose()
    assert not shared.is_closed  # a shared client belongs to its owner
    await shared.aclose()


async def test_download_failure_log_hides_url_credentials(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    _, client = counting_client(lambda n: {}, fail=lambda n: True)
    url = "https://user:hunter2@idp.test/jwks?api_key=s3cret"
    v = JWTValidator.from_config(config(jwk_url=url, disable_jwk_security=False), http=client)
    await v.warm()
    assert "https://idp.test/jwks" in caplog.text
    assert "hunter2" not in caplog.text and "s3cret" not in caplog.text


def hanging_client(seconds: float, document: Any) -> tuple[list[int], httpx.AsyncClient]:
    """A mock IdP answering `document` after `seconds` (past the 5 s download limit: never)."""
    calls = [0]

    async def handler(request: httpx.Request) -> httpx.Response:
        calls[0] += 1
        await trio.sleep(seconds)
        return httpx.Response(200, json=document)

    return calls, httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_a_cancelled_download_counts_for_the_back_off(
    autojump_clock: trio.testing.MockClock,
) -> None:
    # Without a background nursery the request downloads itself; when its deadline cancels the
    # download, the next request must not start another one at once (a tight loop).
    calls, client = hanging_client(100, {"keys": [rsa_jwk("k1")]})
    v = JWTValidator.from_config(mock_config(), http=client, key_wait=1.0)
    for _ in range(5):
        assert (await v.validate(token())).status == 401  # type: ignore[union-attr]
    assert calls == [1]
    await trio.sleep(1)
    await v.validate(token())
    assert calls == [2]


async def test_downloads_in_the_background_outlive_the_requests_that_gave_up(
    autojump_clock: trio.testing.MockClock, nursery: trio.Nursery
) -> None:
    background = Background()
    background.nursery = nursery
    calls, client = hanging_client(3, {"keys": [rsa_jwk("k1")]})
    v = JWTValidator.from_config(mock_config(), http=client, key_wait=1.0, spawner=background)
    outcomes: list[object] = []

    async def one() -> None:
        outcomes.append(await v.validate(token()))

    async with trio.open_nursery() as requests:
        for _ in range(10):
            requests.start_soon(one)
    expected = AuthRejection(401, "JWK set not available within the endpoint timeout")
    assert outcomes == [expected] * 10
    assert trio.current_time() == pytest.approx(1.0)
    assert calls == [1]
    await trio.sleep(2.5)  # the download ends at 3 s, for nobody in particular
    assert isinstance(await v.validate(token()), Claims)
    assert calls == [1] and v.statistics().downloads == 1


async def test_stale_keys_are_refreshed_without_waiting(
    autojump_clock: trio.testing.MockClock, nursery: trio.Nursery
) -> None:
    background = Background()
    background.nursery = nursery
    calls, client = hanging_client(2, {"keys": [rsa_jwk("k1")]})
    v = JWTValidator.from_config(mock_config(), http=client, spawner=background)
    await v.warm()
    assert calls == [1]
    await trio.sleep(61)  # stale
    started = trio.current_time()
    assert isinstance(await v.validate(token()), Claims)
    assert trio.current_time() == started  # served from the stale key, not after the download
    await trio.sleep(3)
    assert calls == [2] and v.statistics().downloads == 2


async def test_an_unexpected_download_error_is_one_warning(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture, nursery: trio.Nursery
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("something odd")

    background = Background()
    background.nursery = nursery  # an error there would crash the server's lifespan nursery
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    v = JWTValidator.from_config(mock_config(), http=client, spawner=background)
    assert await v.validate(token()) == AuthRejection(401, "unknown key id")
    assert "download failed (RuntimeError: something odd); no keys yet" in caplog.text
    assert "Traceback" not in caplog.text
    assert v.statistics().failures == 1


async def test_a_hanging_idp_is_given_up_after_five_seconds_then_backed_off(
    autojump_clock: trio.testing.MockClock, caplog: pytest.LogCaptureFixture, nursery: trio.Nursery
) -> None:
    background = Background()
    background.nursery = nursery
    calls, client = hanging_client(100, {"keys": [rsa_jwk("k1")]})
    v = JWTValidator.from_config(mock_config(), http=client, key_wait=2.0, spawner=background)
    for _ in range(3):  # t = 0, 2, 4: all wait for the one download, given up at 5 s
        assert (await v.validate(token())).status == 401  # type: ignore[union-attr]
    assert trio.current_time() == pytest.approx(5.0)
    assert "download failed (no answer within 5 s); no keys yet" in caplog.text
    assert calls == [1] and v.statistics().failures == 1
    assert await v.validate(token()) == AuthRejection(401, "unknown key id")  # backing off
    assert calls == [1]
    await trio.sleep(1)  # t = 6: one more attempt
    await v.validate(token())
    assert calls == [2]
