"""Eventbrite records -> interactions, withdrawn tickets and event counts (pure)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from audience.from_eventbrite import eventbrite_interactions
from audience.schema import INTERACTION_DTYPES

EVENT = {
    "id": "E1",
    "name": {"text": "Sabre Masterclass"},
    "start": {"utc": "2026-03-05T18:00:00Z"},
    "status": "completed",
    "currency": "EUR",
}
CANCELLED = {
    "id": "E2",
    "name": {"text": "Gala"},
    "start": {"utc": "2026-04-01T19:00:00Z"},
    "status": "live",  # cancelled, yet still "live": only the sales status tells
    "event_sales_status": {"sales_status": "unavailable", "message_code": "event_cancelled"},
}


def attendee(aid: str, event: str, email: str, **flags: Any) -> dict[str, Any]:
    return {
        "id": aid,
        "event_id": event,
        "created": "2026-02-01T10:00:00Z",
        "status": flags.pop("status", "Attending"),
        "checked_in": flags.pop("checked_in", False),
        "cancelled": flags.pop("cancelled", False),
        "refunded": flags.pop("refunded", False),
        "profile": {"first_name": "Ana", "last_name": "Silva", "email": email},
        "costs": {"gross": {"currency": "EUR", "value": 2500, "major_value": "25.00"}},
    }


def test_statuses_amounts_and_times() -> None:
    frame = eventbrite_interactions(
        [EVENT, CANCELLED],
        [
            attendee("1", "E1", "  Ana.Silva@Gmail.com "),
            attendee("2", "E1", "bo@x.org", checked_in=True, status="Checked In"),
            attendee("3", "E1", "cy@x.org", refunded=True, status="Not Attending"),
            attendee("4", "E1", "di@x.org", cancelled=True, status="Not Attending"),
            attendee("5", "E2", "ed@x.org"),
            attendee("6", "E2", "fa@x.org", refunded=True),
            attendee("7", "E9", "gh@x.org"),  # unknown event: left out
            attendee("8", "E1", "not-an-email"),
        ],
    )
    assert list(frame.columns) == list(INTERACTION_DTYPES)
    assert dict(zip(frame["source_id"], frame["status"], strict=True)) == {
        "1": "booked",
        "2": "attended",
        "3": "refunded",
        "4": "cancelled",
        "5": "cancelled",
        "6": "refunded",
        "8": "booked",
    }
    first = frame.iloc[0]
    assert first["email"] == "ana.silva@gmail.com" and first["email_raw"] == "  Ana.Silva@Gmail.com "
    assert first["occurred_at"] == pd.Timestamp("2026-03-05T18:00:00Z")
    assert first["created_at"] == pd.Timestamp("2026-02-01T10:00:00Z")
    assert first["amount"] == 25.0 and first["currency"] == "EUR" and first["service"] == "Sabre Masterclass"
    assert first["kind"] == "ticket" and first["event_id"] == "E1"
    assert pd.isna(frame.loc[frame["source_id"] == "8", "email"].iloc[0])


def test_empty_input_gives_an_empty_frame() -> None:
    frame = eventbrite_interactions([EVENT], [])
    assert frame.empty and list(frame.columns) == list(INTERACTION_DTYPES)
