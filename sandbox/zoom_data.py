"""What the Zoom twin serves: the account's users, their meetings and webinars, registrants, participants.

Built from the shared world (``world.rng_for("zoom")``). Several users of one account host
sessions (the owner and coaches; one deactivated user, whom ``GET /users`` leaves out by
default). Some meetings require registration (``settings.approval_type`` 0 or 1), every webinar
does. Participants' emails follow Zoom's display rule (spec text of ``user_email``:
"If the participant is not part of the host's account, this returns an empty string value, with
some exceptions"; devsupport article 13343538313101): people invited from a calendar and
registered people who joined through their own registration link keep theirs; everyone else is
a guest with an empty ``user_email``. The twin's shares (documented, not measured):

- meetings without registration: 35 % of participants were calendar-invited (email shown), the
  rest are guests (no email, no registrant): nothing ties them to a person;
- sessions with registration: 78 % join through their link (email and ``registrant_id``), 10 %
  through their link but signed in to another Zoom account (``registrant_id``, empty email),
  12 % with the meeting id and passcode instead (a guest: empty email, no registrant id; most
  keep the registered display name, some show a device name).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.world import Person, World

SERVICE = "zoom"
ACCOUNT_ID = "sandbox-account"


def _user(uid: str, email: str, first: str, last: str, status: str = "active") -> dict[str, Any]:
    return {
        "id": uid,
        "first_name": first,
        "last_name": last,
        "display_name": f"{first} {last}",
        "email": email,
        "type": 2,
        "pmi": 5_550_000_000 + sum(map(ord, uid)),
        "timezone": "Europe/Lisbon",
        "verified": 1,
        "dept": "Coaching",
        "created_at": "2024-09-02T09:00:00Z",
        "user_created_at": "2024-09-02T09:00:00Z",
        "last_login_time": "2026-01-10T08:30:00Z",
        "last_client_version": "6.3.0.52884(mac)",
        "language": "en-US",
        "status": status,
        "role_id": "0" if uid == "KDcuGIm1QgePTO8WbOqwIQ" else "2",
        "account_id": ACCOUNT_ID,
    }


#: The account owner: who ``me`` is for the app's token.
HOST = _user("KDcuGIm1QgePTO8WbOqwIQ", "host@engarde.example", "En Garde", "Host")
#: Every user of the account; the last one is deactivated.
USERS: list[dict[str, Any]] = [
    HOST,
    _user("z8yBXkt9Q3mX0c1fAoachA", "alice.coach@engarde.example", "Alice", "Marchetti"),
    _user("r2PqWc7xSxu4nQe9BkerrB", "bruno.coach@engarde.example", "Bruno", "Kerr"),
    _user("Xo0dEaCtIvAtEdUsEr0001", "former.coach@engarde.example", "Chen", "Wallace", "inactive"),
]
#: Share of sessions each user hosts (same order as ``USERS``).
HOST_WEIGHTS = (0.45, 0.25, 0.22, 0.08)
MEETING_TOPICS = ("Coaching Q&A", "Tactics Review", "Members Call", "Referee Clinic", "Parents Briefing")
WEBINAR_TOPICS = (
    "Intro to Fencing",
    "Olympic Fencing Explained",
    "Choosing Your Weapon",
    "Fitness for Fencers",
)
CITIES = (("Lisbon", "PT"), ("Porto", "PT"), ("Paris", "FR"), ("London", "GB"), ("Berlin", "DE"))


def iso(moment: datetime) -> str:
    """Zoom's UTC timestamp format (``2026-03-05T18:00:00Z``)."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return f"{moment.isoformat(timespec='seconds')[:19]}Z"


def uuid_for(seed: int) -> str:
    """A stable base64 UUID for a session that has no held occurrence yet."""
    return base64.b64encode(seed.to_bytes(16, "big")).decode()


@dataclass
class Occurrence:
    """One held instance of a meeting or webinar."""

    uuid: str
    start: datetime
    participants: list[dict[str, Any]]


