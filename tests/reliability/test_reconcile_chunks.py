"""Unanswered chunks against the Brevo twin's real process list: the right import is adopted, or none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from connectors.brevo import BrevoClient, BrevoSettings
from sandbox.framework import RunningSandbox
from store.brevo_sync import mark_batch_sent, open_batch, start_run
from store.db import session_scope
from tasks.brevo_recovery import _adopt


@pytest.fixture
def database(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DATABASE_URL", str(sqlite_engine.url))
    return sqlite_engine


async def test_a_never_sent_chunk_does_not_take_the_next_chunks_import(
    sandbox: RunningSandbox, database: Engine
) -> None:
    t0 = datetime.now(UTC) - timedelta(seconds=1)
    never = (1, t0, ["never-1@example.org", "never-2@example.org"])
    sent = (2, t0 + timedelta(milliseconds=500), ["sent-1@example.org", "sent-2@example.org"])
    async with BrevoClient(BrevoSettings()) as brevo:
        list_id = await brevo.ensure_master_list(None, "reconcile")
        # An older import of ours, already recorded: never a candidate.
        ours = await brevo.import_contacts([{"email": "old@example.org", "attributes": {}}], [list_id])
        with session_scope(database) as session:
            run = start_run(session, flow="audience-sync", list_id=list_id, dry_run=False, flow_run_id=None)
            mark_batch_sent(
                session, open_batch(session, run_id=run, list_id=list_id, rows=[]), ours.process_id or 0
            )
        started = await brevo.import_contacts(
            [{"email": e, "attributes": {}} for e in sent[2]], [list_id], wait=False
        )
        matched = await _adopt(brevo, [never, sent])
    assert matched == {1: None, 2: started.process_id}
