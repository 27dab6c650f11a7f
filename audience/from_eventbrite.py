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


def withdrawn_from_events(interactions: pd.DataFrame) -> pd.DataFrame:
    """People whose every ticket for an event was refunded or cancelled: ``email, event_id, service``.

    Run it on the accumulated interactions (all tickets known for the event), not on one
    incremental batch: a batch may hold only the refunded ticket of someone holding two.
    These people leave the lists this project manages for that event; never Brevo's blocklist.
    """
    tickets = interactions[
        (interactions["source"] == SOURCE)
        & (interactions["kind"] == "ticket")
        & interactions["email"].notna()
    ]
    if tickets.empty:
        return pd.DataFrame(
            {
                "email": pd.Series(dtype="string"),
                "event_id": pd.Series(dtype="string"),
                "service": pd.Series(dtype="string"),
            }
        )
    held = tickets.assign(withdrawn=tickets["status"].isin(WITHDRAWN))
    grouped = held.groupby(["email", "event_id"], as_index=False).agg(
        withdrawn=("withdrawn", "all"), service=("service", "first")
    )
    out = grouped.loc[grouped["withdrawn"], ["email", "event_id", "service"]]
    return out.astype("string").sort_values(["email", "event_id"]).reset_index(drop=True)


def event_counts(interactions: pd.DataFrame, *, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per email: ``EVENTS_ATTENDED``, ``WEBINARS_ATTENDED``, ``LAST_EVENT_DATE``.

    Events attended = distinct Eventbrite events already held (``occurred_at <= as_of``) where
    the person holds an active ticket (booked or checked in); webinars attended = distinct Zoom
    occurrences with an attendance; the last event date is the latest of either (a date, UTC).
    """
    frame = interactions[interactions["email"].notna()]
    events = frame[
        (frame["source"] == SOURCE)
        & (frame["kind"] == "ticket")
        & frame["status"].isin(("booked", "attended"))
        & (frame["occurred_at"] <= as_of)
    ]
    webinars = frame[(frame["source"] == "zoom") & (frame["kind"] == "attendance")]
    ev = events.groupby("email").agg(
        EVENTS_ATTENDED=("event_id", "nunique"), last_event=("occurred_at", "max")
    )
    # source_id of an attendance is "<occurrence uuid>:<person>": the occurrence is its first part.
    occurrence = webinars["source_id"].str.rsplit(":", n=1).str[0]
    wb = (
        webinars.assign(occurrence=occurrence)
        .groupby("email")
        .agg(WEBINARS_ATTENDED=("occurrence", "nunique"), last_webinar=("occurred_at", "max"))
    )
    out = ev.join(wb, how="outer")
    out["EVENTS_ATTENDED"] = out["EVENTS_ATTENDED"].fillna(0).astype("Int64")
    out["WEBINARS_ATTENDED"] = out["WEBINARS_ATTENDED"].fillna(0).astype("Int64")
    last = out[["last_event", "last_webinar"]].max(axis=1)
    out["LAST_EVENT_DATE"] = last.dt.date
    return out[["EVENTS_ATTENDED", "WEBINARS_ATTENDED", "LAST_EVENT_DATE"]].reset_index()
