"""Zoom API v2 twin: Server-to-Server OAuth, users, meetings, webinars, registrants, reports, recordings.

The data (the account's users, their sessions, registrants and participants, with Zoom's
email display rule) is built by :mod:`sandbox.zoom_data`. Answers follow Zoom's published
response schemas (``tests/sandbox/test_zoom_contract.py`` checks every route against them).
Quirks reproduced:

- tokens from ``POST /oauth/token?grant_type=account_credentials&account_id=`` (Basic auth)
  expire after ``ZoomState.token_lifetime`` seconds; then ``401 {"code": 124}``;
- ``next_page_token`` pagination (``page_size`` default 30, max 300); a token expires after
  ``ZoomState.page_token_ttl`` seconds and must come with the same ``page_size``
  (``400 {"code": 300}`` otherwise); ``page_count`` / ``total_records`` on every list, the
  deprecated ``page_number`` where the spec still declares it;
- ``GET /users`` lists active users unless ``status`` says otherwise; ``me`` is the owner;
- report participants: one row per join (rejoins repeat a person), hidden guest emails,
  ``registrant_id`` only when ``include_fields=registrant_id`` is asked;
- meeting registrants only for meetings with registration (``code 300`` otherwise);
- UUIDs starting with ``/`` or containing ``//`` only resolve when double-encoded;
- report 404 (code 3001) for some meetings; report endpoints refused (code 200) on a free plan;
- QPS 429 with ``X-RateLimit-*`` headers, daily 429 with an ISO ``Retry-After``;
- unknown routes answer Zoom's JSON ``{code, message}``, never plain text.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.framework import FaultProfile, SandboxContext
from sandbox.zoom_data import (
    ACCOUNT_ID,
    HOST,
    SERVICE,
    USERS,
    Occurrence,
    Session,
    ZoomState,
    generate,
)
from sandbox.zoom_data import iso as _iso
from sandbox.zoom_http import (
    CLIENT_ID,
    CLIENT_SECRET,
    PAST_FIELDS,
    REPORT_FIELDS,
    daily_limited,
    error,
    find,
    not_found,
    paginate,
    rate_limited,
    recording_body,
    token_endpoint,
)

__all__ = [
    "ACCOUNT_ID",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "HOST",
    "USERS",
    "Occurrence",
    "Session",
    "ZoomState",
    "build_app",
    "daily_limited",
    "exhaust_daily",
    "generate",
    "rate_limited",
    "state_of",
]


FAULTS = FaultProfile(
    rate_limited=rate_limited,
    server_error=lambda: error(500, 500, "Internal server error."),
    expired_token=lambda: error(401, 124, "Access token is expired."),
    exempt=("/oauth/",),
)


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
        "users": len(state.users),
        "meetings": len(state.meetings),
        "webinars": len(state.webinars),
        "occurrences": len(state.by_uuid),
        "participant_rows": sum(len(o.participants) for _, o in state.by_uuid.values()),
        "hidden_emails": sum(not r["user_email"] for _, o in state.by_uuid.values() for r in o.participants),
        "registrants": sum(len(s.registrants) for s in state.webinars + state.meetings),
        "tokens_issued": state.tokens_issued,
        "plan": state.plan,
    }

    def guard(request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        expires = state.tokens.get(token)
        if expires is None:
            return error(401, 124, "Invalid access token.")
        if time.monotonic() >= expires:
            return error(401, 124, "Access token is expired.")
        category = "Heavy" if "/report/" in request.url.path else "Medium"
        if request.method in ("POST", "DELETE", "PATCH"):
            category = "Light"
        if state.exhausted.get(category):
            return daily_limited(category)
        return None

    def host_of(request: Request) -> dict[str, Any] | Response:
        key = request.path_params["user_id"]
        found = state.user(key)
        return found if found is not None else error(404, 1001, f"User does not exist: {key}.")

    async def users(request: Request) -> Response:
        if denied := guard(request):
            return denied
        status = request.query_params.get("status", "active")
        if status not in ("active", "inactive", "pending"):
            return error(400, 300, f"Invalid field: status {status}.")
        rows = [u for u in state.users if u["status"] == status]
        return paginate(state, request, "users", rows, numbered=True)

    async def user(request: Request) -> Response:
        if denied := guard(request):
            return denied
        found = host_of(request)
        return found if isinstance(found, Response) else JSONResponse(found)

    async def user_sessions(request: Request) -> Response:
        kind = "meetings" if request.url.path.endswith("/meetings") else "webinars"
        if denied := guard(request):
            return denied
        host = host_of(request)
        if isinstance(host, Response):
            return host
        items = state.meetings if kind == "meetings" else state.webinars
        if request.method == "POST":
            return await create(request, kind, items, host["id"])
        listing = request.query_params.get("type", "scheduled")
        now = datetime.now(UTC)
        mine = [s for s in items if s.host_id == host["id"]]
        if listing == "live":
            chosen: list[Session] = []
        elif listing in ("upcoming", "upcoming_meetings"):
            chosen = [s for s in mine if s.start >= now]
        elif listing == "previous_meetings":
            chosen = [s for s in mine if s.occurrences]
        elif listing == "scheduled":
            chosen = mine
        else:
            return error(400, 300, f"Invalid field: type {listing}.")
        lo, hi = request.query_params.get("from"), request.query_params.get("to")
        chosen = [
            s
            for s in sorted(chosen, key=lambda s: (s.start, s.id))
            if not ((lo and s.start.date().isoformat() < lo) or (hi and s.start.date().isoformat() > hi))
        ]
        return paginate(state, request, kind, [s.summary() for s in chosen], numbered=True)

    async def create(request: Request, kind: str, items: list[Session], host_id: str) -> Response:
        try:
            body = await request.json()
            topic = str(body["topic"])
            start = datetime.fromisoformat(str(body["start_time"]).replace("Z", "+00:00"))
            duration = int(body.get("duration", 60))
        except (ValueError, KeyError, TypeError):
            return error(400, 300, "Validation Failed.")
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
            host_id=host_id,
            approval_type=int(
                (body.get("settings") or {}).get("approval_type", 2 if kind == "meetings" else 0)
            ),
        )
        items.append(session)
        created = session.detail(datetime.now(UTC))
        if kind == "meetings":  # the create answer has no uuid, host id or status (the spec's 201 shape)
            for key in ("uuid", "host_id", "status"):
                created.pop(key, None)
            created["pre_schedule"] = False
        return JSONResponse(created, 201)

    def lookup(request: Request, kind: str) -> tuple[Session, Occurrence | None] | Response:
        """The session the path names, or the answer refusing the request (auth, 404)."""
        if denied := guard(request):
            return denied
        found = find(
            state, state.meetings if kind == "meetings" else state.webinars, request.path_params["id"]
        )
        if found is None:
            what = "Meeting" if kind == "meetings" else "Webinar"
            return error(404, 3001, f"{what} {request.path_params['id']} is not found or has expired.")
        return found

    def get_session(kind: str) -> Any:
        async def endpoint(request: Request) -> Response:
            found = lookup(request, kind)
            return found if isinstance(found, Response) else JSONResponse(found[0].detail(datetime.now(UTC)))

        return endpoint

    async def instances(request: Request) -> Response:
        kind = "meetings" if "/past_meetings/" in request.url.path else "webinars"
        found = lookup(request, kind)
        if isinstance(found, Response):
            return found
        return JSONResponse(
            {kind: [{"uuid": o.uuid, "start_time": _iso(o.start)} for o in found[0].occurrences]}
        )

    def participants(report: bool, kind: str) -> Any:
        async def endpoint(request: Request) -> Response:
            if denied := guard(request):
                return denied
            if report and state.plan == "free":
                return error(400, 200, "No permission. Only available for Paid or ZMP account.")
            found = find(
                state, state.meetings if kind == "meetings" else state.webinars, request.path_params["id"]
            )
            if found is None or found[1] is None or (report and found[0].report_missing):
                return error(404, 3001, f"Meeting {request.path_params['id']} not found or has expired.")
            keep: tuple[str, ...] = PAST_FIELDS
            if report:
                with_registrant = "registrant_id" in request.query_params.get("include_fields", "")
                keep = tuple(k for k in REPORT_FIELDS if with_registrant or k != "registrant_id")
            if kind == "webinars":  # breakout rooms are a meetings-only field
                keep = tuple(k for k in keep if k != "bo_mtg_id")
            rows = [{k: r[k] for k in keep} for r in found[1].participants]
            return paginate(state, request, "participants", rows)

        return endpoint

    def registrants(kind: str) -> Any:
        async def endpoint(request: Request) -> Response:
            found = lookup(request, kind)
            if isinstance(found, Response):
                return found
            if found[0].approval_type == 2:
                return error(400, 300, f"This meeting has not set registration as required: {found[0].id}.")
            status = request.query_params.get("status", "approved")  # Zoom's default: approved only
            rows = [r for r in found[0].registrants if r["status"] == status]
            return paginate(state, request, "registrants", rows, numbered=True)

        return endpoint

    async def user_recordings(request: Request) -> Response:
        if denied := guard(request):
            return denied
        host = host_of(request)
        if isinstance(host, Response):
            return host
        lo = request.query_params.get("from") or (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
        hi = request.query_params.get("to") or datetime.now(UTC).date().isoformat()
        rows = [
            recording_body(s, rec)
            for s in state.meetings + state.webinars
            for rec in s.recordings
            if s.host_id == host["id"] and lo <= rec["start"].date().isoformat() <= hi
        ]
        rows.sort(key=lambda r: r["start_time"])
        return paginate(state, request, "meetings", rows, {"from": lo, "to": hi})

    async def meeting_recordings(request: Request) -> Response:
        if denied := guard(request):
            return denied
        found = find(state, state.meetings + state.webinars, request.path_params["id"])
        if found is None:
            return error(404, 3301, "This recording does not exist.")
        session, occurrence = found
        raw = unquote(request.path_params["id"])
        recs = [
            r for r in session.recordings if raw.isdigit() or (occurrence and r["uuid"] == occurrence.uuid)
        ]
        if not recs:
            return error(404, 3301, "This recording does not exist.")
        if request.method == "DELETE":
            action = request.query_params.get("action", "trash")
            if action not in ("trash", "delete"):
                return error(400, 300, "Invalid field: action.")
            for rec in recs:
                session.recordings.remove(rec)
            return Response(status_code=204)
        return JSONResponse(recording_body(session, recs[-1]))

    routes = [
        Route("/oauth/token", token_endpoint(state), methods=["POST"]),
        Route("/v2/users", users),
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
        Route("/v2/meetings/{id:path}/registrants", registrants("meetings")),
        Route("/v2/webinars/{id:path}/registrants", registrants("webinars")),
        # Greedy {id:path} routes last, or they would swallow the sub-resources above.
        Route("/v2/meetings/{id:path}", get_session("meetings")),
        Route("/v2/webinars/{id:path}", get_session("webinars")),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
