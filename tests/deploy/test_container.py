"""The Dockerfile, without a container runtime: its conventions, and its install and start steps
run as a script in a fresh virtualenv (the package from the checkout, the demo configuration at
the config path, the ENTRYPOINT + CMD started from WORKDIR, the HEALTHCHECK command, SIGTERM)."""

from __future__ import annotations

import shlex
import shutil
import signal
import subprocess
import time
import venv
from pathlib import Path

import pytest

from tests.e2e.processes import free_port

from .dockerfile import Instruction, only, parse

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
INSTRUCTIONS = parse(DOCKERFILE)


def test_the_image_runs_as_krakends_does() -> None:
    assert only(INSTRUCTIONS, "FROM").arguments.startswith("python:3.12-slim")
    assert only(INSTRUCTIONS, "WORKDIR").arguments == "/etc/krakend"
    assert only(INSTRUCTIONS, "ENTRYPOINT").exec_form() == ["trio-gateway"]
    assert only(INSTRUCTIONS, "CMD").exec_form() == ["run", "-c", "/etc/krakend/krakend.json"]
    assert only(INSTRUCTIONS, "EXPOSE").arguments == "8080"
    assert only(INSTRUCTIONS, "STOPSIGNAL").arguments == "SIGTERM"
    user = only(INSTRUCTIONS, "USER").arguments
    assert user not in ("root", "0")
    # the user is created in the image, not assumed
    assert any("useradd" in i.arguments and user in i.arguments for i in INSTRUCTIONS)


def test_what_the_image_copies_is_what_an_install_needs() -> None:
    copied = [i.exec_form()[:-1] for i in INSTRUCTIONS if i.keyword == "COPY"]
    sources = {s for group in copied for s in group}
    assert sources == {"pyproject.toml", "README.md", "trio_gateway"}
    for source in sources:
        assert (ROOT / source).exists()
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert not set(ignored) & sources


def _healthcheck_command() -> list[str]:
    arguments = only(INSTRUCTIONS, "HEALTHCHECK").arguments
    options, _, command = arguments.partition("CMD ")
    assert "--interval=" in options and "--timeout=" in options
    return Instruction("CMD", command).exec_form()


def _env(instruction_env: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for text in instruction_env:
        for pair in text.replace("\\", " ").split():
            key, _, value = pair.partition("=")
            values[key] = value
    return values


def test_the_build_and_start_steps_work_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    # COPY pyproject.toml README.md /src/ ; COPY trio_gateway /src/trio_gateway
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "trio_gateway", src / "trio_gateway", ignore=shutil.ignore_patterns("__pycache__")
    )
    # RUN pip install /src (in a fresh environment: nothing of the project's own .venv)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(src)],
        capture_output=True,
        text=True,
        timeout=500,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    # ... && cp <demo.json> /etc/krakend/krakend.json (the python -c of the RUN line)
    run_line = next(i.arguments for i in INSTRUCTIONS if i.keyword == "RUN")
    locate = run_line.split('cp "$(', 1)[1].split(')"', 1)[0]
    program, *arguments = shlex.split(locate)
    demo = subprocess.run(
        [str(env_dir / "bin" / program), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    etc = tmp_path / "etc" / "krakend"
    etc.mkdir(parents=True)
    shutil.copy(demo, etc / "krakend.json")
    # ENTRYPOINT + CMD from WORKDIR, /etc/krakend standing for our folder; -p: a free port
    port = free_port()
    command = [
        *only(INSTRUCTIONS, "ENTRYPOINT").exec_form(),
        *only(INSTRUCTIONS, "CMD").exec_form(),
    ]
    command = [arg.replace("/etc/krakend", str(etc)) for arg in command]
    image_env = _env([i.arguments for i in INSTRUCTIONS if i.keyword == "ENV"])
    env = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", **image_env}
    env["TRIO_GATEWAY_HEALTHCHECK_URL"] = image_env["TRIO_GATEWAY_HEALTHCHECK_URL"].replace(
        ":8080/", f":{port}/"
    )
    log = tmp_path / "gateway.log"
    with log.open("wb") as output:
        proc = subprocess.Popen(
            [str(env_dir / "bin" / command[0]), *command[1:], "-p", str(port)],
            cwd=etc,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        health = _healthcheck_command()
        assert health[0] == "python"
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")
            probe = subprocess.run(
                [str(python), *health[1:]], env=env, capture_output=True, timeout=10
            )
            if probe.returncode == 0:
                break
            assert time.monotonic() < deadline, probe.stderr
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)  # STOPSIGNAL
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("the gateway did not stop on SIGTERM within 15 s")
    assert code == 0, log.read_text(errors="replace")
    # and the probe fails once it is gone (so it can fail at all)
    gone = subprocess.run([str(python), *health[1:]], env=env, capture_output=True, timeout=10)
    assert gone.returncode != 0
