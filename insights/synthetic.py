"""Seeded synthetic EasyAppointments bookings in the interactions-frame shape (tests, bench, demo).

Vectorised with numpy; low-cardinality text columns are categoricals (``coerce_interactions``
turns them into the schema's ``string`` dtype when needed). Names are invented words so a test can
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
_DOMAIN_P = np.array([0.45, 0.2, 0.15, 0.1, 0.1, 0.0])
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
    ids = np.arange(n_people)
    first_p = _FIRST[ids % len(_FIRST)]
    last_p = _LAST[(ids // len(_FIRST)) % len(_LAST)]
    domain_p = _DOMAINS[rng.choice(len(_DOMAINS), n_people, p=_DOMAIN_P)]
    # a rare domain (about 1 person in 1,000) that must never be named in aggregates
    domain_p[ids % 997 == 1] = _DOMAINS[-1]
    email_p = [f"{f.lower()}.{i}@{d}" for f, i, d in zip(first_p, ids, domain_p, strict=True)]
    phone_p = [f"+3519{10_000_000 + i}" for i in ids]

    def per_booking(values: list[str] | np.ndarray) -> pd.Series:
        return pd.Series(np.asarray(values, dtype=object)[person], dtype="string")

    email = per_booking(email_p)
    first = per_booking(first_p)
    last = per_booking(last_p)
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
            "source": _repeat("easyappointments", n),
            "source_id": pd.Series(np.arange(1, n + 1), dtype="int64").astype("string"),
            "email_raw": email,
            "email": email,
            "first_name": first,
            "last_name": last,
            "phone": per_booking(phone_p),
            "kind": _repeat("booking", n),
            "status": _codes(_STATUSES, rng.choice(4, n, p=[0.78, 0.12, 0.07, 0.03])),
            "occurred_at": occurred.astype("datetime64[us, UTC]"),
            "created_at": (occurred - pd.to_timedelta(lead_minutes, unit="m")).astype("datetime64[us, UTC]"),
            "service": _codes(_SERVICES, service_idx),
            "event_id": _codes(np.array([str(i + 1) for i in range(len(_SERVICES))]), service_idx),
            "provider": _codes(_PROVIDERS, rng.integers(0, len(_PROVIDERS), n)),
            "amount": pd.Series(_PRICES[service_idx], dtype="Float64"),
            "currency": _repeat("EUR", n),
            "timezone": _codes(_TIMEZONES, person_tz),
            "language": _codes(_LANGUAGES, person_lang),
        }
    )
    return frame


def _repeat(value: str, n: int) -> pd.Series:
    return _codes(np.array([value]), np.zeros(n, dtype="int64"))


def _codes(labels: np.ndarray, codes: np.ndarray) -> pd.Series:
    """Low-cardinality text as a categorical: same values, built without a per-row string pass."""
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(list(labels), dtype=object)))
