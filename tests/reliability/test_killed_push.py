"""audience-sync killed with a real SIGKILL at each instant of a Brevo push, then run again.

Whatever the instant, the second run finishes the work: Brevo ends exactly as after one
uninterrupted run, and no contact is imported twice in the same state (the twin counts
imports per contact and state). The kill is made exact by a twin hook, not by a sleep.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sandbox.hooks import hooks_of
from store.db import make_engine, session_scope
from store.models import BrevoImportBatch, BrevoSyncRun
from tests.reliability.conftest import PARAMS, SCALE, SEED, SETTINGS, Stage, end_state, new_stage, run_to_end

INSTANTS = {
    "before the POST": ("brevo.import.received", 1),
    "after Brevo accepted the import": ("brevo.import.accepted", 1),
    "while polling the import": ("brevo.process.polled", 1),
    "after the first chunk was confirmed": ("brevo.import.received", 2),
}


@pytest.mark.parametrize(
    ("instant", "store"),
    [*((i, "sqlite") for i in INSTANTS), ("after Brevo accepted the import", "postgresql")],
)
def test_a_killed_push_is_finished_by_the_next_run(
    instant: str,
    store: str,
    reference: dict[str, Any],
    tmp_path: Path,
    stages: list[Stage],
    request: pytest.FixtureRequest,
) -> None:
    database = request.getfixturevalue("fresh_postgres") if store == "postgresql" else None
    stage = new_stage(tmp_path, scale=SCALE, seed=SEED, extra=SETTINGS, database=database)
    stages.append(stage)
    at, nth = INSTANTS[instant]
    proc = stage.start("audience-sync", *PARAMS)
    armed = httpx.post(
        f"{stage.sandbox.base_url}/_sandbox/hooks", json={"at": at, "pid": proc.pid, "nth": nth}
    )
    assert armed.status_code == 200
    proc.communicate(timeout=600)
    assert proc.returncode == -signal.SIGKILL
    assert hooks_of(stage.sandbox.ctx.state).fired == [at]

    summary = run_to_end(stage)

    brevo = stage.sandbox.ctx.state["brevo"]
    assert brevo.repeated_imports() == {}
    assert end_state(stage) == reference
    with session_scope(make_engine(stage.env["DATABASE_URL"])) as session:
        runs = {r.id: r.status for r in session.scalars(select(BrevoSyncRun))}
        batches = [b.status for b in session.scalars(select(BrevoImportBatch))]
    # The killed run is marked so; nothing is left unconfirmed; the second run completed.
    assert sorted(runs.values()) == ["complete", "crashed"]
    assert set(batches) <= {"done", "not_sent"}
    assert summary["brevo"]["created"] + summary["brevo"]["updated"] > 0
