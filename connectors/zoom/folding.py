"""Join sessions -> one attendance per person per occurrence, and who each person is (pure).

Zoom hides a participant's email unless they belong to the host's account, registered, or were
invited from a calendar. A row without an email is joined to a registrant of the same meeting or
webinar, in this order:

1. **registrant id**: the row's ``registrant_id`` (report endpoints with
   ``include_fields=registrant_id``) names a registrant with an email;
2. **display name**: the row's display name, compared case-, accent- and space-insensitively,
   equals the full name (``first_name last_name``) of exactly one registrant of that meeting or
   webinar, and that registrant is not already present at this occurrence under their email or
   id, nor claimed by another nameless person. Ambiguous or partial names are never guessed.

Everyone else is counted as unmatched and left out of the audience.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Literal

from connectors.zoom.models import Attendance, FoldResult, MeetingAnalytics, Participant, Registrant


def _normal(email: str | None) -> str | None:
    cleaned = (email or "").strip().lower()
    return cleaned or None


def normal_name(name: str | None) -> str:
    """A display name for comparison: accents dropped, case folded, spaces collapsed."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def _person_key(row: Participant) -> str:
    email = _normal(row.user_email)
    if email:
        return f"email:{email}"
    if row.registrant_id:
        return f"registrant:{row.registrant_id}"
    return f"user:{row.user_id or row.id or row.name or ''}"


def _unique_names(registrants: Mapping[str, Registrant]) -> dict[str, Registrant]:
    seen: dict[str, list[Registrant]] = {}
    for registrant in registrants.values():
        if _normal(registrant.email):
            full = normal_name(f"{registrant.first_name or ''} {registrant.last_name or ''}")
            if full:
                seen.setdefault(full, []).append(registrant)
    return {name: found[0] for name, found in seen.items() if len(found) == 1}


def _resolve(
    rows: Iterable[Participant], registrants: Mapping[str, Registrant]
) -> dict[str, tuple[list[Participant], str | None, str]]:
    """Rows grouped per person: key -> (rows, email, how), how = email / registrant / none."""
    found: dict[str, list[tuple[Participant, str | None, str]]] = {}
    for row in rows:
        email, how = _normal(row.user_email), "email"
        if not email and row.registrant_id and row.registrant_id in registrants:
            email, how = _normal(registrants[row.registrant_id].email), "registrant"
        key = f"email:{email}" if email else _person_key(row)
        found.setdefault(key, []).append((row, email, how if email else "none"))
    groups: dict[str, tuple[list[Participant], str | None, str]] = {}
    for key, members in found.items():
        hows = {how for _, _, how in members}
        how = next(h for h in ("email", "registrant", "none") if h in hows)
        email = next((e for _, e, _ in members if e), None)
        groups[key] = ([row for row, _, _ in members], email, how)
    return groups


def _join_by_name(
    groups: dict[str, tuple[list[Participant], str | None, str]], registrants: Mapping[str, Registrant]
) -> dict[str, Registrant]:
    """Nameless groups -> the registrant their display name uniquely designates (rule 2)."""
    by_name = _unique_names(registrants)
    present = {email for _, email, _ in groups.values() if email}
    present_ids = {r.registrant_id for rows, _, _ in groups.values() for r in rows if r.registrant_id}
    claims: dict[str, list[str]] = {}
    for key, (rows, email, _) in groups.items():
        if email:
            continue
        names = {normal_name(r.name) for r in rows} - {""}
        if len(names) != 1:
            continue
        registrant = by_name.get(names.pop())
        if registrant is None or registrant.id in present_ids or _normal(registrant.email) in present:
            continue
        claims.setdefault(registrant.id, []).append(key)
    return {keys[0]: registrants[rid] for rid, keys in claims.items() if len(keys) == 1}


def fold_participants(
    rows: Iterable[Participant],
    *,
    kind: Literal["meeting", "webinar"],
    meeting_id: int,
    occurrence_uuid: str,
    topic: str,
    occurrence_start: datetime | None,
    registrants: Mapping[str, Registrant] | None = None,
) -> FoldResult:
    """One :class:`Attendance` per person for one occurrence (join sessions summed).

    Rows without an email are joined to ``registrants`` (every status, by id) by the rules of
    this module; people still without an email are counted in ``without_email`` and left out.
    """
    registrants = registrants or {}
    groups = _resolve(rows, registrants)
    named = _join_by_name(groups, registrants)
    attendances: list[Attendance] = []
    counts = {"email": 0, "registrant": 0, "name": 0, "none": 0}
    for key, (sessions, email, how) in groups.items():
        registrant_id = next((r.registrant_id for r in sessions if r.registrant_id), None)
        if key in named:
            email, how, registrant_id = _normal(named[key].email), "name", named[key].id
        counts[how if email else "none"] += 1
        if not email:
            continue
        leaves = [r.leave_time for r in sessions if r.leave_time is not None]
        attendances.append(
            Attendance(
                kind=kind,
                meeting_id=meeting_id,
                occurrence_uuid=occurrence_uuid,
                topic=topic,
                occurrence_start=occurrence_start,
                email=next((r.user_email for r in sessions if _normal(r.user_email)), None) or email,
                registrant_id=registrant_id,
                name=next((r.name for r in sessions if r.name), None),
                first_join=min(r.join_time for r in sessions),
                last_leave=max(leaves) if leaves else None,
                duration_seconds=sum(r.duration for r in sessions),
                sessions=len(sessions),
            )
        )
    return FoldResult(
        attendances=attendances,
        without_email=counts["none"],
        by_email=counts["email"],
        by_registrant=counts["registrant"],
        by_name=counts["name"],
    )


def analyze_participants(meeting: str, rows: Sequence[Participant]) -> MeetingAnalytics:
    """Figures of one occurrence from its join sessions (pure)."""
    people = {_person_key(r) for r in rows}
    total_minutes = sum(r.duration for r in rows) / 60
    events: list[tuple[datetime, int]] = []
    for r in rows:
        events.append((r.join_time, 1))
        events.append((r.leave_time or r.join_time + timedelta(seconds=r.duration), -1))
    peak = current = 0
    for _, delta in sorted(events, key=lambda e: (e[0], e[1])):  # leaves before joins at the same instant
        current += delta
        peak = max(peak, current)
    return MeetingAnalytics(
        meeting=meeting,
        join_sessions=len(rows),
        unique_attendees=len(people),
        total_minutes=round(total_minutes, 2),
        average_minutes=round(total_minutes / len(people), 2) if people else 0.0,
        peak_concurrency=peak,
    )
