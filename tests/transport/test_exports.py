"""The public surface of trio_gateway.transport, and the error tree."""

from __future__ import annotations

import pytest

import trio_gateway.transport as transport
from trio_gateway.transport import errors


def test_all_is_sorted_and_complete() -> None:
    assert transport.__all__ == sorted(transport.__all__)
    for name in transport.__all__:
        assert getattr(transport, name) is not None
    assert set(errors.__all__) <= set(transport.__all__)


@pytest.mark.parametrize(
    ("error", "parents"),
    [
        (errors.ConnectTimeout, (errors.ConnectError, errors.TransportError)),
        (errors.ReadError, (errors.NetworkError, errors.TransportError)),
        (errors.WriteError, (errors.NetworkError, errors.TransportError)),
        (errors.RemoteProtocolError, (errors.TransportError,)),
        (errors.TooManyRedirects, (errors.TransportError,)),
        (errors.ResponseTooLarge, (errors.TransportError,)),
        (errors.TransportError, (Exception,)),
    ],
)
def test_error_tree(error: type[Exception], parents: tuple[type[Exception], ...]) -> None:
    assert issubclass(error, parents)
    assert not issubclass(errors.RemoteProtocolError, errors.NetworkError)
