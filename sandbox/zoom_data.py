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
from datetime import datetime, timedelta
from typing import Any

from sandbox.conventions import iso_utc

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
            "start_time": iso_utc(self.start),
            "duration": self.duration,
            "timezone": "Europe/Lisbon",
            "agenda": "",
            "created_at": iso_utc(self.created or self.start - timedelta(days=14)),
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
                    "start_time": iso_utc(moment),
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
