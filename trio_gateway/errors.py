"""The errors a request can end in, and the status each one asks for.

```
GatewayError (abstract)                 status_hint
├── ClientError                         400   the request itself is wrong (e.g. encoded url params)
└── BackendError                        500   lura DefaultToHTTPError
    ├── BackendTimeout                        the backend's share of the endpoint timeout ran out
    ├── BackendUnavailable                    connect / read / protocol failure, no hosts
    ├── BackendDecodeError                    the body does not decode with the backend `encoding`
    ├── BackendStatusError(status)            not 200/201; status reaches the client only with
    │                                         `backend/http.return_error_code`
    └── MergeError(errors)                    no backend of an endpoint produced data
```

Only the ASGI edge renders these (`trio_gateway.edge`); the text of an error reaches a client
only when the operator turns on `router.return_error_msg`, as in KrakenD. Bugs (TypeError and
friends) are not GatewayErrors: they propagate, are logged with their traceback, and become a
bare 500.
"""

from __future__ import annotations

__all__ = [
    "BackendDecodeError",
    "BackendError",
    "BackendStatusError",
    "BackendTimeout",
    "BackendUnavailable",
    "ClientError",
    "GatewayError",
    "MergeError",
]


class GatewayError(Exception):
    """Base of every expected request failure. Not raised directly."""

    status_hint: int = 500
    # The Content-Type of the error text, when it has one (the backend's, for return_error_code).
    content_type: str | None = None

    def __init__(self, message: str) -> None:
        if type(self) is GatewayError:
            raise TypeError("GatewayError is abstract: raise one of its subclasses")
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ClientError(GatewayError):
    """The client's request cannot be served as sent."""

    status_hint = 400


class BackendError(GatewayError):
    """A backend call failed: KrakenD answers 500 unless told otherwise."""


class BackendTimeout(BackendError):
    """The backend did not answer within its deadline (Go: `context deadline exceeded`)."""


class BackendUnavailable(BackendError):
    """The backend could not be reached or broke the HTTP protocol."""


class BackendDecodeError(BackendError):
    """The backend answered 200/201 with a body its `encoding` cannot decode."""


class BackendStatusError(BackendError):
    """The backend answered with a status other than 200/201.

    `status_hint` stays 500 unless the backend has `return_error_code`, in which case the backend's
    status (and its body as the error text) reaches the client, as lura's `HTTPResponseError` does.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body: bytes = b"",
        content_type: str | None = None,
        pass_status: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.content_type = content_type
        if pass_status:
            self.status_hint = status


class MergeError(BackendError):
    """Every backend of a multi-backend endpoint failed; the text joins theirs with newlines."""

    def __init__(self, errors: list[GatewayError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = tuple(errors)
