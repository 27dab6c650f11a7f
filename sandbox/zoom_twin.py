"""Zoom API v2 twin: Server-to-Server OAuth, meetings, webinars, registrants, reports, recordings.

Data comes from the shared world (``world.rng_for("zoom")``): a few dozen meetings (some
recurring, with several past occurrences) and webinars, about ``scale / 5`` participant rows
in total, the same people as elsewhere under other email casings. Quirks reproduced:

- tokens from ``POST /oauth/token?grant_type=account_credentials&account_id=`` (Basic auth)
  expire after ``ZoomState.token_lifetime`` seconds; then ``401 {"code": 124}``;
- ``next_page_token`` pagination (``page_size`` default 30, max 300); a token expires after
  ``ZoomState.page_token_ttl`` seconds and must come with the same ``page_size``
  (``400 {"code": 300}`` otherwise);
- report participants: one row per join (rejoins repeat a person), guests with an empty
  ``user_email`` (joinable to registrants by ``registrant_id`` only when
  ``include_fields=registrant_id`` is asked), some guests with neither;
- UUIDs starting with ``/`` or containing ``//`` only resolve when double-encoded;
- report 404 (code 3001) for some meetings; report endpoints refused (code 200) on a free plan;
- QPS 429 with ``X-RateLimit-*`` headers, daily 429 with an ISO ``Retry-After``.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.framework import FaultProfile, SandboxContext
from sandbox.world import Person, World

SERVICE = "zoom"
ACCOUNT_ID = "sandbox-account"
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-zoom-secret"
HOST = {
    "id": "KDcuGIm1QgePTO8WbOqwIQ",
    "email": "host@engarde.example",
    "first_name": "En Garde",
    "last_name": "Host",
    "type": 2,
    "account_id": ACCOUNT_ID,
    "timezone": "Europe/Lisbon",
    "status": "active",
}
MEETING_TOPICS = ("Coaching Q&A", "Tactics Review", "Members Call", "Referee Clinic", "Parents Briefing")
WEBINAR_TOPICS = (
    "Intro to Fencing",
    "Olympic Fencing Explained",
    "Choosing Your Weapon",
    "Fitness for Fencers",
)
#: Route template -> rate-limit category (per the api-notes table).
CATEGORIES = {"report": "Heavy", "POST": "Light", "DELETE": "Light"}


def _iso(moment: datetime) -> str:
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return f"{moment.isoformat(timespec='seconds')[:19]}Z"


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status, headers=headers)


def rate_limited(category: str = "Medium") -> Response:
    """Zoom's per-second 429 (the reset header is often missing: none here)."""
    return _error(
        429,
        429,
        "You have reached the maximum per-second rate limit for this API. Try again later.",
        {
            "X-RateLimit-Category": category,
            "X-RateLimit-Type": "QPS",
            "X-RateLimit-Limit": "20",
            "X-RateLimit-Remaining": "0",
        },
    )


def daily_limited(category: str, now: datetime | None = None) -> Response:
    """Zoom's daily 429: ``Retry-After`` is the ISO datetime of the next UTC midnight."""
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return _error(
        429,
        429,
        "You have reached the maximum daily rate limit for this API. Refer to the response header for "
        "details on when you can make another request.",
        {
            "X-RateLimit-Category": category,
            "X-RateLimit-Type": "Daily-limit",
            "X-RateLimit-Limit": "30000",
            "X-RateLimit-Remaining": "0",
            "Retry-After": _iso(midnight),
        },
    )


FAULTS = FaultProfile(
    rate_limited=rate_limited,
    server_error=lambda: _error(500, 500, "Internal server error."),
    expired_token=lambda: _error(401, 124, "Access token is expired."),
    exempt=("/oauth/",),
)


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

    def summary(self) -> dict[str, Any]:
        """The list-endpoint shape."""
        base = {
            "uuid": self.occurrences[-1].uuid if self.occurrences else _uuid_for(self.id),
            "id": self.id,
            "host_id": HOST["id"],
            "topic": self.topic,
            "type": (8 if self.recurring else 2) if self.kind == "meeting" else (9 if self.recurring else 5),
            "start_time": _iso(self.start),
            "duration": self.duration,
            "timezone": "Europe/Lisbon",
            "created_at": _iso(self.created or self.start - timedelta(days=14)),
            "join_url": f"https://us02web.zoom.us/{'j' if self.kind == 'meeting' else 'w'}/{self.id}",
        }
        return base


