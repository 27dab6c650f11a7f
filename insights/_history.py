"""History facts: since when the source's bookings are known, and how many there are in all.

They give a report its context (is the instance empty, does the window fall before its first
booking?) and say, when the history is incomplete, from when the new / returning counts run.
"""

from __future__ import annotations

from insights.models import Fact, History


def history_facts(coverage: History) -> list[Fact]:
    """``history.first_booking`` (a UTC date, or none) and ``history.bookings`` (all dates)."""
    first = None if coverage.first_booking is None else coverage.first_booking.isoformat()
    if coverage.complete:
        first_label = "First booking on record (start date, UTC)"
        count_label = "Bookings on record, all dates (every status)"
    else:
        first_label = "Earliest stored booking (start date, UTC; older history was not read)"
        count_label = "Stored bookings, all dates (every status; older history was not read)"
    return [
        Fact(id="history.first_booking", label=first_label, unit="text", value=first),
        Fact(id="history.bookings", label=count_label, unit="count", value=coverage.bookings),
    ]


def history_note(coverage: History | None) -> str:
    """The label suffix of facts that depend on each person's earlier bookings ("" when complete)."""
    if coverage is None or coverage.complete:
        return ""
    since = coverage.first_booking.isoformat() if coverage.first_booking else "this window"
    return f"; bookings known from {since} only, not compared"
