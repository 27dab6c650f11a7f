"""Checkpoints (the incremental mark) and Brevo sync bookkeeping, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine

from store.brevo_sync import (
    claimed_process_ids,
    close_batch,
    finish_run,
    load_sync_state,
    mark_batch_not_sent,
    mark_batch_sent,
    mark_dead_runs,
    open_batch,
    open_rejections,
    record_pushed,
    record_rejections,
    resolve_rejections,
    running_runs,
    start_run,
    unfinished_batches,
)
from store.checkpoints import covers, finish_checkpoint, last_complete_end, start_checkpoint, window_states
from store.db import session_scope


def test_mark_advances_only_on_complete_windows_and_not_into_the_future(engine: Engine) -> None:
    with session_scope(engine) as s:
        start_checkpoint(
            s, source="easyappointments", window_start=date(2026, 1, 1), window_end=date(2026, 1, 31)
        )
        finish_checkpoint(
            s,
            source="easyappointments",
            window_start=date(2026, 1, 1),
            window_end=date(2026, 1, 31),
            complete=True,
        )
        start_checkpoint(
            s, source="easyappointments", window_start=date(2026, 2, 1), window_end=date(2026, 2, 28)
        )
        finish_checkpoint(
            s,
            source="easyappointments",
            window_start=date(2026, 2, 1),
            window_end=date(2026, 2, 28),
            complete=False,
            error="429",
        )
        future = date(datetime.now(UTC).year + 1, 1, 1)
        start_checkpoint(s, source="zoom", window_start=date(2026, 1, 1), window_end=future)
        finish_checkpoint(s, source="zoom", window_start=date(2026, 1, 1), window_end=future, complete=True)
    with session_scope(engine) as s:
        assert last_complete_end(s, "easyappointments") == date(2026, 1, 31)
        assert last_complete_end(s, "zoom") == datetime.now(UTC).date()
        assert last_complete_end(s, "eventbrite") is None
        assert window_states(s, "easyappointments")[(date(2026, 2, 1), date(2026, 2, 28))] == "failed"


def test_sync_state_batches_and_rejections(engine: Engine) -> None:
    with session_scope(engine) as s:
        run = start_run(s, flow="audience-sync", list_id=7, dry_run=False, flow_run_id=None)
        batch = open_batch(s, run_id=run, list_id=7, rows=[("a@x.org", "h1"), ("b@x.org", "h2")])
        mark_batch_sent(s, batch, 42)
    with session_scope(engine) as s:
        # A live run's chunks are its own; once its run is over they are the next run's to confirm.
        assert unfinished_batches(s, 7) == []
        assert [b.id for b in unfinished_batches(s, 7, live=True)] == [batch]
        assert unfinished_batches(s, 7, live=True, besides=run) == []
        finish_run(s, run, counts={}, error="KeyboardInterrupt")
    with session_scope(engine) as s:
        pending = unfinished_batches(s, 7)
        assert [(b.process_id, b.rows["rows"]) for b in pending] == [
            (42, [["a@x.org", "h1"], ["b@x.org", "h2"]])
        ]
        record_pushed(s, list_id=7, rows=[("a@x.org", "h1")], on_list=True, run_id=run)
        record_rejections(s, run, [("b@x.org", "invalid email")])
        close_batch(s, batch)
    with session_scope(engine) as s:
        assert unfinished_batches(s, 7) == []
        assert open_rejections(s) == {"b@x.org"}
        record_pushed(s, list_id=7, rows=[("a@x.org", None)], on_list=False, run_id=run)
        resolve_rejections(s, ["b@x.org"])
    with session_scope(engine) as s:
        state = load_sync_state(s, 7)
        assert state.to_dict("records") == [{"email": "a@x.org", "payload_hash": "h1", "on_list": False}]
        assert open_rejections(s) == set()


def test_dead_runs_are_marked_and_their_unanswered_chunks_found(engine: Engine) -> None:
    with session_scope(engine) as s:
        dead = start_run(s, flow="audience-sync", list_id=7, dry_run=False, flow_run_id=None)
        alive = start_run(s, flow="audience-sync", list_id=7, dry_run=False, flow_run_id=None)
        unknown = open_batch(s, run_id=dead, list_id=7, rows=[("a@x.org", "h1")])
        open_batch(s, run_id=alive, list_id=7, rows=[("b@x.org", "h2")])
        confirmed = open_batch(s, run_id=dead, list_id=7, rows=[("c@x.org", "h3")])
        mark_batch_sent(s, confirmed, 9)
        close_batch(s, confirmed)
    with session_scope(engine) as s:
        assert {r.id for r in running_runs(s)} == {dead, alive}
        assert mark_dead_runs(s, lambda r: "process 1 is gone" if r.id == dead else None) == [dead]
    with session_scope(engine) as s:
        assert [r.id for r in running_runs(s)] == [alive]
        assert [(b.id, b.status) for b in unfinished_batches(s, 7)] == [(unknown, "sending")]
        assert len(unfinished_batches(s, 7, live=True, unanswered=True)) == 1
        assert claimed_process_ids(s) == {9}
        mark_batch_not_sent(s, unknown, "never received")
    with session_scope(engine) as s:
        assert unfinished_batches(s, 7) == []


def test_complete_windows_cover_a_range_only_without_gaps(engine: Engine) -> None:
    source = "easyappointments"
    with session_scope(engine) as s:
        assert not covers(s, source, date(2026, 1, 5), date(2026, 1, 6)), "nothing stored yet"
        for start, end, ok in (
            (date(2026, 1, 1), date(2026, 1, 10), True),
            (date(2026, 1, 8), date(2026, 1, 20), True),
            (date(2026, 1, 25), date(2026, 1, 31), True),
            (date(2026, 1, 21), date(2026, 1, 24), False),
        ):
            start_checkpoint(s, source=source, window_start=start, window_end=end)
            finish_checkpoint(s, source=source, window_start=start, window_end=end, complete=ok)
        assert covers(s, source, date(2026, 1, 2), date(2026, 1, 20))
        assert not covers(s, source, date(2026, 1, 2), date(2026, 1, 26)), "the failed window is a gap"
        assert not covers(s, "eventbrite", date(2026, 1, 2), date(2026, 1, 3))
        # A window counts only up to the day it finished: the future it reached is not final.
        future = date(2100, 1, 1)
        start_checkpoint(s, source=source, window_start=date(2026, 2, 1), window_end=future)
        finish_checkpoint(s, source=source, window_start=date(2026, 2, 1), window_end=future, complete=True)
        assert not covers(s, source, date(2026, 2, 1), future)
