"""`Content-Encoding: gzip` undone with a bound on the output (encoding/gunzip.py)."""

from __future__ import annotations

import gzip
import itertools
import tracemalloc
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trio_gateway.encoding.gunzip import (
    MAX_GUNZIPPED_BYTES,
    Gunzip,
    GunzipTooLarge,
    gunzip,
    is_gzip,
)
from trio_gateway.errors import BackendDecodeError

MiB = 1024 * 1024

# Random bytes (gzip stores them) and repetitions (gzip's matches, long outputs per input byte).
DATA = st.one_of(
    st.binary(max_size=20_000),
    st.builds(lambda piece, n: piece * n, st.binary(min_size=1, max_size=40), st.integers(1, 3000)),
)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` in pieces of the sizes in `cuts` (cycled), the remainder last."""
    pieces, start = [], 0
    for size in itertools.cycle(cuts) if cuts else ():
        if start >= len(data):
            break
        pieces.append(data[start : start + size])
        start += size
    pieces.append(data[start:])
    return pieces


def _inflate(packed: bytes, limit: int, cuts: list[int], budget: int) -> bytes:
    """Feed `packed` in pieces, reading in `budget`-sized steps after each one."""
    inflater = Gunzip(limit)
    out = []
    for piece in _split(packed, cuts):
        inflater.feed(piece)
        while chunk := inflater.read(budget):
            assert len(chunk) <= budget
            out.append(chunk)
    inflater.finish()
    assert inflater.size == sum(map(len, out))
    return b"".join(out)


def _bomb(size: int) -> bytes:
    """`size` zero bytes gzipped, built without holding them (1000:1 and better)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MiB)
    parts = [packer.compress(block) for _ in range(size // MiB)]
    return b"".join([*parts, packer.flush()])


@settings(max_examples=150, deadline=None)
@given(
    data=DATA,
    level=st.integers(0, 9),
    cuts=st.lists(st.integers(1, 3000), max_size=8),
    budget=st.integers(1, 70_000),
    slack=st.integers(0, 100),
)
def test_any_chunking_gives_zlibs_result_within_the_limit(
    data: bytes, level: int, cuts: list[int], budget: int, slack: int
) -> None:
    packed = gzip.compress(data, compresslevel=level)
    assert _inflate(packed, len(data) + slack, cuts, budget) == zlib.decompress(packed, 31)


@settings(max_examples=150, deadline=None)
@given(
    data=DATA.filter(bool),
    level=st.integers(0, 9),
    cuts=st.lists(st.integers(1, 3000), max_size=8),
    budget=st.integers(1, 70_000),
    short=st.integers(1, 100),
)
def test_past_the_limit_is_always_refused(
    data: bytes, level: int, cuts: list[int], budget: int, short: int
) -> None:
    limit = max(len(data) - short, 0)
    inflater = Gunzip(limit)
    with pytest.raises(GunzipTooLarge, match=f"expands beyond {limit} bytes") as info:
        for piece in _split(gzip.compress(data, compresslevel=level), cuts):
            inflater.feed(piece)
            while inflater.read(budget):
                pass
        inflater.finish()
    assert info.value.limit == limit
    assert inflater.size == limit + 1  # stopped at the first byte too many


@settings(max_examples=60, deadline=None)
@given(
    members=st.lists(DATA, min_size=1, max_size=4),
    cuts=st.lists(st.integers(1, 3000), max_size=8),
    budget=st.integers(1, 70_000),
)
def test_concatenated_members_are_one_stream(
    members: list[bytes], cuts: list[int], budget: int
) -> None:
    # RFC 1952 §2.2; Go's gzip.Reader reads them as one ("multistream", its default).
    packed = b"".join(gzip.compress(m) for m in members)
    assert _inflate(packed, MAX_GUNZIPPED_BYTES, cuts, budget) == b"".join(members)


def test_a_bomb_is_refused_having_inflated_no_more_than_the_limit() -> None:
    bomb = _bomb(100 * MiB)
    assert len(bomb) < 200 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(GunzipTooLarge):
            gunzip(bomb, 2 * MiB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 6 * MiB  # the 2 MiB kept and a step of 1 MiB, not 100 MiB


def test_the_default_limit_is_the_bound_on_received_bodies() -> None:
    from trio_gateway.edge.app import MAX_BACKEND_BODY

    assert MAX_GUNZIPPED_BYTES == MAX_BACKEND_BODY == 64 * MiB
    with pytest.raises(GunzipTooLarge, match=f"beyond {64 * MiB} bytes"):
        gunzip(_bomb(65 * MiB))


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", "gzip: unexpected EOF"),
        (gzip.compress(b"0" * 500)[:-10], "gzip: unexpected EOF"),  # truncated
        (b"not gzip at all", "gzip: Error -3 .*incorrect header check"),
        # the CRC-32 of the trailer changed
        (gzip.compress(b"abc")[:-8] + b"\0\0\0\0" + gzip.compress(b"abc")[-4:], "incorrect data"),
        (gzip.compress(b"a") + gzip.compress(b"b")[:-3], "gzip: unexpected EOF"),  # 2nd member
    ],
)
def test_bad_streams_are_decode_errors(body: bytes, error: str) -> None:
    with pytest.raises(BackendDecodeError, match=error):
        gunzip(body)


@pytest.mark.parametrize("trailing", [b"\0", b"\0\0\0\0", b"garbage after the member", b"\x1f"])
def test_bytes_after_the_last_member_are_ignored(trailing: bytes) -> None:
    assert gunzip(gzip.compress(b"data") + trailing) == b"data"


def test_a_member_may_start_across_feeds() -> None:
    first, second = gzip.compress(b"one"), gzip.compress(b"two")
    inflater = Gunzip(100)
    inflater.feed(first + second[:1])
    assert inflater.read() == b"one"
    assert inflater.read() == b""  # one byte of the next member: not yet known to be one
    inflater.feed(second[1:])
    assert inflater.read() == b"two"
    inflater.finish()


def test_empty_content_fits_a_zero_limit() -> None:
    assert gunzip(gzip.compress(b""), 0) == b""
    with pytest.raises(GunzipTooLarge):
        gunzip(gzip.compress(b"x"), 0)


def test_misuse_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="limit"):
        Gunzip(-1)
    with pytest.raises(ValueError, match="budget"):
        Gunzip().read(0)
    inflater = Gunzip()
    inflater.feed(gzip.compress(b"x" * 10_000))
    assert len(inflater.read(10)) == 10
    with pytest.raises(RuntimeError, match="before read"):
        inflater.finish()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"gzip", True),
        (b"GZip", True),
        (b" gzip ", True),
        (None, False),
        (b"", False),
        (b"br", False),  # lura undoes gzip only
        (b"deflate", False),
        (b"x-gzip", False),
        (b"gzip, br", False),  # two codings: lura compares the whole value with "gzip"
    ],
)
def test_which_codings_are_undone(value: bytes | None, expected: bool) -> None:
    assert is_gzip(value) is expected
