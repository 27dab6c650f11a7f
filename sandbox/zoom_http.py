"""The Zoom twin's HTTP conventions: Zoom's error bodies and 429s, paging, the token endpoint.

Kept apart from the routes (:mod:`sandbox.zoom_twin`) so each module stays small.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.conventions import basic_credentials, form_body, iso_utc, query_scope
from sandbox.zoom_data import ACCOUNT_ID, Occurrence, Session, ZoomState

CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-zoom-secret"


def error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """Zoom's error body ``{code, message}`` with an HTTP status."""
    return JSONResponse({"code": code, "message": message}, status, headers=headers)


def rate_limited(category: str = "Medium") -> Response:
    """Zoom's per-second 429 (the reset header is often missing: none here)."""
    return error(
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
    return error(
        429,
        429,
        "You have reached the maximum daily rate limit for this API. Refer to the response header for "
        "details on when you can make another request.",
        {
            "X-RateLimit-Category": category,
            "X-RateLimit-Type": "Daily-limit",
            "X-RateLimit-Limit": "30000",
            "X-RateLimit-Remaining": "0",
            "Retry-After": iso_utc(midnight),
        },
    )


def find(state: ZoomState, items: list[Session], raw: str) -> tuple[Session, Occurrence | None] | None:
    """The session (and occurrence) a path's id or UUID names, as Zoom routes it; None = 404."""
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
    state: ZoomState,
    request: Request,
    key: str,
    rows: list[dict[str, Any]],
    extra: dict[str, Any] | None = None,
    *,
    numbered: bool = False,
) -> Response:
    """One page of ``rows`` under ``key`` with Zoom's paging fields; tokens expire and bind the page size."""
    try:
        size = int(request.query_params.get("page_size", 30))
    except ValueError:
        return error(400, 300, "Invalid field: page_size.")
    size = max(1, min(300, size))
    scope = query_scope(request, "next_page_token", "page_size")
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
            return error(400, 300, "The next page token is either invalid or has expired.")
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


async def not_found(request: Request, exc: Exception) -> Response:
    """Unknown routes and methods answer Zoom's JSON error, never plain text."""
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        return error(405, 405, f"Method {request.method} is not allowed for {request.url.path}.")
    return error(404, 404, f"No API at {request.url.path}.")


def token_endpoint(state: ZoomState) -> Any:
    """``POST /oauth/token``: Server-to-Server OAuth (account credentials, Basic auth)."""

    async def token(request: Request) -> Response:
        params = dict(request.query_params)
        if not params.get("grant_type"):
            params.update(await form_body(request))
        auth = request.headers.get("authorization", "")
        client_id, secret = basic_credentials(auth.removeprefix("Basic ")) or ("", "")
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


def recording_body(session: Session, rec: dict[str, Any]) -> dict[str, Any]:
    """One recorded occurrence as ``GET /meetings/{id}/recordings`` answers it."""
    files = [
        {
            **f,
            "meeting_id": rec["uuid"],
            "recording_start": iso_utc(rec["start"]),
            "recording_end": iso_utc(rec["start"] + timedelta(minutes=session.duration)),
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
        "start_time": iso_utc(rec["start"]),
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
