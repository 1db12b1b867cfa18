"""The ways a backend call can fail below HTTP semantics.

```
TransportError                  base: every failure `HTTPClient` raises on purpose
├── ConnectError                DNS lookup, TCP connect or TLS handshake failed
│   └── ConnectTimeout          `connect_timeout` ran out (the caller's own scopes just cancel)
├── NetworkError                an established connection broke
│   ├── ReadError               ... while waiting for or reading the response
│   └── WriteError              ... while sending the request
├── RemoteProtocolError         malformed response, or closed before the response was complete
├── TooManyRedirects            more than `max_redirects` redirects
└── ResponseTooLarge            the body exceeded `max_response_bytes`
```

Error handling: the client translates trio, OSError and h11 errors into these at its boundary
(`raise ReadError(...) from exc`), so callers catch one family and still find the original as
`__cause__`. `trio.Cancelled` is never caught or translated: a cancelled call raises `Cancelled`.

`str(error)` reads like Go's `url.Error` (`Get "http://host/path": connection refused`) once the
client has filled in `method` and `url`, because KrakenD shows that text in its error responses.
"""

from __future__ import annotations

__all__ = [
    "ConnectError",
    "ConnectTimeout",
    "NetworkError",
    "ReadError",
    "RemoteProtocolError",
    "ResponseTooLarge",
    "TooManyRedirects",
    "TransportError",
    "WriteError",
]


class TransportError(Exception):
    """Base of every failure raised by `HTTPClient`.

    Attributes:
        message: What went wrong, without the request line.
        method: The request method of the failing hop (`"GET"`), empty until the client sets it.
        url: The URL of the failing hop, empty until the client sets it.
    """

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url

    def __str__(self) -> str:
        if not self.url:
            return self.message
        # Go's url.Error spells the operation "Get", "Post": keep that so messages match KrakenD's.
        op = self.method[:1] + self.method[1:].lower()
        return f'{op} "{self.url}": {self.message}'


class ConnectError(TransportError):
    """No connection could be opened (DNS, TCP connect, TLS handshake)."""


class ConnectTimeout(ConnectError):
    """The client's `connect_timeout` expired while opening a connection."""


class NetworkError(TransportError):
    """An established connection failed while in use."""


class ReadError(NetworkError):
    """Receiving from the backend failed (reset, broken TLS)."""


class WriteError(NetworkError):
    """Sending the request failed (reset, broken pipe)."""


class RemoteProtocolError(TransportError):
    """The backend broke HTTP/1.1: malformed bytes, or it closed before the response ended."""


class TooManyRedirects(TransportError):
    """The redirect chain was longer than `max_redirects`."""


class ResponseTooLarge(TransportError):
    """The response body was longer than `max_response_bytes`."""
