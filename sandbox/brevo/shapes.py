"""The Brevo twin's answers in Brevo's shapes: errors, rate-limit headers, dates, contacts, lists."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse, Response

from sandbox.brevo.state import BrevoState
from sandbox.brevo.validation import DATE

#: The ``x-sib-ratelimit-reset`` of a 429 the framework injects as a fault.
FAULT_RESET_SECONDS = 1


class ApiError(Exception):
    """An answer in Brevo's error shape."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


def error_response(code: str, message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    """``{"code", "message"}`` with ``status``, as Brevo answers every error."""
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


def rate_limit_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    """Brevo's ``x-sib-ratelimit-*`` headers (``reset``: seconds until the window restarts)."""
    return {
        "x-sib-ratelimit-limit": str(limit),
        "x-sib-ratelimit-remaining": str(max(0, remaining)),
        "x-sib-ratelimit-reset": str(max(0, reset)),
    }


def too_many() -> Response:
    """Brevo's 429: its JSON body and rate-limit headers, no ``Retry-After``."""
    return error_response(
        "too_many_requests",
        "Too many requests, please slow down",
        429,
        rate_limit_headers(10, 0, FAULT_RESET_SECONDS),
    )


def now_iso(ts: float) -> str:
    """``ts`` as Brevo writes times: ``2026-01-02T03:04:05.678Z``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def parse_when(value: str) -> float:
    """A ``modifiedSince`` / ``createdSince`` value as a timestamp (ValueError if it is none)."""
    return datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "+")).timestamp()


def typed(kind: str | None, value: Any) -> tuple[bool, Any]:
    """Whether ``value`` fits an attribute of type ``kind``, and the value as stored."""
    if kind == "date":
        return (isinstance(value, str) and bool(DATE.match(value))), value
    if kind == "float":
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int | float):
            return True, value
        try:
            return True, float(str(value))
        except ValueError:
            return False, value
    if kind == "boolean":
        if isinstance(value, bool):
            return True, value
        if str(value).lower() in ("true", "false"):
            return True, str(value).lower() == "true"
        return False, value
    if isinstance(value, dict | list):
        return False, value
    return True, value if isinstance(value, str) else str(value)


def contact_json(c: dict[str, Any]) -> dict[str, Any]:
    """A contact as ``GET /contacts`` shows it."""
    return {
        "email": c["email"],
        "id": c["id"],
        "emailBlacklisted": c["emailBlacklisted"],
        "smsBlacklisted": c["smsBlacklisted"],
        "whatsappBlacklisted": c["whatsappBlacklisted"],
        "createdAt": now_iso(c["createdAt"]),
        "modifiedAt": now_iso(c["modifiedAt"]),
        "listIds": sorted(c["listIds"]),
        "listUnsubscribed": sorted(c["listUnsubscribed"]),
        "attributes": dict(c["attributes"]),
    }


def list_json(state: BrevoState, list_id: int) -> dict[str, Any]:
    """A list as ``GET /contacts/lists`` shows it, with its subscriber counts."""
    lst = state.lists[list_id]
    members = state.members(list_id)
    blocked = sum(1 for c in members if c["emailBlacklisted"])
    return {
        "id": list_id,
        "name": lst["name"],
        "folderId": lst["folderId"],
        "totalBlacklisted": blocked,
        "totalSubscribers": len(members) - blocked,
        "uniqueSubscribers": len(members),
    }
