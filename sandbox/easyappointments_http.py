"""The EasyAppointments twin's HTTP conventions: its answers, its auth check, its query parameters.

Kept apart from the records (:mod:`sandbox.easyappointments_store`) and the routes
(:mod:`sandbox.easyappointments_twin`) so each module stays small.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import Request
from starlette.responses import Response

from sandbox.conventions import basic_credentials

SERVICE = "easyappointments"
TOKEN = "sandbox-easyappointments-token"
ADMIN_USER = "administrator"
ADMIN_PASSWORD = "administrator"
GENERIC_ERROR = "An error occurred while processing your request. Please try again later."
NOT_AUTHORIZED = "You are not authorized to use the API."
HTML = "text/html; charset=UTF-8"
JSON_TYPE = "application/json; charset=UTF-8"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
HTML_404 = (
    '<!doctype html>\n<html lang="en" style="\n    height: 100%;\n">\n<head>\n    <meta charset="utf-8">\n'
    "    <title>404 Page Not Found</title>\n</head>\n<body><h1>404 Page Not Found</h1>"
    "<p>The page you requested was not found.</p></body>\n</html>\n"
)
APPOINTMENT_FIELDS = (
    "id book start end hash color status location notes customerId providerId serviceId "
    "meetingLink googleCalendarId caldavCalendarId"
).split()
SNAKE = {
    "firstName": "first_name",
    "lastName": "last_name",
    "phone": "phone_number",
    "mobile": "mobile_number",
    "zip": "zip_code",
    "slotInterval": "slot_interval",
    "attendantsNumber": "attendants_number",
    "isPrivate": "is_private",
    "serviceCategoryId": "id_service_categories",
}


# --------------------------------------------------------------------------- responses


def json_response(body: Any, status: int = 200) -> Response:
    """Compact JSON with the server's ``application/json; charset=UTF-8``."""
    return Response(json.dumps(body, separators=(",", ":"), ensure_ascii=False), status, media_type=JSON_TYPE)


def error(message: str) -> Response:
    """The server's 500 ``{"success": false, "message": ...}``."""
    return json_response({"success": False, "message": message}, 500)


def empty(status: int) -> Response:
    """An empty HTML-typed body with ``status`` (404 for an unknown id, 204, 429)."""
    return Response(b"", status, headers={"content-type": HTML})


def html_404() -> Response:
    """The framework's HTML 404 page (unknown route or non-numeric id)."""
    return Response(HTML_404, 404, headers={"content-type": HTML})


def unauthorized() -> Response:
    """The 401: plain text with ``WWW-Authenticate``."""
    return Response(
        NOT_AUTHORIZED,
        401,
        headers={"content-type": HTML, "WWW-Authenticate": 'Basic realm="Easy!Appointments"'},
    )


class BadRequest(Exception):
    """An input the real server answers with a 500 JSON error."""

    def __init__(self, message: str = GENERIC_ERROR) -> None:
        self.message = message
        super().__init__(message)


# --------------------------------------------------------------------------- auth and input


def authorized(header: str) -> bool:
    """True for the API token (Bearer) or the admin's Basic credentials."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return secrets.compare_digest(value.strip(), TOKEN)
    if scheme.lower() == "basic":
        credentials = basic_credentials(value)
        if credentials is None:
            return False
        user, password = credentials
        return secrets.compare_digest(user, ADMIN_USER) and secrets.compare_digest(password, ADMIN_PASSWORD)
    return False


async def read_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or the 500 the real server gives for anything else."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise BadRequest(
            "Appointments_model::api_decode(): Argument #1 ($appointment) must be of type array, null given"
        )
    return body


# --------------------------------------------------------------------------- query parameters


def int_param(value: str | None, default: int, *, name: str) -> int:
    """A numeric query parameter (``default`` when absent); text is the server's 500."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        if name == "page":
            raise BadRequest("Unsupported operand types: string - int") from None
        raise BadRequest() from None
    return number


def page_slice(
    rows: list[dict[str, Any]], page_raw: str | None, length_raw: str | None
) -> list[dict[str, Any]]:
    """``page`` (1-based) of ``length`` rows (0 = all); zero or negative values are 500s."""
    page = int_param(page_raw, 1, name="page")
    length = int_param(length_raw, 20, name="length")
    if page < 1 or length < 0:
        raise BadRequest()
    if length == 0:
        return rows
    offset = (page - 1) * length
    return rows[offset : offset + length]


def php_date(value: str) -> date:
    """What ``(new DateTime($value))->format('Y-m-d')`` gives for the inputs we support."""
    text = value.strip()
    today = datetime.now(UTC).date()
    relative = {
        "today": today,
        "now": today,
        "tomorrow": today + timedelta(1),
        "yesterday": today - timedelta(1),
    }
    if text.lower() in relative:
        return relative[text.lower()]
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise BadRequest() from None


def sort_rows(rows: list[dict[str, Any]], sort: str | None, known: set[str]) -> list[dict[str, Any]]:
    """``sort`` applied (``-name`` descending, unknown names skipped, NULLs first)."""
    if not sort:
        return rows
    keys: list[tuple[str, bool]] = []
    for raw in sort.split(","):
        part = raw.strip()
        descending = part.startswith("-")
        name = part.lstrip("+- ")
        if name in known:
            keys.append((name, descending))
    out = list(rows)
    for name, descending in reversed(keys):
        out.sort(key=_sort_key(name), reverse=descending)
    return out


def _sort_key(name: str) -> Callable[[dict[str, Any]], tuple[bool, Any]]:
    # MySQL puts NULLs first when ascending.
    def key(row: dict[str, Any]) -> tuple[bool, Any]:
        value = row.get(name)
        return (value is not None, value if value is not None else 0)

    return key


def project(rows: list[dict[str, Any]], fields: str | None) -> list[dict[str, Any]]:
    """``fields`` applied: only the named keys of each row."""
    if not fields:
        return rows
    wanted = {f.strip() for f in fields.split(",")}
    return [{k: v for k, v in r.items() if k in wanted} for r in rows]


def matches(record: dict[str, Any], needle: str) -> bool:
    """True when a text field of ``record`` holds ``needle`` (already lower-case)."""
    return any(isinstance(v, str) and needle in v.lower() for v in record.values())


def raw_row(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """A database row as ``with=`` attaches it: snake_case names, every value a string."""
    if record is None:
        return None
    row: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, (list, dict)):
            continue
        name = SNAKE.get(key, key)
        row[name] = None if value is None else str(int(value) if isinstance(value, bool) else value)
    return row
