"""The EasyAppointments twin's records: appointments, customers, services and providers.

A start-date index serves the window filters and sorted query results are cached until the
next write, so a page of a 20k-appointment world is cheap.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sandbox.budgets import FixedWindow
from sandbox.easyappointments_http import (
    APPOINTMENT_FIELDS,
    DATETIME_FORMAT,
    SERVICE,
    BadRequest,
    int_param,
    matches,
    php_date,
    project,
    raw_row,
    sort_rows,
)
from sandbox.framework import SandboxContext


def provider_settings(provider: dict[str, Any]) -> dict[str, Any]:
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


class Store:
    """The twin's records, a start-date index and a cache of sorted query results."""

    def __init__(self, ctx: SandboxContext) -> None:
        world = ctx.world
        self.appointments: dict[int, dict[str, Any]] = {int(a["id"]): dict(a) for a in world.appointments}
        self.customers: dict[int, dict[str, Any]] = {int(c["id"]): dict(c) for c in world.customers}
        self.services: dict[int, dict[str, Any]] = {int(s["id"]): dict(s) for s in world.services}
        self.providers: dict[int, dict[str, Any]] = {
            int(p["id"]): {**p, "settings": p.get("settings") or provider_settings(p)}
            for p in world.providers
        }
        self.next_id = max(self.appointments, default=0) + 1
        self.rng = world.rng_for(SERVICE)
        self._cache: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self._by_start: list[tuple[str, int]] = []
        self.rate_limit: tuple[int, float] | None = None
        self._window = FixedWindow()
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the start-date index and drop cached query results (after any write)."""
        self._by_start = sorted((str(a["start"])[:10], i) for i, a in self.appointments.items())
        self._cache.clear()

    def allow(self) -> bool:
        """The real server's fixed window: ``count`` requests from the first one for ``seconds``."""
        return self._window.admit(self.rate_limit)

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


def parse_datetime(value: Any, which: str) -> datetime:
    """An appointment ``start`` / ``end``, or the server's 500 naming ``which``."""
    try:
        return datetime.strptime(str(value), DATETIME_FORMAT)
    except ValueError:
        raise BadRequest(f"The appointment {which} date time is invalid.") from None


def validated_appointment(
    store: Store, body: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    """``body`` applied to ``current`` (None: a new appointment), checked as the server does."""
    record: dict[str, Any] = dict(
        current or {"color": "#7cbae8", "status": "", "location": None, "notes": None}
    )
    record.update(
        {k: v for k, v in body.items() if k in APPOINTMENT_FIELDS and k not in ("id", "book", "hash")}
    )
    if current is None and not all(record.get(k) for k in ("providerId", "customerId", "serviceId")):
        if "start" in body:
            parse_datetime(body["start"], "start")
        raise BadRequest("Unknown or bad format (PTM)")
    start = parse_datetime(record.get("start"), "start")
    service = store.services.get(record.get("serviceId") or 0)
    if record.get("end") is None and service is not None:
        record["end"] = (start + timedelta(minutes=int(service.get("duration") or 30))).strftime(
            DATETIME_FORMAT
        )
    end = parse_datetime(record.get("end"), "end")
    if end - start < timedelta(minutes=5):
        raise BadRequest("The appointment duration cannot be less than 5 minutes.")
    for name, table in (
        ("provider", store.providers),
        ("customer", store.customers),
        ("service", store.services),
    ):
        value = record.get(f"{name}Id")
        if value not in table:
            raise BadRequest(f"The appointment {name} ID was not found in the database: {value}")
    return record


# --------------------------------------------------------------------------- queries


def appointment_rows(store: Store, qp: dict[str, str]) -> list[dict[str, Any]]:
    """The appointments a list query selects, sorted (``q`` disables every other filter)."""
    sort = qp.get("sort")
    q = qp.get("q")
    if q:
        needle = q.lower()
        return store.cached(("q", needle, sort), lambda: _search(store, needle, sort))
    day = php_date(qp["date"]) if qp.get("date") else None
    first = php_date(qp["from"]) if qp.get("from") else None
    till = php_date(qp["till"]) if qp.get("till") else None
    ids: dict[str, int | None] = {}
    for name in ("serviceId", "providerId", "customerId"):
        raw = qp.get(name)
        ids[name] = int_param(raw, 0, name=name) if raw else None

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
        return sort_rows(rows, sort, set(APPOINTMENT_FIELDS))

    key = ("f", day, first, till, tuple(ids.values()), sort)
    return store.cached(key, build)


def _search(store: Store, needle: str, sort: str | None) -> list[dict[str, Any]]:
    """``q``: appointments whose own or related records hold ``needle`` in a text field."""
    hits = []
    for a in store.window(None, None):
        related = (
            store.customers.get(a.get("customerId") or 0),
            store.providers.get(a.get("providerId") or 0),
            store.services.get(a.get("serviceId") or 0),
        )
        if matches(a, needle) or any(r is not None and matches(r, needle) for r in related):
            hits.append(a)
    return sort_rows(hits, sort, set(APPOINTMENT_FIELDS))


def decorate(store: Store, rows: list[dict[str, Any]], qp: dict[str, str]) -> list[dict[str, Any]]:
    """``fields``, ``with`` and ``aggregates`` applied to a page of appointments."""
    # ``with`` reads the relation ids from the projected record (so ``fields`` can lose
    # them: null), ``aggregates`` from the whole record, as the captured responses show.
    fields = qp.get("fields")
    out = project(rows, fields)
    relations = [r.strip() for r in qp.get("with", "").split(",") if r.strip()]
    for relation in relations:
        if relation not in ("service", "provider", "customer"):
            raise BadRequest(f"The requested appointment relation is not supported: {relation}")
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
                row[relation] = raw_row(table.get(related_id) if isinstance(related_id, int) else None)
            elif aggregates and (wanted is None or relation in wanted):
                row[relation] = table.get(original.get(f"{relation}Id") or 0)
        decorated.append(row)
    return decorated
