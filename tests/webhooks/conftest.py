"""Fixtures: a migrated SQLite database and a receiver served over loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from store.db import make_engine
from store.migrate import upgrade
from webhooks.app import create_app
from webhooks.server import RunningReceiver
from webhooks.settings import ReceiverSettings

SECRET = "test-poshvip-secret-9f2c"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A freshly migrated SQLite database file."""
    url = f"sqlite:///{tmp_path / 'receiver.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test database, for assertions."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def receiver(db_url: str) -> Iterator[Callable[..., RunningReceiver]]:
    """Start a receiver with settings overrides; every started one is stopped at the end."""
    started: list[RunningReceiver] = []

    def start(**overrides: Any) -> RunningReceiver:
        values: dict[str, Any] = {
            "poshvip_webhook_secret": SECRET,
            "database_url": db_url,
            "receiver_emit_events": False,
        }
        values.update(overrides)
        running = RunningReceiver(create_app(ReceiverSettings(**values))).start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
