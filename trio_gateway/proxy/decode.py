"""A backend's 200/201 body to response data: gunzip, decode with the backend `encoding`, format.

lura's order (`proxy/http_response.go`, then the entity formatter): gunzip when the backend says
`Content-Encoding: gzip`, decode, manipulate. The work grows with the body, so a big body is
done in a worker thread (`trio.to_thread`) instead of on the event loop, where it would hold up
every other request of the process for as long as it takes. Small bodies stay inline: a thread
hop costs 50-200 µs. The rule is to do inline what takes up to 1-2 ms (10 hops or more), which
`benchmarks/bench_decode.py` measured as, per kind of work:

- gunzip: the first `GUNZIP_INLINE_BYTES` of output (1 MiB); the rest, and then the decoding
  and the formatting, in a thread. What counts is the size a body expands to: a 100 KiB bomb is
  100 MiB of work.
- decoding and formatting: from `OFFLOAD_BYTES` (256 KiB) of (gunzipped) body for JSON (and
  safejson and unknown encodings, which decode as JSON), from 8 KiB for `xml` and `rss`
  (Python-level SAX handlers and feed walking, 20-60 times slower per byte); never for `string`
  and `no-op`, whose decoding is about a copy.

A thread frees the loop as far as the work lets go of the GIL: zlib does, the Python-level
decoders (`xml`, `rss`, the formatter's loops) are interrupted every `sys.getswitchinterval()`,
but one call into orjson (`json`, `safejson`) holds it to the end. For those the bound on the
body size is what bounds the stall (5-40 ms per MiB of JSON on the benchmark machine).

A body that expands past `MAX_GUNZIPPED_BYTES` fails the backend call exactly as a body received
past `MAX_BACKEND_BODY` does: `BackendUnavailable`, with the transport's wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import trio

from trio_gateway.encoding import gunzip as gunzip_module
from trio_gateway.encoding.decode import Decoder, decode_noop, decode_string
from trio_gateway.encoding.gunzip import Gunzip, GunzipTooLarge, is_gzip
from trio_gateway.encoding.rss_codec import decode_rss
from trio_gateway.encoding.xml_codec import decode_xml
from trio_gateway.errors import BackendUnavailable
from trio_gateway.transport import BackendResponse, ResponseTooLarge

if TYPE_CHECKING:
    from trio_gateway.proxy.backend import BackendCall

__all__ = [
    "DECODE_THREADS",
    "GUNZIP_INLINE_BYTES",
    "OFFLOAD_BYTES",
    "decode_answer",
    "offload_from",
]

# Where a thread starts to pay, measured with benchmarks/bench_decode.py (docs/performance.md).
GUNZIP_INLINE_BYTES = 1024 * 1024
OFFLOAD_BYTES = 256 * 1024
_OFFLOAD_FROM: Mapping[Decoder, int | None] = {
    decode_xml: 8 * 1024,
    decode_rss: 8 * 1024,
    decode_string: None,
    decode_noop: None,
}
# Threads decoding at once (per process). The GIL lets about one of them run at a time, so more
# would not be faster; they would only hold more big bodies in memory together. A request past
# them waits its turn (its deadline still runs), and trio's default threads (DNS) stay free.
DECODE_THREADS = 2

Data = dict[str, Any] | None

_LIMITER: trio.lowlevel.RunVar[trio.CapacityLimiter] = trio.lowlevel.RunVar(
    "trio_gateway.decode_threads"
)


def _limiter() -> trio.CapacityLimiter:
    """One limiter per trio run (a trio object cannot outlive its run)."""
    try:
        return _LIMITER.get()
    except LookupError:
        limiter = trio.CapacityLimiter(DECODE_THREADS)
        _LIMITER.set(limiter)
        return limiter


async def decode_answer(call: BackendCall, answer: BackendResponse) -> tuple[Data, bytes]:
    """The response data of a 200/201 answer, and its body as decoded (gunzipped).

    Raises:
        BackendDecodeError: the body is not valid gzip, or does not decode with `call.decoder`.
        BackendUnavailable: the body expands past `MAX_GUNZIPPED_BYTES`.
    """
    body = answer.body
    inflater = None
    try:
        if is_gzip(answer.header(b"content-encoding")):
            inflater = Gunzip(gunzip_module.MAX_GUNZIPPED_BYTES)
            inflater.feed(body)
            body = inflater.read(GUNZIP_INLINE_BYTES)
            if len(body) < GUNZIP_INLINE_BYTES:  # the input is used up: all of it inflated
                inflater.finish()
                inflater = None
        if inflater is None:
            threshold = offload_from(call.decoder)
            if threshold is None or len(body) < threshold:
                return _decode(call, body, None)
        return await trio.to_thread.run_sync(
            _decode,
            call,
            body,
            inflater,
            limiter=_limiter(),
            # A deadline or a gone client ends the request at once; the thread finishes on its
            # own (bounded work) and its result is dropped.
            abandon_on_cancel=True,
        )
    except GunzipTooLarge as exc:
        too_large = ResponseTooLarge(
            f"response body exceeds {exc.limit} bytes once gunzipped",
            method=call.method,
            url=answer.url,
        )
        raise BackendUnavailable(str(too_large)) from exc


def offload_from(decoder: Decoder) -> int | None:
    """The body size from which `decoder` runs in a thread; None: never (gunzip aside)."""
    return _OFFLOAD_FROM.get(decoder, OFFLOAD_BYTES)


def _decode(call: BackendCall, body: bytes, inflater: Gunzip | None) -> tuple[Data, bytes]:
    """Inflate the rest (if any), decode, format: the part that may run in a thread."""
    if inflater is not None:
        pieces = [body]
        while piece := inflater.read():
            pieces.append(piece)
        inflater.finish()
        body = b"".join(pieces)
    data = call.decoder(body, call.is_collection)
    if call.formatter is not None:
        data = call.formatter(data)
    return data, body
