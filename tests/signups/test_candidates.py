"""Choosing bookers for the sign-up queue (pure)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from audience.schema import coerce_interactions
from signups.candidates import CANDIDATE_COLUMNS, bookers, select_for_queue, services_list


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    base = {"source": "easyappointments", "kind": "booking", "status": "booked"}
    return coerce_interactions(pd.DataFrame([{**base, **r} for r in rows]))


ROWS = [
    {
        "source_id": "1",
        "email": "ana@x.org",
        "first_name": "Ana",
        "phone": None,
        "service": "Fencing 101",
        "occurred_at": "2026-01-02T10:00Z",
    },
    {
        "source_id": "2",
        "email": "ana@x.org",
        "first_name": "Ana",
        "phone": "+1 555",
        "service": "Sabre",
        "occurred_at": "2026-01-05T10:00Z",
    },
    {
        "source_id": "3",
        "email": "ana@x.org",
        "first_name": "Ana",
        "phone": None,
        "service": "Sabre",
        "occurred_at": "2026-01-09T10:00Z",
    },
    {
        "source_id": "4",
        "email": "bo@x.org",
        "first_name": "Bo",
        "service": "Epee",
        "status": "cancelled",
        "occurred_at": "2026-01-03T10:00Z",
    },
    {
        "source_id": "5",
        "email": "cy@x.org",
        "first_name": "Cy",
        "service": "Epee",
        "occurred_at": "2026-01-04T10:00Z",
    },
    {
        "source_id": "6",
        "email": None,
        "email_raw": "not-an-email",
        "service": "Epee",
        "occurred_at": "2026-01-04T10:00Z",
    },
    {
        "source_id": "7",
        "source": "eventbrite",
        "kind": "ticket",
        "email": "dee@x.org",
        "occurred_at": "2026-01-04T10:00Z",
    },
    {
        "source_id": "8",
        "email": "cy@x.org",
        "service": "Epee",
        "status": "no_show",
        "occurred_at": "2026-01-06T10:00Z",
    },
]


def test_one_row_per_person_with_totals_services_and_latest_phone() -> None:
    out = bookers(frame(ROWS))
    assert list(out.columns) == CANDIDATE_COLUMNS
    assert out["email"].tolist() == ["ana@x.org", "cy@x.org"]
    ana = out.iloc[0]
    assert ana["total_bookings"] == 3
    assert json.loads(ana["services_used"]) == ["Fencing 101", "Sabre"]
    assert ana["phone"] == "+1 555"  # the latest known, not the latest row's missing value
    assert out.iloc[1]["total_bookings"] == 1  # the no-show is not counted


def test_only_cancelled_bookers_and_other_sources_are_not_bookers() -> None:
    out = bookers(frame(ROWS))
    assert "bo@x.org" not in set(out["email"])
    assert "dee@x.org" not in set(out["email"])


def test_exclusions_are_counted_under_the_first_reason_and_compare_normalised() -> None:
    sel = select_for_queue(
        frame(ROWS), {"on_platform": [" ANA@X.org "], "queued": ["ana@x.org", "cy@x.org"], "invited": []}
    )
    assert sel.candidates.empty
    assert sel.excluded == {"on_platform": ["ana@x.org"], "queued": ["cy@x.org"], "invited": []}
    assert sel.counts == {"candidates": 0, "on_platform": 1, "queued": 1, "invited": 0}


def test_empty_input_gives_empty_typed_candidates() -> None:
    out = bookers(frame([]))
    assert out.empty and list(out.columns) == CANDIDATE_COLUMNS
    assert services_list(None) == [] and services_list('["a"]') == ["a"]
