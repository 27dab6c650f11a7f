"""Reliability suite: real processes, real ``kill -9`` at instants a twin hook makes exact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox.framework import RunningSandbox, new_context
from store.db import make_engine
from store.migrate import upgrade

ENGARDE = str(Path(sys.executable).with_name("engarde"))
#: Every stage serves the same world: a default anchor ("now") would move bookings across a
#: midnight between the reference run and a later stage.
WORLD_ANCHOR = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass
class Stage:
    """A sandbox world and a fresh database, and how to run a flow against them in another process."""

    sandbox: RunningSandbox
    env: dict[str, str]

    def start(self, flow: str, *params: str) -> subprocess.Popen[bytes]:
        """``engarde run FLOW`` as a separate process (the test's Prefect server, this world)."""
        args = [ENGARDE, "run", flow, "--json"]
        for param in params:
            args += ["-p", param]
        return subprocess.Popen(args, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def new_stage(
    tmp_path: Path, *, scale: int, seed: int, extra: dict[str, str] | None = None, database: str | None = None
) -> Stage:
    """Serve a world of ``scale`` and migrate ``database`` (default: a SQLite file); the child's env points at both."""
    from prefect.settings import PREFECT_API_URL

    url = database or f"sqlite:///{tmp_path / 'engarde.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    sandbox = RunningSandbox(new_context(scale=scale, seed=seed, anchor=WORLD_ANCHOR)).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BREVO_", "EVENTBRITE_", "ZOOM_"))}
    env.update(sandbox.env)
    env.update(
        {
            "DATABASE_URL": url,
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
            "EASYAPPOINTMENTS_RATE_LIMIT_SECONDS": "1",
            "EVENTBRITE_RATE_LIMIT_WINDOW": "1",
            **(extra or {}),
        }
    )
    return Stage(sandbox=sandbox, env=env)


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """An empty PostgreSQL database of its own (skipped with the reason when there is no server)."""
    from tests.conftest import POSTGRES_URL, _postgres_database

    if not POSTGRES_URL:
        pytest.skip("no PostgreSQL server: run scripts/postgres.sh and set TEST_POSTGRES_URL")
    yield from _postgres_database(POSTGRES_URL)


@pytest.fixture
def stages(tmp_path: Path, prefect_harness: None) -> Iterator[list[Stage]]:
    """Stages started by a test, stopped after it."""
    started: list[Stage] = []
    yield started
    for stage in started:
        stage.sandbox.stop()


AS_OF = "2026-06-15T12:00:00+00:00"
SCALE, SEED = 300, 5
#: Push runs (the crash and outage tests): the push is what is under test: one source keeps each run short.
PARAMS = (f"as_of={AS_OF}", 'sources=["easyappointments"]')
#: Small chunks, so a push has several and "after a chunk was confirmed" is an instant of its own.
SETTINGS = {"BREVO_IMPORT_CHUNK_MAX_BYTES": "8000"}


def end_state(stage: Stage) -> dict[str, Any]:
    """Every Brevo contact: blocklisted, lists, attributes."""
    contacts = stage.sandbox.ctx.state["brevo"].contacts
    return {
        e: (c["emailBlacklisted"], sorted(c["listIds"]), sorted(c["attributes"].items()))
        for e, c in contacts.items()
    }


def run_to_end(stage: Stage) -> dict[str, Any]:
    proc = stage.start("audience-sync", *PARAMS)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode()[-3000:]
    summary: dict[str, Any] = json.loads(out)
    return summary


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> dict[str, Any]:
    """Brevo's end state after one uninterrupted push run (the reference of every interrupted one)."""
    stage = new_stage(tmp_path_factory.mktemp("reference"), scale=SCALE, seed=SEED, extra=SETTINGS)
    try:
        run_to_end(stage)
        brevo = stage.sandbox.ctx.state["brevo"]
        assert len(brevo.import_log) >= 3, "the push must have several chunks"
        assert brevo.repeated_imports() == {}
        return end_state(stage)
    finally:
        stage.sandbox.stop()
