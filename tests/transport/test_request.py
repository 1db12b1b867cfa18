"""The request head is serialized by hand: whatever it accepts must read back the same in h11."""

from __future__ import annotations

import h11
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trio_gateway.transport import Origin
from trio_gateway.transport.request import build_request, is_replayable

ORIGIN = Origin("http", "127.0.0.1", 8080)

names = st.one_of(
    st.sampled_from([b"accept", b"X-Api-Key", b"content-type", b"connection"]),
    st.binary(min_size=0, max_size=12),
)
values = st.one_of(st.text(max_size=20).map(lambda t: t.encode()), st.binary(max_size=20))
headers = st.lists(st.tuples(names, values), max_size=6)
targets = st.one_of(
    st.sampled_from([b"/", b"/users/1?x=1&y=%20", b"*"]), st.binary(min_size=0, max_size=16)
)
methods = st.one_of(st.sampled_from([b"GET", b"POST", b"HEAD"]), st.binary(max_size=8))


def parse_back(data: bytes) -> h11.Request:
    server = h11.Connection(h11.SERVER)
    server.receive_data(data)
    event = server.next_event()
    assert isinstance(event, h11.Request)
    return event


@given(method=methods, target=targets, header_list=headers, body=st.binary(max_size=8))
def test_accepted_heads_read_back_unchanged(
    method: bytes, target: bytes, header_list: list[tuple[bytes, bytes]], body: bytes
) -> None:
    try:
        head = build_request(ORIGIN, method, target, header_list, body)
    except ValueError:
        return
    event = parse_back(head.data)
    assert (event.method, event.target) == (method, target)
    # h11 lower-cases names and strips surrounding whitespace from values.
    assert list(event.headers) == [(n.lower(), v.strip(b" \t")) for n, v in head.headers]
    assert event.headers[0] == (b"host", b"127.0.0.1:8080")


@pytest.mark.parametrize(
    ("method", "target", "header_list"),
    [
        (b"GE T", b"/", []),
        (b"", b"/", []),
        (b"GET", b"/a b", []),
        (b"GET", b"/a\r\nx: y", []),
        (b"GET", b"", []),
        (b"GET", "/é".encode(), []),
        (b"GET", b"/", [(b"x", b"a\r\nInjected: 1")]),
        (b"GET", b"/", [(b"x", b"a\nb")]),
        (b"GET", b"/", [(b"x y", b"1")]),
        (b"GET", b"/", [(b"", b"1")]),
        (b"POST", b"/", [(b"content-length", b"3")]),
        (b"POST", b"/", [(b"content-length", b"0"), (b"Content-Length", b"3")]),
    ],
)
def test_rejected_heads(
    method: bytes, target: bytes, header_list: list[tuple[bytes, bytes]]
) -> None:
    with pytest.raises(ValueError, match=r"invalid request|does not match"):
        build_request(ORIGIN, method, target, header_list, b"")


def test_host_transfer_encoding_and_length_are_ours() -> None:
    head = build_request(
        ORIGIN,
        b"POST",
        b"/",
        [(b"Host", b"evil"), (b"Transfer-Encoding", b"chunked"), (b"x", b"1")],
        b"abc",
    )
    assert head.data == (
        b"POST / HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nx: 1\r\ncontent-length: 3\r\n\r\n"
    )
    assert not head.close


def test_connection_close_is_noticed_and_replayability() -> None:
    assert build_request(ORIGIN, b"GET", b"/", [(b"Connection", b"Close")], b"").close
    assert is_replayable(build_request(ORIGIN, b"GET", b"/", [], b""))
    post = build_request(ORIGIN, b"POST", b"/", [], b"")
    assert not is_replayable(post)
    keyed = build_request(ORIGIN, b"POST", b"/", [(b"Idempotency-Key", b"k")], b"")
    assert is_replayable(keyed)


def test_one_content_length_goes_out() -> None:
    head = build_request(
        ORIGIN, b"POST", b"/", [(b"Content-Length", b"3"), (b"content-length", b" 3 ")], b"abc"
    )
    assert head.data.lower().count(b"content-length") == 1
    assert head.data.endswith(b"content-length: 3\r\n\r\n")
    # A GET whose caller says "0" still says so (it did before).
    get = build_request(ORIGIN, b"GET", b"/", [(b"Content-Length", b"0")], b"")
    assert get.data.endswith(b"content-length: 0\r\n\r\n")
