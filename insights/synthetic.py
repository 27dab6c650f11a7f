"""Seeded synthetic EasyAppointments bookings in the interactions-frame shape (tests, bench, demo).

Vectorised with numpy so a million rows take about a second. Names are invented words so a test can
search a request body for them without false hits.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

_FIRST = np.array(["Zarvia", "Quelmo", "Ostrane", "Bevrik", "Yallun", "Trennis", "Marvolo", "Ixelle"])
_LAST = np.array(["Korrvath", "Pelliwig", "Drummage", "Saltovar", "Wexley", "Umbrisk", "Farnhold"])
_DOMAINS = np.array(
    ["gmail.com", "outlook.com", "yahoo.com", "engarde-club.org", "proton.me", "tiny-isp.net"]
)
_DOMAIN_P = np.array([0.45, 0.2, 0.15, 0.1, 0.0995, 0.0005])
_SERVICES = np.array(
    ["Private lesson", "Beginner class", "Epee clinic", "Sabre clinic", "Fitness assessment"]
)
_PRICES = np.array([60.0, 25.0, 40.0, 40.0, 35.0])
_PROVIDERS = np.array(["Coach Aldric Venn", "Coach Selma Orrow", "Coach Tobin Quay"])
_TIMEZONES = np.array(["Europe/Lisbon", "Europe/London", "Europe/Madrid", "America/New_York"])
_LANGUAGES = np.array(["english", "portuguese", "spanish"])
_STATUSES = np.array(["booked", "cancelled", "no_show", "deleted"])


def synthetic_bookings(
    n: int, *, start: datetime, end: datetime, seed: int = 0, people: int | None = None
) -> pd.DataFrame:
    """``n`` bookings with appointment starts uniformly in ``[start, end)`` (UTC, on the hour 8-20).

    About ``n / 3`` distinct people (or ``people``) so repeat bookers exist.
    """
    rng = np.random.default_rng(seed)
    n_people = people or max(1, n // 3)
    person = rng.integers(0, n_people, n)
    first = _FIRST[person % len(_FIRST)]
    last = _LAST[(person // len(_FIRST)) % len(_LAST)]
    domain = _DOMAINS[rng.choice(len(_DOMAINS), n_people, p=_DOMAIN_P)][person]
    email = pd.Series(
        np.char.add(np.char.add(np.char.lower(first.astype(str)), "."), person.astype(str)), dtype="string"
    )
    email = email + "@" + pd.Series(domain, dtype="string")
    t0 = pd.Timestamp(start).tz_localize("UTC") if pd.Timestamp(start).tzinfo is None else pd.Timestamp(start)
    t1 = pd.Timestamp(end).tz_localize("UTC") if pd.Timestamp(end).tzinfo is None else pd.Timestamp(end)
    days = max(1, (t1 - t0).days)
    occurred = (
        t0
        + pd.to_timedelta(rng.integers(0, days, n), unit="D")
        + pd.to_timedelta(rng.integers(8, 21, n), unit="h")
    )
    lead_minutes = np.minimum(rng.exponential(7 * 24 * 60, n), 120 * 24 * 60).astype("int64")
    service_idx = rng.integers(0, len(_SERVICES), n)
    person_tz = rng.integers(0, len(_TIMEZONES), n_people)[person]
    person_lang = rng.integers(0, len(_LANGUAGES), n_people)[person]
    frame = pd.DataFrame(
        {
            "source": pd.Series(["easyappointments"] * n, dtype="string"),
            "source_id": pd.Series(np.arange(1, n + 1).astype(str), dtype="string"),
            "email_raw": email,
            "email": email,
            "first_name": pd.Series(first, dtype="string"),
            "last_name": pd.Series(last, dtype="string"),
            "phone": pd.Series(np.char.add("+3519", (10_000_000 + person).astype(str)), dtype="string"),
            "kind": pd.Series(["booking"] * n, dtype="string"),
            "status": pd.Series(_STATUSES[rng.choice(4, n, p=[0.78, 0.12, 0.07, 0.03])], dtype="string"),
            "occurred_at": occurred.astype("datetime64[us, UTC]"),
            "created_at": (occurred - pd.to_timedelta(lead_minutes, unit="m")).astype("datetime64[us, UTC]"),
            "service": pd.Series(_SERVICES[service_idx], dtype="string"),
            "event_id": pd.Series((service_idx + 1).astype(str), dtype="string"),
            "provider": pd.Series(_PROVIDERS[rng.integers(0, len(_PROVIDERS), n)], dtype="string"),
            "amount": pd.Series(_PRICES[service_idx], dtype="Float64"),
            "currency": pd.Series(["EUR"] * n, dtype="string"),
            "timezone": pd.Series(_TIMEZONES[person_tz], dtype="string"),
            "language": pd.Series(_LANGUAGES[person_lang], dtype="string"),
        }
    )
    return frame
