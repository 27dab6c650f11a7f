"""Zoom registrations and folded attendance -> interactions frame (pure pandas).

Input is the connector's records as plain mappings (``model_dump()`` of
``RegistrationRecord`` and ``Attendance``), so this module needs no connector.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from audience.identity import normalise_emails
from audience.schema import coerce_interactions, empty_interactions

SOURCE = "zoom"
#: Zoom registrant status -> interaction status.
REGISTRATION_STATUS = {"approved": "registered", "pending": "registered", "denied": "cancelled"}


def _split_name(name: str | None) -> tuple[str | None, str | None]:
    if not name:
        return None, None
    first, _, last = name.strip().partition(" ")
    return first or None, last or None


def zoom_interactions(
    registrations: Iterable[Mapping[str, Any]], attendances: Iterable[Mapping[str, Any]]
) -> pd.DataFrame:
    """``registration`` and ``attendance`` interactions.

    Registrations: one per meeting or webinar registrant, ``registered`` (approved or pending)
    or ``cancelled`` (denied), whether or not they attended; ``source_id``
    ``registration:<meeting or webinar id>:<registrant id>`` (Zoom's ids are unique across both).
    Attendance: one per person per occurrence, ``attended``, ``source_id``
    ``<occurrence uuid>:<email or registrant id>`` (stable across re-reads); rows repeating a
    source_id are folded (the connector already folds join sessions; this guards re-reads).
    """
    rows: list[dict[str, Any]] = []
    for record in registrations:
        registrant = record["registrant"]
        rows.append(
            {
                "source": SOURCE,
                "source_id": f"registration:{record['meeting_id']}:{registrant['id']}",
                "email_raw": registrant.get("email"),
                "first_name": registrant.get("first_name"),
                "last_name": registrant.get("last_name"),
                "kind": "registration",
                "status": REGISTRATION_STATUS.get(str(registrant.get("status") or "approved"), "registered"),
                "occurred_at": record.get("start_time"),
                "created_at": registrant.get("create_time"),
                "service": record.get("topic"),
                "event_id": str(record["meeting_id"]),
            }
        )
    for attendance in attendances:
        email = attendance.get("email")
        key = (str(email).strip().lower() if email else None) or attendance.get("registrant_id")
        if not key:
            continue  # nobody to attribute it to (the connector counts these)
        first, last = _split_name(attendance.get("name"))
        rows.append(
            {
                "source": SOURCE,
                "source_id": f"{attendance['occurrence_uuid']}:{key}",
                "email_raw": email,
                "first_name": first,
                "last_name": last,
                "kind": "attendance",
                "status": "attended",
                "occurred_at": attendance.get("occurrence_start") or attendance.get("first_join"),
                "created_at": attendance.get("first_join"),
                "service": attendance.get("topic"),
                "event_id": str(attendance["meeting_id"]),
            }
        )
    if not rows:
        return empty_interactions()
    frame = pd.DataFrame(rows)
    frame["email"] = normalise_emails(frame["email_raw"])
    frame = frame.drop_duplicates("source_id", keep="first")
    return coerce_interactions(frame)
