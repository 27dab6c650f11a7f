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

import base64
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
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

__all__ = [
    "ACCOUNT_ID",
    "HOST",
    "USERS",
    "Occurrence",
    "Session",
    "ZoomState",
    "build_app",
    "exhaust_daily",
    "generate",
    "state_of",
]

CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-zoom-secret"


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


def _find(state: ZoomState, items: list[Session], raw: str) -> tuple[Session, Occurrence | None] | None:
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


def _paginate(
    state: ZoomState,
    request: Request,
    key: str,
    rows: list[dict[str, Any]],
    extra: dict[str, Any] | None = None,
    *,
    numbered: bool = False,
) -> Response:
    try:
        size = int(request.query_params.get("page_size", 30))
    except ValueError:
        return _error(400, 300, "Invalid field: page_size.")
    size = max(1, min(300, size))
    params = sorted(
        (k, v) for k, v in request.query_params.items() if k not in ("next_page_token", "page_size")
    )
    scope = f"{request.url.path}?{params}"
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
    body: dict[str, Any] = {
        "page_count": max(1, -(-len(rows) // size)),
        "page_size": size,
        "total_records": len(rows),
        "next_page_token": next_token,
    }
    if numbered:  # the deprecated page_number, where the route's schema still declares it
        body["page_number"] = offset // size + 1
    body[key] = page
    body.update(extra or {})
    return JSONResponse(body)


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        return _error(405, 405, f"Method {request.method} is not allowed for {request.url.path}.")
    return _error(404, 404, f"No API at {request.url.path}.")


def _token_endpoint(state: ZoomState) -> Any:
    async def token(request: Request) -> Response:
        params = dict(request.query_params)
        if not params.get("grant_type"):
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
                "scope": "meeting:read:admin meeting:write:admin report:read:admin recording:write:admin "
                "user:read:admin",
                "api_url": "https://api.zoom.us",
            }
        )

    return token


def _recording_body(session: Session, rec: dict[str, Any]) -> dict[str, Any]:
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
        "account_id": ACCOUNT_ID,
        "host_id": session.host_id,
        "topic": session.topic,
        # No "type": the spec declares it a string with integer values, which nothing satisfies.
        "start_time": _iso(rec["start"]),
        "duration": session.duration,
        "total_size": sum(f["file_size"] for f in files),
        "recording_count": len(files),
        "recording_files": files,
    }


#: Fields of ``past_*/participants`` rows (api-notes §3: the lighter shape, no registrant id).
PAST_FIELDS = (
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
#: Fields of report participant rows (the spec's and tap-zoom's item schema).
REPORT_FIELDS = (
    "id", "user_id", "name", "user_email", "join_time", "leave_time", "duration",
    "registrant_id", "failover", "status", "customer_key", "bo_mtg_id",
)  # fmt: skip


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
            return _error(401, 124, "Invalid access token.")
        if time.monotonic() >= expires:
            return _error(401, 124, "Access token is expired.")
        category = "Heavy" if "/report/" in request.url.path else "Medium"
        if request.method in ("POST", "DELETE", "PATCH"):
            category = "Light"
        if state.exhausted.get(category):
            return daily_limited(category)
        return None

    def host_of(request: Request) -> dict[str, Any] | Response:
        key = request.path_params["user_id"]
        found = state.user(key)
        return found if found is not None else _error(404, 1001, f"User does not exist: {key}.")

    async def users(request: Request) -> Response:
        if denied := guard(request):
            return denied
        status = request.query_params.get("status", "active")
        if status not in ("active", "inactive", "pending"):
            return _error(400, 300, f"Invalid field: status {status}.")
        rows = [u for u in state.users if u["status"] == status]
        return _paginate(state, request, "users", rows, numbered=True)

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
            return _error(400, 300, f"Invalid field: type {listing}.")
        lo, hi = request.query_params.get("from"), request.query_params.get("to")
        chosen = [
            s
            for s in sorted(chosen, key=lambda s: (s.start, s.id))
            if not ((lo and s.start.date().isoformat() < lo) or (hi and s.start.date().isoformat() > hi))
        ]
        return _paginate(state, request, kind, [s.summary() for s in chosen], numbered=True)

    async def create(request: Request, kind: str, items: list[Session], host_id: str) -> Response:
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

    def get_session(kind: str) -> Any:
        async def endpoint(request: Request) -> Response:
            if denied := guard(request):
                return denied
            found = _find(
                state, state.meetings if kind == "meetings" else state.webinars, request.path_params["id"]
            )
            if found is None:
                what = "Meeting" if kind == "meetings" else "Webinar"
                return _error(404, 3001, f"{what} {request.path_params['id']} is not found or has expired.")
            return JSONResponse(found[0].detail(datetime.now(UTC)))

        return endpoint

    async def instances(request: Request) -> Response:
        kind = "meetings" if "/past_meetings/" in request.url.path else "webinars"
        if denied := guard(request):
            return denied
        found = _find(
            state, state.meetings if kind == "meetings" else state.webinars, request.path_params["id"]
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
            found = _find(
                state, state.meetings if kind == "meetings" else state.webinars, request.path_params["id"]
            )
            if found is None or found[1] is None or (report and found[0].report_missing):
                return _error(404, 3001, f"Meeting {request.path_params['id']} not found or has expired.")
            keep: tuple[str, ...] = PAST_FIELDS
            if report:
                with_registrant = "registrant_id" in request.query_params.get("include_fields", "")
                keep = tuple(k for k in REPORT_FIELDS if with_registrant or k != "registrant_id")
            if kind == "webinars":  # breakout rooms are a meetings-only field
                keep = tuple(k for k in keep if k != "bo_mtg_id")
            rows = [{k: r[k] for k in keep} for r in found[1].participants]
            return _paginate(state, request, "participants", rows)

        return endpoint

    def registrants(kind: str) -> Any:
        async def endpoint(request: Request) -> Response:
            if denied := guard(request):
                return denied
            found = _find(
                state, state.meetings if kind == "meetings" else state.webinars, request.path_params["id"]
            )
            if found is None:
                what = "Meeting" if kind == "meetings" else "Webinar"
                return _error(404, 3001, f"{what} {request.path_params['id']} is not found or has expired.")
            if found[0].approval_type == 2:
                return _error(400, 300, f"This meeting has not set registration as required: {found[0].id}.")
            status = request.query_params.get("status", "approved")  # Zoom's default: approved only
            rows = [r for r in found[0].registrants if r["status"] == status]
            return _paginate(state, request, "registrants", rows, numbered=True)

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
            _recording_body(s, rec)
            for s in state.meetings + state.webinars
            for rec in s.recordings
            if s.host_id == host["id"] and lo <= rec["start"].date().isoformat() <= hi
        ]
        rows.sort(key=lambda r: r["start_time"])
        return _paginate(state, request, "meetings", rows, {"from": lo, "to": hi})

    async def meeting_recordings(request: Request) -> Response:
        if denied := guard(request):
            return denied
        found = _find(state, state.meetings + state.webinars, request.path_params["id"])
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
        return JSONResponse(_recording_body(session, recs[-1]))

    routes = [
        Route("/oauth/token", _token_endpoint(state), methods=["POST"]),
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
    return Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
