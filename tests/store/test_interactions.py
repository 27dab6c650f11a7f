"""The interactions repository on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine

from store.db import session_scope
from store.interactions import load_interactions, mark_vanished, upsert_interactions


def frame(statuses: list[str]) -> pd.DataFrame:
    n = len(statuses)
    return pd.DataFrame(
        {
            "source": ["easyappointments"] * n,
            "source_id": [str(i) for i in range(n)],
            "email": [f"p{i}@example.org" for i in range(n)],
            "kind": ["booking"] * n,
            "status": statuses,
            "occurred_at": pd.date_range("2026-03-01 09:00", periods=n, freq="D", tz="UTC"),
            "amount": [10.5] * n,
        }
    )


def test_upsert_is_idempotent_and_updates(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert upsert_interactions(session, frame(["booked"] * 3)) == 3
        assert upsert_interactions(session, frame(["booked", "cancelled", "booked"])) == 3
    with session_scope(engine) as session:
        stored = load_interactions(session).sort_values("source_id")
    assert len(stored) == 3
    assert stored["status"].tolist() == ["booked", "cancelled", "booked"]
    assert str(stored["occurred_at"].dtype) == "datetime64[us, UTC]"
    assert stored["occurred_at"].iloc[0] == pd.Timestamp("2026-03-01 09:00", tz="UTC")


def test_vanished_rows_are_marked_deleted_only_inside_the_window(engine: Engine) -> None:
    with session_scope(engine) as session:
        upsert_interactions(session, frame(["booked"] * 5))
        marked = mark_vanished(
            session,
            source="easyappointments",
            date_from=date(2026, 3, 1),
            date_to=date(2026, 3, 3),
            seen_ids=["0"],
        )
    assert marked == 2
    with session_scope(engine) as session:
        stored = load_interactions(session).set_index("source_id")["status"].to_dict()
    assert stored == {"0": "booked", "1": "deleted", "2": "deleted", "3": "booked", "4": "booked"}


def test_load_filters_by_email_and_window(engine: Engine) -> None:
    with session_scope(engine) as session:
        upsert_interactions(session, frame(["booked"] * 5))
        by_email = load_interactions(session, emails=["p1@example.org", "p4@example.org"])
        by_window = load_interactions(session, occurred_from=date(2026, 3, 2), occurred_to=date(2026, 3, 3))
    assert sorted(by_email["source_id"]) == ["1", "4"]
    assert sorted(by_window["source_id"]) == ["1", "2"]


def test_stored_frame_is_the_interactions_frame() -> None:
    """store types frames from its table; audience names the interactions frame: the two must agree."""
    from audience.schema import INTERACTION_DTYPES, coerce_interactions
    from store.interactions import STORED_DTYPES, typed_frame

    assert list(STORED_DTYPES.items()) == list(INTERACTION_DTYPES.items())
    given = frame(["booked", "cancelled"]).assign(created_at=["2026-01-01T08:00:00Z", None], extra=[1, 2])
    pd.testing.assert_frame_equal(typed_frame(given), coerce_interactions(given))
    pd.testing.assert_frame_equal(typed_frame(pd.DataFrame()), coerce_interactions(pd.DataFrame()))
