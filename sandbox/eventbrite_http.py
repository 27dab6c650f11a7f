"""The Eventbrite twin's HTTP conventions: its error bodies, its auth check, continuation paging."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.conventions import bearer_token, query_scope
from sandbox.eventbrite_data import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


def error(status: int, code: str, description: str) -> JSONResponse:
    """Eventbrite's error body: the code in ``error``, a sentence in ``error_description``."""
    return JSONResponse({"error": code, "error_description": description, "status_code": status}, status)


def rate_limited() -> Response:
    """Eventbrite's hourly-limit 429: no Retry-After, the code in ``error``."""
    return error(
        429,
        "HIT_RATE_LIMIT",
        "Hourly rate limit has been reached for this token. Default rate limits are 2,000 calls per hour.",
    )


def parse_time(value: str) -> datetime | None:
    """An ISO timestamp (``Z`` allowed, naive read as UTC), or None when it is not one."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _encode_token(offset: int, key: str) -> str:
    raw = json.dumps({"o": offset, "k": key}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, key: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        body = json.loads(raw)
        offset = int(body["o"])
    except (ValueError, KeyError, TypeError):
        return None
    return offset if body.get("k") == key and offset >= 0 else None


def authorized(request: Request, tokens: set[str]) -> Response | None:
    """None when the request carries a known token (header or ``token`` parameter), else the refusal."""
    token = bearer_token(request)
    if token is None:
        token = request.query_params.get("token")
    if not token:
        return error(401, "NO_AUTH", "An OAuth token is required for this call but was not provided.")
    if token not in tokens:
        return error(400, "INVALID_AUTH", "The OAuth token you provided was invalid.")
    return None


def paginate(request: Request, key: str, rows: list[dict[str, Any]], size: int) -> Response:
    """One page of ``rows`` under ``key`` with Eventbrite's ``pagination`` object and continuation."""
    cursor_key = hashlib.sha1(query_scope(request, "continuation").encode()).hexdigest()[:12]
    offset = 0
    if token := request.query_params.get("continuation"):
        decoded = _decode_token(token, cursor_key)
        if decoded is None:
            return error(400, "BAD_CONTINUATION_TOKEN", "Invalid continuation token passed.")
        offset = decoded
    page = rows[offset : offset + size]
    end = min(offset + size, len(rows)) if offset < len(rows) else offset
    pagination = {
        "object_count": len(rows),
        "page_number": offset // size + 1,
        "page_size": size,
        "page_count": max(1, -(-len(rows) // size)),
        # Eventbrite still sends a continuation on the last page; has_more_items is the rule.
        "continuation": _encode_token(end, cursor_key),
        "has_more_items": end < len(rows),
    }
    return JSONResponse({"pagination": pagination, key: page})


def page_size(request: Request) -> int:
    """The ``page_size`` asked for, within 1..200 (the default when it is not a number)."""
    try:
        return max(1, min(MAX_PAGE_SIZE, int(request.query_params.get("page_size", DEFAULT_PAGE_SIZE))))
    except ValueError:
        return DEFAULT_PAGE_SIZE


def changed_filter(request: Request) -> tuple[datetime | None, Response | None]:
    """``changed_since`` as a moment (None when absent), or the refusal of an unreadable one."""
    value = request.query_params.get("changed_since")
    if not value:
        return None, None
    moment = parse_time(value)
    if moment is None:
        return None, error(400, "ARGUMENTS_ERROR", "There are errors with your arguments: changed_since")
    return moment, None
