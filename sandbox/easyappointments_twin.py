"""EasyAppointments REST API v1 twin, answering like the real 1.6.0 server.

Served under ``/index.php/api/v1/`` and ``/api/v1/`` (URL rewriting on). What it copies
from the captured responses (shared/api-samples/easyappointments): bare JSON arrays;
``page`` 1-based (``0`` → 500, non-numeric → 500), ``length`` default 20, ``0`` = all,
negative → 500, no maximum; ``sort`` / ``fields`` skip unknown names; ``date`` / ``from``
compare DATE(start), ``till`` compares DATE(end); ``q`` disables every other filter;
errors: 401 plain text with ``WWW-Authenticate``, 404 with an empty body for an unknown
id, an HTML 404 page for an unknown route or a non-numeric id, 500
``{"success": false, "message": ...}`` for everything invalid; its 429 has an empty body
and no ``Retry-After``.

State lives in ``ctx.state["easyappointments"]``; list results are cached per query and
the window filters use a start-date index, so a page of a 20k-appointment world is cheap.
Optional: ``ctx.state["easyappointments"]["rate_limit"] = (count, seconds)`` enforces the
real server's fixed-window limit (off by default). ``ctx.state["easyappointments"]
["appointment_reads"]`` lists every appointment list call's ``from``, ``till``, ``length`` and
rows served.
"""

from __future__ import annotations

import base64
import bisect
import json
import secrets
import string
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from sandbox.framework import FaultProfile, SandboxContext

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
_SNAKE = {
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


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, separators=(",", ":"), ensure_ascii=False), status, media_type=JSON_TYPE)


def _error(message: str) -> Response:
    return _json({"success": False, "message": message}, 500)


def _empty(status: int) -> Response:
    return Response(b"", status, headers={"content-type": HTML})


def _html_404() -> Response:
    return Response(HTML_404, 404, headers={"content-type": HTML})


def _unauthorized() -> Response:
    return Response(
        NOT_AUTHORIZED,
        401,
        headers={"content-type": HTML, "WWW-Authenticate": 'Basic realm="Easy!Appointments"'},
    )


FAULTS = FaultProfile(
    rate_limited=lambda: _empty(429),
    server_error=lambda: _error(GENERIC_ERROR),
    expired_token=None,
)


class _BadRequest(Exception):
    """An input the real server answers with a 500 JSON error."""

    def __init__(self, message: str = GENERIC_ERROR) -> None:
        self.message = message
        super().__init__(message)


# --------------------------------------------------------------------------- state


def _provider_settings(provider: dict[str, Any]) -> dict[str, Any]:
    """The ``settings`` object the real encoder adds to every provider."""
    day = {"start": "09:00", "end": "20:00", "breaks": [{"start": "14:30", "end": "15:00"}]}
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return {
        "username": str(provider.get("firstName") or "provider").lower(),
        "notifications": True,
        "calendarView": "default",
        "googleSync": False,
        "googleToken": None,
        "googleCalendar": None,
        "caldavSync": False,
        "caldavUrl": None,
        "caldavUsername": None,
        "caldavPassword": None,
        "syncFutureDays": 90,
        "syncPastDays": 30,
        "workingPlan": {d: (None if d == "sunday" else day) for d in days},
        "workingPlanExceptions": [],
    }