def _uuid_for(seed: int) -> str:
    return base64.b64encode(seed.to_bytes(16, "big")).decode()


@dataclass
class ZoomState:
    """Everything the twin serves, plus its knobs (tests change them)."""

    meetings: list[Session]
    webinars: list[Session]
    by_uuid: dict[str, tuple[Session, Occurrence]]
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


def _make_uuid(rng: Any, quirky: bool) -> str:
    text = base64.b64encode(rng.getrandbits(128).to_bytes(16, "big")).decode()
    if quirky:
        # Zoom UUIDs are base64: some start with "/" or contain "//" (double-encoding needed).
        text = "/" + text[1:] if rng.random() < 0.5 else text[:5] + "//" + text[7:]
    return text


def generate(world: World) -> ZoomState:
    """Build meetings, webinars, registrants and participant rows from the shared world."""
    rng = world.rng_for(SERVICE)
    anchor = world.anchor.astimezone(UTC)
    n_meetings = min(60, 10 + world.scale // 1000)
    n_webinars = min(30, 4 + world.scale // 2000)
    rows_target = max(30, world.scale // 5)
    pool = world.pick_people(rng, max(12, rows_target // 2), bookers_share=0.4)
    sessions: list[Session] = []
    for i in range(n_meetings + n_webinars):
        kind = "meeting" if i < n_meetings else "webinar"
        recurring = rng.random() < (0.35 if kind == "meeting" else 0.2)
        start = (anchor - timedelta(days=rng.uniform(5, 300))).replace(minute=0, second=0, microsecond=0)
        start = start.replace(hour=rng.choice((9, 12, 17, 18, 19)))
        n_occ = rng.randint(2, 4) if recurring else 1
        occurrences = [
            Occurrence(_make_uuid(rng, rng.random() < 0.15), start + timedelta(days=7 * k), [])
            for k in range(n_occ)
            if start + timedelta(days=7 * k) < anchor
        ]
        topics = MEETING_TOPICS if kind == "meeting" else WEBINAR_TOPICS
        sessions.append(
            Session(
                id=80_000_000_000 + i * 104_729 + (9_000_000_000 if kind == "webinar" else 0),
                kind=kind,
                topic=f"{rng.choice(topics)} {start:%b %d}",
                start=start,
                duration=rng.choice((45, 60, 90)),
                recurring=recurring,
                occurrences=occurrences,
                report_missing=kind == "meeting" and rng.random() < 0.1,
                created=start - timedelta(days=rng.uniform(3, 30)),
            )
        )
    # Upcoming sessions (scheduled, not held yet).
    for j in range(max(2, n_meetings // 5)):
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
            )
        )
    held = [(s, o) for s in sessions for o in s.occurrences]
    per_occurrence = max(1, rows_target // max(1, len(held)))
    reg_counter = 0
    for session in sessions:
        if session.kind != "webinar":
            continue
        k = min(len(pool), int(per_occurrence * max(1, len(session.occurrences)) * 1.4) + 3)
        for person in rng.sample(pool, k):
            reg_counter += 1
            roll = rng.random()
            status = "approved" if roll < 0.8 else "pending" if roll < 0.9 else "denied"
            session.registrants.append(
                {
                    "id": base64.urlsafe_b64encode(reg_counter.to_bytes(12, "big")).decode(),
                    "email": world.email_variant(person, rng),
                    "first_name": person.first_name,
                    "last_name": person.last_name,
                    "status": status,
                    "create_time": _iso(min(session.start, anchor) - timedelta(days=rng.uniform(1, 20))),
                    "join_url": f"https://us02web.zoom.us/w/{session.id}?tk={reg_counter}",
                    "custom_questions": [],
                }
            )
    user_ids = 16_778_240
    for session, occurrence in held:
        attendees: list[tuple[dict[str, Any] | None, Person | None]]
        if session.kind == "webinar":
            approved = [r for r in session.registrants if r["status"] == "approved"]
            attendees = [(r, None) for r in rng.sample(approved, min(len(approved), per_occurrence))]
        else:
            attendees = [(None, p) for p in rng.sample(pool, min(len(pool), per_occurrence))]
        for registrant, who in attendees:
            if registrant is not None:
                name = f"{registrant['first_name']} {registrant['last_name']}"
                email = registrant["email"]
            else:
                assert who is not None
                name = f"{who.first_name} {who.last_name}"
                email = world.email_variant(who, rng)
            guest = rng.random()
            if guest < 0.12:
                email = ""  # a guest, or the host hides emails: only registrant_id can tell
            if guest < 0.04 and registrant is None:
                name = f"Guest {user_ids % 997}"  # no email, no registrant: unresolvable
            user_ids += 1
            joins = 1 if rng.random() < 0.8 else rng.randint(2, 3)
            moment = occurrence.start + timedelta(minutes=rng.uniform(-5, 10))
            for _ in range(joins):
                seconds = int(rng.uniform(300, session.duration * 60 / joins))
                leave = moment + timedelta(seconds=seconds)
                occurrence.participants.append(
                    {
                        "id": f"p{user_ids:x}" if email else "",
                        "user_id": str(user_ids),
                        "name": name,
                        "user_email": email,
                        "join_time": _iso(moment),
                        "leave_time": _iso(leave),
                        "duration": seconds,
                        "registrant_id": registrant["id"] if registrant else "",
                        "failover": False,
                        "status": "in_meeting",
                        "customer_key": "",
                        "bo_mtg_id": "",
                        "internal_user": False,
                    }
                )
                moment = leave + timedelta(minutes=rng.uniform(0.5, 5))
        occurrence.participants.sort(key=lambda row: row["join_time"])
        if rng.random() < 0.3:
            session.recordings.append(
                {
                    "uuid": occurrence.uuid,
                    "start": occurrence.start,
                    "files": [
                        {
                            "id": f"rec-{occurrence.uuid[:6]}-{kind}",
                            "file_type": kind,
                            "file_extension": kind,
                            "file_size": rng.randint(10**6, 10**8),
                            "recording_type": "shared_screen_with_speaker_view"
                            if kind == "MP4"
                            else "audio_only",
                            "status": "completed",
                        }
                        for kind in ("MP4", "M4A")
                    ],
                }
            )
    meetings = [s for s in sessions if s.kind == "meeting"]
    webinars = [s for s in sessions if s.kind == "webinar"]
    by_uuid = {o.uuid: (s, o) for s in sessions for o in s.occurrences}
    return ZoomState(meetings=meetings, webinars=webinars, by_uuid=by_uuid)


def state_of(ctx: SandboxContext) -> ZoomState:
    """The twin's state in ``ctx`` (built on first use)."""
    state = ctx.state.get(SERVICE)
    if state is None:
        state = ctx.state[SERVICE] = generate(ctx.world)
    assert isinstance(state, ZoomState)
    return state


def exhaust_daily(ctx: SandboxContext, category: str = "Heavy", exhausted: bool = True) -> None:
    """Make every request of ``category`` answer the daily-limit 429 (or stop doing so)."""
    state_of(ctx).exhausted[category] = exhausted


def build_app(ctx: SandboxContext) -> Starlette:
    """The Zoom twin (API under ``/v2``, token endpoint at ``/oauth/token``)."""
    state = state_of(ctx)
    ctx.stats_hooks[SERVICE] = lambda: {
        "meetings": len(state.meetings),
        "webinars": len(state.webinars),
        "occurrences": len(state.by_uuid),
        "participant_rows": sum(len(o.participants) for _, o in state.by_uuid.values()),
        "registrants": sum(len(w.registrants) for w in state.webinars),
        "tokens_issued": state.tokens_issued,
        "plan": state.plan,
    }

    def category_of(request: Request) -> str:
        if "/report/" in request.url.path:
            return "Heavy"
        if request.method in ("POST", "DELETE", "PATCH"):
            return "Light"
        return "Medium"

    def guard(request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        expires = state.tokens.get(token)
        if expires is None:
            return _error(401, 124, "Invalid access token.")
        if time.monotonic() >= expires:
            return _error(401, 124, "Access token is expired.")
        category = category_of(request)
        if state.exhausted.get(category):
            return daily_limited(category)
        return None

    def find_session(items: list[Session], raw: str) -> tuple[Session, Occurrence | None] | None:
        # The server decoded the path once. A UUID starting with "/" or holding "//" that arrives
        # decoded is one the caller encoded only once: Zoom cannot route it (404). Double-encoded
        # ones arrive still encoded once more.
        if raw.startswith("/") or "//" in raw:
            return None
        key = unquote(raw)
        if key.isdigit():
            for s in items:
                if s.id == int(key):
                    return s, (s.occurrences[-1] if s.occurrences else None)
            return None
        found = state.by_uuid.get(key)
        if found is None or found[0] not in items:
            return None
        return found

    def paginate(
        request: Request, key: str, rows: list[dict[str, Any]], extra: dict[str, Any] | None = None
    ) -> Response:
        try:
            size = int(request.query_params.get("page_size", 30))
        except ValueError:
            return _error(400, 300, "Invalid field: page_size.")
        size = max(1, min(300, size))
        scope = f"{request.url.path}?{sorted((k, v) for k, v in request.query_params.items() if k not in ('next_page_token', 'page_size'))}"
        offset = 0
        if token := request.query_params.get("next_page_token"):
            held = state.page_tokens.get(token)
            if state.expire_page_tokens > 0:
                state.expire_page_tokens -= 1
                held = None
            if (
                held is None
                or held[0] != scope
                or held[2] != size
                or time.monotonic() - held[3] > state.page_token_ttl
            ):
                return _error(400, 300, "The next page token is either invalid or has expired.")
            offset = held[1]
        page = rows[offset : offset + size]
        next_token = ""
        if offset + size < len(rows):
            next_token = secrets.token_urlsafe(24)
            state.page_tokens[next_token] = (scope, offset + size, size, time.monotonic())
        body = {"page_size": size, "total_records": len(rows), "next_page_token": next_token, key: page}
        body.update(extra or {})
        return JSONResponse(body)

    async def token(request: Request) -> Response:
        params = dict(request.query_params)
        if not params.get("grant_type"):
            from urllib.parse import parse_qsl

            params.update(parse_qsl((await request.body()).decode()))
        auth = request.headers.get("authorization", "")
        try:
            client_id, _, secret = (
                base64.b64decode(auth.removeprefix("Basic ").strip()).decode().partition(":")
            )
        except ValueError:
            client_id, secret = "", ""
        if params.get("grant_type") != "account_credentials":
            return JSONResponse({"reason": "unsupported grant type", "error": "unsupported_grant_type"}, 400)
        if client_id != CLIENT_ID or secret != CLIENT_SECRET:
            return JSONResponse(
                {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, 401
            )
        if params.get("account_id") != ACCOUNT_ID:
            return JSONResponse({"reason": "Invalid account_id", "error": "invalid_request"}, 400)
        access = f"zt-{secrets.token_hex(16)}"
        state.tokens[access] = time.monotonic() + state.token_lifetime
        state.tokens_issued += 1
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "bearer",
                "expires_in": int(state.token_lifetime),
                "scope": "meeting:read:admin meeting:write:admin report:read:admin recording:write:admin",
                "api_url": "https://api.zoom.us",
            }
        )

    def host_or_404(user_id: str) -> Response | None:
        if user_id in ("me", HOST["id"], HOST["email"]):
            return None
        return _error(404, 1001, f"User does not exist: {user_id}.")

    async def user(request: Request) -> Response:
        if denied := guard(request) or host_or_404(request.path_params["user_id"]):
            return denied
        return JSONResponse(HOST)

    def window(request: Request, sessions: list[Session]) -> list[Session]:
        lo, hi = request.query_params.get("from"), request.query_params.get("to")
        out = []
        for s in sessions:
            day = s.start.date().isoformat()
            if (lo and day < lo) or (hi and day > hi):
                continue
            out.append(s)
        return out

    async def user_sessions(request: Request) -> Response:
        kind = "meetings" if request.url.path.endswith("/meetings") else "webinars"
        if denied := guard(request) or host_or_404(request.path_params["user_id"]):
            return denied
        items = state.meetings if kind == "meetings" else state.webinars
        if request.method == "POST":
            return await create(request, kind, items)
        listing = request.query_params.get("type", "scheduled")
        now = datetime.now(UTC)
        if listing == "live":
            chosen: list[Session] = []
        elif listing in ("upcoming", "upcoming_meetings"):
            chosen = [s for s in items if s.start >= now]
        elif listing == "previous_meetings":
            chosen = [s for s in items if s.occurrences]
        elif listing == "scheduled":
            chosen = list(items)
        else:
            return _error(400, 300, f"Invalid field: type {listing}.")
        chosen = window(request, sorted(chosen, key=lambda s: (s.start, s.id)))
        return paginate(request, kind, [s.summary() for s in chosen])

    async def create(request: Request, kind: str, items: list[Session]) -> Response:
        try:
            body = await request.json()
            topic = str(body["topic"])
            start = datetime.fromisoformat(str(body["start_time"]).replace("Z", "+00:00"))
            duration = int(body.get("duration", 60))
        except (ValueError, KeyError, TypeError):
            return _error(400, 300, "Validation Failed.")
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        state.next_id += 1
        session = Session(
            id=60_000_000_000 + state.next_id + (9_000_000_000 if kind == "webinars" else 0),
            kind="meeting" if kind == "meetings" else "webinar",
            topic=topic,
            start=start,
            duration=duration,
            recurring=False,
            occurrences=[],
            created=datetime.now(UTC),
        )
        items.append(session)
        return JSONResponse(session.summary(), 201)

    async def get_session(request: Request) -> Response:
        kind = "meetings" if request.url.path.startswith("/v2/meetings") else "webinars"
        if denied := guard(request):
            return denied
        found = find_session(
            state.meetings if kind == "meetings" else state.webinars, request.path_params["id"]
        )
        if found is None:
            return _error(404, 3001, "Meeting does not exist.")
        return JSONResponse(found[0].summary())

    async def instances(request: Request) -> Response:
        kind = "meetings" if "/past_meetings/" in request.url.path else "webinars"
        if denied := guard(request):
            return denied
        found = find_session(
            state.meetings if kind == "meetings" else state.webinars, request.path_params["id"]
        )
        if found is None:
            return _error(404, 3001, "Meeting not found.")
        return JSONResponse(
            {kind: [{"uuid": o.uuid, "start_time": _iso(o.start)} for o in found[0].occurrences]}
        )

    def participants(report: bool, kind: str) -> Any:
        async def endpoint(request: Request) -> Response:
            if denied := guard(request):
                return denied
            if report and state.plan == "free":
                return _error(400, 200, "No permission. Only available for Paid or ZMP account.")
            found = find_session(
                state.meetings if kind == "meetings" else state.webinars, request.path_params["id"]
            )
            if found is None or found[1] is None or (report and found[0].report_missing):
                raw = request.path_params["id"]
                return _error(404, 3001, f"Meeting {raw} not found or has expired.")
            rows = found[1].participants
            if report:
                with_registrant = "registrant_id" in request.query_params.get("include_fields", "")
                rows = [
                    r if with_registrant else {k: v for k, v in r.items() if k != "registrant_id"}
                    for r in rows
                ]
            else:
                keep = (
                    "id",
                    "name",
                    "user_email",
                    "join_time",
                    "leave_time",
                    "duration",
                    "failover",
                    "status",
                    "internal_user",
                )
                rows = [{k: r[k] for k in keep} for r in rows]
            return paginate(request, "participants", rows)

        return endpoint

    async def registrants(request: Request) -> Response:
        if denied := guard(request):
            return denied
        found = find_session(state.webinars, request.path_params["id"])
        if found is None:
            return _error(404, 3001, "Webinar does not exist.")
        status = request.query_params.get("status", "approved")  # Zoom's default: approved only
        rows = [r for r in found[0].registrants if r["status"] == status]
        return paginate(request, "registrants", rows)

    def recording_body(session: Session, rec: dict[str, Any]) -> dict[str, Any]:
        files = [
            {
                **f,
                "meeting_id": rec["uuid"],
                "recording_start": _iso(rec["start"]),
                "recording_end": _iso(rec["start"] + timedelta(minutes=session.duration)),
                "download_url": f"https://us02web.zoom.us/rec/download/{f['id']}",
            }
            for f in rec["files"]
        ]
        return {
            "uuid": rec["uuid"],
            "id": session.id,
            "host_id": HOST["id"],
            "topic": session.topic,
            "start_time": _iso(rec["start"]),
            "duration": session.duration,
            "total_size": sum(f["file_size"] for f in files),
            "recording_count": len(files),
            "recording_files": files,
        }

    async def user_recordings(request: Request) -> Response:
        if denied := guard(request) or host_or_404(request.path_params["user_id"]):
            return denied
        lo = request.query_params.get("from") or (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
        hi = request.query_params.get("to") or datetime.now(UTC).date().isoformat()
        rows = [
            recording_body(s, rec)
            for s in state.meetings + state.webinars
            for rec in s.recordings
            if lo <= rec["start"].date().isoformat() <= hi
        ]
        rows.sort(key=lambda r: r["start_time"])
        return paginate(request, "meetings", rows, {"from": lo, "to": hi})

    async def meeting_recordings(request: Request) -> Response:
        if denied := guard(request):
            return denied
        found = find_session(state.meetings + state.webinars, request.path_params["id"])
        if found is None:
            return _error(404, 3301, "This recording does not exist.")
        session, occurrence = found
        raw = unquote(request.path_params["id"])
        recs = [
            r for r in session.recordings if raw.isdigit() or (occurrence and r["uuid"] == occurrence.uuid)
        ]
        if not recs:
            return _error(404, 3301, "This recording does not exist.")
        if request.method == "DELETE":
            action = request.query_params.get("action", "trash")
            if action not in ("trash", "delete"):
                return _error(400, 300, "Invalid field: action.")
            for rec in recs:
                session.recordings.remove(rec)
            return Response(status_code=204)
        return JSONResponse(recording_body(session, recs[-1]))

    routes = [
        Route("/oauth/token", token, methods=["POST"]),
        Route("/v2/users/{user_id}", user),
        Route("/v2/users/{user_id}/meetings", user_sessions, methods=["GET", "POST"]),
        Route("/v2/users/{user_id}/webinars", user_sessions, methods=["GET", "POST"]),
        Route("/v2/users/{user_id}/recordings", user_recordings),
        Route("/v2/meetings/{id:path}/recordings", meeting_recordings, methods=["GET", "DELETE"]),
        Route("/v2/past_meetings/{id:path}/instances", instances),
        Route("/v2/past_webinars/{id:path}/instances", instances),
        Route("/v2/past_meetings/{id:path}/participants", participants(False, "meetings")),
        Route("/v2/past_webinars/{id:path}/participants", participants(False, "webinars")),
        Route("/v2/report/meetings/{id:path}/participants", participants(True, "meetings")),
        Route("/v2/report/webinars/{id:path}/participants", participants(True, "webinars")),
        Route("/v2/webinars/{id:path}/registrants", registrants),
        # Greedy {id:path} routes last, or they would swallow the sub-resources above.
        Route("/v2/meetings/{id:path}", get_session),
        Route("/v2/webinars/{id:path}", get_session),
    ]
    return Starlette(routes=routes)
