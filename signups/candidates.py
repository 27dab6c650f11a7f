"""Choosing a window's appointment bookers for the platform sign-up queue (pure pandas).

A booker is a person (normalised email) with at least one EasyAppointments booking
whose status is ``booked`` in the window. Each becomes one candidate row with their
total booked appointments, the services they used and their latest known phone, unless
they are excluded (already on the platform, already queued, already invited).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd

from audience.identity import normalise_email

BOOKING_SOURCE: Final = "easyappointments"
BOOKING_KIND: Final = "booking"
COUNTED_STATUS: Final = "booked"

#: Candidate column name -> dtype.
CANDIDATE_DTYPES: Final[dict[str, Any]] = {
    "email": "string",
    "first_name": "string",
    "last_name": "string",
    "phone": "string",
    "total_bookings": "Int64",
    "services_used": "string",  # JSON array of distinct service names, sorted
    "first_booking": "datetime64[us, UTC]",
    "last_booking": "datetime64[us, UTC]",
}
CANDIDATE_COLUMNS: Final[list[str]] = list(CANDIDATE_DTYPES)


def empty_candidates() -> pd.DataFrame:
    """A candidates frame with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in CANDIDATE_DTYPES.items()})


def _last_known(frame: pd.DataFrame, column: str) -> pd.Series:
    """Per email, the latest non-missing value of ``column`` (frame sorted by time)."""
    present = frame.dropna(subset=[column])
    return present.groupby("email", sort=False)[column].last()


def bookers(interactions: pd.DataFrame) -> pd.DataFrame:
    """One row per person with a counted booking in ``interactions`` (an interactions frame).

    Rows from other sources or kinds, non-``booked`` statuses and rows without a valid
    email are ignored. Names and phone are the latest non-missing values seen.
    """
    rows = interactions[
        (interactions["source"] == BOOKING_SOURCE)
        & (interactions["kind"] == BOOKING_KIND)
        & (interactions["status"] == COUNTED_STATUS)
        & interactions["email"].notna()
    ]
    if rows.empty:
        return empty_candidates()
    rows = rows.sort_values(["occurred_at", "source_id"], na_position="first", kind="stable")
    grouped = rows.groupby("email", sort=True)
    out = pd.DataFrame(
        {
            "total_bookings": grouped.size(),
            "first_booking": grouped["occurred_at"].min(),
            "last_booking": grouped["occurred_at"].max(),
        }
    )
    services = rows.dropna(subset=["service"]).groupby("email")["service"].agg(lambda s: sorted(set(s)))
    out["services_used"] = [json.dumps(services.get(email, []), ensure_ascii=False) for email in out.index]
    for column in ("first_name", "last_name", "phone"):
        out[column] = _last_known(rows, column).reindex(out.index)
    out = out.reset_index(names="email")
    return out[CANDIDATE_COLUMNS].astype(CANDIDATE_DTYPES).reset_index(drop=True)


@dataclass(frozen=True)
class QueueSelection:
    """The candidates to queue and, per exclusion reason, the bookers left out."""

    candidates: pd.DataFrame
    excluded: dict[str, list[str]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        """How many candidates, and how many excluded per reason."""
        return {"candidates": len(self.candidates), **{k: len(v) for k, v in self.excluded.items()}}


def select_for_queue(interactions: pd.DataFrame, exclusions: Mapping[str, Iterable[str]]) -> QueueSelection:
    """The window's bookers minus everyone in ``exclusions`` (reason -> emails, compared normalised).

    A person matching several reasons is counted under the first one, in ``exclusions``'s order
    (pass e.g. ``{"on_platform": ..., "queued": ..., "invited": ...}``).
    """
    found = bookers(interactions)
    remaining = found
    excluded: dict[str, list[str]] = {}
    for reason, emails in exclusions.items():
        normalised = {normalise_email(e) for e in emails if e} - {None}
        hit = remaining["email"].isin(normalised)
        excluded[reason] = sorted(remaining.loc[hit, "email"].tolist())
        remaining = remaining.loc[~hit]
    return QueueSelection(candidates=remaining.reset_index(drop=True), excluded=excluded)


def services_list(services_used: str | None) -> list[str]:
    """The service names stored in a ``services_used`` JSON text (empty when missing)."""
    if not services_used:
        return []
    value = json.loads(services_used)
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
