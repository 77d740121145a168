"""Starts real `sandpit serve` processes for the tests: each on a free port
with its own private redis-server, a sandbox of its Chromium pool ready
(GET /readyz/sandboxes) before any test runs, and stopped at the end of the
session.

The binary is $SANDPIT_BIN, else bin/sandpit of the repository, built with
`go build` first (which needs `make deps` to have been run)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from sandpit_client import Sandpit

ROOT = Path(__file__).resolve().parents[3]
API_KEY = "test-key-7f3c0a9e1b5d42"


@dataclass
class Server:
    """A running `sandpit serve`."""

    url: str
    port: int
    log: Path
    proc: subprocess.Popen[bytes]


def _binary() -> Path:
    given = os.environ.get("SANDPIT_BIN")
    if given:
        path = Path(given)
        if not path.is_file():
            pytest.exit(f"SANDPIT_BIN={given}: no such file", returncode=1)
        return path
    if not (ROOT / "page/node_modules/pyodide/pyodide.asm.wasm").is_file():
        pytest.exit("Pyodide is missing from page/node_modules: run `make deps` first", returncode=1)
    path = ROOT / "bin/sandpit"
    subprocess.run(["go", "build", "-o", str(path), "./cmd/sandpit"], cwd=ROOT, check=True)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(binary: Path, logdir: Path, name: str, args: list[str], env: dict[str, str]) -> Server:
    port = _free_port()
    log = logdir / f"{name}.log"
    cmd = [str(binary), "serve", "--addr", f"127.0.0.1:{port}", "--shutdown-grace", "2s", *args]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env})
    return Server(url=f"http://127.0.0.1:{port}", port=port, log=log, proc=proc)


def _wait_ready(server: Server, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            break
        try:
            # /readyz/sandboxes: jobs can be accepted and one could start now.
            if httpx.get(server.url + "/readyz/sandboxes", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    tail = server.log.read_text(errors="replace")[-4000:]
    pytest.exit(f"sandpit serve at {server.url} did not become ready:\n{tail}", returncode=1)


def _stop(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


# The servers the tests use: "open", with no API keys and the default limits,
# and "guarded", with an API key, a rate limit of 2 requests a second (burst
# 2), a queue of one job and specs of at most 64 KiB, for the tests of
# authentication and limits.
SERVERS = {
    "open": (["--pool-size", "2"], {"SANDPIT_API_KEYS": ""}),
    "guarded": (
        ["--pool-size", "1", "--rate-limit", "2", "--rate-burst", "2", "--max-queue", "1", "--max-spec-bytes", "65536"],
        {"SANDPIT_API_KEYS": API_KEY},
    ),
}
_needed: set[str] = set()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Notes which servers the selected tests use, so that only those start."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        _needed.update(name for name in SERVERS if (name if name != "open" else "server") in names)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    """The servers the selected tests use, started at once, ready, and
    stopped at the end."""
    binary = _binary()
    logdir = tmp_path_factory.mktemp("sandpit")
    started: dict[str, Server] = {}
    try:
        for name in sorted(_needed):
            args, env = SERVERS[name]
            started[name] = _start(binary, logdir, name, args, env)
        deadline = time.monotonic() + 180
        for server in started.values():
            _wait_ready(server, deadline)
        yield started
    finally:
        for server in started.values():
            _stop(server)


@pytest.fixture(scope="session")
def server(servers: dict[str, Server]) -> Server:
    return servers["open"]


@pytest.fixture(scope="session")
def guarded(servers: dict[str, Server]) -> Server:
    return servers["guarded"]


@pytest.fixture
def client(server: Server) -> Iterator[Sandpit]:
    with Sandpit(server.url, api_key="") as c:
        yield c
