"""resolve_people against a slow, obviously-correct per-person reference on random data."""

import random

import pandas as pd
import pytest

from audience.people import (
    MAX_SERVICES_CHARS,
    VOID_BOOKING_STATUSES,
    VOID_TICKET_STATUSES,
    resolve_people,
)
from audience.schema import SOURCES, STATUSES
from tests.audience.helpers import AS_OF, interactions

KINDS = ("booking", "ticket", "registration", "attendance")


def _random_rows(seed: int, n: int = 400) -> list[dict[str, object]]:
    rng = random.Random(seed)
    emails = [f"p{i}@x.io" for i in range(25)] + [None, "broken"]
    rows = []
    for i in range(n):
        created = None if rng.random() < 0.3 else AS_OF + pd.Timedelta(days=rng.randint(-400, 30))
        occurred = None if rng.random() < 0.05 else AS_OF + pd.Timedelta(days=rng.randint(-400, 60))
        rows.append(
            {
                "source": rng.choice(SOURCES),
                "source_id": str(i),
                "email_raw": rng.choice(emails),
                "first_name": rng.choice(["Ana", "Bo", "", " ", None, "Cy"]),
                "last_name": rng.choice(["Silva", None, ""]),
                "phone": rng.choice([None, "+1", "+2", "  "]),
                "kind": rng.choice(KINDS),
                "status": rng.choice([*STATUSES, None]),
                "occurred_at": occurred,
                "created_at": created,
                "service": rng.choice(["Foil", "Epee", "Sabre", None]),
                "event_id": rng.choice(["E1", "E2", "E3", None]),
            }
        )
    return rows


def _latest(rows: list[dict[str, object]], field: str) -> object:
    best = None
    best_key = None
    for position, row in enumerate(rows):
        value = row[field]
        if value is None or pd.isna(value) or not str(value).strip():
            continue
        recency = row["created_at"] if not pd.isna(row["created_at"]) else row["occurred_at"]
        key = (pd.Timestamp.min.tz_localize("UTC") if pd.isna(recency) else recency, position)
        if best_key is None or key > best_key:
            best, best_key = str(value).strip(), key
    return best


def _expected(frame: pd.DataFrame) -> dict[str, dict[str, object]]:
    records = frame.to_dict("records")
    by_person: dict[str, list[dict[str, object]]] = {}
    for row in records:
        email = row["email_raw"]
        if isinstance(email, str) and "@" in email:
            by_person.setdefault(email, []).append(row)
    out = {}
    for email, rows in by_person.items():

        def ts(row: dict[str, object], col: str) -> pd.Timestamp | None:
            value = row[col]
            return None if pd.isna(value) else value  # type: ignore[return-value]

        def status(row: dict[str, object]) -> object:
            return None if pd.isna(row["status"]) else row["status"]

        counted = [r for r in rows if r["kind"] == "booking" and status(r) not in VOID_BOOKING_STATUSES]
        upcoming = [r for r in counted if ts(r, "occurred_at") is not None and ts(r, "occurred_at") > AS_OF]
        past = [
            ts(r, "occurred_at")
            for r in counted
            if ts(r, "occurred_at") is not None and ts(r, "occurred_at") <= AS_OF
        ]
        tickets = [r for r in rows if r["kind"] == "ticket"]
        active = [r for r in tickets if status(r) not in VOID_TICKET_STATUSES]
        webinars = [
            r
            for r in rows
            if r["source"] == "zoom" and (r["kind"] == "attendance" or status(r) == "attended")
        ]

        def event_key(r: dict[str, object]) -> object:
            ref = (
                r["event_id"]
                if not pd.isna(r["event_id"])
                else (None if pd.isna(r["service"]) else "name:" + str(r["service"]))
            )
            return None if ref is None else (r["source"], ref)

        seen = [
            t
            for r in rows
            for t in (ts(r, "created_at"), ts(r, "occurred_at"))
            if t is not None and t <= AS_OF
        ]
        attended_times = [ts(r, "occurred_at") for r in active + webinars if ts(r, "occurred_at") is not None]
        services = sorted({str(r["service"]) for r in counted if not pd.isna(r["service"])})
        joined = ""
        for name in services:
            candidate = name if not joined else joined + "," + name
            if len(candidate) > MAX_SERVICES_CHARS:
                break
            joined = candidate
        out[email] = {
            "first_name": _latest(rows, "first_name"),
            "last_name": _latest(rows, "last_name"),
            "phone": _latest(rows, "phone"),
            "n_interactions": len(rows),
            "first_seen": min(seen) if seen else None,
            "last_seen": max(seen) if seen else None,
            "counted_bookings": len(counted),
            "upcoming_bookings": len(upcoming),
            "last_counted_at": max(past) if past else None,
            "next_counted_at": min(ts(r, "occurred_at") for r in upcoming) if upcoming else None,
            "cancelled": sum(r["kind"] == "booking" and status(r) == "cancelled" for r in rows),
            "no_shows": sum(r["kind"] == "booking" and status(r) == "no_show" for r in rows),
            **{f"n_{s}": sum(r["source"] == s for r in rows) for s in SOURCES},
            "sources": ",".join(sorted({str(r["source"]) for r in rows})),
            "services_used": joined or None,
            "events_attended": len({k for r in active if (k := event_key(r)) is not None}),
            "webinars_attended": len({k for r in webinars if (k := event_key(r)) is not None}),
            "last_event_date": max((t for t in attended_times if t <= AS_OF), default=None),
            "next_event_date": min((t for t in attended_times if t > AS_OF), default=None),
            "tickets": len(tickets),
            "tickets_active": len(active),
            "all_tickets_void": bool(tickets) and not active,
        }
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_matches_reference(seed: int) -> None:
    frame = interactions(*_random_rows(seed))
    people = resolve_people(frame, AS_OF).set_index("email")
    expected = _expected(frame)
    assert sorted(people.index) == sorted(expected)
    for email, values in expected.items():
        got = people.loc[email]
        for column, want in values.items():
            have = got[column]
            if want is None:
                assert pd.isna(have), (email, column, have)
            else:
                assert have == want, (email, column, have, want)
