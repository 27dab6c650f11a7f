"""Zoom registrations and attendance -> interactions (pure)."""

from __future__ import annotations

import pandas as pd

from audience.from_zoom import zoom_interactions
from audience.schema import INTERACTION_DTYPES


def registration(rid: str, email: str, status: str) -> dict[str, object]:
    return {
        "meeting_id": 9001,
        "topic": "Intro to Fencing",
        "start_time": "2026-03-10T18:00:00Z",
        "registrant": {
            "id": rid,
            "email": email,
            "first_name": "Ana",
            "last_name": "Silva",
            "status": status,
            "create_time": "2026-03-01T09:00:00Z",
        },
    }


def attendance(uuid: str, email: str | None, registrant_id: str | None = None) -> dict[str, object]:
    return {
        "kind": "webinar",
        "meeting_id": 9001,
        "occurrence_uuid": uuid,
        "topic": "Intro to Fencing",
        "occurrence_start": "2026-03-10T18:00:00Z",
        "email": email,
        "registrant_id": registrant_id,
        "name": "Ana Maria Silva",
        "first_join": "2026-03-10T18:02:00Z",
        "duration_seconds": 3000,
        "sessions": 2,
    }


def test_registrations_and_attendance() -> None:
    frame = zoom_interactions(
        [
            registration("r1", "Ana@X.org", "approved"),
            registration("r2", "bo@x.org", "pending"),
            registration("r3", "cy@x.org", "denied"),
        ],
        [
            attendance("/abc==", " Ana@X.org"),
            attendance("/abc==", "ana@x.org"),  # same person, same occurrence: one row
            attendance("def==", "ana@x.org"),  # another occurrence: another row
            attendance("def==", None, "r9"),  # no email, registrant known by id only
            attendance("def==", None, None),  # nobody: dropped
        ],
    )
    assert list(frame.columns) == list(INTERACTION_DTYPES)
    regs = frame[frame["kind"] == "registration"]
    assert dict(zip(regs["source_id"], regs["status"], strict=True)) == {
        "registration:9001:r1": "registered",
        "registration:9001:r2": "registered",
        "registration:9001:r3": "cancelled",
    }
    seen = frame[frame["kind"] == "attendance"]
    assert list(seen["source_id"]) == ["/abc==:ana@x.org", "def==:ana@x.org", "def==:r9"]
    assert set(seen["status"]) == {"attended"}
    assert seen.iloc[0]["email"] == "ana@x.org" and seen.iloc[0]["first_name"] == "Ana"
    assert seen.iloc[0]["last_name"] == "Maria Silva"
    assert seen.iloc[0]["occurred_at"] == pd.Timestamp("2026-03-10T18:00:00Z")
    assert pd.isna(seen.iloc[2]["email"])
    assert (frame["source"] == "zoom").all() and (frame["event_id"] == "9001").all()


def test_nothing_gives_an_empty_frame() -> None:
    frame = zoom_interactions([], [])
    assert frame.empty and list(frame.columns) == list(INTERACTION_DTYPES)
