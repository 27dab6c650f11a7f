"""Eventbrite attendees -> interactions frame (pure pandas), and what follows from them.

Input is Eventbrite's own JSON shape (events and attendees as the API returns them, or
``model_dump(mode="json")`` of the connector's records), so this module needs no connector.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from audience.identity import normalise_emails
from audience.schema import coerce_interactions, empty_interactions

SOURCE = "eventbrite"
#: Statuses that mean the person no longer holds the ticket.
WITHDRAWN = ("refunded", "cancelled")


def _event_cancelled(event: Mapping[str, Any]) -> bool:
    if str(event.get("status") or "").lower() in ("canceled", "cancelled"):
        return True
    sales = event.get("event_sales_status") or {}
    return str(sales.get("sales_status") or "").lower() in ("canceled", "cancelled") or str(
        sales.get("message_code") or ""
    ).lower() in ("event_cancelled", "event_canceled")


def attendee_status(attendee: Mapping[str, Any], *, event_cancelled: bool = False) -> str:
    """``refunded`` / ``cancelled`` / ``attended`` (checked in) / ``booked`` (an active ticket)."""
    status = str(attendee.get("status") or "").lower()
    if attendee.get("refunded"):
        return "refunded"
    if attendee.get("cancelled") or status in ("not attending", "deleted") or event_cancelled:
        return "cancelled"
    if attendee.get("checked_in") or status == "checked in":
        return "attended"
    return "booked"


def eventbrite_interactions(
    events: Iterable[Mapping[str, Any]], attendees: Iterable[Mapping[str, Any]]
) -> pd.DataFrame:
    """One ``ticket`` interaction per attendee of a known event.

    ``occurred_at`` is the event's start (UTC), ``created_at`` the attendee's creation,
    ``amount`` the ticket's gross in major units. Refunded and cancelled tickets keep their
    status (they are not attendance); tickets of a cancelled event are ``cancelled`` unless
    refunded. Attendees of events not in ``events`` are left out.
    """
    by_id = {str(e["id"]): e for e in events}
    rows = []
    for attendee in attendees:
        event = by_id.get(str(attendee.get("event_id")))
        if event is None:
            continue
        profile = attendee.get("profile") or {}
        gross = (attendee.get("costs") or {}).get("gross") or {}
        name = event.get("name") or {}
        rows.append(
            {
                "source": SOURCE,
                "source_id": str(attendee["id"]),
                "email_raw": profile.get("email"),
                "first_name": profile.get("first_name"),
                "last_name": profile.get("last_name"),
                "phone": profile.get("cell_phone"),
                "kind": "ticket",
                "status": attendee_status(attendee, event_cancelled=_event_cancelled(event)),
                "occurred_at": (event.get("start") or {}).get("utc"),
                "created_at": attendee.get("created"),
                "service": name.get("text") or name.get("html") if isinstance(name, Mapping) else str(name),
                "event_id": str(event["id"]),
                "amount": float(gross["major_value"]) if gross.get("major_value") is not None else None,
                "currency": gross.get("currency") or event.get("currency"),
            }
        )
    if not rows:
        return empty_interactions()
    frame = pd.DataFrame(rows)
    frame["email"] = normalise_emails(frame["email_raw"])
    frame = frame.drop_duplicates("source_id", keep="last")
    return coerce_interactions(frame)
