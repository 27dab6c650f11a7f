"""Generating the Zoom twin's data from the shared world: sessions, registrants, participant rows.

The shares each display-rule case gets are documented in :mod:`sandbox.zoom_data`.
"""

from __future__ import annotations

import base64
from datetime import UTC, timedelta
from typing import Any

from sandbox.conventions import iso_utc
from sandbox.world import Person, World
from sandbox.zoom_data import (
    CITIES,
    HOST,
    HOST_WEIGHTS,
    MEETING_TOPICS,
    SERVICE,
    USERS,
    WEBINAR_TOPICS,
    Occurrence,
    Session,
    ZoomState,
)


def _make_uuid(rng: Any, quirky: bool) -> str:
    text = base64.b64encode(rng.getrandbits(128).to_bytes(16, "big")).decode()
    if quirky:
        # Zoom UUIDs are base64: some start with "/" or contain "//" (double-encoding needed).
        text = "/" + text[1:] if rng.random() < 0.5 else text[:5] + "//" + text[7:]
    return text


def _held_sessions(world: World, rng: Any, n_meetings: int, n_webinars: int) -> list[Session]:
    anchor = world.anchor.astimezone(UTC)
    host_ids = [u["id"] for u in USERS]
    # Meeting 1 (its report lost) is the owner's; meeting 2 the deactivated user's: every world has both.
    fixed_hosts = {1: HOST["id"], 2: USERS[-1]["id"]}
    sessions: list[Session] = []
    for i in range(n_meetings + n_webinars):
        kind = "meeting" if i < n_meetings else "webinar"
        recurring = rng.random() < (0.35 if kind == "meeting" else 0.2)
        start = (anchor - timedelta(days=rng.uniform(5, 300))).replace(minute=0, second=0, microsecond=0)
        start = start.replace(hour=rng.choice((9, 12, 17, 18, 19)))
        schedule = [start + timedelta(days=7 * k) for k in range(rng.randint(2, 4) if recurring else 1)]
        occurrences = [
            Occurrence(_make_uuid(rng, rng.random() < 0.15), s, []) for s in schedule if s < anchor
        ]
        topics = MEETING_TOPICS if kind == "meeting" else WEBINAR_TOPICS
        # Meetings: 30 % require registration (automatic); webinars always do (30 % approved by hand).
        approval = (0 if rng.random() < 0.3 else 2) if kind == "meeting" else (1 if rng.random() < 0.3 else 0)
        if i == n_meetings:
            approval = 1  # at least one webinar approved by hand: every world has pending registrants
        sessions.append(
            Session(
                id=80_000_000_000 + i * 104_729 + (9_000_000_000 if kind == "webinar" else 0),
                kind=kind,
                topic=f"{rng.choice(topics)} {start:%b %d}",
                start=start,
                duration=rng.choice((45, 60, 90)),
                recurring=recurring,
                occurrences=occurrences,
                # Meeting 1 always lost its report, so every world shows the quirk to an active host.
                report_missing=kind == "meeting" and (rng.random() < 0.1 or i == 1),
                created=start - timedelta(days=rng.uniform(3, 30)),
                host_id=fixed_hosts.get(i) or rng.choices(host_ids, weights=HOST_WEIGHTS)[0],
                approval_type=approval,
                schedule=schedule if recurring else [],
            )
        )
    for j in range(max(2, n_meetings // 5)):  # upcoming sessions (scheduled, not held yet)
        start = (anchor + timedelta(days=rng.uniform(1, 45))).replace(minute=0, second=0, microsecond=0)
        kind = "meeting" if j % 2 == 0 else "webinar"
        sessions.append(
            Session(
                id=70_000_000_000 + j * 7_919 + (9_000_000_000 if kind == "webinar" else 0),
                kind=kind,
                topic=f"{rng.choice(MEETING_TOPICS if kind == 'meeting' else WEBINAR_TOPICS)} {start:%b %d}",
                start=start,
                duration=60,
                recurring=False,
                occurrences=[],
                created=anchor - timedelta(days=2),
                host_id=rng.choices(host_ids[:3], weights=HOST_WEIGHTS[:3])[0],
                approval_type=0 if kind == "webinar" else 2,
            )
        )
    return sessions


def _registrant(world: World, rng: Any, person: Person, session: Session, number: int) -> dict[str, Any]:
    anchor = world.anchor.astimezone(UTC)
    roll = rng.random()
    status = "approved" if roll < 0.8 or session.approval_type == 0 else "pending" if roll < 0.9 else "denied"
    if session.approval_type == 0 and roll >= 0.93:
        status = "denied"  # an organizer can still deny an automatically approved registrant
    city, country = rng.choice(CITIES)
    detailed = rng.random() < 0.4
    kind = "j" if session.kind == "meeting" else "w"
    return {
        "id": base64.urlsafe_b64encode(number.to_bytes(12, "big")).decode(),
        "email": world.email_variant(person, rng),
        "first_name": person.first_name,
        "last_name": person.last_name,
        "address": "",
        "city": city if detailed else "",
        "country": country if detailed else "",
        "zip": "",
        "state": "",
        "phone": person.phone if detailed else "",
        "industry": "",
        "org": rng.choice(("", "", "Sala de Armas", "Club Escrime")),
        "job_title": "",
        "purchasing_time_frame": "",
        "role_in_purchase_process": "",
        "no_of_employees": "",
        "comments": rng.choice(("", "", "First time at a session.")),
        "custom_questions": [
            {"title": "How did you hear about us?", "value": rng.choice(("Friend", "Newsletter"))}
        ],
        "status": status,
        "create_time": iso_utc(min(session.start, anchor) - timedelta(days=rng.uniform(1, 20))),
        "join_url": f"https://us02web.zoom.us/{kind}/{session.id}?tk={number}",
    }


def _who_joins(
    world: World, rng: Any, session: Session, pool: list[Person], k: int
) -> list[tuple[str, str, str]]:
    """(display name, user_email, registrant_id) for ``k`` people at one occurrence, by the display rule."""
    if session.approval_type != 2:
        approved = [r for r in session.registrants if r["status"] == "approved"]
        out = []
        for reg in rng.sample(approved, min(len(approved), k)):
            name = f"{reg['first_name']} {reg['last_name']}"
            roll = rng.random()
            if roll < 0.78:
                out.append((name, reg["email"], reg["id"]))
            elif roll < 0.88:
                out.append((name, "", reg["id"]))  # signed in to another account: id kept, email hidden
            else:  # meeting id and passcode: a guest; the name may still be theirs
                out.append((name if rng.random() < 0.75 else f"{reg['first_name']}'s iPhone", "", ""))
        return out
    out = []
    for person in rng.sample(pool, min(len(pool), k)):
        invited = rng.random() < 0.35
        email = world.email_variant(person, rng) if invited else ""
        out.append((f"{person.first_name} {person.last_name}", email, ""))
    return out


def _participant_rows(
    rng: Any, session: Session, occurrence: Occurrence, joined: list[tuple[str, str, str]], user_id: int
) -> int:
    for name, email, registrant_id in joined:
        user_id += 1
        joins = 1 if rng.random() < 0.8 else rng.randint(2, 3)
        moment = occurrence.start + timedelta(minutes=rng.uniform(-5, 10))
        for _ in range(joins):
            seconds = int(rng.uniform(300, session.duration * 60 / joins))
            leave = moment + timedelta(seconds=seconds)
            occurrence.participants.append(
                {
                    "id": f"p{user_id:x}" if email else "",
                    "user_id": str(user_id),
                    "name": name,
                    "user_email": email,
                    "join_time": iso_utc(moment),
                    "leave_time": iso_utc(leave),
                    "duration": seconds,
                    "registrant_id": registrant_id,
                    "failover": False,
                    "status": "in_meeting",
                    "customer_key": "",
                    "bo_mtg_id": "",
                    "internal_user": False,
                }
            )
            moment = leave + timedelta(minutes=rng.uniform(0.5, 5))
    occurrence.participants.sort(key=lambda row: row["join_time"])
    return user_id


def _recording(rng: Any, occurrence: Occurrence) -> dict[str, Any]:
    return {
        "uuid": occurrence.uuid,
        "start": occurrence.start,
        "files": [
            {
                "id": f"rec-{occurrence.uuid[:6]}-{kind}",
                "file_type": kind,
                "file_extension": kind,
                "file_size": rng.randint(10**6, 10**8),
                "recording_type": "shared_screen_with_speaker_view" if kind == "MP4" else "audio_only",
                "status": "completed",
            }
            for kind in ("MP4", "M4A")
        ],
    }


def generate(world: World) -> ZoomState:
    """Build users, meetings, webinars, registrants and participant rows from the shared world."""
    rng = world.rng_for(SERVICE)
    n_meetings = min(60, 10 + world.scale // 1000)
    n_webinars = min(30, 4 + world.scale // 2000)
    rows_target = max(30, world.scale // 5)
    pool = world.pick_people(rng, max(12, rows_target // 2), bookers_share=0.4)
    sessions = _held_sessions(world, rng, n_meetings, n_webinars)
    held = [(s, o) for s in sessions for o in s.occurrences]
    per_occurrence = max(1, rows_target // max(1, len(held)))
    number = 0
    for session in sessions:
        if session.approval_type == 2:
            continue
        k = min(len(pool), int(per_occurrence * max(1, len(session.occurrences)) * 1.4) + 3)
        for person in rng.sample(pool, k):
            number += 1
            session.registrants.append(_registrant(world, rng, person, session, number))
    user_id = 16_778_240
    for session, occurrence in held:
        joined = _who_joins(world, rng, session, pool, per_occurrence)
        user_id = _participant_rows(rng, session, occurrence, joined, user_id)
        if rng.random() < 0.3:
            session.recordings.append(_recording(rng, occurrence))
    return ZoomState(
        meetings=[s for s in sessions if s.kind == "meeting"],
        webinars=[s for s in sessions if s.kind == "webinar"],
        by_uuid={o.uuid: (s, o) for s in sessions for o in s.occurrences},
    )
