"""The Zoom twin's routes: users, meetings and webinars, their instances, participants, registrants, recordings.

Every route checks the token and the daily limit first (:meth:`ZoomRoutes.guard`); answers follow
Zoom's response schemas, errors its ``{code, message}`` (:mod:`sandbox.zoom_http`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.conventions import bearer_token, iso_utc
from sandbox.zoom_data import Occurrence, Session, ZoomState
from sandbox.zoom_http import (
    PAST_FIELDS,
    REPORT_FIELDS,
    daily_limited,
    error,
    find,
    paginate,
    recording_body,
    token_endpoint,
)

Endpoint = Callable[[Request], Awaitable[Response]]


class ZoomRoutes:
    """The endpoints over one twin's state (API under ``/v2``, token endpoint at ``/oauth/token``)."""

    def __init__(self, state: ZoomState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        """Every route, the greedy ``{id:path}`` ones last."""
        return [
            Route("/oauth/token", token_endpoint(self.state), methods=["POST"]),
            Route("/v2/users", self.users),
            Route("/v2/users/{user_id}", self.user),
            Route("/v2/users/{user_id}/meetings", self.user_sessions, methods=["GET", "POST"]),
            Route("/v2/users/{user_id}/webinars", self.user_sessions, methods=["GET", "POST"]),
            Route("/v2/users/{user_id}/recordings", self.user_recordings),
            Route("/v2/meetings/{id:path}/recordings", self.meeting_recordings, methods=["GET", "DELETE"]),
            Route("/v2/past_meetings/{id:path}/instances", self.instances),
            Route("/v2/past_webinars/{id:path}/instances", self.instances),
            Route("/v2/past_meetings/{id:path}/participants", self.participants(False, "meetings")),
            Route("/v2/past_webinars/{id:path}/participants", self.participants(False, "webinars")),
            Route("/v2/report/meetings/{id:path}/participants", self.participants(True, "meetings")),
            Route("/v2/report/webinars/{id:path}/participants", self.participants(True, "webinars")),
            Route("/v2/meetings/{id:path}/registrants", self.registrants("meetings")),
            Route("/v2/webinars/{id:path}/registrants", self.registrants("webinars")),
            # Greedy {id:path} routes last, or they would swallow the sub-resources above.
            Route("/v2/meetings/{id:path}", self.get_session("meetings")),
            Route("/v2/webinars/{id:path}", self.get_session("webinars")),
        ]

    def guard(self, request: Request) -> Response | None:
        """None when the token is valid and the route's daily limit not reached, else Zoom's refusal."""
        expires = self.state.tokens.get(bearer_token(request) or "")
        if expires is None:
            return error(401, 124, "Invalid access token.")
        if time.monotonic() >= expires:
            return error(401, 124, "Access token is expired.")
        category = "Heavy" if "/report/" in request.url.path else "Medium"
        if request.method in ("POST", "DELETE", "PATCH"):
            category = "Light"
        if self.state.exhausted.get(category):
            return daily_limited(category)
        return None

    def host_of(self, request: Request) -> dict[str, Any] | Response:
        """The user the path's ``user_id`` names, or Zoom's 404."""
        key = request.path_params["user_id"]
        found = self.state.user(key)
        return found if found is not None else error(404, 1001, f"User does not exist: {key}.")

    async def users(self, request: Request) -> Response:
        """``GET /users`` (active users unless ``status`` says otherwise)."""
        if denied := self.guard(request):
            return denied
        status = request.query_params.get("status", "active")
        if status not in ("active", "inactive", "pending"):
            return error(400, 300, f"Invalid field: status {status}.")
        rows = [u for u in self.state.users if u["status"] == status]
        return paginate(self.state, request, "users", rows, numbered=True)

    async def user(self, request: Request) -> Response:
        """``GET /users/{userId}``."""
        if denied := self.guard(request):
            return denied
        found = self.host_of(request)
        return found if isinstance(found, Response) else JSONResponse(found)

    async def user_sessions(self, request: Request) -> Response:
        """``GET`` (by ``type``, ``from``, ``to``) or ``POST`` a user's meetings or webinars."""
        kind = "meetings" if request.url.path.endswith("/meetings") else "webinars"
        if denied := self.guard(request):
            return denied
        host = self.host_of(request)
        if isinstance(host, Response):
            return host
        items = self.state.meetings if kind == "meetings" else self.state.webinars
        if request.method == "POST":
            return await self.create(request, kind, items, host["id"])
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
        return paginate(self.state, request, kind, [s.summary() for s in chosen], numbered=True)

    async def create(self, request: Request, kind: str, items: list[Session], host_id: str) -> Response:
        """A new meeting or webinar for ``host_id``, answered in the spec's 201 shape."""
        try:
            body = await request.json()
            topic = str(body["topic"])
            start = datetime.fromisoformat(str(body["start_time"]).replace("Z", "+00:00"))
            duration = int(body.get("duration", 60))
        except (ValueError, KeyError, TypeError):
            return error(400, 300, "Validation Failed.")
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self.state.next_id += 1
        session = Session(
            id=60_000_000_000 + self.state.next_id + (9_000_000_000 if kind == "webinars" else 0),
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

    def lookup(self, request: Request, kind: str) -> tuple[Session, Occurrence | None] | Response:
        """The session the path names, or the answer refusing the request (auth, 404)."""
        if denied := self.guard(request):
            return denied
        found = find(
            self.state,
            self.state.meetings if kind == "meetings" else self.state.webinars,
            request.path_params["id"],
        )
        if found is None:
            what = "Meeting" if kind == "meetings" else "Webinar"
            return error(404, 3001, f"{what} {request.path_params['id']} is not found or has expired.")
        return found

    def get_session(self, kind: str) -> Endpoint:
        """``GET /meetings/{id}`` or ``/webinars/{id}``."""

        async def endpoint(request: Request) -> Response:
            found = self.lookup(request, kind)
            return found if isinstance(found, Response) else JSONResponse(found[0].detail(datetime.now(UTC)))

        return endpoint

    async def instances(self, request: Request) -> Response:
        """``GET /past_meetings|past_webinars/{id}/instances``."""
        kind = "meetings" if "/past_meetings/" in request.url.path else "webinars"
        found = self.lookup(request, kind)
        if isinstance(found, Response):
            return found
        return JSONResponse(
            {kind: [{"uuid": o.uuid, "start_time": iso_utc(o.start)} for o in found[0].occurrences]}
        )

    def participants(self, report: bool, kind: str) -> Endpoint:
        """Participants of a held occurrence: ``past_*`` (``report`` False) or ``report/*`` rows."""

        async def endpoint(request: Request) -> Response:
            if denied := self.guard(request):
                return denied
            if report and self.state.plan == "free":
                return error(400, 200, "No permission. Only available for Paid or ZMP account.")
            found = find(
                self.state,
                self.state.meetings if kind == "meetings" else self.state.webinars,
                request.path_params["id"],
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
            return paginate(self.state, request, "participants", rows)

        return endpoint

    def registrants(self, kind: str) -> Endpoint:
        """``GET /meetings|webinars/{id}/registrants`` (approved unless ``status`` says otherwise)."""

        async def endpoint(request: Request) -> Response:
            found = self.lookup(request, kind)
            if isinstance(found, Response):
                return found
            if found[0].approval_type == 2:
                return error(400, 300, f"This meeting has not set registration as required: {found[0].id}.")
            status = request.query_params.get("status", "approved")  # Zoom's default: approved only
            rows = [r for r in found[0].registrants if r["status"] == status]
            return paginate(self.state, request, "registrants", rows, numbered=True)

        return endpoint

    async def user_recordings(self, request: Request) -> Response:
        """``GET /users/{userId}/recordings`` between ``from`` and ``to`` (default: last 30 days)."""
        if denied := self.guard(request):
            return denied
        host = self.host_of(request)
        if isinstance(host, Response):
            return host
        lo = request.query_params.get("from") or (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
        hi = request.query_params.get("to") or datetime.now(UTC).date().isoformat()
        rows = [
            recording_body(s, rec)
            for s in self.state.meetings + self.state.webinars
            for rec in s.recordings
            if s.host_id == host["id"] and lo <= rec["start"].date().isoformat() <= hi
        ]
        rows.sort(key=lambda r: r["start_time"])
        return paginate(self.state, request, "meetings", rows, {"from": lo, "to": hi})

    async def meeting_recordings(self, request: Request) -> Response:
        """``GET`` or ``DELETE`` (trash) one meeting's recordings."""
        if denied := self.guard(request):
            return denied
        found = find(self.state, self.state.meetings + self.state.webinars, request.path_params["id"])
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
