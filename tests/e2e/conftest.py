"""Whole-system runs: the sandbox on loopback, a fresh SQLite database, flows through Prefect."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.framework import RunningSandbox, new_context
from store.db import make_engine
from store.migrate import upgrade


@pytest.fixture(autouse=True)
def _prefect(prefect_harness: None) -> None:
    return None


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite file set as DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'engarde.db'}"
    upgrade(make_engine(url))
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def serve_world(
    monkeypatch: pytest.MonkeyPatch, *, scale: int = 600, seed: int = 21, faults: float = 0.0, **world_kw: Any
) -> RunningSandbox:
    """Start a sandbox for a world (``world_kw``: e.g. its ``anchor``) and point every connector at it."""
    running = RunningSandbox(new_context(scale=scale, seed=seed, faults=faults, **world_kw)).start()
    for key, value in running.env.items():
        monkeypatch.setenv(key, value)
    # Fast retries against the twins: their 429s ask for a second, not an hour.
    monkeypatch.setenv("EASYAPPOINTMENTS_RATE_LIMIT_SECONDS", "1")
    monkeypatch.setenv("EVENTBRITE_RATE_LIMIT_WINDOW", "1")
    return running


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, database: str) -> Iterator[RunningSandbox]:
    """A fault-free sandbox world with a fresh database."""
    running = serve_world(monkeypatch)
    yield running
    running.stop()


SERVER_STARTUP_SECONDS = 180


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def prefect_server_process(home: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """A real ``prefect server start`` on a free loopback port (``home`` its PREFECT_HOME, ``extra_env``
    e.g. its database); yields its base URL and stops it (the whole process group) afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        # Without these the UI's JavaScript calls the default http://127.0.0.1:4200/api, not this server.
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",
        # The runs' UI links (in alerts) point at this server.
        "PREFECT_UI_URL": f"http://127.0.0.1:{port}",
        **(extra_env or {}),
    }
    env.pop("PREFECT_API_URL", None)
    home.mkdir(parents=True, exist_ok=True)
    log = home / "prefect-server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"prefect server exited with {proc.returncode}:\n{_tail(log)}")
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"prefect server not healthy after {SERVER_STARTUP_SECONDS} s:\n{_tail(log)}")
            time.sleep(1)
        yield base
    finally:
        stop_process_group(proc)


def stop_process_group(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM the process group of ``proc`` (started with ``start_new_session``), SIGKILL after 20 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
