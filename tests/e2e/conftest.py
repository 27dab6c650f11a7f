"""Whole-system runs: the sandbox on loopback, a fresh SQLite database, flows through Prefect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
