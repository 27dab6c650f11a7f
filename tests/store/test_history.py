"""The source_history marker and the span of stored bookings, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine

from audience.schema import coerce_interactions
from insights.synthetic import synthetic_bookings
from store.db import session_scope
from store.history import history_complete_to, record_history, stored_booking_span
from store.interactions import upsert_interactions


def test_marker_never_moves_back(engine: Engine) -> None:
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    with session_scope(engine) as session:
        assert history_complete_to(session, "easyappointments") is None
        record_history(
            session,
            source="easyappointments",
            complete_to=date(2026, 12, 5),
            read_at=now,
            rows=10,
            api_calls=4,
        )
    with session_scope(engine) as session:
        record_history(
            session, source="easyappointments", complete_to=date(2026, 6, 1), read_at=now, rows=1, api_calls=1
        )
    with session_scope(engine) as session:
        assert history_complete_to(session, "easyappointments") == date(2026, 12, 5)
        assert history_complete_to(session, "eventbrite") is None


def test_stored_booking_span(engine: Engine) -> None:
    frame = synthetic_bookings(50, start=datetime(2026, 3, 1), end=datetime(2026, 4, 1), seed=3)
    frame = coerce_interactions(frame)
    with session_scope(engine) as session:
        assert stored_booking_span(session, "easyappointments") == (None, 0)
        upsert_interactions(session, frame)
    with session_scope(engine) as session:
        first, count = stored_booking_span(session, "easyappointments")
    live = frame[frame["status"] != "deleted"]
    assert count == len(live)
    assert first is not None and first == live["occurred_at"].min().to_pydatetime()
