"""Frames shared by the insights tests: a small literal one and a generated one."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from audience.schema import coerce_interactions
from insights.facts import compute_facts
from insights.models import FactSheet
from insights.synthetic import synthetic_bookings

WINDOW = (date(2026, 10, 5), date(2026, 10, 11))
AS_OF = datetime(2026, 10, 9, tzinfo=UTC)


def _row(email, status, occurred, created, service, provider, amount, tz="Europe/Lisbon", lang="english"):  # type: ignore[no-untyped-def]
    return {
        "source": "easyappointments",
        "email": email,
        "first_name": "Ana" if email and email.startswith("ana") else "Someone",
        "last_name": "Tester",
        "phone": "+351910000000",
        "kind": "booking",
        "status": status,
        "occurred_at": occurred,
        "created_at": created,
        "service": service,
        "provider": provider,
        "amount": amount,
        "currency": "EUR",
        "timezone": tz,
        "language": lang,
    }


@pytest.fixture
def literal_history() -> pd.DataFrame:
    """One earlier booking that makes ana@a.com a returning customer."""
    return coerce_interactions(
        pd.DataFrame(
            [_row("ana@a.com", "booked", "2026-09-01 10:00", "2026-08-30 10:00", "Lesson", "Coach X", 50.0)]
        )
    )


@pytest.fixture
def literal_bookings() -> pd.DataFrame:
    """Two bookings in the previous window, seven in the window (one deleted, one without email)."""
    rows = [
        _row("ana@a.com", "booked", "2026-09-29 10:00", "2026-09-27 10:00", "Lesson", "Coach X", 50.0),
        _row("bo@b.com", "cancelled", "2026-09-30 14:00", "2026-09-30 08:00", "Clinic", "Coach Y", 30.0),
        _row("ana@a.com", "booked", "2026-10-05 09:00", "2026-10-01 09:00", "Lesson", "Coach X", 50.0),
        _row("ana@a.com", "booked", "2026-10-06 09:30", "2026-10-05 09:30", "Lesson", "Coach X", 50.0),
        _row(
            "cy@c.com",
            "no_show",
            "2026-10-06 11:00",
            "2026-10-06 10:00",
            "Clinic",
            "Coach Y",
            30.0,
            lang="portuguese",
        ),
        _row("bo@b.com", "cancelled", "2026-10-07 15:00", "2026-09-30 15:00", "Clinic", "Coach Y", 30.0),
        _row(
            "dee@c.com",
            "booked",
            "2026-10-10 10:00",
            "2026-10-08 10:00",
            "Lesson",
            "Coach X",
            50.0,
            tz="Europe/Madrid",
        ),
        _row("eve@d.com", "deleted", "2026-10-06 12:00", "2026-10-01 12:00", "Lesson", "Coach X", 50.0),
        _row(None, "booked", "2026-10-06 16:00", None, "Lesson", None, 50.0),
    ]
    return coerce_interactions(pd.DataFrame(rows))


@pytest.fixture
def literal_sheet(literal_bookings: pd.DataFrame, literal_history: pd.DataFrame) -> FactSheet:
    return compute_facts(
        literal_bookings, date_from=WINDOW[0], date_to=WINDOW[1], as_of=AS_OF, history=literal_history
    )


@pytest.fixture(scope="session")
def generated_bookings() -> pd.DataFrame:
    """3,000 bookings over Jul-Oct 2026 (seeded)."""
    return synthetic_bookings(3_000, start=datetime(2026, 7, 1), end=datetime(2026, 11, 1), seed=3)


@pytest.fixture(scope="session")
def generated_sheet(generated_bookings: pd.DataFrame) -> FactSheet:
    return compute_facts(
        generated_bookings,
        date_from=date(2026, 9, 16),
        date_to=date(2026, 10, 15),
        as_of=datetime(2026, 10, 1, 12, tzinfo=UTC),
    )
