"""The Bloom filter of `auth/revoker`, as krakend/bloomfilter v2 builds it (`bloomfilter.go`,
`hasher.go`, `bloomfilter/bloomfilter.go`, `rotate/rotate.go`), bit for bit where it matters:

* size: `M(n, p) = ceil(-(n ln p) / ln(2^ln 2))` bits and `K(m, n) = ceil(ln 2 * m / n)` hashes,
  with Go's float operations in the same order (`bloomfilter.go` M and K);
* positions: each hash's digest read as little-endian uint64 words (`HashWrapper`), each word
  modulo `m`. `default` uses the first `min(k, 5)` of MD5, CRC-64 (ECMA), SHA-1, FNV-1 64 and
  FNV-1 128, every word of each digest (MD5 two, CRC-64 one, SHA-1 two of its 20 bytes, FNV-64
  one, FNV-128 two); `optimal` is one FNV-1 128 giving `k` positions `h0 + i*h1` (uint64
  wrap-around, `OptimalHashFactory`);
* rotation (`rotate.go`): three filters, `previous`, `current` and `next`; an element is added
  to `current` and `next`, checked in `previous` and `current`; every `TTL` seconds previous <-
  current <- next <- empty. An element is therefore seen for two to three TTLs.

No PyPI Bloom filter reproduces this hashing (they use murmur/xxhash with their own layouts), and
the positions are what a Redis-held filter shared with other processes must agree on: the
filter is this module's (a bytearray), the digests are hashlib's plus CRC-64 and FNV here.
The rotation is driven by a clock read on each use (generation = floor(clock / TTL)), not by a
ticker: the same code rotates an in-process filter from its start, as KrakenD's ticker does,
and names the Redis keys of a shared one by wall-clock generation (revoker_redis.py).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from typing import Final

__all__ = [
    "HASH_NAMES",
    "BitFilter",
    "Hasher",
    "RotatingFilter",
    "crc64_ecma",
    "fnv1_64",
    "fnv1_128",
    "hasher",
    "optimal_k",
    "optimal_m",
]

_U64: Final = (1 << 64) - 1
HASH_NAMES: Final = ("default", "optimal")


def optimal_m(n: int, p: float) -> int:
    """bloomfilter.go `M`: the bits for `n` elements at false-positive rate `p`."""
    return math.ceil(-(float(n) * math.log(p)) / math.log(math.pow(2.0, math.log(2.0))))


def optimal_k(m: int, n: int) -> int:
    """bloomfilter.go `K`: the number of hash functions for `m` bits and `n` elements."""
    return math.ceil(math.log(2.0) * float(m) / float(n))


def _crc64_table() -> tuple[int, ...]:
    # Go hash/crc64 makeTable(ECMA): the reflected polynomial 0xC96C5795D7870F42.
    poly = 0xC96C5795D7870F42
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC64: Final = _crc64_table()


def crc64_ecma(data: bytes) -> int:
    """Go's `crc64.Checksum(data, crc64.MakeTable(crc64.ECMA))` (CRC-64/XZ)."""
    crc = _U64
    table = _CRC64
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ _U64


def fnv1_64(data: bytes) -> int:
    """Go's `fnv.New64()`: FNV-1 (multiply, then xor), 64 bits."""
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h * 0x100000001B3) & _U64) ^ byte
    return h


_U128: Final = (1 << 128) - 1


def fnv1_128(data: bytes) -> int:
    """Go's `fnv.New128()`: FNV-1, 128 bits."""
    h = 0x6C62272E07BB014262B821756295C58D
    for byte in data:
        h = ((h * 0x0000000001000000000000000000013B) & _U128) ^ byte
    return h


