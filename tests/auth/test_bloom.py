"""auth/bloom.py against krakend/bloomfilter v2: the sizes (bloomfilter.go M and K), the hash
words (hasher.go, golden values printed by a Go program using the same stdlib hashes and
HashWrapper), the false-positive rate, and rotate.go's three filters under a fake clock."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.auth.bloom import (
    BitFilter,
    RotatingFilter,
    crc64_ecma,
    hasher,
    optimal_k,
    optimal_m,
)


@pytest.mark.parametrize(
    ("n", "p", "m", "k"),
    [
        # Go: bloomfilter.M(n, p), bloomfilter.K(M, n)
        (10_000_000, 1e-7, 335_477_044, 24),
        (100, 0.01, 959, 7),
        (2, 0.5, 3, 2),  # EmptyConfig
        (1000, 0.001, 14_378, 10),
        (1, 0.5, 2, 2),
        (100_000_000, 1e-9, 4_313_276_270, 30),
    ],
)
def test_sizes_are_krakends(n: int, p: float, m: int, k: int) -> None:
    assert optimal_m(n, p) == m
    assert optimal_k(m, n) == k


JTI = b"jti-mnb23vcsrt756yuiomnbvcx98ertyuiop"
# Go: HashWrapper(md5.New()), crc64 ECMA, sha1, fnv.New64, fnv.New128 of each input, in order
DEFAULT_WORDS = {
    b"": [
        338333539836370388,
        9098107892288553193,
        0,
        957977401221134810,
        10383155137991365938,
        2676020557754725067,
        4756288320993452652,
        10215735579864316002,
    ],
    b"a": [
        12157170054180749580,
        7000413967451013937,
        372502644436238899,
        18205702512766678918,
        16927600233408191969,
        13742454464269083567,
        12649514111173601490,
        2167439021421859192,
    ],
    JTI: [
        4243149171783893580,
        15887219658813458804,
        16804260981372781830,
        3937854614214617965,
        7718024284142334056,
        10778056804748303745,
        4056009378109575275,
        9045473219595845472,
    ],
}
# Go: OptimalHashFactory(4)[0](input): FNV-128 words h0 + i*h1, uint64 wrap-around
OPTIMAL_WORDS = {
    b"": [
        4756288320993452652,
        14972023900857768654,
        6741015407012533040,
        16956750986876849042,
    ],
    JTI: [
        4056009378109575275,
        13101482597705420747,
        3700211743591714603,
        12745684963187560075,
    ],
}


@pytest.mark.parametrize("data", list(DEFAULT_WORDS))
def test_default_hashers_are_krakends(data: bytes) -> None:
    assert hasher("default", 5)(data) == DEFAULT_WORDS[data]
    assert hasher("default", 24)(data) == DEFAULT_WORDS[data]  # at most the five hashes
    # k = 2: MD5 and CRC-64 only (DefaultHashFactory's defaultHashers[:k])
    assert hasher("default", 2)(data) == DEFAULT_WORDS[data][:3]


@pytest.mark.parametrize("data", list(OPTIMAL_WORDS))
def test_optimal_hasher_is_krakends(data: bytes) -> None:
    assert hasher("optimal", 4)(data) == OPTIMAL_WORDS[data]


def test_crc64_check_value() -> None:
    assert crc64_ecma(b"123456789") == 0x995DC9BBDF1939FA  # CRC-64/XZ's check value


def test_unknown_hash_name() -> None:
    with pytest.raises(ValueError, match="unknown hash_name"):
        hasher("murmur", 3)


@pytest.mark.parametrize(("hash_name", "n", "p"), [("optimal", 2000, 0.01), ("default", 500, 0.05)])
def test_false_positive_rate(hash_name: str, n: int, p: float) -> None:
    """N elements in, 20000 others out: the observed rate stays near P (bounded, seeded).
    The default set uses at most 8 positions whatever K says, so its bound is looser."""
    rng = random.Random(1234)
    bloom = RotatingFilter(n, p, hash_name, ttl=60, clock=lambda: 0.0)
    added = [rng.randbytes(16) for _ in range(n)]
    for item in added:
        bloom.add(item)
    assert all(bloom.check(item) for item in added)  # never a false negative
    trials = 20_000
    false = sum(bloom.check(b"other-" + rng.randbytes(16)) for _ in range(trials))
    assert false / trials < 2 * p
    assert false > 0 or p * trials < 5  # the filter is not trivially empty-answering


def test_an_empty_filter_answers_no() -> None:
    bloom = RotatingFilter(100, 0.01, "optimal", ttl=10, clock=lambda: 0.0)
    assert not bloom.check(b"jti-x")


def test_rotation_keeps_an_element_two_to_three_ttls() -> None:
    """rotate.go: added to current and next, checked in previous and current."""
    now = [0.0]
    bloom = RotatingFilter(100, 0.001, "optimal", ttl=10, clock=lambda: now[0])
    now[0] = 5.0
    bloom.add(b"jti-a")
    for t, seen in [(9.9, True), (10.0, True), (25.0, True), (29.9, True), (30.0, False)]:
        now[0] = t
        assert bloom.check(b"jti-a") is seen, t


def test_rotation_after_a_long_silence_forgets() -> None:
    now = [0.0]
    bloom = RotatingFilter(100, 0.001, "default", ttl=10, clock=lambda: now[0])
    bloom.add(b"jti-a")
    now[0] = 1000.0
    assert not bloom.check(b"jti-a")
    bloom.add(b"jti-b")
    assert bloom.check(b"jti-b")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=30), st.sampled_from(["default", "optimal"]))
def test_no_false_negatives(items: list[bytes], hash_name: str) -> None:
    bloom = RotatingFilter(50, 0.01, hash_name, ttl=10, clock=lambda: 0.0)
    for item in items:
        bloom.add(item)
    assert all(bloom.check(item) for item in items)


def test_bit_filter_fill() -> None:
    bits = BitFilter(16)
    bits.add([0, 3, 15])
    assert bits.check([0, 15]) and not bits.check([0, 1])
    assert bits.fill() == 3 / 16
