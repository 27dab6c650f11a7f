"""The audience trend's history: one snapshot per audience-sync run, read back oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from store.db import session_scope
from store.segment_history import recent_segments, record_segments


def test_recent_segments_are_the_last_runs_oldest_first(engine: Engine) -> None:
    start = datetime(2026, 3, 1, 6, tzinfo=UTC)
    with session_scope(engine) as session:
        for day in range(5):
            record_segments(
                session,
                as_of=start + timedelta(days=day),
                flow_run_id=f"run-{day}",
                people=10 + day,
                segments={"returning": day, "new": 10},
            )
    with session_scope(engine) as session:
        last = recent_segments(session, limit=3)
        assert [s.flow_run_id for s in last] == ["run-2", "run-3", "run-4"]
        assert last[-1].as_of == start + timedelta(days=4)
        assert last[-1].segments == {"new": 10, "returning": 4} and last[-1].people == 14