def _words(digest: bytes) -> list[int]:
    """hasher.go `HashWrapper`: whole 8-byte words of the digest, each little-endian."""
    return [int.from_bytes(digest[i : i + 8], "little") for i in range(0, len(digest) // 8 * 8, 8)]


def _md5(data: bytes) -> list[int]:
    return _words(hashlib.md5(data, usedforsecurity=False).digest())


def _crc64(data: bytes) -> list[int]:
    return _words(crc64_ecma(data).to_bytes(8, "big"))  # Go's Sum appends big-endian


def _sha1(data: bytes) -> list[int]:
    return _words(hashlib.sha1(data, usedforsecurity=False).digest())


def _fnv64(data: bytes) -> list[int]:
    return _words(fnv1_64(data).to_bytes(8, "big"))


def _fnv128(data: bytes) -> list[int]:
    return _words(fnv1_128(data).to_bytes(16, "big"))


_DEFAULT_HASHERS: Final = (_md5, _crc64, _sha1, _fnv64, _fnv128)

Hasher = Callable[[bytes], list[int]]


def hasher(name: str, k: int) -> Hasher:
    """The words an element sets (before `% m`): hasher.go's `HashFactoryNames[name](k)`, all
    its hash functions' outputs in order. ValueError for a name KrakenD does not have (its
    lookup of an unknown name is a nil function: a panic)."""
    if name == "default":
        chosen = _DEFAULT_HASHERS[: min(k, len(_DEFAULT_HASHERS))]

        def default(data: bytes) -> list[int]:
            return [word for h in chosen for word in h(data)]

        return default
    if name == "optimal":

        def optimal(data: bytes) -> list[int]:
            h0, h1 = _fnv128(data)
            return [(h0 + i * h1) & _U64 for i in range(k)]

        return optimal
    raise ValueError(f"unknown hash_name {name!r}: one of {', '.join(HASH_NAMES)}")


class BitFilter:
    """One Bloom filter (bloomfilter/bloomfilter.go): `m` bits, the positions of `positions`."""

    __slots__ = ("_bits", "m")

    def __init__(self, m: int) -> None:
        self.m = m
        self._bits = bytearray((m + 7) // 8)

    def add(self, positions: Sequence[int]) -> None:
        bits = self._bits
        for pos in positions:
            bits[pos >> 3] |= 1 << (pos & 7)

    def check(self, positions: Sequence[int]) -> bool:
        bits = self._bits
        return all(bits[pos >> 3] & (1 << (pos & 7)) for pos in positions)

    def fill(self) -> float:
        """The share of bits set (bloomfilter.go `Capacity`)."""
        return sum(bin(b).count("1") for b in self._bits) / self.m


class RotatingFilter:
    """rotate.go's three filters, rotated by generation of `clock()` (seconds) over `ttl`."""

    __slots__ = ("_clock", "_filters", "_generation", "_hash", "k", "m", "ttl")

    def __init__(
        self, n: int, p: float, hash_name: str, ttl: float, clock: Callable[[], float]
    ) -> None:
        self.m = optimal_m(n, p)
        self.k = optimal_k(self.m, n)
        self._hash = hasher(hash_name, self.k)
        self.ttl = ttl
        self._clock = clock
        self._generation = self._now()
        # previous, current, next
        self._filters = [BitFilter(self.m), BitFilter(self.m), BitFilter(self.m)]

    def _now(self) -> int:
        return int(self._clock() // self.ttl)

    def positions(self, element: bytes) -> list[int]:
        m = self.m
        return [word % m for word in self._hash(element)]

    def _rotate(self) -> list[BitFilter]:
        ahead = self._now() - self._generation
        if ahead > 0:
            self._generation += ahead
            kept = self._filters[min(ahead, 3) :]
            self._filters = kept + [BitFilter(self.m) for _ in range(3 - len(kept))]
        return self._filters

    def add(self, element: bytes) -> None:
        _, current, following = self._rotate()
        positions = self.positions(element)
        following.add(positions)
        current.add(positions)

    def check(self, element: bytes) -> bool:
        previous, current, _ = self._rotate()
        positions = self.positions(element)
        return previous.check(positions) or current.check(positions)