class _Store:
    """The twin's records, a start-date index and a cache of sorted query results."""

    def __init__(self, ctx: SandboxContext) -> None:
        world = ctx.world
        self.appointments: dict[int, dict[str, Any]] = {int(a["id"]): dict(a) for a in world.appointments}
        self.customers: dict[int, dict[str, Any]] = {int(c["id"]): dict(c) for c in world.customers}
        self.services: dict[int, dict[str, Any]] = {int(s["id"]): dict(s) for s in world.services}
        self.providers: dict[int, dict[str, Any]] = {
            int(p["id"]): {**p, "settings": p.get("settings") or _provider_settings(p)}
            for p in world.providers
        }
        self.next_id = max(self.appointments, default=0) + 1
        self.rng = world.rng_for(SERVICE)
        self._cache: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self._by_start: list[tuple[str, int]] = []
        self.rate_limit: tuple[int, float] | None = None
        self._window: tuple[float, int] = (0.0, 0)
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the start-date index and drop cached query results (after any write)."""
        self._by_start = sorted((str(a["start"])[:10], i) for i, a in self.appointments.items())
        self._cache.clear()

    def allow(self) -> bool:
        """The real server's fixed window: ``count`` requests from the first one for ``seconds``."""
        if self.rate_limit is None:
            return True
        count, seconds = self.rate_limit
        now = time.monotonic()
        started, used = self._window
        if now - started >= seconds:
            started, used = now, 0
        self._window = (started, used + 1)
        return used < count

    def window(self, first: date | None, last_start: date | None) -> list[dict[str, Any]]:
        """Appointments with DATE(start) in ``[first, last_start]`` (open ends allowed), by id."""
        lo = 0 if first is None else bisect.bisect_left(self._by_start, (first.isoformat(), -1))
        hi = (
            len(self._by_start)
            if last_start is None
            else bisect.bisect_right(self._by_start, (last_start.isoformat(), 1 << 62))
        )
        ids = sorted(i for _, i in self._by_start[lo:hi])
        return [self.appointments[i] for i in ids]

    def cached(self, key: tuple[Any, ...], build: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """A query's full sorted result, computed once until the next write."""
        rows = self._cache.get(key)
        if rows is None:
            if len(self._cache) > 64:
                self._cache.clear()
            rows = self._cache[key] = build()
        return rows


# --------------------------------------------------------------------------- query helpers


def _int_param(value: str | None, default: int, *, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        if name == "page":
            raise _BadRequest("Unsupported operand types: string - int") from None
        raise _BadRequest() from None
    return number


def _page_slice(
    rows: list[dict[str, Any]], page_raw: str | None, length_raw: str | None
) -> list[dict[str, Any]]:
    page = _int_param(page_raw, 1, name="page")
    length = _int_param(length_raw, 20, name="length")
    if page < 1 or length < 0:
        raise _BadRequest()
    if length == 0:
        return rows
    offset = (page - 1) * length
    return rows[offset : offset + length]


def _php_date(value: str) -> date:
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
        raise _BadRequest() from None


def _sort(rows: list[dict[str, Any]], sort: str | None, known: set[str]) -> list[dict[str, Any]]:
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


def _project(rows: list[dict[str, Any]], fields: str | None) -> list[dict[str, Any]]:
    if not fields:
        return rows
    wanted = {f.strip() for f in fields.split(",")}
    return [{k: v for k, v in r.items() if k in wanted} for r in rows]


def _matches(record: dict[str, Any], needle: str) -> bool:
    return any(isinstance(v, str) and needle in v.lower() for v in record.values())


def _raw_row(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """A database row as ``with=`` attaches it: snake_case names, every value a string."""
    if record is None:
        return None
    row: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, (list, dict)):
            continue
        name = _SNAKE.get(key, key)
        row[name] = None if value is None else str(int(value) if isinstance(value, bool) else value)
    return row


# --------------------------------------------------------------------------- app


def build_app(ctx: SandboxContext) -> FastAPI:
    """The EasyAppointments twin for ``ctx`` (state under ``ctx.state["easyappointments"]``)."""
    store = _Store(ctx)
    ctx.state[SERVICE] = {"store": store, "appointment_reads": []}
    ctx.stats_hooks[SERVICE] = lambda: {
        "appointments": len(store.appointments),
        "customers": len(store.customers),
        "services": len(store.services),
        "providers": len(store.providers),
    }

    app = FastAPI(title="EasyAppointments twin", openapi_url=None, docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Any]) -> Response:
        limit = ctx.state[SERVICE].get("rate_limit")
        store.rate_limit = (int(limit[0]), float(limit[1])) if limit else None
        if not store.allow():
            return _empty(429)
        if not _authorized(request.headers.get("authorization", "")):
            return _unauthorized()
        try:
            response: Response = await call_next(request)
        except _BadRequest as exc:
            return _error(exc.message)
        return response

    @app.exception_handler(_BadRequest)
    async def bad_request(_: Request, exc: _BadRequest) -> Response:
        return _error(exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def not_found(_: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (404, 405):
            return _html_404()
        return _error(GENERIC_ERROR)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> Response:
        return _error(GENERIC_ERROR)

    router = APIRouter()

    # ---------------------------------------------------------------- appointments

    def appointment_rows(qp: dict[str, str]) -> list[dict[str, Any]]:
        sort = qp.get("sort")
        q = qp.get("q")
        if q:
            needle = q.lower()

            def search() -> list[dict[str, Any]]:
                hits = []
                for a in store.window(None, None):
                    related = (
                        store.customers.get(a.get("customerId") or 0),
                        store.providers.get(a.get("providerId") or 0),
                        store.services.get(a.get("serviceId") or 0),
                    )
                    if _matches(a, needle) or any(r is not None and _matches(r, needle) for r in related):
                        hits.append(a)
                return _sort(hits, sort, set(APPOINTMENT_FIELDS))

            return store.cached(("q", needle, sort), search)
        day = _php_date(qp["date"]) if qp.get("date") else None
        first = _php_date(qp["from"]) if qp.get("from") else None
        till = _php_date(qp["till"]) if qp.get("till") else None
        ids: dict[str, int | None] = {}
        for name in ("serviceId", "providerId", "customerId"):
            raw = qp.get(name)
            ids[name] = _int_param(raw, 0, name=name) if raw else None

        def build() -> list[dict[str, Any]]:
            lo = max(d for d in (day, first) if d is not None) if (day or first) else None
            hi = min(d for d in (day, till) if d is not None) if (day or till) else None
            if lo is not None and hi is not None and lo > hi:
                return []
            rows = store.window(lo, hi)
            if day is not None:
                rows = [a for a in rows if str(a["start"])[:10] == day.isoformat()]
            if till is not None:
                rows = [a for a in rows if str(a["end"])[:10] <= till.isoformat()]
            for name, value in ids.items():
                if value is not None:
                    rows = [a for a in rows if a.get(name) == value]
            return _sort(rows, sort, set(APPOINTMENT_FIELDS))

        key = ("f", day, first, till, tuple(ids.values()), sort)
        return store.cached(key, build)

    def decorate(rows: list[dict[str, Any]], qp: dict[str, str]) -> list[dict[str, Any]]:
        # ``with`` reads the relation ids from the projected record (so ``fields`` can lose
        # them: null), ``aggregates`` from the whole record, as the captured responses show.
        fields = qp.get("fields")
        out = _project(rows, fields)
        relations = [r.strip() for r in qp.get("with", "").split(",") if r.strip()]
        for relation in relations:
            if relation not in ("service", "provider", "customer"):
                raise _BadRequest(f"The requested appointment relation is not supported: {relation}")
        aggregates = "aggregates" in qp
        if not relations and not aggregates:
            return out
        wanted = {f.strip() for f in fields.split(",")} if fields else None
        tables = {"service": store.services, "provider": store.providers, "customer": store.customers}
        decorated = []
        for original, projected in zip(rows, out, strict=True):
            row = dict(projected)
            for relation, table in tables.items():
                if relation in relations:
                    related_id = projected.get(f"{relation}Id")
                    row[relation] = _raw_row(table.get(related_id) if isinstance(related_id, int) else None)
                elif aggregates and (wanted is None or relation in wanted):
                    row[relation] = table.get(original.get(f"{relation}Id") or 0)
            decorated.append(row)
        return decorated

    @router.get("/appointments")
    async def list_appointments(request: Request) -> Response:
        qp = dict(request.query_params)
        page = _page_slice(appointment_rows(qp), qp.get("page"), qp.get("length"))
        # what each list call asked for and got, so tests can tell a window read from a history read
        ctx.state[SERVICE]["appointment_reads"].append(
            {"from": qp.get("from"), "till": qp.get("till"), "length": qp.get("length"), "rows": len(page)}
        )
        return _json(decorate(page, qp))

    @router.get("/appointments/{item_id}")
    async def show_appointment(item_id: str, request: Request) -> Response:
        if not item_id.isdigit():
            return _html_404()
        record = store.appointments.get(int(item_id))
        if record is None:
            return _empty(404)
        return _json(decorate([record], dict(request.query_params))[0])

    @router.post("/appointments")
    async def create_appointment(request: Request) -> Response:
        body = await _body(request)
        record = _validated_appointment(store, body, None)
        record["id"] = store.next_id
        store.next_id += 1
        record["book"] = datetime.now(UTC).strftime(DATETIME_FORMAT)
        record["hash"] = "".join(store.rng.choices(string.ascii_letters + string.digits, k=12))
        store.appointments[record["id"]] = {k: record.get(k) for k in APPOINTMENT_FIELDS}
        store.reindex()
        return _json(store.appointments[record["id"]], 201)

    @router.put("/appointments/{item_id}")
    async def update_appointment(item_id: str, request: Request) -> Response:
        if not item_id.isdigit():
            return _html_404()
        current = store.appointments.get(int(item_id))
        if current is None:
            return _empty(404)
        body = await _body(request)
        updated = _validated_appointment(store, body, current)
        store.appointments[current["id"]] = {k: updated.get(k) for k in APPOINTMENT_FIELDS}
        store.reindex()
        return _json(store.appointments[current["id"]])

    @router.delete("/appointments/{item_id}")
    async def delete_appointment(item_id: str) -> Response:
        if not item_id.isdigit():
            return _html_404()
        if store.appointments.pop(int(item_id), None) is None:
            return _empty(404)
        store.reindex()
        return _empty(204)

    # ---------------------------------------------------------------- other resources

    def resource(name: str, table: dict[int, dict[str, Any]]) -> None:
        async def index(request: Request) -> Response:
            qp = dict(request.query_params)
            rows = [table[i] for i in sorted(table)]
            if qp.get("q"):
                rows = [r for r in rows if _matches(r, qp["q"].lower())]
            known = {k for r in rows[:1] for k in r}
            rows = _sort(rows, qp.get("sort"), known)
            return _json(_project(_page_slice(rows, qp.get("page"), qp.get("length")), qp.get("fields")))

        async def show(item_id: str, request: Request) -> Response:
            if not item_id.isdigit():
                return _html_404()
            record = table.get(int(item_id))
            if record is None:
                return _empty(404)
            return _json(_project([record], request.query_params.get("fields"))[0])

        router.add_api_route(f"/{name}", index, methods=["GET"])
        router.add_api_route(f"/{name}/{{item_id}}", show, methods=["GET"])

    resource("customers", store.customers)
    resource("services", store.services)
    resource("providers", store.providers)

    app.include_router(router, prefix="/index.php/api/v1")
    app.include_router(router, prefix="/api/v1")
    return app


# --------------------------------------------------------------------------- auth and input


def _authorized(header: str) -> bool:
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return secrets.compare_digest(value.strip(), TOKEN)
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return secrets.compare_digest(user, ADMIN_USER) and secrets.compare_digest(password, ADMIN_PASSWORD)
    return False


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _BadRequest(
            "Appointments_model::api_decode(): Argument #1 ($appointment) must be of type array, null given"
        )
    return body


def _parse_datetime(value: Any, which: str) -> datetime:
    try:
        return datetime.strptime(str(value), DATETIME_FORMAT)
    except ValueError:
        raise _BadRequest(f"The appointment {which} date time is invalid.") from None


def _validated_appointment(
    store: _Store, body: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    record: dict[str, Any] = dict(
        current or {"color": "#7cbae8", "status": "", "location": None, "notes": None}
    )
    record.update(
        {k: v for k, v in body.items() if k in APPOINTMENT_FIELDS and k not in ("id", "book", "hash")}
    )
    if current is None and not all(record.get(k) for k in ("providerId", "customerId", "serviceId")):
        if "start" in body:
            _parse_datetime(body["start"], "start")
        raise _BadRequest("Unknown or bad format (PTM)")
    start = _parse_datetime(record.get("start"), "start")
    service = store.services.get(record.get("serviceId") or 0)
    if record.get("end") is None and service is not None:
        record["end"] = (start + timedelta(minutes=int(service.get("duration") or 30))).strftime(
            DATETIME_FORMAT
        )
    end = _parse_datetime(record.get("end"), "end")
    if end - start < timedelta(minutes=5):
        raise _BadRequest("The appointment duration cannot be less than 5 minutes.")
    for name, table in (
        ("provider", store.providers),
        ("customer", store.customers),
        ("service", store.services),
    ):
        value = record.get(f"{name}Id")
        if value not in table:
            raise _BadRequest(f"The appointment {name} ID was not found in the database: {value}")
    return record
