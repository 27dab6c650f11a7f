"""The project database (PostgreSQL) goes down in the middle of a Brevo push, then comes back.

The outage is made exact by a twin hook: the PostgreSQL server of this test gets ``SIGQUIT``
(its immediate shutdown, as a crash or a failover looks to a client) at the instant Brevo
accepted the import. The run must end failed with a sentence naming the database, not hang;
with the database back, the next run finishes the work: Brevo ends as after one uninterrupted
run and no contact is imported twice in the same state.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from sandbox.hooks import hooks_of
from store.db import make_engine, session_scope
from store.models import BrevoImportBatch, BrevoSyncRun
from tests.reliability.conftest import PARAMS, SCALE, SEED, SETTINGS, Stage, end_state, new_stage, run_to_end

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "scripts" / "postgres.sh")

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A PostgreSQL server of this test alone (it is stopped in the middle of a run)."""

    def __init__(self) -> None:
        port = _free_port()
        # Under /tmp itself: the server's own user must reach it (pytest's directories are private).
        self.data = Path(f"/tmp/engarde-pg-outage-{port}")
        self.env = {**os.environ, "ENGARDE_PG_PORT": str(port), "ENGARDE_PG_DATA": str(self.data)}

    def _script(self, action: str) -> str:
        done = subprocess.run(["bash", SCRIPT, action], env=self.env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip()

    def start(self) -> str:
        return self._script("start")

    def resume(self) -> str:
        return self._script("resume")

    def stop(self) -> None:
        self._script("stop")

    @property
    def pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])


@pytest.fixture
def server() -> Iterator[Server]:
    if not list(Path("/usr/lib/postgresql").glob("*/bin/postgres")):
        pytest.skip("PostgreSQL is not installed (apt-get install -y postgresql)")
    running = Server()
    yield running
    running.stop()
    shutil.rmtree(running.data, ignore_errors=True)


def test_a_database_outage_mid_push_fails_the_run_and_the_next_run_finishes(
    server: Server, reference: dict[str, Any], tmp_path: Path, stages: list[Stage]
) -> None:
    url = server.start()
    stage = new_stage(tmp_path, scale=SCALE, seed=SEED, extra=SETTINGS, database=url)
    stages.append(stage)
    proc = stage.start("audience-sync", *PARAMS)
    armed = httpx.post(
        f"{stage.sandbox.base_url}/_sandbox/hooks",
        json={"at": "brevo.import.accepted", "pid": server.pid, "signal": "SIGQUIT"},
    )
    assert armed.status_code == 200
    _out, err = proc.communicate(timeout=600)
    assert hooks_of(stage.sandbox.ctx.state).fired == ["brevo.import.accepted"]
    assert proc.returncode not in (0, None), "the run went on as if its database were there"
    said = err.decode()
    assert "The database cannot be reached" in said and "Check DATABASE_URL" in said, said[-3000:]

    server.resume()
    summary = run_to_end(stage)

    brevo = stage.sandbox.ctx.state["brevo"]
    assert brevo.repeated_imports() == {}
    assert end_state(stage) == reference
    with session_scope(make_engine(url)) as session:
        runs = sorted(r.status for r in session.scalars(select(BrevoSyncRun)))
        batches = {b.status for b in session.scalars(select(BrevoImportBatch))}
    # The run the outage stopped is marked so (by the next run); nothing is left unconfirmed.
    assert runs == ["complete", "crashed"]
    assert batches <= {"done", "not_sent"}
    assert summary["brevo"]["created"] + summary["brevo"]["updated"] > 0