@dataclass
class Session:
    """A meeting (type 2 / 8) or a webinar (type 5 / 9) with its past occurrences."""

    id: int
    kind: str  # meeting | webinar
    topic: str
    start: datetime
    duration: int
    recurring: bool
    occurrences: list[Occurrence]
    registrants: list[dict[str, Any]] = field(default_factory=list)
    report_missing: bool = False
    recordings: list[dict[str, Any]] = field(default_factory=list)
    created: datetime | None = None
    host_id: str = HOST["id"]
    #: 0 automatic, 1 manual approval, 2 no registration (meetings only).
    approval_type: int = 2
    #: Every scheduled start of a recurring series, held or not.
    schedule: list[datetime] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The list-endpoint shape (``GET /users/{userId}/meetings|webinars``)."""
        meeting = self.kind == "meeting"
        return {
            "uuid": self.occurrences[-1].uuid if self.occurrences else uuid_for(self.id),
            "id": self.id,
            "host_id": self.host_id,
            "topic": self.topic,
            "type": (8 if self.recurring else 2) if meeting else (9 if self.recurring else 5),
            "start_time": iso(self.start),
            "duration": self.duration,
            "timezone": "Europe/Lisbon",
            "agenda": "",
            "created_at": iso(self.created or self.start - timedelta(days=14)),
            "join_url": f"https://us02web.zoom.us/{'j' if meeting else 'w'}/{self.id}",
        }

    def detail(self, now: datetime) -> dict[str, Any]:
        """``GET /meetings/{id}`` / ``GET /webinars/{id}``: the summary plus settings and recurrence."""
        host = next((u for u in USERS if u["id"] == self.host_id), HOST)
        body = {
            **self.summary(),
            "host_email": host["email"],
            "start_url": f"https://us02web.zoom.us/s/{self.id}?zak=sandbox",
            "password": "touche",
            "settings": self.settings(),
        }
        if self.kind == "meeting":
            body["status"] = "waiting"
        if self.recurring:
            body["recurrence"] = {
                "type": 2,
                "repeat_interval": 1,
                "weekly_days": str(self.start.isoweekday() % 7 + 1),
                "end_times": len(self.schedule),
            }
            body["occurrences"] = [
                {
                    "occurrence_id": str(int(moment.timestamp() * 1000)),
                    "start_time": iso(moment),
                    "duration": self.duration,
                    "status": "available",
                }
                for moment in self.schedule
                if moment >= now  # Zoom lists the occurrences still to come
            ]
        return body

    def settings(self) -> dict[str, Any]:
        """The session's settings (the fields this twin knows; Zoom sends many more)."""
        out: dict[str, Any] = {
            "approval_type": self.approval_type,
            "host_video": True,
            "audio": "both",
            "auto_recording": "cloud" if self.recordings else "none",
            "meeting_authentication": False,
            "show_share_button": True,
            "allow_multiple_devices": True,
            "contact_name": "En Garde",
            "contact_email": "host@engarde.example",
        }
        if self.approval_type != 2:
            out.update(registration_type=1, registrants_email_notification=True, close_registration=False)
        if self.kind == "meeting":
            out.update(
                participant_video=False, join_before_host=False, waiting_room=True, mute_upon_entry=True
            )
        else:
            out.update(panelists_video=True, practice_session=False, hd_video=True, on_demand=False)
        return out


@dataclass
class ZoomState:
    """Everything the twin serves, plus its knobs (tests change them)."""

    meetings: list[Session]
    webinars: list[Session]
    by_uuid: dict[str, tuple[Session, Occurrence]]
    users: list[dict[str, Any]] = field(default_factory=lambda: [dict(u) for u in USERS])
    plan: str = "pro"  # "free": report endpoints refuse (code 200)
    token_lifetime: float = 3600.0
    page_token_ttl: float = 900.0
    #: Reject the next N tokens as expired whatever their age (tests of a mid-crawl expiry).
    expire_page_tokens: int = 0
    tokens: dict[str, float] = field(default_factory=dict)
    tokens_issued: int = 0
    page_tokens: dict[str, tuple[str, int, int, float]] = field(default_factory=dict)
    exhausted: dict[str, bool] = field(default_factory=dict)
    next_id: int = 0

    def of_active_hosts(self, sessions: list[Session]) -> list[Session]:
        """The sessions whose host is an active user (what reading every active host sees)."""
        active = {u["id"] for u in self.users if u["status"] == "active"}
        return [s for s in sessions if s.host_id in active]

    def user(self, key: str) -> dict[str, Any] | None:
        """The user ``key`` names: ``me`` (the owner), an id or an email (any case)."""
        if key == "me":
            return self.users[0]
        return next(
            (u for u in self.users if key in (u["id"], u["email"]) or key.lower() == u["email"]), None
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
        "create_time": iso(min(session.start, anchor) - timedelta(days=rng.uniform(1, 20))),
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
                    "join_time": iso(moment),
                    "leave_time": iso(leave),
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
