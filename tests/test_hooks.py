"""Python hooks (`modifier/python`): the HookProxy layer, loading, `check`, the factory."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests import hook_fixtures
from trio_gateway.config import ConfigError, load_config_data
from trio_gateway.errors import BackendError, GatewayError
from trio_gateway.modifier.python import (
    HookError,
    HookLoadError,
    HookProxy,
    PythonHookConfig,
    Reject,
    build_hook_proxy,
    del_header,
    get_header,
    load_hook,
    set_header,
)
from trio_gateway.plan import compile_plan
from trio_gateway.types import Request, Response

M = "tests.hook_fixtures"


class FakeBackend:
    """A proxy that records what it got and answers a fresh response."""

    def __init__(self, error: GatewayError | None = None) -> None:
        self.seen: list[Request] = []
        self.error = error

    async def __call__(self, request: Request) -> Response:
        self.seen.append(request)
        if self.error is not None:
            raise self.error
        return Response(data={"a": 1})


def make_request() -> Request:
    return Request(
        method="GET",
        path="/users/1",
        params={"id": "1"},
        query=[("q", "x")],
        headers=[(b"x-forwarded-for", b"10.0.0.1")],
        body=b"",
    )


def hook_proxy(backend: FakeBackend, request: str = "", response: str = "") -> Any:
    proxy = build_hook_proxy(
        backend, PythonHookConfig(request=request, response=response), "GET /users/{id}"
    )
    assert isinstance(proxy, HookProxy)
    return proxy


# -- the layer ---------------------------------------------------------------------------------


def test_no_hook_no_layer() -> None:
    backend = FakeBackend()
    assert build_hook_proxy(backend, None, "x") is backend
    assert build_hook_proxy(backend, PythonHookConfig(), "x") is backend


@pytest.mark.parametrize(("name", "value"), [("add_header", "sync"), ("add_header_async", "async")])
async def test_request_hook_changes_reach_the_backend(name: str, value: str) -> None:
    backend = FakeBackend()
    original = make_request()
    response = await hook_proxy(backend, request=f"{M}:{name}")(original)
    assert response.data == {"a": 1}
    assert get_header(backend.seen[0].headers, "x-hook") == value
    # the caller's request is untouched: siblings and hedged attempts never see the change
    assert original.headers == [(b"x-forwarded-for", b"10.0.0.1")]
    assert original.query == [("q", "x")]


async def test_request_hook_mutates_a_copy_each_time() -> None:
    backend = FakeBackend()
    proxy = hook_proxy(backend, request=f"{M}:add_header")
    request = make_request()
    await proxy(request)
    await proxy(request)
    assert [r.query for r in backend.seen] == [[("q", "x"), ("hooked", "1")]] * 2


async def test_request_hook_may_return_a_new_request() -> None:
    backend = FakeBackend()
    await hook_proxy(backend, request=f"{M}:replace_request")(make_request())
    seen = backend.seen[0]
    assert seen.params == {"id": "replaced"}
    assert seen.body == b"new body"
    assert seen.headers == []


@pytest.mark.parametrize(("name", "value"), [("add_field", True), ("add_field_async", "async")])
async def test_response_hook_changes_the_response(name: str, value: object) -> None:
    response = await hook_proxy(FakeBackend(), response=f"{M}:{name}")(make_request())
    assert response.data == {"a": 1, "hooked": value}


async def test_response_hook_may_return_a_new_response() -> None:
    response = await hook_proxy(FakeBackend(), response=f"{M}:replace_response")(make_request())
    assert response.data == {"replaced": True}
    assert response.headers == [(b"x-replaced", b"1")]


async def test_response_hook_not_run_when_the_proxy_failed() -> None:
    backend = FakeBackend(BackendError("down"))
    proxy = hook_proxy(backend, response=f"{M}:broken")
    with pytest.raises(BackendError, match="down"):
        await proxy(make_request())


async def test_reject_skips_the_backend() -> None:
    backend = FakeBackend()
    proxy = hook_proxy(backend, request=f"{M}:require_token")
    with pytest.raises(Reject) as info:
        await proxy(make_request())
    assert backend.seen == []
    reject = info.value
    assert reject.status_hint == 403
    assert reject.body == b'{"error": "forbidden"}'
    assert reject.headers == [(b"content-type", b"application/json")]
    request = make_request()
    request.headers.append((b"x-token", b"secret"))
    assert (await proxy(request)).data == {"a": 1}


def test_reject_defaults() -> None:
    reject = Reject(418, "short and stout", [("X-Why", "tea")])
    assert reject.body == b"short and stout"
    assert reject.headers == [(b"x-why", b"tea"), (b"content-type", b"text/plain; charset=utf-8")]
    assert Reject(401).headers == []
    assert isinstance(reject, GatewayError)
    with pytest.raises(ValueError, match=r"200\.\.599"):
        Reject(99)
    with pytest.raises(ValueError, match="cannot have a body"):
        Reject(204, b"x")


@pytest.mark.parametrize(
    ("field", "name", "exc"),
    [
        ("request", "broken", "RuntimeError: boom"),
        ("request", "broken_async", "KeyError: 'missing'"),
        ("response", "broken", "RuntimeError: boom"),
        ("response", "broken_async", "KeyError: 'missing'"),
    ],
)
async def test_hook_exception_becomes_hook_error_and_is_logged(
    field: str, name: str, exc: str, caplog: pytest.LogCaptureFixture
) -> None:
    backend = FakeBackend()
    proxy = hook_proxy(backend, **{field: f"{M}:{name}"})
    with (
        caplog.at_level(logging.ERROR, logger="trio_gateway.modifier.python"),
        pytest.raises(HookError) as info,
    ):
        await proxy(make_request())
    assert info.value.status_hint == 500
    assert str(info.value) == f"hook {M}:{name} failed"
    assert backend.seen == ([] if field == "request" else [backend.seen[0]])
    [record] = caplog.records
    assert record.getMessage() == f"hook {M}:{name} failed on GET /users/{{id}}"
    assert record.exc_info is not None
    assert exc in caplog.text


@pytest.mark.parametrize("field", ["request", "response"])
async def test_wrong_return_type_is_a_hook_error(
    field: str, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = hook_proxy(FakeBackend(), **{field: f"{M}:wrong_return"})
    with pytest.raises(HookError):
        await proxy(make_request())
    assert "returned int" in caplog.text
    assert "GET /users/{id}" in caplog.text


async def test_gateway_errors_from_hooks_pass_through() -> None:
    def raise_backend_error(request: Request) -> None:
        raise BackendError("no")

    proxy = HookProxy(FakeBackend(), where="x", request=("inline", raise_backend_error))
    with pytest.raises(BackendError, match="no"):
        await proxy(make_request())


def test_header_helpers() -> None:
    headers = [(b"x-a", b"1"), (b"X-A", b"2"), (b"x-b", b"3")]
    assert get_header(headers, "X-a") == "1"
    assert get_header(None, "x-a") is None
    set_header(headers, "X-A", "new")
    assert headers == [(b"x-b", b"3"), (b"x-a", b"new")]
    del_header(headers, "x-b")
    assert headers == [(b"x-a", b"new")]


# -- loading -----------------------------------------------------------------------------------


def test_load_hook_forms() -> None:
    assert load_hook(f"{M}:add_header") is hook_fixtures.add_header
    assert load_hook(f"{M}.add_header") is hook_fixtures.add_header
    assert load_hook(f"{M}:Hooks.add_header") is hook_fixtures.Hooks.add_header


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "no_such_module_xyz:fn",
            'cannot import module "no_such_module_xyz": ModuleNotFoundError: No module named'
            " 'no_such_module_xyz'",
        ),
        (f"{M}:nope", f'module "{M}" has no attribute "nope"'),
        (f"{M}:Hooks.nope", f'"{M}:Hooks" has no attribute "nope"'),
        (f"{M}:NOT_CALLABLE", f'"{M}:NOT_CALLABLE" is not callable (type int)'),
        ("fn", 'invalid import path "fn": want "package.module:function"'),
        ("mod:", 'invalid import path "mod:"'),
        ("a b:c", 'invalid import path "a b:c"'),
    ],
)
def test_load_hook_errors(path: str, message: str) -> None:
    with pytest.raises(HookLoadError) as info:
        load_hook(path)
    assert str(info.value).startswith(message)


# -- check -------------------------------------------------------------------------------------


def _config(endpoint_hooks: Any = None, backend_hooks: Any = None) -> dict[str, Any]:
    backend: dict[str, Any] = {"url_pattern": "/x"}
    endpoint: dict[str, Any] = {"endpoint": "/x", "backend": [backend]}
    if backend_hooks is not None:
        backend["extra_config"] = {"modifier/python": backend_hooks}
    if endpoint_hooks is not None:
        endpoint["extra_config"] = {"modifier/python": endpoint_hooks}
    return {"version": 3, "host": ["http://svc:8000"], "endpoints": [endpoint]}


def _errors(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config_data(data)
    return [str(d) for d in info.value.diagnostics]


def test_check_accepts_good_paths() -> None:
    loaded = load_config_data(
        _config(
            {"request": f"{M}:add_header", "response": f"{M}.add_field"},
            {"response": f"{M}:Hooks.add_header"},
        )
    )
    endpoint = loaded.config.endpoints[0]
    assert endpoint.extra_config.get(PythonHookConfig) == PythonHookConfig(
        request=f"{M}:add_header", response=f"{M}.add_field"
    )
    plan = compile_plan(loaded.config).endpoints[0]
    hooks = endpoint.extra_config.get(PythonHookConfig)
    assert plan.extra.get(PythonHookConfig) == hooks
    assert plan.backends[0].extra.get(PythonHookConfig) == PythonHookConfig(
        response=f"{M}:Hooks.add_header"
    )


def test_check_reports_each_bad_path() -> None:
    assert _errors(
        _config(
            {"request": "no_such_module_xyz:fn", "response": f"{M}:nope"},
            {"request": f"{M}:NOT_CALLABLE"},
        )
    ) == [
        'error: $.endpoints[0].extra_config["modifier/python"].request: cannot import module'
        " \"no_such_module_xyz\": ModuleNotFoundError: No module named 'no_such_module_xyz'",
        'error: $.endpoints[0].extra_config["modifier/python"].response: module'
        f' "{M}" has no attribute "nope"',
        'error: $.endpoints[0].backend[0].extra_config["modifier/python"].request:'
        f' "{M}:NOT_CALLABLE" is not callable (type int)',
    ]


def test_check_import_error_has_no_traceback(tmp_path: Any, monkeypatch: Any) -> None:
    (tmp_path / "hook_mod_broken_xyz.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    [message] = _errors(_config({"request": "hook_mod_broken_xyz:fn"}))
    assert message == (
        'error: $.endpoints[0].extra_config["modifier/python"].request: cannot import module'
        ' "hook_mod_broken_xyz": ModuleNotFoundError: No module named'
        " 'no_such_dependency_xyz'"
    )


def test_check_warns_on_empty_hooks() -> None:
    loaded = load_config_data(_config({}))
    assert [str(d) for d in loaded.warnings] == [
        'warning: $.endpoints[0].extra_config["modifier/python"]: no `request` nor `response`'
        " hook: nothing to run (ignored)"
    ]


def test_hooks_on_a_noop_endpoint_are_a_warning() -> None:
    from trio_gateway.config import load_config_data

    loaded = load_config_data(
        {
            "version": 3,
            "host": ["localhost:8000"],
            "endpoints": [
                {
                    "endpoint": "/raw",
                    "output_encoding": "no-op",
                    "extra_config": {
                        "modifier/python": {"request": "tests.hook_fixtures:add_header"}
                    },
                    "backend": [{"url_pattern": "/"}],
                }
            ],
        }
    )
    assert any("do not run on a no-op endpoint" in w.message for w in loaded.warnings)
