"""A small trio-native HTTP/1.1 client (llhttp via httptools): the gateway's path to its backends.

It is what the gateway calls once per backend per request, so it does only that job: per-origin
keep-alive pools, one retry on a stale pooled connection, Go-style redirects, buffered or streamed
bodies, errors translated into one `TransportError` family. It is not a general client: no
cookies, proxies, HTTP/2, decompression or per-request timeouts (the caller's cancel scopes set
the deadlines). httpx stays the tool for admin and JWKS calls.

Layout (one job per module): `origin` (pool keys, URL splitting), `dns` (resolver cache),
`connect` (TCP + TLS), `request` (the request head), `connection` (one connection and its
parser), `pool` (idle lists), `redirects`, `response`, `client` (`HTTPClient`), `errors`.
"""

from __future__ import annotations

from .client import HTTPClient as HTTPClient
from .errors import ConnectError as ConnectError
from .errors import ConnectTimeout as ConnectTimeout
from .errors import NetworkError as NetworkError
from .errors import ReadError as ReadError
from .errors import RemoteProtocolError as RemoteProtocolError
from .errors import ResponseTooLarge as ResponseTooLarge
from .errors import TooManyRedirects as TooManyRedirects
from .errors import TransportError as TransportError
from .errors import WriteError as WriteError
from .origin import Origin as Origin
from .origin import split_url as split_url
from .pool import ClientStatistics as ClientStatistics
from .pool import OriginStatistics as OriginStatistics
from .response import BackendResponse as BackendResponse
from .response import StreamingResponse as StreamingResponse

__all__ = [
    "BackendResponse",
    "ClientStatistics",
    "ConnectError",
    "ConnectTimeout",
    "HTTPClient",
    "NetworkError",
    "Origin",
    "OriginStatistics",
    "ReadError",
    "RemoteProtocolError",
    "ResponseTooLarge",
    "StreamingResponse",
    "TooManyRedirects",
    "TransportError",
    "WriteError",
    "split_url",
]
